// Registration and config spec of the `file` connector.
#include "connectors/file/connector.hpp"
#include "connectors/registry.hpp"

namespace synchub::connectors {

void register_file(Registry& registry) {
  using config::FieldType;
  namespace f = file::field;
  config::ConnectorSpec spec{
      .type = "file",
      .description = "Folders of JSON-lines or CSV files: an inbox read in name order, an outbox written atomically.",
      .status = "stable",
      .since = "0.1.0",
      .fields = {},
      .stream_fields =
          {
              {.name = f::kFormat,
               .type = FieldType::Enum,
               .description = "File format.",
               .default_value = "jsonl",
               .options = {"jsonl", "csv"}},
              {.name = f::kKey,
               .description = "Field (dotted path; CSV: column) holding each record's key.",
               .default_value = "id",
               .example = "order_id"},
              {.name = f::kInbox,
               .type = FieldType::Path,
               .description = "Folder to read files from; makes the stream a source.",
               .example = "inbox/orders"},
              {.name = f::kArchive,
               .type = FieldType::Path,
               .description = "Where fully read files are moved (default: <inbox>/archive)."},
              {.name = f::kPattern,
               .description = "Glob of the file names read from the inbox.",
               .default_value = "*",
               .example = "*.jsonl"},
              {.name = f::kOutbox,
               .type = FieldType::Path,
               .description = "Folder to write files to; makes the stream a sink.",
               .example = "outbox/orders"},
              {.name = f::kColumns,
               .type = FieldType::StringList,
               .description = "CSV sink: columns in order (default: the first record's fields)."},
              {.name = f::kDelimiter,
               .description = "CSV field delimiter (one character).",
               .default_value = ",",
               .min = 1,
               .max = 1},
              {.name = f::kPollInterval,
               .type = FieldType::Duration,
               .description = "How often the inbox is checked for new data.",
               .default_value = "1s"},
              {.name = f::kSettle,
               .type = FieldType::Duration,
               .description = "A file must be unchanged this long before its unterminated last line is read "
                              "and before it is archived.",
               .default_value = "1s"},
              {.name = f::kMaxRecordSize,
               .type = FieldType::Size,
               .description = "Larger records are dead-lettered instead of published.",
               .default_value = "1MiB"},
              {.name = f::kFsync,
               .type = FieldType::Bool,
               .description = "Sink: flush each written file to disk before it is renamed into place.",
               .default_value = "true"},
              {.name = f::kEncoding,
               .type = FieldType::Enum,
               .description = "Character encoding of the files. utf-8-bom starts each written file with a byte "
                              "order mark so that Excel reads UTF-8; gb18030 is what Chinese Excel and finance "
                              "software read by default. Reading, a BOM is skipped either way. JSON lines are "
                              "utf-8 only.",
               .default_value = "utf-8",
               .options = {"utf-8", "utf-8-bom", "gb18030"}},
              {.name = f::kInertFormulas,
               .type = FieldType::Bool,
               .description = "CSV sink: a text cell starting with = + - @, a tab or a carriage return, and not "
                              "a plain number (-12.50 stays as it is), is written with a leading ' so that a "
                              "spreadsheet shows it instead of running it as a formula.",
               .default_value = "true"},
              {.name = f::kRoll,
               .type = FieldType::Section,
               .description = "Sink: append batches to one file until a limit is reached, then move it to its "
                              "final name (default: one file per batch). A file open when the hub stops is "
                              "closed.",
               .fields =
                   {
                       {.name = "max_records",
                        .type = FieldType::Int,
                        .description = "Records per file (a batch is never split: a larger batch gets a file "
                                       "of its own).",
                        .min = 1,
                        .example = "100000"},
                       {.name = "max_bytes",
                        .type = FieldType::Size,
                        .description = "Bytes per file (as max_records: a larger batch gets a file of its own).",
                        .example = "64MiB"},
                       {.name = "max_age",
                        .type = FieldType::Duration,
                        .description = "A file is closed once this old, at the flow's next batch or when the "
                                       "hub stops (there is no timer: an idle flow's file waits for either).",
                        .example = "10m"},
                   }},
          },
      .stream_roles =
          [](const config::Settings& s) {
            return config::StreamRoles{
                .source = s.has(f::kInbox), .sink = s.has(f::kOutbox), .readable = s.has(f::kOutbox)};
          },
  };
  spec.stream_check = [](const config::Settings& s) {
    std::vector<config::SettingsProblem> problems;
    if (s.str(f::kFormat) == "jsonl" && s.str(f::kEncoding) != "utf-8")
      problems.push_back({f::kEncoding, "JSON lines are UTF-8 (RFC 8259): encoding must be utf-8"});
    return problems;
  };
  registry.add({std::move(spec), [](const config::ConnectorConfig&, const Context&) {
                  return std::make_unique<file::FileConnector>();
                }});
}

}  // namespace synchub::connectors
