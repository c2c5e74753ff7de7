#include "examples/simulators/sim_options.hpp"

#include <CLI/CLI.hpp>

namespace synchub::simulators {

namespace {

// The shared options go to the simulator that was chosen.
void finish(SimCommand& c, const std::string& kind) {
  c.kind = kind;
  c.faults.latency = std::chrono::milliseconds(c.latency_ms);
  if (c.seed) c.faults.seed = c.crm.seed = c.fxiaoke.seed = c.k3cloud.seed = *c.seed;
  const auto port = static_cast<uint16_t>(c.port);
  c.crm.port = c.erp.port = c.fxiaoke.port = c.k3cloud.port = port;
  c.crm.faults = c.erp.faults = c.fxiaoke.faults = c.k3cloud.faults = c.faults;
}

// --port, --seed and fault injection, which every simulator takes.
CLI::App* add_simulator(CLI::App& app, SimCommand& c, const std::string& kind, const std::string& what) {
  CLI::App* sub = app.add_subcommand(kind, what);
  sub->add_option("--port", c.port, "Port on 127.0.0.1 (0: any free one; the URL is printed)")
      ->type_name("N")
      ->check(CLI::Range(0, 65535));
  sub->add_option("--seed", c.seed, "Seed of the generated data and of the faults")->type_name("N");
  const std::string group = "Fault injection (rates from 0 to 1)";
  sub->add_option("--error-rate", c.faults.error_rate, "Requests answered 503 before any work")->group(group);
  sub->add_option("--throttle-rate", c.faults.throttle_rate, "Requests answered 429 with Retry-After")->group(group);
  sub->add_option("--retry-after", c.faults.retry_after_seconds, "Retry-After of a 429, in seconds")
      ->type_name("S")
      ->group(group);
  sub->add_option("--latency-rate", c.faults.latency_rate, "Requests that wait --latency-ms first")->group(group);
  sub->add_option("--latency-ms", c.latency_ms, "The wait of a slow request")->type_name("N")->group(group);
  sub->add_option("--drop-rate", c.faults.drop_rate, "Requests done, then the connection dropped unanswered")
      ->group(group);
  sub->add_option("--malformed-rate", c.faults.malformed_rate, "Requests done, then answered with cut-off JSON")
      ->group(group);
  sub->callback([&c, kind] { finish(c, kind); });
  return sub;
}

void add_crm(CLI::App& app, SimCommand& c) {
  CLI::App* crm = add_simulator(app, c, "crm", "A sales system: OAuth2, orders, customers and products (REST)");
  crm->add_option("--orders", c.crm.orders, "Orders at start")->type_name("N")->capture_default_str();
  crm->add_option("--trickle-ms", c.trickle_ms, "Every N ms while running: a new order and an edited one")
      ->type_name("N");
  crm->add_option("--client-id", c.crm.client_id, "OAuth2 client id")->type_name("ID")->capture_default_str();
  crm->add_option("--client-secret", c.crm.client_secret, "OAuth2 client secret")->type_name("S");
  crm->add_option("--webhook-url", c.crm.webhook_url, "Post each order change here (signed)")->type_name("URL");
  crm->add_option("--webhook-secret", c.crm.webhook_secret, "Secret of the webhook signatures")->type_name("S");
}

void add_erp(CLI::App& app, SimCommand& c) {
  CLI::App* erp = add_simulator(app, c, "erp", "An ERP: API key, money as decimal text, sales orders, stock, invoices");
  erp->add_option("--api-key", c.erp.api_key, "The key callers send (X-Api-Key)")->type_name("KEY");
  erp->add_option("--strict", c.erp.strict_customers,
                  "true: orders need a customer created through /customers, and wait for approval when over "
                  "its credit")
      ->type_name("true|false");
}

void add_fxiaoke(CLI::App& app, SimCommand& c) {
  FxiaokeOptions& fx = c.fxiaoke;
  CLI::App* sub =
      add_simulator(app, c, "fxiaoke", "Fxiaoke (纷享销客) CRM's open API: accounts, products, sales orders");
  sub->add_option("--orders", fx.orders, "Sales orders at start")->type_name("N")->capture_default_str();
  sub->add_option("--accounts", fx.accounts, "Accounts (0: orders / 10, at least 5)")->type_name("N");
  sub->add_option("--products", fx.products, "Products")->type_name("N")->capture_default_str();
  sub->add_option("--trickle-ms", c.trickle_ms, "Every N ms while running: a new order and an edited one")
      ->type_name("N");
  sub->add_option("--tie-group", fx.tie_group, "Consecutive orders sharing one modification time")
      ->type_name("N")
      ->capture_default_str();
  sub->add_option("--bad-totals", fx.bad_totals, "Orders whose total is 0.01 more than their lines")
      ->type_name("N")
      ->capture_default_str();
  sub->add_option("--busy-rate", fx.busy_rate, "Calls answered errorCode -1 (busy) before any work");
  sub->add_option("--token-ttl-ms", fx.token_ttl_ms, "Lifetime of an access token")->type_name("N");
  sub->add_option("--app-id", fx.app_id, "App id")->type_name("ID");
  sub->add_option("--app-secret", fx.app_secret, "App secret")->type_name("S");
  sub->add_option("--permanent-code", fx.permanent_code, "Permanent code")->type_name("C");
  sub->add_option("--open-user-id", fx.open_user_id, "The caller's open user id")->type_name("ID");
  sub->add_option("--corp-id", fx.corp_id, "The tenant's corp id")->type_name("ID");
}

void add_k3cloud(CLI::App& app, SimCommand& c) {
  K3CloudOptions& k3 = c.k3cloud;
  CLI::App* sub = add_simulator(app, c, "k3cloud", "Kingdee K3Cloud (金蝶云星空) WebAPI: customers, materials, orders");
  sub->add_option("--trickle-ms", c.trickle_ms, "Every N ms while running: a stock change")->type_name("N");
  sub->add_option("--busy-rate", k3.busy_rate, "Calls answered MsgCode 13 (busy) before any work");
  sub->add_option("--session-ttl-ms", k3.session_ttl_ms, "Lifetime of a login session")->type_name("N");
  sub->add_option("--max-rows", k3.max_rows, "ExecuteBillQuery's cap on Limit")->type_name("N")->capture_default_str();
  sub->add_option("--acct-id", k3.acct_id, "Data centre id")->type_name("ID");
  sub->add_option("--username", k3.username, "User name")->type_name("U");
  sub->add_option("--password", k3.password, "Password")->type_name("P");
  sub->add_option("--lcid", k3.lcid, "Language id")->type_name("N")->capture_default_str();
}

}  // namespace

void add_sim_commands(CLI::App& app, SimCommand& command) {
  app.require_subcommand(1);
  add_crm(app, command);
  add_erp(app, command);
  add_fxiaoke(app, command);
  add_k3cloud(app, command);
}

}  // namespace synchub::simulators
