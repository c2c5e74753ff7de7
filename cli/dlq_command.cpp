// synchub dlq list|show|replay|discard: dead letters in the state store.
#include <pwd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "runtime/admin/dead_letter_json.hpp"
#include "runtime/base/log.hpp"
#include "runtime/hub.hpp"
#include "runtime/state/state_store.hpp"

namespace synchub::cli {

namespace {

nlohmann::json to_json(const runtime::DeadLetter& d, bool with_input) {
  return runtime::dead_letter_json(d, with_input);
}

struct DlqOptions {
  std::string action;  // list, show, replay, discard
  std::string config, flow, input_file;
  std::string status = "pending";  // as GET /api/v1/dlq; "all": every entry
  int limit = 50;
  int64_t id = 0;
  bool has_id = false, json = false, all = false;
};

std::string dump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Who edits or discards from the command line, for the entry's history: "cli:" and the OS user.
std::string cli_actor() {
  if (const char* user = std::getenv("USER"); user && *user) return std::string("cli:") + user;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return std::string("cli:") + pw->pw_name;
  return "cli:uid " + std::to_string(::geteuid());
}

int list(runtime::StateStore& state, const DlqOptions& options) {
  const std::string status = options.status == "all" ? "" : options.status;
  auto entries = state.dead_letters(
      {.flow = options.flow, .status = status, .since_ms = 0, .after_id = 0, .limit = options.limit});
  if (options.json) {
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

int dlq(const DlqOptions& options) {
  const std::string& action = options.action;
  const std::string &flow = options.flow, &input_file = options.input_file;
  const bool all = options.all;
  // The state store alone: no connector is opened, their secrets need not be set.
  auto config = load_config_without_secrets(options.config, {"hub.data_dir", "state"});
  if (!config) return 1;
  auto state = runtime::open_state(*config);

  if (action == "list") return list(*state, options);

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
      count += state->request_replay(d.id, std::nullopt, cli_actor()) ? 1 : 0;
    std::printf("%d dead letter%s queued for replay\n", count, count == 1 ? "" : "s");
    return 0;
  }

  if (!options.has_id) {
    std::fputs("synchub dlq replay: give the dead letter's ID, or --all\n", stderr);
    return 2;
  }
  const int64_t id = options.id;
  auto entry = state->dead_letter(id);
  if (!entry) {
    std::fprintf(stderr, "synchub dlq: no dead letter with id %lld\n", static_cast<long long>(id));
    return 1;
  }
  if (action == "show") {
    nlohmann::json shown = to_json(*entry, true);
    shown["history"] = nlohmann::json::array();
    for (const auto& e : state->dead_letter_history(id)) shown["history"].push_back(runtime::dead_letter_event_json(e));
    std::cout << dump(shown, 2) << "\n";
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
      // As the API: a record a flow maps is a JSON object; a source's reject is checked by its source.
      if (entry->stage != runtime::DeadLetterStage::Source &&
          !nlohmann::json::parse(*corrected, nullptr, false).is_object()) {
        std::fprintf(stderr, "synchub dlq: %s is not a JSON object (the record the flow maps); nothing replayed\n",
                     input_file.c_str());
        return 1;
      }
    }
    if (!state->request_replay(id, corrected, cli_actor())) {
      std::fprintf(stderr, "synchub dlq: dead letter %lld is %s, not pending\n", static_cast<long long>(id),
                   entry->status.c_str());
      return 1;
    }
    std::printf("dead letter %lld queued for replay by %s\n", static_cast<long long>(id), entry->flow.c_str());
    return 0;
  }
  if (action == "discard") {
    if (!state->discard(id, cli_actor())) {
      std::fprintf(stderr, "synchub dlq: dead letter %lld was already replayed\n", static_cast<long long>(id));
      return 1;
    }
    std::printf("dead letter %lld discarded\n", static_cast<long long>(id));
    return 0;
  }
  return 2;  // not reached: CLI11 accepts only the actions above
}

// A dlq action's command line; parsing it sets `action` to run it.
void add_action(CLI::App& dlq_command, Action& action, const std::string& name, const std::string& what) {
  auto options = std::make_shared<DlqOptions>();
  options->action = name;
  CLI::App* sub = dlq_command.add_subcommand(name, what);
  add_config_option(*sub, options->config);
  CLI::Option* id = nullptr;
  if (name == "list") {
    sub->add_option("--flow", options->flow, "Only this flow's (or source stream's) entries")->type_name("NAME");
    sub->add_option("--status", options->status, "Only entries in this state; all: every entry")
        ->capture_default_str()
        ->check(CLI::IsMember({"pending", "replaying", "replayed", "resolved", "discarded", "all"}));
    sub->add_option("--limit", options->limit, "At most N entries (the oldest)")
        ->type_name("N")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    sub->add_flag("--json", options->json, "As JSON, for scripts");
  } else if (name == "replay") {
    id = sub->add_option("id", options->id, "The dead letter's ID (dlq list)")->type_name("ID");
    CLI::Option* input = sub->add_option("--input", options->input_file,
                                         "Replay this corrected record (a JSON object) instead of the one kept")
                             ->type_name("FILE")
                             ->needs(id);
    CLI::Option* all = sub->add_flag("--all", options->all, "Every pending dead letter (of --flow)")->excludes(id);
    input->excludes(all);
    sub->add_option("--flow", options->flow, "With --all: only this flow's (or source stream's)")
        ->type_name("NAME")
        ->needs(all);
  } else {
    id = sub->add_option("id", options->id, "The dead letter's ID (dlq list)")->type_name("ID")->required();
  }
  sub->callback([&action, options, id] {
    options->has_id = id && id->count() > 0;
    action = [options] { return dlq(*options); };
  });
}

}  // namespace

void add_dlq_command(CLI::App& app, Action& action) {
  CLI::App* dlq_command = app.add_subcommand("dlq", "Inspect, replay and discard dead letters");
  dlq_command->require_subcommand(1);
  dlq_command->footer(
      "Reads the state store only: the connectors' secrets need not be set. A flow (or, for records a\n"
      "source rejected, its stream) picks replays up the next time `synchub run` polls it.");
  add_action(*dlq_command, action, "list", "List the pending dead letters (others with --status), oldest first");
  add_action(*dlq_command, action, "show", "Show one dead letter with its input and history, as JSON");
  add_action(*dlq_command, action, "replay", "Queue one dead letter (ID), or every pending one (--all), for replay");
  add_action(*dlq_command, action, "discard", "Discard one dead letter");
}

}  // namespace synchub::cli
