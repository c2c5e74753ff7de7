// synchub-chaos (`make chaos`): the fault matrix of "nothing lost, ever", in
// minutes. Each scenario runs the real synchub binary against the simulators
// on loopback, hurts it (SIGKILLs, a throttling and failing ERP, listings
// that change while they are read), lets it finish, then counts what arrived
// where it should. One table row per fault and target: records expected,
// delivered once, lost, duplicated, dead-lettered. Exit 1 when a row lost or
// duplicated anything. `--quick` runs the same matrix smaller (make test runs it so).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "connectors/file/csv.hpp"
#include "examples/simulators/crm.hpp"
#include "examples/simulators/erp.hpp"
#include "http/http_client.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// How big the matrix is: make chaos's, or --quick's.
struct Scale {
  int quick_start_orders = 3000;
  int file_orders = 5000;  // in files of 1,000
  int kills = 10;          // SIGKILLs per scenario
};

std::string thousands(int n) {
  return n >= 1000 ? std::to_string(n / 1000) + "," + std::string(3 - std::to_string(n % 1000).size(), '0') +
                         std::to_string(n % 1000)
                   : std::to_string(n);
}

struct Row {
  std::string fault, target;
  size_t expected = 0, once = 0, lost = 0, duplicated = 0, dead = 0;
};

void print(const std::vector<Row>& rows) {
  std::printf("\n| %-76s | %-27s | %8s | %8s | %5s | %10s | %13s |\n", "fault", "target", "expected", "once", "missing",
              "duplicated", "dead-lettered");
  std::printf("|%s|%s|%s|%s|%s|%s|%s|\n", std::string(78, '-').c_str(), std::string(29, '-').c_str(),
              std::string(10, '-').c_str(), std::string(10, '-').c_str(), std::string(7, '-').c_str(),
              std::string(12, '-').c_str(), std::string(15, '-').c_str());
  for (const auto& r : rows)
    std::printf("| %-76s | %-27s | %8zu | %8zu | %5zu | %10zu | %13zu |\n", r.fault.c_str(), r.target.c_str(),
                r.expected, r.once, r.lost, r.duplicated, r.dead);
  std::printf(
      "\nmissing: not delivered when the scenario ended (lost, or still on its way when its time ran out: a "
      "scenario that stops at its time limit says so above)\n");
  std::fflush(stdout);
}

// Counts keys: how many expected ones came once, came more than once, did not come.
Row count(std::string fault, std::string target, const std::set<std::string>& expected,
          const std::vector<std::string>& arrived, const std::set<std::string>& dead) {
  Row row{std::move(fault), std::move(target)};
  std::map<std::string, size_t> times;
  for (const auto& k : arrived) ++times[k];
  row.expected = expected.size();
  for (const auto& k : expected) {
    const size_t n = times.count(k) ? times[k] : 0;
    if (n == 1) ++row.once;
    if (n > 1) ++row.duplicated;
    if (n > 1) std::printf("  %s: %s arrived %zu times\n", row.target.c_str(), k.c_str(), n);
    if (n == 0 && dead.count(k)) ++row.dead;
    if (n == 0 && !dead.count(k)) ++row.lost;
    if (n == 0 && !dead.count(k)) std::printf("  %s: %s missing\n", row.target.c_str(), k.c_str());
  }
  return row;
}

std::set<std::string> dead_letter_keys(const std::string& config, const std::string& flow) {
  CommandResult r = run_synchub({"dlq", "list", "-c", config, "--flow", flow, "--limit", "1000000", "--json"});
  std::set<std::string> keys;
  Json entries = Json::parse(r.out, nullptr, false);
  if (entries.is_array())
    for (const auto& e : entries)
      if (e.value("status", "") == "pending") keys.insert(e.value("key", ""));
  return keys;
}

