#include "runtime/hub.hpp"

#include <filesystem>
#include <thread>

#include "mapping/plan.hpp"
#include "runtime/admin/admin_api.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/log.hpp"
#include "runtime/base/sqlite.hpp"
#include "runtime/bus/embedded_bus.hpp"
#include "runtime/bus/kafka_bus.hpp"
#include "runtime/reconciliation_scheduler.hpp"

namespace synchub::runtime {

std::unique_ptr<Bus> open_bus(const config::HubConfig& config, bool reset_offsets) {
  if (config.bus.str("type") == "kafka") return open_kafka_bus(KafkaBusOptions::from(config.bus, config.hub));
  EmbeddedBusOptions options = EmbeddedBusOptions::from(config.bus);
  options.reset_offsets = reset_offsets;
  return open_embedded_bus(options);
}

std::unique_ptr<StateStore> open_state(const config::HubConfig& config) {
  if (config.state.str("type") == "postgresql") return open_postgres_state(config.state.str("url"));
  return open_sqlite_state(config.state.str("path"), config.bus.boolean("fsync"));
}

namespace {

// The flows' snapshot for the admin API and the alerts, 4 a second: fresh enough for the
// dashboard, cheap for the scheduler thread that builds it.
constexpr auto kBoardRefresh = std::chrono::milliseconds(250);
// Old events are deleted by age and size: no hurry, and each pass scans every topic.
constexpr auto kRetentionEvery = std::chrono::minutes(5);
// The scheduler's sleep when a round did nothing: a due poll or retry is late by this at most;
// a webhook's records wake it at once.
constexpr auto kIdleWait = std::chrono::milliseconds(20);

// A source stream is polled (its changes published) unless only reconciliations read it: a
// listing declared to be read whole, on demand, has no topic to fill.
bool polled(const config::HubConfig& config, const config::StreamRef& stream) {
  for (const auto& f : config.flows)
    if (f.from.str() == stream.str()) return true;
  for (const auto& r : config.reconciliations)
    if (r.source.str() == stream.str() || r.target.str() == stream.str()) return false;
  return true;
}

bool file_has_data(const std::string& path) {
  std::error_code ec;
  return std::filesystem::file_size(path, ec) > 0 && !ec;
}

// Whether the embedded bus's offsets file holds a committed offset (opened read-only).
bool has_committed_offsets(const std::string& path) {
  if (!file_has_data(path)) return false;
  sqlite3* db = nullptr;
  bool found = false;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* q = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM group_offsets WHERE next_offset > 0 LIMIT 1", -1, &q, nullptr) ==
        SQLITE_OK)
      found = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
  }
  sqlite3_close(db);
  return found;
}

// Before anything is opened (opening creates files): a state file lost or emptied beside an
// embedded bus that has been used would start with no ledger, cursors or cross-references, and
// re-send everything as creates.
void check_state_beside_bus(const config::HubConfig& config, const HubStart& start) {
  if (start.new_state || config.state.str("type") == "postgresql" || config.bus.str("type") == "kafka") return;
  const std::string state = config.state.str("path"), bus = config.bus.str("path");
  if (file_has_data(state)) return;
  const std::filesystem::path log(bus);
  const std::string offsets = (log.parent_path() / (log.stem().string() + "-offsets" + log.extension().string()));
  if (!has_committed_offsets(offsets)) return;  // a new data folder, or one never read from
  throw std::runtime_error(
      "state store " + state + " is missing or empty, but the bus " + bus +
      " has been used: the ledger, cursors, cross-references and dead letters would be gone and every record "
      "sent again as new. Restore " +
      state + " from a backup, or start with a new state on purpose: synchub run --new-state");
}
}  // namespace

