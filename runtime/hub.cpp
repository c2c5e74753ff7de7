#include "runtime/hub.hpp"

#include <thread>

#include "mapping/plan.hpp"
#include "runtime/embedded_bus.hpp"
#include "runtime/log.hpp"

namespace synchub::runtime {

std::unique_ptr<Bus> open_bus(const config::HubConfig& config) {
  const auto& b = config.bus;
  EmbeddedBusOptions options;
  options.path = b.str("path");
  options.partitions = static_cast<int>(b.integer("partitions"));
  options.fsync = b.boolean("fsync");
  options.retention_age = b.duration("retention.max_age");
  options.retention_bytes = b.size("retention.max_bytes");
  return open_embedded_bus(options);
}

std::unique_ptr<StateStore> open_state(const config::HubConfig& config) {
  return open_sqlite_state(config.state.str("path"), config.bus.boolean("fsync"));
}

Hub::Hub(const config::HubConfig& config, const connectors::Registry& registry)
    : bus_(open_bus(config)), state_(open_state(config)) {
  const connectors::Context context{config.hub.str("name")};
  std::map<std::string, connectors::Connector*> by_name;
  for (const auto& c : config.connectors) {
    connectors_.push_back(registry.get(c.type).create(c, context));
    by_name[c.name] = connectors_.back().get();
    for (const auto& s : c.streams) {
      if (!s.roles.source) continue;
      SourceOptions options{c.name, s.name, config.topic({c.name, s.name}), context.hub_name, 5000};
      sources_.push_back(std::make_unique<SourcePoller>(options, *bus_, *state_, connectors_.back()->open_source(s)));
    }
  }
  auto identity = std::make_shared<mapping::IdentityMapper>();
  xref_ = std::make_unique<StateXref>(*state_);
  for (const auto& f : config.flows) {
    if (!f.settings.boolean("enabled")) continue;
    FlowOptions options;
    options.name = f.name;
    options.topic = config.topic(f.from);
    options.sink_name = f.to.str();
    options.batch_size = static_cast<size_t>(f.settings.integer("batch_size"));
    options.initial_backoff = f.settings.duration("retry.initial_backoff");
    options.max_backoff = f.settings.duration("retry.max_backoff");
    options.max_attempts = static_cast<int>(f.settings.integer("retry.max_attempts"));
    const auto* stream = config.connector(f.to.connector)->stream(f.to.stream);
    std::shared_ptr<const mapping::Mapper> mapper = identity;
    if (f.settings.has("mapping"))
      mapper = std::make_shared<mapping::PlanMapper>(mapping::load_mapping(f.settings.str("mapping")), xref_.get());
    flows_.push_back(
        std::make_unique<FlowRunner>(options, *bus_, *state_, by_name.at(f.to.connector)->open_sink(*stream), mapper));
  }
  std::string linked;
  for (const auto& n : registry.registered_names()) linked += (linked.empty() ? "" : ",") + n;
  log_info("hub",
           {{"hub", context.hub_name},
            {"connectors", linked},
            {"sources", std::to_string(sources_.size())},
            {"flows", std::to_string(flows_.size())}},
           "hub started");
}

Hub::~Hub() {
  for (auto& f : flows_) f->finish_run();
}

void Hub::run(const std::atomic<bool>& stop, bool once) {
  auto next_retention = Clock::now();
  while (!stop.load()) {
    const auto now = Clock::now();
    bool worked = false;
    for (auto& s : sources_) {
      if (stop.load()) break;
      worked = s->poll_once(now) || worked;
    }
    for (auto& f : flows_) {
      if (stop.load()) break;
      try {
        worked = f->run_once(now) || worked;
      } catch (const std::exception& e) {
        log_error("flow", {{"flow", f->name()}}, e.what());
        f->failed(now, e.what());
      }
    }
    if (now >= next_retention) {
      try {
        int64_t deleted = bus_->enforce_retention();
        if (deleted > 0) log_info("bus", {{"deleted", std::to_string(deleted)}}, "retention applied");
      } catch (const std::exception& e) {
        log_warn("bus", {}, std::string("retention failed: ") + e.what());
      }
      next_retention = now + std::chrono::minutes(5);
    }
    if (worked) continue;
    if (once) {
      bool done = true;
      for (auto& s : sources_) done = done && s->drained();
      for (auto& f : flows_) done = done && f->caught_up();
      if (done) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace synchub::runtime
