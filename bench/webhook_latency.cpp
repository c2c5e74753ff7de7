// Webhook -> ERP latency: signed order webhooks at a steady rate into a
// `synchub run` process, whose flow writes them to the ERP simulator (in this
// process, so one clock measures both ends) through its batch endpoint.
// Prints p50/p90/p99/max of (created in the ERP - webhook sent).
// usage: synchub-bench-webhook --synchub BINARY [--orders N] [--rate PER_S]
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_cli.hpp"
#include "examples/generator/crm_orders.hpp"
#include "examples/simulators/erp.hpp"
#include "http/http_client.hpp"
#include "http/signing.hpp"

namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
const char* kSecret = "bench-webhook-secret";

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

pid_t spawn(const std::vector<std::string>& args, const fs::path& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* out = std::fopen(log.c_str(), "w");
    dup2(fileno(out), 1);
    dup2(fileno(out), 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

double ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

struct Options {
  std::string synchub;
  int orders = 10000;
  double rate = 500;
};

// The command line into `options`; the code to exit with when the program is to end here.
std::optional<int> parse_options(int argc, char** argv, Options& options) {
  CLI::App app{
      "synchub-bench-webhook: webhook -> ERP latency, signed order webhooks at a steady rate into a "
      "`synchub run` whose flow writes them to the ERP simulator (in this process)",
      "synchub-bench-webhook"};
  app.add_option("--synchub", options.synchub, "The synchub binary to run")
      ->type_name("BINARY")
      ->required()
      ->check(CLI::Validator(CLI::ExistingFile).description(""));
  app.add_option("--orders", options.orders, "Order webhooks to send (at least 1)")
      ->type_name("N")
      ->capture_default_str()
      ->check(synchub::bench::whole_number<int>(1));
  app.add_option("--rate", options.rate, "Webhooks sent per second (above 0)")
      ->type_name("PER_S")
      ->capture_default_str()
      ->check(synchub::bench::positive_number());
  return synchub::bench::parse_command_line(app, argc, argv);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (auto exit_code = parse_options(argc, argv, options)) return *exit_code;
  const std::string synchub = options.synchub;
  const int orders = options.orders;
  const double rate = options.rate;
  const fs::path source_dir = fs::path(SYNCHUB_SOURCE_DIR);
  const synchub::bench::ScratchDir scratch("/tmp", "synchub-webhook-bench");
  const fs::path& dir = scratch.path();

  synchub::simulators::ErpSimulator erp({});
  std::ofstream(dir / "synchub.yaml")
      << "hub: {name: bench, data_dir: " << (dir / "data").string()
      << ", log_level: info, http: {port: 0}}\n"
         "connectors:\n"
         "  crm:\n"
         "    type: webhook\n"
         "    streams:\n"
         "      orders: {key: order_no, secret: "
      << kSecret
      << "}\n"
         "  erp:\n"
         "    type: rest\n"
         "    base_url: "
      << erp.base_url()
      << "\n"
         "    auth: {type: api_key, name: X-Api-Key, value: erp-demo-key}\n"
         "    concurrency: 4\n"
         "    streams:\n"
         "      sale_orders:\n"
         "        write: {id: id, batch: {path: /sales_orders/batch, size: 100, "
         "wrap: orders, results: results, status: status}}\n"
         "flows:\n"
         "  orders:\n"
         "    from: crm.orders\n"
         "    to: erp.sale_orders\n"
         "    mapping: "
      << (source_dir / "examples/simulators/crm-order-to-erp-any-customer.yaml").string() << "\n";
  const pid_t hub = spawn({synchub, "run", "-c", (dir / "synchub.yaml").string()}, dir / "hub.log");
  std::string hook_url;
  for (int i = 0; i < 200 && hook_url.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::smatch m;
    const std::string log = read_file(dir / "hub.log");
    if (std::regex_search(log, m, std::regex(R"re("url":"(http://127\.0\.0\.1:[0-9]+)")re")))
      hook_url = m[1].str() + "/hooks/crm/orders";
  }
  if (hook_url.empty()) {
    std::fprintf(stderr, "synchub did not start:\n%s\n", read_file(dir / "hub.log").c_str());
    kill(hub, SIGKILL);
    return 1;
  }

  // The orders, and which of them the mapping sends on (not cancelled, with lines).
  std::vector<std::string> bodies, numbers;
  for (int i = 0; i < orders; ++i) {
    bodies.push_back(synchub::examples::make_crm_order(static_cast<uint64_t>(i), 7));
    std::smatch m;
    std::regex_search(bodies.back(), m, std::regex(R"re("order_no":"([^"]+)")re"));
    numbers.push_back(m[1].str());
  }
  std::vector<Clock::time_point> sent(static_cast<size_t>(orders));
  std::atomic<int> failed{0};
  const int senders = 4;
  const auto start = Clock::now() + std::chrono::milliseconds(200);
  std::vector<std::thread> threads;
  for (int t = 0; t < senders; ++t)
    threads.emplace_back([&, t] {
      synchub::http::HttpClient client;
      for (int i = t; i < orders; i += senders) {
        std::this_thread::sleep_until(start + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / rate)));
        const std::string ts = std::to_string(std::time(nullptr));
        const std::string& body = bodies[static_cast<size_t>(i)];
        sent[static_cast<size_t>(i)] = Clock::now();
        auto r = client.send({"POST",
                              hook_url,
                              {{"Content-Type", "application/json"},
                               {"X-Synchub-Timestamp", ts},
                               {"X-Synchub-Signature", synchub::http::webhook_signature(kSecret, ts, body)}},
                              body});
        if (r.status != 202) ++failed;
      }
    });
  for (auto& t : threads) t.join();
  const auto sending_done = Clock::now();

  // Wait for the ERP to have them (the mapping filters cancelled and empty orders).
  size_t expected = 0;
  for (const auto& b : bodies)
    expected += b.find("\"status\":\"cancelled\"") == std::string::npos && b.find("\"lines\":[]") == std::string::npos;
  auto created = erp.creation_times();
  for (int i = 0; i < 600 && created.size() < expected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    created = erp.creation_times();
  }
  kill(hub, SIGTERM);
  waitpid(hub, nullptr, 0);

  std::vector<double> latency;
  for (size_t i = 0; i < numbers.size(); ++i)
    if (auto it = created.find(numbers[i]); it != created.end()) latency.push_back(ms(it->second - sent[i]));
  std::sort(latency.begin(), latency.end());
  auto pct = [&](double p) {
    return latency.empty() ? 0.0 : latency[std::min(latency.size() - 1, static_cast<size_t>(p * latency.size()))];
  };
  std::printf(
      "  %d webhooks at %.0f/s (sent in %.1f s, %d refused) -> %zu of %zu ERP orders; webhook-to-ERP latency "
      "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
      orders, rate, std::chrono::duration<double>(sending_done - start).count(), failed.load(), latency.size(),
      expected, pct(0.5), pct(0.9), pct(0.99), latency.empty() ? 0.0 : latency.back());
  return latency.size() == expected && failed == 0 ? 0 : 1;
}