Hub::Hub(const config::HubConfig& config, const connectors::Registry& registry, HubStart start)
    : bus_((check_state_beside_bus(config, start), open_bus(config))), state_(open_state(config)) {
  const connectors::Context context{config.hub.str("name")};
  std::map<std::string, connectors::Connector*> by_name;
  for (const auto& c : config.connectors) {
    connectors_.push_back(registry.get(c.type).create(c, context));
    by_name[c.name] = connectors_.back().get();
    for (const auto& s : c.streams)
      if (s.roles.source && polled(config, {c.name, s.name}))
        sources_.push_back(std::make_unique<SourcePoller>(SourceOptions::from(config, {c.name, s.name}), *bus_, *state_,
                                                          connectors_.back()->open_source(s)));
  }
  xref_ = std::make_unique<StateXref>(*state_);
  lineage_retention_ = config.state.duration("lineage_retention");
  open_flows(config, by_name);
  for (auto& source : sources_) {
    std::vector<std::string> readers;
    for (size_t i = 0; i < flows_.size(); ++i)
      if (flow_ends_[i].first == source->name()) readers.push_back(flows_[i]->name());
    source->set_flows(std::move(readers));
  }
  board_.read_sources_with([this] {
    std::vector<SourceStatus> all;
    for (const auto& source : sources_) all.push_back(source->status());
    return all;
  });
  start_operations(config);
  std::string linked;
  for (const auto& n : registry.registered_names()) linked += (linked.empty() ? "" : ",") + n;
  log_info("hub",
           {{"hub", context.hub_name},
            {"connectors", linked},
            {"sources", std::to_string(sources_.size())},
            {"flows", std::to_string(flows_.size())}},
           "hub started");
}

void Hub::open_flows(const config::HubConfig& config, const std::map<std::string, connectors::Connector*>& by_name) {
  auto identity = std::make_shared<mapping::IdentityMapper>();
  for (const auto& f : config.flows) {
    if (!f.settings.boolean("enabled")) continue;
    std::shared_ptr<const mapping::Mapper> mapper = identity;
    if (f.settings.has("mapping"))
      mapper = std::make_shared<mapping::PlanMapper>(mapping::load_mapping(f.settings.str("mapping")), xref_.get());
    auto sink = by_name.at(f.to.connector)->open_sink(*config.connector(f.to.connector)->stream(f.to.stream));
    flows_.push_back(
        std::make_unique<FlowRunner>(FlowOptions::from(config, f), *bus_, *state_, std::move(sink), mapper));
    flow_ends_.emplace_back(f.from.str(), f.to.str());
  }
  // A flow whose mapping looks up cross-references waits (without using up attempts) while a
  // flow filling them still has work.
  for (auto& flow : flows_) {
    FlowRunner* waiting = flow.get();
    flow->wait_for_masters([this, waiting] {
      for (const auto& master : flows_)
        if (master.get() != waiting && master->fills_xref() && !master->caught_up()) return true;
      return false;
    });
  }
}

// The admin API, the alerts, the HTTP server (for webhooks or the admin API) and the
// reconciliations, each with a state-store connection of its own: they run on threads of their own.
void Hub::start_operations(const config::HubConfig& config) {
  reconciliations_ = std::make_unique<ReconciliationBoard>(reconciliation_infos(config));
  if (!config.reconciliations.empty())
    reconciler_ = std::make_unique<ReconciliationScheduler>(config, *reconciliations_);
  if (config.hub.boolean("admin.enabled")) {
    AdminOptions admin = AdminOptions::from(config.hub);
    admin.state = open_state(config);
    admin.bus_metrics = [bus = bus_.get()] { return bus->metrics_text(); };
    admin.reconciliations = reconciliations_.get();
    admin_ = std::make_unique<AdminApi>(std::move(admin), board_);
  }
  if (config.alerts.has("webhook.url"))
    alerts_ = std::make_unique<AlertMonitor>(AlertOptions::from(config.alerts, config.hub), board_, open_state(config),
                                             reconciliations_.get());
  for (auto& s : sources_)
    if (s->push_source()) ingress_.serve_stream(s.get());
  if (!ingress_.serves_streams() && !admin_) return;
  http_ = std::make_unique<http::HttpServer>(http::HttpServerOptions::from(config.hub),
                                             [this](const http::HttpRequest& r) { return serve(r); });
  log_info("hub", {{"url", http_->base_url()}}, "HTTP server listening");
}

Hub::~Hub() {
  reconciler_.reset();
  alerts_.reset();
  ingress_.close();
  if (http_) http_->stop();
  for (auto& f : flows_) f->finish_run();
  for (auto& s : sources_) s->stop();
}

// Runs on the server's threads.
http::HttpResponse Hub::serve(const http::HttpRequest& request) {
  if (PushIngress::is_hook_path(request.path)) return ingress_.serve(request);
  return admin_ ? admin_->handle(request) : health_only(request);
}

