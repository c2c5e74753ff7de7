// What a flow's batch commits cost the state store, with and without the lineage history: RECORDS
// records in batches of BATCH, each batch its ledger entries alone (as commits were before the
// history) and then with one lineage row per record (as flows commit now), each into a new SQLite
// state. The rows are built inside the timed loop, as the flow runner builds them. The best of
// ROUNDS runs of each, alternating (a shared machine is noisy).
// usage: synchub-state-bench [--records N] [--batch N] [--fsync on|off] [--rounds N] [--dir PARENT]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "bench/bench_cli.hpp"
#include "runtime/state/state_store.hpp"

using namespace synchub::runtime;

namespace {

double commit_all(const std::string& dir, size_t records, size_t batch_size, bool fsync, bool lineage) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto state = open_sqlite_state(dir + "/state.db", fsync);
  const auto start = std::chrono::steady_clock::now();
  for (size_t done = 0; done < records;) {
    FlowBatchCommit batch;
    batch.flow = "orders_to_erp";
    for (size_t i = 0; i < batch_size && done < records; ++i, ++done) {
      const std::string key = "SO" + std::to_string(1000000 + done), id = std::to_string(done);
      batch.ledger.push_back({key, id, "c0704203696e260659937bc4ed35c1b4", "quickstart-orders/1", 1});
      if (!lineage) continue;
      LineageEvent e;
      e.time_ms = 1;
      e.key = key;
      e.origin = "crm.orders/p0-" + std::string(12 - id.size(), '0') + id;
      e.event_ms = 1;
      e.position = "/orders#" + id;
      e.mapping_version = "quickstart-orders/1";
      e.outcome = "created";
      e.target_id = id;
      batch.lineage.push_back(std::move(e));
    }
    state->commit_flow_batch(batch);
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"synchub-state-bench: what the lineage history adds to a flow's batch commits (SQLite state)",
               "synchub-state-bench"};
  size_t records = 200000, batch = 500;
  bool fsync = false;
  int rounds = 3;
  std::string parent = "/tmp";
  app.add_option("--records", records, "Records to commit in each run (at least 1)")
      ->type_name("N")
      ->capture_default_str()
      ->check(synchub::bench::whole_number<size_t>(1));
  app.add_option("--batch", batch, "Records a batch commit holds, as a flow's batch_size (at least 1)")
      ->type_name("N")
      ->capture_default_str()
      ->check(synchub::bench::whole_number<size_t>(1));
  app.add_option("--fsync", fsync, "Sync each commit of the state store to disk (default: off)")
      ->type_name("on|off")
      ->check(synchub::bench::on_or_off());
  app.add_option("--rounds", rounds, "Runs of each kind, alternating; the best counts (at least 1)")
      ->type_name("N")
      ->capture_default_str()
      ->check(synchub::bench::whole_number<int>(1));
  app.add_option("--dir", parent, "Each run's state goes to a new folder under this one, removed at the end")
      ->type_name("PARENT")
      ->capture_default_str()
      ->check(synchub::bench::writable_directory());
  if (auto exit_code = synchub::bench::parse_command_line(app, argc, argv)) return *exit_code;
  const synchub::bench::ScratchDir scratch(parent, "synchub-state-bench");
  const std::string dir = (scratch.path() / "state").string();
  std::printf("state store (SQLite), %zu records, batches of %zu, fsync %s\n", records, batch, fsync ? "on" : "off");
  double ledger = 1e30, both = 1e30;
  for (int i = 0; i < rounds; ++i) {
    ledger = std::min(ledger, commit_all(dir, records, batch, fsync, false));
    both = std::min(both, commit_all(dir, records, batch, fsync, true));
  }
  const auto per_record_us = [&](double s) { return s * 1e6 / static_cast<double>(records); };
  std::printf("  ledger only:          %8.0f records/s (%.2f us a record)\n", static_cast<double>(records) / ledger,
              per_record_us(ledger));
  std::printf("  ledger + lineage row: %8.0f records/s (%.2f us a record): +%.2f us, %.0f%% more\n",
              static_cast<double>(records) / both, per_record_us(both), per_record_us(both) - per_record_us(ledger),
              100.0 * (both / ledger - 1));
  return 0;
}
