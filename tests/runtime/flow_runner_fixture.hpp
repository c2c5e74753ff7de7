// The flow runner's test fixture (flow_runner_test.cpp, flow_lineage_test.cpp): a real embedded
// bus and SQLite state, and a scripted sink standing in for a target system that fails on
// purpose. Not in an anonymous namespace: both files' FlowRunnerTest cases share this fixture.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/bus/embedded_bus.hpp"
#include "runtime/flow_runner.hpp"
#include "tests/support/files.hpp"

namespace synchub::runtime {

using connectors::Batch;
using connectors::Failure;
using connectors::Outcome;
using connectors::SinkResult;

struct Pushed {
  std::string batch_id;
  std::string key;
  std::string value;
  bool known_to_target;
};

inline SinkResult ok(const connectors::SinkRecord& r) {
  return SinkResult::landed(r.known_to_target ? Outcome::Updated : Outcome::Created, "T-" + std::string(r.key));
}

// Records what it receives; `script` decides each record's result.
class ScriptedSink : public connectors::SinkStream {
 public:
  using Script = std::function<SinkResult(int push_number, const connectors::SinkRecord&)>;
  explicit ScriptedSink(std::vector<Pushed>& log, Script script = {}) : log_(log), script_(std::move(script)) {}
  std::vector<SinkResult> push(const Batch& batch) override {
    ++pushes_;
    std::vector<SinkResult> results;
    for (const auto& r : batch.records) {
      SinkResult result = script_ ? script_(pushes_, r) : ok(r);
      if (result.ok()) log_.push_back({batch.id, std::string(r.key), std::string(r.value), r.known_to_target});
      results.push_back(result);
    }
    in_flight_ = settles_;
    return results;
  }
  // Like the file sink with fsync: each push is finished in the background; `settle_script`
  // throws for a push whose background work fails.
  void finish_in_background(std::function<void(int push_number)> settle_script) {
    settles_ = true;
    settle_script_ = std::move(settle_script);
  }
  bool in_flight() const override { return in_flight_; }
  void settle() override {
    if (!in_flight_) return;
    in_flight_ = false;
    ++settled_;
    if (settle_script_) settle_script_(pushes_);
  }
  int settled() const { return settled_; }

 private:
  std::vector<Pushed>& log_;
  Script script_;
  int pushes_ = 0;
  bool settles_ = false, in_flight_ = false;
  int settled_ = 0;
  std::function<void(int)> settle_script_;
};

class FlowRunnerTest : public ::testing::Test {
 protected:
  FlowRunnerTest() {
    EmbeddedBusOptions o;
    o.path = dir_.str("bus.db");
    o.fsync = false;
    bus_ = open_embedded_bus(o);
    state_ = open_sqlite_state(dir_.str("state.db"), false);
  }

  void publish(std::vector<std::pair<std::string, std::string>> records) {
    std::vector<OutgoingEvent> events;
    for (auto& [k, v] : records) events.push_back({"crm.orders", k, v, {}});
    bus_->publish(events);
  }

  // The flow "orders": crm.orders -> erp.sale_orders.
  static FlowOptions options(int max_attempts = 0) {
    FlowOptions o;
    o.name = "orders";
    o.topic = "crm.orders";
    o.sink_name = "erp.sale_orders";
    o.batch_size = 100;
    o.initial_backoff = std::chrono::seconds(1);
    o.max_backoff = std::chrono::seconds(8);
    o.max_attempts = max_attempts;
    return o;
  }

  std::unique_ptr<FlowRunner> runner(ScriptedSink::Script script = {}, int max_attempts = 0,
                                     std::function<void(int)> settle_script = nullptr) {
    const FlowOptions o = options(max_attempts);
    auto sink = std::make_unique<ScriptedSink>(pushed_, script);
    if (settle_script) sink->finish_in_background(std::move(settle_script));
    return std::make_unique<FlowRunner>(o, *bus_, *state_, std::move(sink),
                                        std::make_shared<mapping::IdentityMapper>());
  }

  test::TempDir dir_;
  std::unique_ptr<Bus> bus_;
  std::unique_ptr<StateStore> state_;
  std::vector<Pushed> pushed_;
  Clock::time_point t0_ = Clock::now();
};

}  // namespace synchub::runtime
