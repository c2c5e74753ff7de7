// What a flow's batch commits cost the state store, with and without the lineage history: RECORDS
// records in batches of BATCH, each batch its ledger entries alone (as commits were before the
// history) and then with one lineage row per record (as flows commit now), each into a new SQLite
// state. The rows are built inside the timed loop, as the flow runner builds them. The best of
// ROUNDS runs of each, alternating (a shared machine is noisy).
// usage: synchub-state-bench [RECORDS] [BATCH] [fsync:0|1] [ROUNDS] [DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

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
  const size_t records = argc > 1 ? std::stoul(argv[1]) : 200000;
  const size_t batch = argc > 2 ? std::stoul(argv[2]) : 500;
  const bool fsync = argc > 3 ? std::string(argv[3]) == "1" : false;
  const int rounds = argc > 4 ? std::stoi(argv[4]) : 3;
  const std::string dir = argc > 5 ? argv[5] : "/tmp/synchub-state-bench";
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
  std::filesystem::remove_all(dir);
  return 0;
}
