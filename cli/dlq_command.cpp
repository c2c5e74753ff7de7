// synchub dlq list|show|replay|discard: dead letters in the state store.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "config/units.hpp"
#include "runtime/admin/dead_letter_json.hpp"
#include "runtime/base/log.hpp"
#include "runtime/hub.hpp"

namespace synchub::cli {

namespace {

const char* kUsage = R"(usage:
  synchub dlq list    -c FILE [--flow NAME] [--status pending|replaying|replayed|discarded] [--limit N] [--json]
  synchub dlq show    -c FILE ID
  synchub dlq replay  -c FILE ID [--input FILE]   replay one (with a corrected record: JSON object)
  synchub dlq replay  -c FILE --all [--flow NAME] replay every pending dead letter (of a flow)
  synchub dlq discard -c FILE ID
A flow (or, for records a source rejected, its stream) picks replays up the
next time `synchub run` polls it.
)";

nlohmann::json to_json(const runtime::DeadLetter& d, bool with_input) {
  return runtime::dead_letter_json(d, with_input);
}

std::optional<int64_t> parse_id(const Args& args) {
  if (args.empty()) return std::nullopt;
  return config::parse_int(args[0]);
}

}  // namespace

int cmd_dlq(const Args& raw) {
  Args args = raw;
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  const std::string action = args[0];
  args.erase(args.begin());
  std::string flow, status, limit = "50", input_file;
  take_option(args, "--flow", "", flow);
  take_option(args, "--status", "", status);
  take_option(args, "--limit", "", limit);
  take_option(args, "--input", "", input_file);
  const bool as_json = take_flag(args, "--json");
  const bool all = take_flag(args, "--all");
  auto config = load_config(args);
  if (!config) return 1;
  auto state = runtime::open_state(*config);
  const auto dump = [](const nlohmann::json& j, int indent) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
  };

  if (action == "list") {
    auto entries = state->dead_letters({.flow = flow,
                                        .status = status,
                                        .since_ms = 0,
                                        .after_id = 0,
                                        .limit = static_cast<int>(config::parse_int(limit).value_or(50))});
    if (as_json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& d : entries) out.push_back(to_json(d, false));
      std::cout << dump(out, 2) << "\n";
      return 0;
    }
    std::printf("%-6s %-24s %-8s %-10s %-20s %s\n", "ID", "FLOW", "STAGE", "STATUS", "KEY", "ERROR");
    for (const auto& d : entries)
      std::printf("%-6lld %-24s %-8s %-10s %-20s %s\n", static_cast<long long>(d.id), d.flow.c_str(),
                  runtime::stage_name(d.stage), d.status.c_str(), d.key.substr(0, 20).c_str(),
                  d.error.substr(0, 100).c_str());
    return 0;
  }

  if (action == "replay" && all) {
    // A name that is no flow (nor a flow's source stream, whose rejects it holds) is a mistake to
    // say, not a replay of nothing (as POST /api/v1/dlq/replay?flow=).
    if (!flow.empty() && !config->flow(flow) &&
        std::none_of(config->flows.begin(), config->flows.end(),
                     [&](const config::FlowConfig& f) { return f.from.str() == flow; })) {
      std::fprintf(stderr, "synchub dlq: no flow or source stream '%s' in %s\n", flow.c_str(), config->file.c_str());
      return 1;
    }
    int count = 0;
    for (const auto& d :
         state->dead_letters({.flow = flow, .status = "pending", .since_ms = 0, .after_id = 0, .limit = 1000000}))
      count += state->request_replay(d.id, std::nullopt) ? 1 : 0;
    std::printf("%d dead letter%s queued for replay\n", count, count == 1 ? "" : "s");
    return 0;
  }

  auto id = parse_id(args);
  if (!id) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  auto entry = state->dead_letter(*id);
  if (!entry) {
    std::fprintf(stderr, "synchub dlq: no dead letter with id %lld\n", static_cast<long long>(*id));
    return 1;
  }
  if (action == "show") {
    std::cout << dump(to_json(*entry, true), 2) << "\n";
    return 0;
  }
  if (action == "replay") {
    std::optional<std::string> corrected;
    if (!input_file.empty()) {
      std::ifstream in(input_file, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "synchub dlq: cannot read %s\n", input_file.c_str());
        return 1;
      }
      std::stringstream buffer;
      buffer << in.rdbuf();
      corrected = buffer.str();
      while (!corrected->empty() && (corrected->back() == '\n' || corrected->back() == '\r')) corrected->pop_back();
    }
    if (!state->request_replay(*id, corrected)) {
      std::fprintf(stderr, "synchub dlq: dead letter %lld is %s, not pending\n", static_cast<long long>(*id),
                   entry->status.c_str());
      return 1;
    }
    std::printf("dead letter %lld queued for replay by %s\n", static_cast<long long>(*id), entry->flow.c_str());
    return 0;
  }
  if (action == "discard") {
    if (!state->discard(*id)) {
      std::fprintf(stderr, "synchub dlq: dead letter %lld was already replayed\n", static_cast<long long>(*id));
      return 1;
    }
    std::printf("dead letter %lld discarded\n", static_cast<long long>(*id));
    return 0;
  }
  std::fputs(kUsage, stderr);
  return 2;
}

}  // namespace synchub::cli
