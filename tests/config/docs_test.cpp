// The reference docs in docs/ are what `synchub docs` writes from the specs, and every field of
// every spec has a description to write.
#include "config/docs.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"
#include "tests/support/files.hpp"

namespace synchub::config {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = SYNCHUB_SOURCE_DIR;

// "line N: committed ... / generated ..." for the first line that differs.
std::string first_difference(const std::string& committed, const std::string& generated) {
  size_t line = 1, start = 0;
  for (size_t i = 0; i < std::min(committed.size(), generated.size()) && committed[i] == generated[i]; ++i)
    if (committed[i] == '\n') ++line, start = i + 1;
  auto line_of = [&](const std::string& text) {
    const size_t end = text.find('\n', start);
    return start >= text.size() ? std::string("(end of file)") : text.substr(start, end - start);
  };
  return "line " + std::to_string(line) + "\n  committed: " + line_of(committed) +
         "\n  generated: " + line_of(generated);
}

size_t connector_folders() {
  size_t count = 0;
  for (const auto& entry : fs::directory_iterator(kSourceDir / "connectors"))
    if (fs::exists(entry.path() / "CMakeLists.txt")) ++count;
  return count;
}

TEST(Docs, CommittedDocsAreWhatTheSpecsGive) {
  const auto& registry = connectors::builtin_registry();
  if (registry.registered_names().size() < connector_folders())
    GTEST_SKIP() << "built with a connector left out: its page cannot be generated here";
  const std::string fix = "run `synchub docs` in the source folder (" + kSourceDir.string() + ") and commit docs/";
  test::TempDir dir;
  const std::vector<DocFile> files = reference_docs(registry.specs());
  write_docs(dir.path(), files);
  std::set<std::string> generated;
  for (const auto& file : files) {
    generated.insert(file.path);
    const std::string fresh = test::read_file(dir.path() / file.path);
    EXPECT_EQ(fresh, file.text) << file.path << ": not written as generated";
    EXPECT_EQ(fresh.rfind(kGeneratedNotice, 0), 0u) << file.path << ": no notice at the top";
    const fs::path committed = kSourceDir / "docs" / file.path;
    if (!fs::exists(committed)) {
      ADD_FAILURE() << "docs/" << file.path << " is missing: " << fix;
      continue;
    }
    const std::string text = test::read_file(committed);
    if (text != fresh)
      ADD_FAILURE() << "docs/" << file.path << " is not what the specs give, at " << first_difference(text, fresh)
                    << "\n"
                    << fix;
  }
  for (const auto& entry : fs::directory_iterator(kSourceDir / "docs" / "connectors"))
    if (!generated.count("connectors/" + entry.path().filename().string()))
      ADD_FAILURE() << "docs/connectors/" << entry.path().filename().string()
                    << " is no connector's page (docs/connectors holds generated pages only; `synchub docs` "
                       "removes those of connectors that are gone): "
                    << fix;
}

TEST(Docs, RegeneratingRemovesThePagesOfConnectorsThatAreGone) {
  test::TempDir dir;
  const std::vector<DocFile> files = reference_docs(connectors::builtin_registry().specs());
  write_docs(dir.path(), files);
  test::write_file(dir.path() / "connectors" / "gone.md", std::string(kGeneratedNotice) + "\n# The `gone` connector\n");
  test::write_file(dir.path() / "connectors" / "notes.md", "# Notes by hand\n");
  EXPECT_EQ(remove_stale_docs(dir.path(), files), std::vector<fs::path>{dir.path() / "connectors" / "gone.md"});
  EXPECT_FALSE(fs::exists(dir.path() / "connectors" / "gone.md"));
  EXPECT_TRUE(fs::exists(dir.path() / "connectors" / "notes.md"));
  for (const auto& file : files) EXPECT_TRUE(fs::exists(dir.path() / file.path)) << file.path;
}

void expect_described(const std::vector<FieldSpec>& fields, const std::string& where) {
  for (const auto& f : fields) {
    EXPECT_FALSE(f.description.empty()) << where << "." << f.name << " has no description";
    expect_described(f.fields, where + "." + f.name);
    expect_described(f.items, where + "." + f.name + "[]");
  }
}

// Every hub section is checked (alerts too): the list is the one the schema and the docs are
// written from, so a section cannot be documented without being checked.
TEST(Docs, EveryFieldOfEverySpecHasADescription) {
  for (const auto& section : hub_sections()) {
    EXPECT_FALSE(section.description.empty()) << section.name;
    if (section.fields) expect_described(*section.fields, section.name);
    if (section.kind == SectionSpec::Kind::Named) {
      EXPECT_FALSE(section.entry_description.empty()) << section.name;
    }
  }
  for (const auto* spec : connectors::builtin_registry().specs()) {
    EXPECT_FALSE(spec->description.empty()) << spec->type;
    EXPECT_TRUE(spec->status == "stable" || spec->status == "beta" || spec->status == "experimental")
        << spec->type << ": status " << spec->status;
    EXPECT_FALSE(spec->since.empty()) << spec->type;
    expect_described(spec->fields, "connectors." + spec->type);
    expect_described(spec->stream_fields, "connectors." + spec->type + ".streams");
  }
}

TEST(Docs, TablesEscapeWhatGitHubWouldReadAsMarkup) {
  EXPECT_EQ(md_prose("default: <inbox>/archive, a|b, *.tmp, `<kept>|`"),
            "default: &lt;inbox&gt;/archive, a\\|b, \\*.tmp, `<kept>\\|`");
  EXPECT_EQ(md_code(""), "`\"\"`");
  EXPECT_EQ(md_code("a|b"), "`a\\|b`");
  EXPECT_EQ(md_code("a`b"), "`` a`b ``");
  const std::string table = field_table({{.name = "retry",
                                          .type = FieldType::Section,
                                          .description = "Backoff.",
                                          .items = {{.name = "path", .description = "Where.", .required = true}},
                                          .fields = {{.name = "max",
                                                      .type = FieldType::Int,
                                                      .description = "Most.",
                                                      .default_value = "3",
                                                      .min = 0,
                                                      .max = 9}}}});
  EXPECT_NE(table.find("| `retry.max` | integer (0–9) |  | `3` | Most. |\n"), std::string::npos) << table;
  EXPECT_NE(table.find("| `retry[].path` | string | yes |  | Where. |\n"), std::string::npos) << table;
}

TEST(Docs, StreamRolesAreFoundFromTheSpec) {
  ConnectorSpec spec{.type = "t",
                     .stream_fields = {{.name = "inbox", .description = "In."},
                                       {.name = "kind",
                                        .type = FieldType::Enum,
                                        .description = "Kind.",
                                        .default_value = "a",
                                        .options = {"a", "b", "c"}}},
                     .stream_roles = [](const Settings& s) {
                       return StreamRoles{.source = s.has("inbox"), .sink = s.str("kind") == "b"};
                     }};
  EXPECT_EQ(stream_roles_text(spec),
            "A stream is a source (a flow's `from`) when it sets `inbox`; a stream is a sink (a flow's `to`) when "
            "`kind` is `b`.");
  spec.stream_roles = {};
  EXPECT_EQ(stream_roles_text(spec), "");
}

}  // namespace
}  // namespace synchub::config
