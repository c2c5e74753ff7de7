// The JSON Schema comes from the same specs as validation.
#include "config/schema.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"
#include "tests/support/files.hpp"

namespace synchub::config {
namespace {

TEST(Schema, DescribesEverySectionAndConnectorField) {
  const auto& registry = connectors::builtin_registry();
  nlohmann::json schema = hub_config_schema(registry.specs());
  EXPECT_EQ(schema["$schema"], "http://json-schema.org/draft-07/schema#");
  EXPECT_FALSE(schema["additionalProperties"].get<bool>());
  for (const auto& f : flow_fields())
    EXPECT_TRUE(schema["properties"]["flows"]["additionalProperties"]["properties"].contains(f.name)) << f.name;
  EXPECT_EQ(schema["properties"]["flows"]["additionalProperties"]["required"], nlohmann::json::array({"from", "to"}));
  const auto& branches = schema["properties"]["connectors"]["additionalProperties"]["allOf"];
  ASSERT_EQ(branches.size(), registry.specs().size());
  for (const auto* spec : registry.specs()) {
    const nlohmann::json* variant = nullptr;
    for (const auto& b : branches)
      if (b["if"]["properties"]["type"]["const"] == spec->type) variant = &b["then"];
    ASSERT_NE(variant, nullptr) << spec->type;
    const auto& stream = (*variant)["properties"]["streams"]["additionalProperties"];
    for (const auto& f : spec->stream_fields) {
      ASSERT_TRUE(stream["properties"].contains(f.name)) << spec->type << "." << f.name;
      EXPECT_FALSE(stream["properties"][f.name]["description"].get<std::string>().empty()) << f.name;
    }
  }
  const auto& bus = schema["properties"]["bus"]["anyOf"];
  EXPECT_EQ(bus[0]["properties"]["retention"]["properties"]["max_age"]["default"], "7d");
  EXPECT_EQ(bus[1]["enum"], nlohmann::json::array({"embedded", "kafka"}));  // bus: kafka
}

// Runs tests/support/schema_check.py (Debian's python3-jsonschema: a validator of its own) on
// `files` against the schema the specs give; its output, and its exit code in `code`.
std::string check_with_jsonschema(const test::TempDir& dir, const std::vector<std::string>& files, bool invalid,
                                  int& code) {
  test::write_file(dir.path() / "schema.json", hub_config_schema(connectors::builtin_registry().specs()).dump());
  std::string command =
      "/usr/bin/python3 " SYNCHUB_SOURCE_DIR "/tests/support/schema_check.py " + dir.str("schema.json");
  if (invalid) command += " --invalid";
  for (const auto& f : files) command += " '" + f + "'";
  command += " > " + dir.str("out.txt") + " 2>&1";
  code = std::system(command.c_str());
  return test::read_file(dir.path() / "out.txt");
}

TEST(Schema, EveryExampleConfigAndReadmeSnippetPassesAnIndependentValidator) {
  test::TempDir dir;
  std::vector<std::string> files = {SYNCHUB_SOURCE_DIR "/README.md"};
  for (const auto& entry : std::filesystem::recursive_directory_iterator(SYNCHUB_SOURCE_DIR "/examples"))
    if (entry.path().filename() == "synchub.yaml") files.push_back(entry.path().string());
  int code = 0;
  const std::string out = check_with_jsonschema(dir, files, false, code);
  EXPECT_EQ(code, 0) << out;
  size_t snippets = 0;
  for (size_t at = out.find("README.md yaml block"); at != std::string::npos;
       at = out.find("README.md yaml block", at + 1))
    ++snippets;
  EXPECT_GE(snippets, 5u) << out;  // the README's config snippets were found and checked
  EXPECT_GE(files.size(), 7u);
}

// Wrong configs: the schema (what an editor says) and the loader (what validate and run say)
// both refuse each; the schema names the wrong field of the connector's own type.
TEST(Schema, WrongConfigsAreRefusedByTheSchemaAndByTheLoaderAlike) {
  const std::vector<std::pair<std::string, std::string>> wrong = {
      {"bus-type", "bus: rabbitmq\n"},
      {"state-url", "state: mysql://db/synchub\n"},
      {"bus-enum", "bus: {type: kafkaa}\n"},
      {"stream-field", "connectors:\n  crm: {type: file, streams: {orders: {inbx: in}}}\n"},
      {"connector-type", "connectors:\n  crm: {type: ftp, streams: {}}\n"},
      {"flow-without-to", "flows:\n  f: {from: crm.orders}\n"},
      {"reconciliation-side", "reconciliations:\n  r: {source: {stream: a.b}, target: {stream: c.d, key: k}}\n"},
      {"boolean-word", "connectors:\n  crm: {type: file, streams: {orders: {inbox: in, fsync: maybe}}}\n"},
  };
  test::TempDir dir;
  std::vector<std::string> files;
  for (const auto& [name, yaml] : wrong) {
    files.push_back(dir.str(name + ".yaml"));
    test::write_file(files.back(), yaml);
    EXPECT_THROW(load_hub_config(files.back(), connectors::builtin_registry().specs()), ConfigError) << name;
  }
  int code = 0;
  const std::string out = check_with_jsonschema(dir, files, true, code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("stream-field.yaml: connectors/crm/streams/orders: Additional properties are not allowed ('inbx'"),
            std::string::npos)
      << out;
}

TEST(Shorthands, TheFormsTheReadmeShowsMeanWhatTheySay) {
  test::TempDir dir;
  auto load = [&](const std::string& yaml) {
    test::write_file(dir.path() / "s.yaml", yaml);
    return load_hub_config(dir.str("s.yaml"), connectors::builtin_registry().specs());
  };
  EXPECT_EQ(load("bus: kafka\n").bus.str("type"), "kafka");
  EXPECT_EQ(load("bus: embedded\n").bus.str("type"), "embedded");
  EXPECT_EQ(load("state: sqlite\n").state.str("type"), "sqlite");  // not a PostgreSQL address
  const HubConfig pg = load("state: postgresql://synchub@127.0.0.1:5432/synchub\n");
  EXPECT_EQ(pg.state.str("type"), "postgresql");
  EXPECT_EQ(pg.state.str("url"), "postgresql://synchub@127.0.0.1:5432/synchub");
  try {
    load("state: mysql://u:secret@db/x\n");
    FAIL() << "mysql accepted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("s.yaml:1:8: state: expected a mapping or one of: sqlite, postgresql://..., postgres://...; "
                           "got <hidden>"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("secret"), std::string::npos);
  }
}

// Every field's description: Docs.EveryFieldOfEverySpecHasADescription (docs_test.cpp).

TEST(Registry, RefusesDuplicatesAndListsNamesOnAMiss) {
  connectors::Registry registry;
  connectors::register_all(registry);
  EXPECT_THROW(connectors::register_all(registry), std::logic_error);
  try {
    registry.get("rst");
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "unknown connector type 'rst'; available: file, rest, tryton, webhook");
  }
}

}  // namespace
}  // namespace synchub::config