// Scheduler thread: publishes what webhooks brought, then releases the senders.
bool Hub::publish_pushed() {
  auto items = ingress_.take();
  for (auto& item : items) {
    try {
      auto& request = item->request;
      const bool published =
          item->source->publish_pushed(request.records, request.replay_keys, request.replay_until_ms);
      item->done.set_value({"", !published});
    } catch (const std::exception& e) {
      log_error("webhook", {{"stream", item->source->name()}}, e.what());
      item->done.set_value({std::string("cannot store the records: ") + e.what()});
    }
  }
  return !items.empty();
}

// Scheduler thread: what the admin API asked, and a fresh snapshot for it (4 a second).
void Hub::admin_tick(Clock::time_point now) {
  if (!admin_ && !alerts_) return;
  for (const auto& c : board_.take_commands()) {
    for (auto& s : sources_)
      if (!c.source.empty() && s->name() == c.source) s->set_paused(c.action == "pause");
    for (size_t i = 0; i < flows_.size(); ++i) {
      if (flows_[i]->name() != c.flow) continue;
      if (c.action == "pause") flows_[i]->pause();
      if (c.action == "resume") flows_[i]->resume();
      if (c.action == "trigger") flows_[i]->retry_now();
      if (c.action == "trigger")
        for (auto& s : sources_)
          if (s->name() == flow_ends_[i].first) s->poll_soon();
    }
    next_board_ = {};  // show the change at once
  }
  if (now < next_board_) return;
  next_board_ = now + kBoardRefresh;
  std::vector<FlowStatus> snapshot;
  for (size_t i = 0; i < flows_.size(); ++i) {
    try {
      FlowStatus s = flows_[i]->status();
      s.from = flow_ends_[i].first;
      s.to = flow_ends_[i].second;
      s.source_cursor = state_->cursor(s.from);
      for (const auto& source : sources_)
        if (source->name() == s.from) {
          const SourceStatus from = source->status();
          s.source_state = from.state;
          s.source_error = from.last_error;
          // A flow that is well itself says that nothing comes from its source.
          if (from.state == "failing" && s.state != "paused" && s.state != "failing") s.state = "source-failing";
        }
      snapshot.push_back(std::move(s));
    } catch (const std::exception& e) {
      log_warn("admin", {{"flow", flows_[i]->name()}}, std::string("no status: ") + e.what());
    }
  }
  board_.publish(std::move(snapshot));
}

std::string Hub::stuck() const {
  for (const auto& s : sources_)
    if (std::string reason = s->stuck(); !reason.empty()) return reason;
  for (const auto& f : flows_)
    if (std::string reason = f->stuck(); !reason.empty()) return reason;
  return {};
}

// The lineage history older than state.lineage_retention goes with the bus's old events.
void Hub::prune_lineage() {
  try {
    const int64_t deleted = state_->prune_lineage(now_ms() - lineage_retention_.count());
    if (deleted > 0) log_info("state", {{"deleted", std::to_string(deleted)}}, "lineage retention applied");
  } catch (const std::exception& e) {
    log_warn("state", {}, std::string("lineage retention failed: ") + e.what());
  }
}

std::string Hub::run(const std::atomic<bool>& stop, bool once) {
  if (reconciler_ && !once) reconciler_->start();
  auto next_retention = Clock::now();
  std::string stuck_on;
  while (!stop.load()) {
    const auto now = Clock::now();
    admin_tick(now);
    bool worked = publish_pushed();
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
      prune_lineage();
      next_retention = now + kRetentionEvery;
    }
    if (once && !(stuck_on = stuck()).empty()) {
      log_error("hub", {}, "run --once stops: " + stuck_on);
      break;
    }
    if (worked) continue;
    if (once) {
      bool done = true;
      for (auto& s : sources_) done = done && s->drained();
      for (auto& f : flows_) done = done && f->caught_up();
      if (done) break;
      for (auto& s : sources_)
        if (!s->drained()) s->poll_soon();
    }
    ingress_.wait(kIdleWait);
  }
  if (reconciler_) reconciler_->stop();  // a run under way ends at its next page
  // The last batches a sink was still writing.
  for (auto& f : flows_) {
    try {
      f->settle();
    } catch (const std::exception& e) {
      log_error("flow", {{"flow", f->name()}},
                std::string("last batch not delivered, redone at the next start: ") + e.what());
    }
  }
  return stuck_on;
}

}  // namespace synchub::runtime
