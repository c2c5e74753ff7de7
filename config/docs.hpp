// Reference documentation in Markdown, generated from the same specs that validate a config and
// give its JSON Schema (`synchub docs`): a page per connector type, their index, and the hub
// configuration reference. The output depends on the specs alone: same specs, same bytes.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/spec.hpp"

namespace synchub::config {

struct DocFile {
  std::string path;  // relative to the docs folder: "connectors/rest.md"
  std::string text;
};

// The first line of every generated page.
extern const char* const kGeneratedNotice;

// connectors/<type>.md for each spec (sorted by type), connectors/README.md (the index) and
// config-reference.md (every top-level section of synchub.yaml).
std::vector<DocFile> reference_docs(std::vector<const ConnectorSpec*> connector_specs);

// Writes the files under `dir`, creating folders; throws std::runtime_error naming a file it
// cannot write.
void write_docs(const std::filesystem::path& dir, const std::vector<DocFile>& files);
// Deletes the generated pages under `dir`/connectors that `files` no longer has (a connector
// removed or renamed); files without the notice at the top are left alone. Returns their paths.
std::vector<std::filesystem::path> remove_stale_docs(const std::filesystem::path& dir,
                                                     const std::vector<DocFile>& files);

// A value as Markdown code in a table cell ("" for an empty one).
std::string md_code(const std::string& text);
// A spec's prose for Markdown: `code` spans kept, HTML and emphasis characters escaped, one line.
std::string md_prose(const std::string& text);

// One Markdown table row per field, nested sections dotted ("retry.max_backoff") and the items of
// a list form as "errors[].path"; columns: field, type, required, default, description.
std::string field_table(const std::vector<FieldSpec>& fields);

// When a stream of this spec is a source and when a sink, found by trying the stream fields'
// values on its stream_roles; "" when the spec does not say.
std::string stream_roles_text(const ConnectorSpec& spec);

}  // namespace synchub::config