// Runs synchub on `config` `kills` times for a random 2-6 s each, killed with SIGKILL, then once
// more until `done` or `limit`; returns whether `done` became true.
bool run_with_kills(const TempDir& dir, const std::string& config, int kills, std::chrono::seconds limit,
                    const std::function<bool()>& done) {
  std::mt19937 rng(7);
  for (int k = 0; k < kills; ++k) {
    Process hub({"run", "-c", config}, dir.str("log-" + std::to_string(k)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2000 + rng() % 4000));
    hub.kill_hard();
  }
  Process hub({"run", "-c", config}, dir.str("log"));
  const bool finished = eventually(done, limit, std::chrono::seconds(2));
  if (!finished) std::printf("  stopped at its time limit of %lld s\n", static_cast<long long>(limit.count()));
  hub.terminate();
  return finished;
}

// The quick start at 3,000 orders against an ERP that fails 20% of its requests with a 503 and
// throttles 5% with a 429 and Retry-After, synchub killed 10 times on the way.
void quick_start_under_faults(std::vector<Row>& rows, const Scale& scale) {
  const std::string fault = "quick start " + thousands(scale.quick_start_orders) + " orders, " +
                            std::to_string(scale.kills) + " SIGKILLs, ERP 20% 503 + 5% 429, one DLQ replay";
  simulators::CrmOptions crm_options;
  crm_options.orders = scale.quick_start_orders;
  simulators::CrmSimulator crm(crm_options);
  simulators::ErpOptions erp_options;
  erp_options.strict_customers = true;
  erp_options.faults.error_rate = 0.2;
  erp_options.faults.throttle_rate = 0.05;
  erp_options.faults.retry_after_seconds = 1;
  simulators::ErpSimulator erp(erp_options);
  TempDir dir;
  ::setenv("CRM_URL", crm.base_url().c_str(), 1);
  ::setenv("ERP_URL", erp.base_url().c_str(), 1);
  ::setenv("DEMO_DIR", dir.str().c_str(), 1);
  ::setenv("ADMIN_PORT", "0", 1);
  const std::string config = std::string(SYNCHUB_SOURCE_DIR) + "/examples/quickstart/synchub.yaml";
  std::set<std::string> eligible;
  for (const auto& o : crm.orders())
    if (o["status"] != "cancelled" && !o["lines"].empty() && o["customer"].contains("id"))
      eligible.insert(o["order_no"]);
  auto finance_keys = [&](const char* folder, bool csv) {
    std::vector<std::string> keys;
    for (const auto& line : lines_in_dir(dir.path() / folder)) {
      if (csv) {
        std::vector<std::string> cells;
        if (line.starts_with("\xEF\xBB\xBFinvoice_no,") || !connectors::file::parse_csv_row(line, ',', cells).empty())
          continue;  // a file's header, after its byte order mark
        if (cells.size() > 1) keys.push_back(cells[1]);
      } else {
        keys.push_back(Json::parse(line)["order_no"].get<std::string>());
      }
    }
    return keys;
  };
  auto confirmed = [&] {
    std::set<std::string> out;
    for (const auto& [no, o] : erp.orders())
      if (o["status"] != "credit_hold") out.insert(no);
    return out;
  };
  auto done = [&] {
    const auto orders = erp.orders();
    size_t with_invoice = 0;
    for (const auto& o : crm.orders()) with_invoice += o.contains("invoice");
    const size_t c = confirmed().size();
    std::printf("  ... ERP orders %zu of %zu, invoices on CRM orders %zu of %zu, finance %zu\n", orders.size(),
                eligible.size(), with_invoice, c, finance_keys("finance", false).size());
    std::fflush(stdout);
    // By key, not by count: a pending dead letter of an order that also landed must not stand in
    // for an order still on its way.
    const std::set<std::string> dead = dead_letter_keys(config, "orders_to_erp");
    for (const auto& k : eligible)
      if (!orders.count(k) && !dead.count(k)) return false;
    return with_invoice == c && finance_keys("finance", false).size() >= c &&
           finance_keys("finance-csv", true).size() >= c;
  };
  run_with_kills(dir, config, scale.kills, std::chrono::seconds(300), done);
  // Orders whose customer reached the ERP only after their retries ran out wait as dead letters,
  // as the config says; the operator replays them once, and the hub runs on.
  if (const CommandResult r = run_synchub({"dlq", "replay", "-c", config, "--all", "--flow", "orders_to_erp"});
      r.exit_code == 0) {
    std::printf("  %s", r.out.c_str());
    Process hub({"run", "-c", config}, dir.str("log-after-replay"));
    if (!eventually(done, std::chrono::seconds(240), std::chrono::seconds(2)))
      std::printf("  stopped at its time limit of 240 s after the replay\n");
    hub.terminate();
  }
  std::vector<std::string> created;
  for (const auto& [no, o] : erp.orders()) created.push_back(no);
  for (int extra = erp.creates() - static_cast<int>(created.size()); extra > 0; --extra) created.push_back("?");
  rows.push_back(count(fault, "CRM orders -> ERP", eligible, created, dead_letter_keys(config, "orders_to_erp")));
  const std::set<std::string> invoiced = confirmed();
  rows.push_back(count(fault, "ERP invoices -> finance", invoiced, finance_keys("finance", false),
                       dead_letter_keys(config, "invoices_to_finance")));
  rows.push_back(count(fault, "ERP invoices -> finance CSV", invoiced, finance_keys("finance-csv", true),
                       dead_letter_keys(config, "invoices_to_finance_csv")));
  std::vector<std::string> on_crm;
  for (const auto& o : crm.orders())
    if (o.contains("invoice")) on_crm.push_back(o["order_no"]);
  rows.push_back(
      count(fault, "ERP invoices -> CRM orders", invoiced, on_crm, dead_letter_keys(config, "invoices_to_crm")));
}

