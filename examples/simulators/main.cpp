// synchub-sim crm|erp [--port N] [options]: the simulators as processes (demo, benchmarks).
//   crm: --orders N --seed N --trickle-ms N (new and edited orders while running)
//        --client-id ID --client-secret S --webhook-url URL --webhook-secret S
//   erp: --api-key KEY --strict true (orders need a customer created through
//        /customers, and wait for approval when over its credit)
//   both, fault injection: --error-rate R --throttle-rate R --retry-after S --latency-rate R
//        --latency-ms N --drop-rate R --malformed-rate R --seed N
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "examples/simulators/crm.hpp"
#include "examples/simulators/erp.hpp"

namespace {
volatile std::sig_atomic_t stop = 0;
void on_signal(int) {
  stop = 1;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace synchub::simulators;
  if (argc < 2 || (std::string(argv[1]) != "crm" && std::string(argv[1]) != "erp")) {
    std::fputs("usage: synchub-sim crm|erp [--port N] [options]\n", stderr);
    return 2;
  }
  const std::string kind = argv[1];
  CrmOptions crm;
  ErpOptions erp;
  FaultOptions faults;
  int trickle_ms = 0;
  try {
    for (int i = 2; i + 1 < argc; i += 2) {
      std::string flag = argv[i], value = argv[i + 1];
      if (flag == "--port")
        crm.port = erp.port = static_cast<uint16_t>(std::stoi(value));
      else if (flag == "--orders")
        crm.orders = std::stoi(value);
      else if (flag == "--trickle-ms")
        trickle_ms = std::stoi(value);
      else if (flag == "--client-id")
        crm.client_id = value;
      else if (flag == "--client-secret")
        crm.client_secret = value;
      else if (flag == "--api-key")
        erp.api_key = value;
      else if (flag == "--strict")
        erp.strict_customers = value == "true";
      else if (flag == "--webhook-url")
        crm.webhook_url = value;
      else if (flag == "--webhook-secret")
        crm.webhook_secret = value;
      else {
        faults = parse_fault_flag(faults, flag, value);
        if (flag == "--seed") crm.seed = std::stoull(value);
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "synchub-sim: %s\n", e.what());
    return 2;
  }
  crm.faults = erp.faults = faults;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::unique_ptr<CrmSimulator> c;
  std::unique_ptr<ErpSimulator> e;
  if (kind == "crm") {
    c = std::make_unique<CrmSimulator>(crm);
    std::printf("crm simulator listening on %s\n", c->base_url().c_str());
  } else {
    e = std::make_unique<ErpSimulator>(erp);
    std::printf("erp simulator listening on %s\n", e->base_url().c_str());
  }
  std::fflush(stdout);
  while (!stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(trickle_ms > 0 ? trickle_ms : 200));
    if (c && trickle_ms > 0) c->trickle(1, 1);
  }
  return 0;
}
