// synchub status: the flows of a running hub, from its admin API.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/commands.hpp"
#include "http/http_client.hpp"

namespace synchub::cli {

namespace {

const char* kUsage = R"(usage: synchub status [--url URL] [--token TOKEN] [--ca FILE] [--json]
Shows each flow of a running hub (its admin API, hub.admin): state, lag,
counts since start, last success and last error.
  --url URL      the hub's HTTP server (default http://127.0.0.1:8088)
  --token TOKEN  a viewer or operator token (default: $SYNCHUB_TOKEN)
  --ca FILE      CA certificate(s) to trust for an https:// URL (default: the system's)
  --json         the flows as JSON, for scripts
Exit status: 0 when no flow is failing, 1 when one is, 2 when the hub cannot be asked.
)";

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

}  // namespace

int cmd_status(const Args& given) {
  Args args = given;
  if (take_flag(args, "--help", "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::string url = "http://127.0.0.1:8088", token;
  if (const char* env = std::getenv("SYNCHUB_TOKEN")) token = env;
  take_option(args, "--url", "", url);
  take_option(args, "--token", "", token);
  std::string ca_file;
  take_option(args, "--ca", "", ca_file);
  const bool as_json = take_flag(args, "--json");
  if (!args.empty()) {
    std::fprintf(stderr, "synchub status: unexpected '%s'\n%s", args[0].c_str(), kUsage);
    return 2;
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  http::HttpClient client(
      {std::chrono::milliseconds(3000), std::chrono::milliseconds(10000), true, ca_file});
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
  bool failing = false;
  for (const auto& f : flows["flows"]) failing = failing || f.value("state", "") == "failing";
  if (as_json) {
    std::printf("%s\n", flows["flows"].dump(2, ' ', false, Json::error_handler_t::replace).c_str());
    return failing ? 1 : 0;
  }
  const bool colour = isatty(fileno(stdout)) && !std::getenv("NO_COLOR");
  std::printf("%-26s %-12s %8s %9s %9s %9s %6s  %-24s %s\n", "FLOW", "STATE", "LAG", "READ", "CREATED", "UPDATED",
              "DLQ", "LAST SUCCESS", "LAST ERROR");
  for (const auto& f : flows["flows"]) {
    const std::string state = f.value("state", "?");
    const char* paint = !colour                                       ? ""
                        : state == "failing"                          ? "\033[31m"
                        : state == "backing-off" || state == "paused" ? "\033[33m"
                                                                      : "\033[32m";
    const Json& counts = f["counts"];
    std::string error = f["last_error"].is_object() ? text_of(f["last_error"]["message"]) : "-";
    std::printf("%-26s %s%-12s%s %8s %9s %9s %9s %6s  %-24s %s\n", clip(text_of(f["name"]), 26).c_str(), paint,
                state.c_str(), colour ? "\033[0m" : "", text_of(f["lag_events"]).c_str(),
                text_of(counts["read"]).c_str(), text_of(counts["created"]).c_str(), text_of(counts["updated"]).c_str(),
                text_of(counts["dead_lettered"]).c_str(), text_of(f["last_success"]).c_str(), clip(error, 60).c_str());
  }
  return failing ? 1 : 0;
}

}  // namespace synchub::cli
