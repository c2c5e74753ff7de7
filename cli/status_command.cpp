// synchub status: the flows of a running hub, and its reconciliations' latest runs, from its
// admin API.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "http/http_client.hpp"

namespace synchub::cli {

namespace {

using Json = nlohmann::ordered_json;

std::string text_of(const Json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string clip(std::string s, size_t width) {
  for (char& c : s)
    if (c == '\n' || c == '\t') c = ' ';
  if (s.size() <= width) return s;
  size_t cut = width - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  return s.substr(0, cut) + "...";
}

// What a reconciliation's latest run found, in a few words.
std::string result_of(const Json& r) {
  if (r.value("state", "") == "running") return "running";
  const Json& last = r["last_run"];
  if (!last.is_object()) return "never run";
  if (last.value("failed", false)) return "failed";
  const int64_t differences = last.value("differences", int64_t{0}), in_flight = last.value("in_flight", int64_t{0});
  std::string text =
      differences ? std::to_string(differences) + (differences == 1 ? " difference" : " differences") : "agrees";
  return in_flight ? text + ", " + std::to_string(in_flight) + " in flight" : text;
}

// One line per reconciliation, when the hub has any (an older hub, without the route, is skipped).
void print_reconciliations(http::HttpClient& client, http::HttpCall call, bool colour) {
  call.url = call.url.substr(0, call.url.rfind("/api/v1/")) + "/api/v1/reconciliation";
  const auto reply = client.send(call);
  const Json body = reply.status == 200 ? Json::parse(reply.body, nullptr, false) : Json();
  if (!body.is_object() || !body.contains("reconciliations") || body["reconciliations"].empty()) return;
  std::printf("\n%-26s %-28s %-26s %s\n", "RECONCILIATION", "RESULT", "LAST RUN", "NEXT RUN");
  for (const auto& r : body["reconciliations"]) {
    const std::string result = result_of(r);
    const char* paint = !colour                                                          ? ""
                        : result == "failed" || result.find("diff") != std::string::npos ? "\033[31m"
                        : result == "agrees" || result.starts_with("agrees,")            ? "\033[32m"
                                                                                         : "";
    const Json& last = r["last_run"];
    std::printf("%-26s %s%-28s%s %-26s %s\n", clip(text_of(r["name"]), 26).c_str(), paint, result.c_str(),
                *paint ? "\033[0m" : "", last.is_object() ? text_of(last["started"]).c_str() : "-",
                r["next_run"].is_null() ? (r["every"].is_null() ? "on request" : "-") : text_of(r["next_run"]).c_str());
  }
}

// One line per source stream the hub polls (an older hub, without the route, is skipped); true
// when one is failing.
// The hub's sources (GET /api/v1/sources), or an empty array.
Json fetch_sources(http::HttpClient& client, http::HttpCall call) {
  call.url = call.url.substr(0, call.url.rfind("/api/v1/")) + "/api/v1/sources";
  const auto reply = client.send(call);
  const Json body = reply.status == 200 ? Json::parse(reply.body, nullptr, false) : Json();
  if (!body.is_object() || !body.contains("sources") || !body["sources"].is_array()) return Json::array();
  return body["sources"];
}

bool any_source_failing(const Json& sources) {
  for (const auto& s : sources)
    if (s.value("state", "") == "failing") return true;
  return false;
}

void print_sources(const Json& sources, bool colour) {
  if (sources.empty()) return;
  std::printf("\n%-26s %-14s %9s  %-24s %s\n", "SOURCE", "STATE", "READ", "LAST SUCCESS", "LAST ERROR");
  for (const auto& s : sources) {
    const std::string state = s.value("state", "?");
    const char* paint = !colour                                       ? ""
                        : state == "failing"                          ? "\033[31m"
                        : state == "backing_off" || state == "paused" ? "\033[33m"
                                                                      : "\033[32m";
    // The error of a source that reads again is history: shown with its time, after the state.
    std::string error = text_of(s["last_error"]);
    if (!s["last_error"].is_null() && state != "failing" && state != "backing_off")
      error = "(earlier, " + text_of(s["last_error_at"]) + ") " + error;
    std::printf("%-26s %s%-14s%s %9s  %-24s %s\n", clip(text_of(s["name"]), 26).c_str(), paint, state.c_str(),
                colour ? "\033[0m" : "", text_of(s["records_read"]).c_str(), text_of(s["last_success"]).c_str(),
                clip(error, 60).c_str());
  }
}

struct StatusOptions {
  std::string url = "http://127.0.0.1:8088", token, ca_file, config;
  bool json = false, url_given = false, config_given = false;
};

// The admin API of the hub that runs `config` (hub.http), and a token it takes (hub.admin).
bool from_config(StatusOptions& options) {
  auto config = load_config_without_secrets(
      options.config, options.url_given ? std::vector<std::string>{} : std::vector<std::string>{"hub.http"});
  if (!config) return false;
  if (!options.url_given) {
    std::string host = config->hub.str("http.address");
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";  // listening everywhere: ask it on loopback
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    options.url = std::string(config->hub.has("http.tls.cert") ? "https" : "http") + "://" + host + ":" +
                  config->hub.str("http.port");
  }
  if (options.token.empty())
    for (const char* tokens : {"admin.viewer_tokens", "admin.operator_tokens"})
      if (!kept_reference(*config, std::string("hub.") + tokens) && !config->hub.list(tokens).empty()) {
        options.token = config->hub.list(tokens).front();
        break;
      }
  return true;
}

int status(StatusOptions options) {
  if (options.token.empty())
    if (const char* env = std::getenv("SYNCHUB_TOKEN")) options.token = env;
  if (options.config_given && !from_config(options)) return 2;
  std::string url = options.url;
  const std::string &token = options.token, &ca_file = options.ca_file;
  const bool as_json = options.json;
  while (!url.empty() && url.back() == '/') url.pop_back();
  http::HttpClient client({std::chrono::milliseconds(3000), std::chrono::milliseconds(10000), true, ca_file});
  http::HttpCall call{"GET", url + "/api/v1/flows", {}, ""};
  if (!token.empty()) call.headers.emplace_back("Authorization", "Bearer " + token);
  auto reply = client.send(call);
  if (reply.status != 200) {
    std::string why = reply.status == 0 ? reply.transport_error : "HTTP " + std::to_string(reply.status);
    Json body = Json::parse(reply.body, nullptr, false);
    if (body.is_object() && body.contains("message")) why += ": " + text_of(body["message"]);
    std::fprintf(stderr, "synchub status: cannot ask %s (%s)\n", url.c_str(), why.c_str());
    return 2;
  }
  Json flows = Json::parse(reply.body, nullptr, false);
  if (!flows.is_object() || !flows.contains("flows") || !flows["flows"].is_array()) {
    std::fprintf(stderr, "synchub status: %s answered something that is not a flow list\n", url.c_str());
    return 2;
  }
  const Json sources = fetch_sources(client, call);
  bool failing = any_source_failing(sources);
  for (const auto& f : flows["flows"]) failing = failing || f.value("state", "") == "failing";
  if (as_json) {
    const Json both = {{"flows", flows["flows"]}, {"sources", sources}};
    std::printf("%s\n", both.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
    return failing ? 1 : 0;
  }
  const bool colour = isatty(fileno(stdout)) && !std::getenv("NO_COLOR");
  std::printf("%-26s %-14s %8s %9s %9s %9s %6s  %-24s %s\n", "FLOW", "STATE", "LAG", "READ", "CREATED", "UPDATED",
              "DLQ", "LAST SUCCESS", "LAST ERROR");
  for (const auto& f : flows["flows"]) {
    const std::string state = f.value("state", "?");
    const char* paint = !colour                                           ? ""
                        : state == "failing" || state == "source-failing" ? "\033[31m"
                        : state == "backing-off" || state == "paused"     ? "\033[33m"
                                                                          : "\033[32m";
    const Json& counts = f["counts"];
    std::string error = f["last_error"].is_object() ? text_of(f["last_error"]["message"]) : "-";
    // As for sources: the error of a flow that delivers again is history, shown with its time.
    if (f["last_error"].is_object() && state != "failing" && state != "backing-off" && state != "source-failing")
      error = "(earlier, " + text_of(f["last_error"]["time"]) + ") " + error;
    std::printf("%-26s %s%-14s%s %8s %9s %9s %9s %6s  %-24s %s\n", clip(text_of(f["name"]), 26).c_str(), paint,
                state.c_str(), colour ? "\033[0m" : "", text_of(f["lag_events"]).c_str(),
                text_of(counts["read"]).c_str(), text_of(counts["created"]).c_str(), text_of(counts["updated"]).c_str(),
                text_of(f["dead_letters"]).c_str(), text_of(f["last_success"]).c_str(), clip(error, 60).c_str());
  }
  print_sources(sources, colour);
  print_reconciliations(client, call, colour);
  return failing ? 1 : 0;
}

}  // namespace

void add_status_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<StatusOptions>();
  CLI::App* sub = app.add_subcommand("status", "The flows and sources of a running hub (exit 1 when one is failing)");
  sub->footer(
      "Shows each flow of a running hub (its admin API, hub.admin): state, lag, counts since start,\n"
      "last success and last error; each source: state, records read, last success and error; then\n"
      "each reconciliation's latest run (agrees, N differences, failed) and when the next one is due.\n"
      "With -c, the config's connectors' secrets need not be set. --json: {\"flows\": [..], \"sources\": [..]}.\n"
      "Exit status: 0 when no flow or source is failing, 1 when one is, 2 when the hub cannot be asked\n"
      "(a reconciliation that differs does not change it: the alerts say so).");
  sub->add_option("-c,--config", options->config,
                  "Ask the hub of this config (hub.http; a token of hub.admin unless given)")
      ->type_name("FILE");
  sub->add_option("--url", options->url, "The hub's HTTP server")->type_name("URL")->capture_default_str();
  sub->add_option("--token", options->token, "A viewer or operator token (default: $SYNCHUB_TOKEN)")
      ->type_name("TOKEN");
  sub->add_option("--ca", options->ca_file, "CA certificate(s) to trust for an https:// URL (default: the system's)")
      ->type_name("FILE");
  sub->add_flag("--json", options->json, "The flows and sources as JSON, for scripts");
  sub->callback([&action, options, sub] {
    options->url_given = sub->count("--url") > 0;
    options->config_given = sub->count("--config") > 0;
    action = [options] { return status(*options); };
  });
}

}  // namespace synchub::cli
