#include "config/schema.hpp"

#include "config/hub_config.hpp"

namespace synchub::config {

using nlohmann::json;

static json field_schema(const FieldSpec& field);

static json object_schema(const std::vector<FieldSpec>& fields, const std::string& description = "") {
  json schema = {{"type", "object"}, {"additionalProperties", false}, {"properties", json::object()}};
  if (!description.empty()) schema["description"] = description;
  json required = json::array();
  for (const auto& f : fields) {
    schema["properties"][f.name] = field_schema(f);
    if (f.required) required.push_back(f.name);
  }
  if (!required.empty()) schema["required"] = required;
  return schema;
}

static json field_schema(const FieldSpec& field) {
  json schema;
  switch (field.type) {
    case FieldType::Int:
      // ${VAR} substitution makes a string legal wherever a scalar is.
      schema["anyOf"] = json::array({{{"type", "integer"}}, {{"type", "string"}, {"pattern", "\\$\\{"}}});
      if (field.min) schema["anyOf"][0]["minimum"] = *field.min;
      if (field.max) schema["anyOf"][0]["maximum"] = *field.max;
      break;
    case FieldType::Bool:  // YAML 1.1's words as validate reads them (parse_bool), or a ${VAR}
      schema["anyOf"] = json::array({{{"type", "boolean"}},
                                     {{"enum", {"true", "false", "yes", "no", "on", "off"}}},
                                     {{"type", "string"}, {"pattern", "\\$\\{"}}});
      break;
    case FieldType::Duration:
      schema["type"] = "string";
      schema["pattern"] = "^([0-9]+(ms|s|m|h|d)|.*\\$\\{.*)$";
      break;
    case FieldType::Size:
      schema["type"] = json::array({"string", "integer"});
      schema["pattern"] = "^([0-9]+(B|KB|MB|GB|KiB|MiB|GiB)?|.*\\$\\{.*)$";
      break;
    case FieldType::Enum: schema["enum"] = field.options; break;
    // Items are YAML scalars, read as text: 13 and false are items as much as "x".
    case FieldType::StringList:
      schema = {{"type", "array"}, {"items", {{"type", {"string", "number", "boolean"}}}}};
      break;
    case FieldType::StringMap:
      schema = {{"type", "object"}, {"additionalProperties", {{"type", {"string", "number", "boolean"}}}}};
      break;
    case FieldType::Section:
      schema = object_schema(field.fields);
      if (!field.items.empty())
        schema = {{"anyOf", json::array({schema, {{"type", "array"}, {"items", object_schema(field.items)}}})}};
      break;
    case FieldType::String:
    case FieldType::Path: schema["type"] = "string"; break;
  }
  schema["description"] = field.description;
  if (field.default_value) {
    if (field.type == FieldType::Int)
      schema["default"] = std::stoll(*field.default_value);
    else if (field.type == FieldType::Bool)
      schema["default"] = *field.default_value == "true";
    else
      schema["default"] = *field.default_value;
  }
  if (field.secret) schema["writeOnly"] = true;
  if (!field.example.empty()) schema["examples"] = json::array({field.example});
  return schema;
}

// A section that a scalar may stand for (`bus: kafka`, `state: postgresql://...`).
static json with_shorthand(json object, const SectionSpec& section) {
  const auto& shorthand = section.shorthand;
  if (shorthand.types.empty() && shorthand.url_prefixes.empty()) return object;
  const std::string description = object["description"];
  json forms = json::array({object});
  if (!shorthand.types.empty()) forms.push_back({{"enum", shorthand.types}});
  if (!shorthand.url_prefixes.empty()) {
    std::string pattern;
    for (const auto& p : shorthand.url_prefixes) pattern += (pattern.empty() ? "^(" : "|") + p;
    forms.push_back({{"type", "string"}, {"pattern", pattern + ")"}});
  }
  return {{"description", description}, {"anyOf", forms}};
}

// Connectors are told apart by `type`: each type's fields apply when `type` names it (if/then),
// so an editor's error names the wrong field of that type, not every type's alternatives.
static json connector_schema(const std::vector<const ConnectorSpec*>& specs, const json& variants) {
  json types = json::array();
  for (const auto* spec : specs) types.push_back(spec->type);
  json branches = json::array();
  for (const auto& variant : variants)
    branches.push_back({{"if", {{"properties", {{"type", variant["properties"]["type"]}}}, {"required", {"type"}}}},
                        {"then", variant}});
  return {{"type", "object"},
          {"required", {"type"}},
          {"properties", {{"type", {{"enum", types}, {"description", "The connector type."}}}}},
          {"allOf", branches}};
}

json hub_config_schema(const std::vector<const ConnectorSpec*>& connector_specs) {
  json connector_variants = json::array();
  for (const auto* spec : connector_specs) {
    json variant = object_schema(spec->fields, spec->description);
    variant["properties"]["type"] = {{"const", spec->type}};
    json stream = object_schema(spec->stream_fields);
    variant["properties"]["streams"] = {
        {"type", "object"}, {"description", "Streams of this connector, by name."}, {"additionalProperties", stream}};
    variant["required"] = json::array({"type", "streams"});
    for (const auto& f : spec->fields)
      if (f.required) variant["required"].push_back(f.name);
    connector_variants.push_back(variant);
  }
  json properties = json::object();
  for (const auto& section : hub_sections()) {
    switch (section.kind) {
      case SectionSpec::Kind::Fields:
        properties[section.name] = with_shorthand(object_schema(*section.fields, section.description), section);
        break;
      case SectionSpec::Kind::Named:
        properties[section.name] = {
            {"type", "object"},
            {"description", section.description},
            {"additionalProperties", object_schema(*section.fields, section.entry_description)}};
        break;
      case SectionSpec::Kind::Connectors:
        properties[section.name] = {{"type", "object"},
                                    {"description", section.description},
                                    {"additionalProperties", connector_schema(connector_specs, connector_variants)}};
        break;
    }
  }
  return {
      {"$schema", "http://json-schema.org/draft-07/schema#"},
      {"$id", "https://synchub.dev/schema/synchub.json"},
      {"title", "synchub hub configuration"},
      {"type", "object"},
      {"additionalProperties", false},
      {"properties", properties},
  };
}

}  // namespace synchub::config
