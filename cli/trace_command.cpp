// synchub trace -c FILE KEY [--depth N] [--json]: a document's path through the flows and the
// documents it led to in other flows, from the state store's lineage history alone: no
// connector is called, and only the config's hub.data_dir and state are read (a connector's
// secrets need not be set).
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "config/units.hpp"
#include "runtime/admin/lineage_trace.hpp"
#include "runtime/hub.hpp"

namespace synchub::cli {

namespace {

using Json = nlohmann::ordered_json;

const char* kUsage = R"(usage: synchub trace -c FILE KEY [--depth N] [--json]
  Each flow that carried the record keyed KEY: every event (time, source position, bus
  origin), mapping version, write (outcome, target id), failed attempt, dead letter and
  replay; then the documents it led to in other flows (flows' `lineage:` fields), to depth
  N (0 to 10, default 4). Reads only the state store. Exit 1 when it has nothing for KEY.
)";

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

}  // namespace

int cmd_trace(const Args& raw) {
  Args args = raw;
  if (take_flag(args, "--help", "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::string file = "synchub.yaml", depth_text = "4";
  take_option(args, "--config", "-c", file);
  take_option(args, "--depth", "", depth_text);
  const bool as_json = take_flag(args, "--json");
  const auto depth = config::parse_int(depth_text);
  if (args.size() != 1 || args[0].starts_with("-") || !depth || *depth < 0 || *depth > 10) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  config::HubConfig config;
  try {
    config = config::load_state_config(file);
  } catch (const config::ConfigError& e) {
    for (const auto& d : e.diagnostics()) std::fprintf(stderr, "%s\n", d.str().c_str());
    return 1;
  }
  auto state = runtime::open_state(config);
  const Json trace = runtime::trace_json(*state, args[0], {.depth = static_cast<int>(*depth)});
  if (trace["documents"].empty()) {
    std::fprintf(stderr, "synchub trace: %s\n", runtime::no_lineage(args[0]).c_str());
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

}  // namespace synchub::cli
