// The JSON Schema comes from the same specs as validation.
#include "config/schema.hpp"

#include <gtest/gtest.h>

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"

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
  const auto& variants = schema["properties"]["connectors"]["additionalProperties"]["oneOf"];
  ASSERT_EQ(variants.size(), registry.specs().size());
  for (const auto* spec : registry.specs()) {
    const nlohmann::json* variant = nullptr;
    for (const auto& v : variants)
      if (v["properties"]["type"]["const"] == spec->type) variant = &v;
    ASSERT_NE(variant, nullptr) << spec->type;
    const auto& stream = (*variant)["properties"]["streams"]["additionalProperties"];
    for (const auto& f : spec->stream_fields) {
      ASSERT_TRUE(stream["properties"].contains(f.name)) << spec->type << "." << f.name;
      EXPECT_FALSE(stream["properties"][f.name]["description"].get<std::string>().empty()) << f.name;
    }
  }
  EXPECT_EQ(schema["properties"]["bus"]["properties"]["retention"]["properties"]["max_age"]["default"], "7d");
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
