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
          },
      .stream_roles =
          [](const config::Settings& s) {
            return config::StreamRoles{
                .source = s.has(f::kInbox), .sink = s.has(f::kOutbox), .readable = s.has(f::kOutbox)};
          },
  };
  registry.add({std::move(spec), [](const config::ConnectorConfig&, const Context&) {
                  return std::make_unique<file::FileConnector>();
                }});
}

}  // namespace synchub::connectors
