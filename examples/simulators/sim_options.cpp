#include "examples/simulators/sim_options.hpp"

#include <stdexcept>

namespace synchub::simulators {

const char* const kSimUsage =
    "usage: synchub-sim crm|erp|fxiaoke|k3cloud [--port N] [options]\n"
    "  crm:      --orders N --seed N --trickle-ms N (new and edited orders while running)\n"
    "            --client-id ID --client-secret S --webhook-url URL --webhook-secret S\n"
    "  erp:      --api-key KEY --strict true (orders need a customer created through\n"
    "            /customers, and wait for approval when over its credit)\n"
    "  fxiaoke:  --orders N --accounts N --products N --seed N --trickle-ms N --tie-group N\n"
    "            --bad-totals N --busy-rate R --token-ttl-ms N --app-id ID --app-secret S\n"
    "            --permanent-code C --open-user-id ID --corp-id ID\n"
    "  k3cloud:  --seed N --trickle-ms N (stock changes) --busy-rate R --session-ttl-ms N\n"
    "            --max-rows N --acct-id ID --username U --password P --lcid N\n"
    "  all, fault injection: --error-rate R --throttle-rate R --retry-after S --latency-rate R\n"
    "            --latency-ms N --drop-rate R --malformed-rate R --seed N\n";

namespace {

bool parse_k3cloud_flag(K3CloudOptions& k3, const std::string& flag, const std::string& value) {
  if (flag == "--session-ttl-ms")
    k3.session_ttl_ms = std::stoll(value);
  else if (flag == "--max-rows")
    k3.max_rows = std::stoi(value);
  else if (flag == "--acct-id")
    k3.acct_id = value;
  else if (flag == "--username")
    k3.username = value;
  else if (flag == "--password")
    k3.password = value;
  else if (flag == "--lcid")
    k3.lcid = std::stoi(value);
  else
    return false;
  return true;
}

// Options of the vendor simulators; false when `flag` is none of them.
bool parse_vendor_flag(SimCommand& c, const std::string& flag, const std::string& value) {
  FxiaokeOptions& fx = c.fxiaoke;
  if (flag == "--accounts")
    fx.accounts = std::stoi(value);
  else if (flag == "--products")
    fx.products = std::stoi(value);
  else if (flag == "--tie-group")
    fx.tie_group = std::stoi(value);
  else if (flag == "--bad-totals")
    fx.bad_totals = std::stoi(value);
  else if (flag == "--busy-rate")
    fx.busy_rate = c.k3cloud.busy_rate = std::stod(value);
  else if (flag == "--token-ttl-ms")
    fx.token_ttl_ms = std::stoll(value);
  else if (flag == "--app-id")
    fx.app_id = value;
  else if (flag == "--app-secret")
    fx.app_secret = value;
  else if (flag == "--permanent-code")
    fx.permanent_code = value;
  else if (flag == "--open-user-id")
    fx.open_user_id = value;
  else if (flag == "--corp-id")
    fx.corp_id = value;
  else
    return parse_k3cloud_flag(c.k3cloud, flag, value);
  return true;
}

bool parse_crm_erp_flag(SimCommand& c, const std::string& flag, const std::string& value) {
  if (flag == "--client-id")
    c.crm.client_id = value;
  else if (flag == "--client-secret")
    c.crm.client_secret = value;
  else if (flag == "--webhook-url")
    c.crm.webhook_url = value;
  else if (flag == "--webhook-secret")
    c.crm.webhook_secret = value;
  else if (flag == "--api-key")
    c.erp.api_key = value;
  else if (flag == "--strict")
    c.erp.strict_customers = value == "true";
  else
    return false;
  return true;
}

}  // namespace

SimCommand parse_sim_command(int argc, char** argv) {
  SimCommand c;
  c.kind = argc > 1 ? argv[1] : "";
  if (c.kind != "crm" && c.kind != "erp" && c.kind != "fxiaoke" && c.kind != "k3cloud")
    throw std::invalid_argument("unknown simulator '" + c.kind + "'");
  FaultOptions faults;
  for (int i = 2; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument("option " + flag + " needs a value");
    const std::string value = argv[i + 1];
    if (flag == "--port") {
      c.crm.port = c.erp.port = c.fxiaoke.port = c.k3cloud.port = static_cast<uint16_t>(std::stoi(value));
    } else if (flag == "--orders") {
      c.crm.orders = c.fxiaoke.orders = std::stoi(value);
    } else if (flag == "--trickle-ms") {
      c.trickle_ms = std::stoi(value);
    } else if (!parse_vendor_flag(c, flag, value) && !parse_crm_erp_flag(c, flag, value)) {
      faults = parse_fault_flag(faults, flag, value);
      if (flag == "--seed") c.crm.seed = c.fxiaoke.seed = c.k3cloud.seed = std::stoull(value);
    }
  }
  c.crm.faults = c.erp.faults = c.fxiaoke.faults = c.k3cloud.faults = faults;
  return c;
}

}  // namespace synchub::simulators
