// synchub-sim crm|erp|fxiaoke|k3cloud [--port N] [options]: the simulators as
// processes (demo, benchmarks); the options are in sim_options.cpp (`synchub-sim crm --help`).
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

#include "examples/simulators/sim_options.hpp"

namespace {
volatile std::sig_atomic_t stop = 0;
void on_signal(int) {
  stop = 1;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace synchub::simulators;
  CLI::App app{
      "synchub-sim: simulators of a sales system (CRM), an ERP, Fxiaoke and Kingdee K3Cloud, on loopback,\n"
      "for the demo, the tests and the benchmarks. Prints its URL, serves until SIGINT/SIGTERM.",
      "synchub-sim"};
  SimCommand command;
  add_sim_commands(app, command);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "synchub-sim: %s\nRun 'synchub-sim --help' or 'synchub-sim SIMULATOR --help' for usage.\n",
                 e.what());
    return 2;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::unique_ptr<CrmSimulator> crm;
  std::unique_ptr<ErpSimulator> erp;
  std::unique_ptr<FxiaokeSimulator> fxiaoke;
  std::unique_ptr<K3CloudSimulator> k3cloud;
  std::string url;
  if (command.kind == "crm") {
    crm = std::make_unique<CrmSimulator>(command.crm);
    url = crm->base_url();
  } else if (command.kind == "erp") {
    erp = std::make_unique<ErpSimulator>(command.erp);
    url = erp->base_url();
  } else if (command.kind == "fxiaoke") {
    fxiaoke = std::make_unique<FxiaokeSimulator>(command.fxiaoke);
    url = fxiaoke->base_url();
  } else {
    k3cloud = std::make_unique<K3CloudSimulator>(command.k3cloud);
    url = k3cloud->base_url();
  }
  std::printf("%s simulator listening on %s\n", command.kind.c_str(), url.c_str());
  std::fflush(stdout);
  const int trickle_ms = command.trickle_ms;
  while (!stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(trickle_ms > 0 ? trickle_ms : 200));
    if (trickle_ms <= 0) continue;
    if (crm) crm->trickle(1, 1);
    if (fxiaoke) fxiaoke->trickle(1, 1);
    if (k3cloud) k3cloud->trickle(1);
  }
  return 0;
}
