// synchub trace -c FILE KEY [--depth N] [--json]: a document's path through the flows and the
// documents it led to in other flows, from the state store's lineage history alone: no
// connector is called, and only the config's hub.data_dir and state are read (a connector's
// secrets need not be set).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "runtime/admin/lineage_trace.hpp"
#include "runtime/hub.hpp"

namespace synchub::cli {

namespace {

using Json = nlohmann::ordered_json;

std::string text(const Json& value) {
  return value.is_string() ? value.get<std::string>() : "";
}

// One row: "2024-03-01T10:00:00.120Z  written created -> 17  from crm.orders/p0-... at /orders#3 ..."
std::string event_line(const Json& e) {
  std::string line = text(e["time"]) + "  " + text(e["kind"]);
  if (!e["outcome"].is_null() && e["outcome"] != e["kind"]) line += " " + text(e["outcome"]);
  if (!e["target_id"].is_null()) line += " -> " + text(e["target_id"]);
  if (!e["error"].is_null()) line += "  attempt " + std::to_string(e["attempt"].get<int>()) + ": " + text(e["error"]);
  line += "  from " + text(e["origin"]);
  if (!e["position"].is_null()) line += " at " + text(e["position"]);
  if (!e["mapping_version"].is_null()) line += "  mapping " + text(e["mapping_version"]);
  return line;
}

void print_document(const Json& d) {
  const std::string indent(2 * static_cast<size_t>(d["depth"].get<int>()), ' ');
  std::string head = indent + text(d["flow"]) + "  " + text(d["key"]);
  if (!d["target_key"].is_null()) head += " (keyed " + text(d["target_key"]) + " in its target)";
  for (const auto& n : d["names"]) head += "  names " + text(n["flow"]) + " " + text(n["ref"]);
  std::printf("%s\n", head.c_str());
  if (const Json& l = d["ledger"]; !l.is_null())
    std::printf("%s  ledger: target %s, mapping %s, updated %s\n", indent.c_str(), text(l["target_id"]).c_str(),
                text(l["mapping_version"]).c_str(), text(l["updated"]).c_str());
  for (const auto& e : d["events"]) std::printf("%s  %s\n", indent.c_str(), event_line(e).c_str());
  for (const auto& dl : d["dead_letters"])
    std::printf("%s  dead letter %lld: %s (%s, %d attempts): %s\n", indent.c_str(),
                static_cast<long long>(dl["id"].get<int64_t>()), text(dl["status"]).c_str(), text(dl["stage"]).c_str(),
                dl["attempts"].get<int>(), text(dl["error"]).c_str());
  std::string led_to;
  for (const auto& l : d["led_to"]) led_to += (led_to.empty() ? "" : ", ") + text(l["flow"]) + " " + text(l["key"]);
  if (!led_to.empty()) std::printf("%s  led to: %s\n", indent.c_str(), led_to.c_str());
  std::printf("\n");
}

struct TraceOptions {
  std::string config, key;
  int depth = 4;
  bool json = false;
};

int print_trace(const TraceOptions& options) {
  const std::string& file = options.config;
  const bool as_json = options.json;
  config::HubConfig config;
  try {
    config = config::load_state_config(file);
  } catch (const config::ConfigError& e) {
    for (const auto& d : e.diagnostics()) std::fprintf(stderr, "%s\n", d.str().c_str());
    return 1;
  }
  auto state = runtime::open_state(config);
  const Json trace = runtime::trace_json(*state, options.key, {.depth = options.depth});
  if (trace["documents"].empty()) {
    std::fprintf(stderr, "synchub trace: %s\n", runtime::no_lineage(options.key).c_str());
    return 1;
  }
  if (as_json) {
    std::cout << trace.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    return 0;
  }
  for (const auto& d : trace["documents"]) print_document(d);
  if (trace["truncated"].get<bool>()) std::printf("(more than shown: the oldest rows or the farthest documents)\n");
  return 0;
}

}  // namespace

void add_trace_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<TraceOptions>();
  CLI::App* sub =
      app.add_subcommand("trace", "A document's path through the flows, and the documents it led to in others");
  sub->footer(
      "Each flow that carried the record keyed KEY: every event (time, source position, bus origin),\n"
      "mapping version, write (outcome, target id), failed attempt, dead letter and replay; then the\n"
      "documents it led to in other flows (flows' `lineage:` fields). Reads only the state store (the\n"
      "config's hub.data_dir and state): the connectors' secrets need not be set.\n"
      "Exit 1 when it has nothing for KEY.");
  add_config_option(*sub, options->config);
  sub->add_option("key", options->key, "The document's key, e.g. SO000001")->type_name("KEY")->required();
  sub->add_option("--depth", options->depth, "How far to follow the documents it led to")
      ->type_name("N")
      ->capture_default_str()
      ->check(CLI::Range(0, 10));
  sub->add_flag("--json", options->json, "As JSON (as GET /api/v1/trace/{key})");
  sub->callback([&action, options] { action = [options] { return print_trace(*options); }; });
}

}  // namespace synchub::cli