// The issue's minimal case: CRM customers listed with offset page tokens into a file outbox while
// another client PATCHes 400 of them. Every customer's newest version must arrive.
void customers_patched_while_listed(std::vector<Row>& rows) {
  const std::string fault = "CRM listing (offset tokens) while 400 customers are PATCHed";
  simulators::CrmOptions crm_options;
  crm_options.orders = 1600;
  simulators::CrmSimulator crm(crm_options);
  TempDir dir;
  write_file(dir.path() / "synchub.yaml",
             "hub: {name: chaos, log_format: json}\nconnectors:\n  crm:\n    type: rest\n    base_url: " +
                 crm.base_url() + "\n    auth: {type: oauth2, token_url: \"" + crm.base_url() +
                 "/oauth/token\", client_id: synchub, client_secret: crm-demo-secret}\n"
                 "    streams:\n      customers:\n        path: /customers\n        query: {limit: \"100\"}\n"
                 "        records: /data\n        pagination: {type: cursor, param: cursor, next: next_cursor}\n"
                 "        cursor: {field: updated_at, param: updated_since, tiebreak: id, format: iso}\n"
                 "        poll_interval: 200ms\n"
                 "  files:\n    type: file\n    streams:\n      out: {outbox: out, format: jsonl}\n"
                 "flows:\n  customers: {from: crm.customers, to: files.out}\n");
  std::thread patcher([&] {
    http::HttpClient client(http::HttpClientOptions{});
    auto token =
        Json::parse(client
                        .send({"POST",
                               crm.base_url() + "/oauth/token",
                               {{"Content-Type", "application/x-www-form-urlencoded"}},
                               "grant_type=client_credentials&client_id=synchub&client_secret=crm-demo-secret"})
                        .body)["access_token"]
            .get<std::string>();
    auto customers = crm.customers();
    for (int i = 0; i < 400; ++i) {
      const std::string id = customers[static_cast<size_t>(i * 7) % customers.size()]["id"];
      client.send({"PATCH",
                   crm.base_url() + "/customers/" + id,
                   {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                   Json{{"credit_limit", std::to_string(i) + ".00"}}.dump()});
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  Process hub({"run", "-c", dir.str("synchub.yaml")}, dir.str("log"));
  patcher.join();
  std::set<std::string> newest;  // id@updated_at of each customer's newest version
  for (const auto& c : crm.customers())
    newest.insert(c["id"].get<std::string>() + "@" + c["updated_at"].get<std::string>());
  auto arrived = [&] {
    std::vector<std::string> keys;
    for (const auto& line : lines_in_dir(dir.path() / "out")) {
      Json c = Json::parse(line);
      keys.push_back(c["id"].get<std::string>() + "@" + c["updated_at"].get<std::string>());
    }
    return keys;
  };
  // Ends as soon as every newest version is there; the limit only bounds a machine under load.
  const bool finished = eventually(
      [&] {
        auto got = arrived();
        size_t present = 0;
        std::set<std::string> seen(got.begin(), got.end());
        for (const auto& k : newest) present += seen.count(k);
        return present == newest.size();
      },
      std::chrono::seconds(180), std::chrono::seconds(1));
  if (!finished) std::printf("  stopped at its time limit of 180 s\n");
  hub.terminate();
  rows.push_back(count(fault, "customers' newest versions", newest, arrived(),
                       dead_letter_keys(dir.str("synchub.yaml"), "customers")));
}

// 5,000 orders file to file, synchub killed 10 times on the way.
void files_with_kills(std::vector<Row>& rows, const Scale& scale) {
  TempDir dir;
  fs::create_directories(dir.path() / "inbox");
  std::set<std::string> expected;
  for (int f = 0; f < scale.file_orders / 1000; ++f) {
    std::string text;
    for (int i = f * 1000; i < (f + 1) * 1000; ++i) {
      expected.insert("SO-" + std::to_string(i));
      text += "{\"order_id\":\"SO-" + std::to_string(i) + "\",\"total\":\"" + std::to_string(i) + ".10\"}\n";
    }
    write_file(dir.path() / "inbox" / ("orders-" + std::to_string(f) + ".jsonl"), text);
  }
  write_file(dir.path() / "synchub.yaml",
             "hub: {name: chaos, log_format: json}\n" + file_orders_connectors() +
                 "flows:\n  orders: {from: crm.orders, to: erp.orders, batch_size: 200}\n");
  auto arrived = [&] {
    std::vector<std::string> keys;
    for (const auto& line : lines_in_dir(dir.path() / "outbox")) keys.push_back(Json::parse(line)["order_id"]);
    return keys;
  };
  run_with_kills(dir, dir.str("synchub.yaml"), scale.kills, std::chrono::seconds(120),
                 [&] { return arrived().size() >= expected.size(); });
  rows.push_back(
      count("file to file " + thousands(scale.file_orders) + " orders, " + std::to_string(scale.kills) + " SIGKILLs",
            "orders outbox", expected, arrived(), dead_letter_keys(dir.str("synchub.yaml"), "orders")));
}

}  // namespace
}  // namespace synchub::test

int main(int argc, char** argv) {
  using namespace synchub::test;
  CLI::App app{
      "synchub-chaos (make chaos): the fault matrix of \"nothing lost, ever\"; exit 1 when a row lost or "
      "duplicated anything"};
  bool quick = false;
  app.add_flag("--quick", quick, "the same matrix smaller: 1,000 and 2,000 orders, 3 SIGKILLs per scenario");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "synchub-chaos: %s\nRun 'synchub-chaos --help' for usage.\n", e.what());
    return 2;
  }
  Scale scale;
  if (quick) scale = Scale{1000, 2000, 3};
  std::vector<Row> rows;
  const auto started = Clock::now();
  std::printf("chaos: file to file with SIGKILLs\n");
  files_with_kills(rows, scale);
  std::printf("chaos: a CRM listing that changes while it is read\n");
  customers_patched_while_listed(rows);
  std::printf("chaos: the quick start under faults and SIGKILLs (a few minutes)\n");
  quick_start_under_faults(rows, scale);
  print(rows);
  std::printf("\n%lld s\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count()));
  for (const auto& r : rows)
    if (r.lost || r.duplicated) return 1;
  return 0;
}
