#include "runtime/hub.hpp"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "mapping/plan.hpp"
#include "mapping/record.hpp"
#include "runtime/admin/admin_api.hpp"
#include "runtime/base/log.hpp"
#include "runtime/base/sqlite.hpp"
#include "runtime/bus/embedded_bus.hpp"
#include "runtime/bus/kafka_bus.hpp"

namespace synchub::runtime {

std::unique_ptr<Bus> open_bus(const config::HubConfig& config, bool reset_offsets) {
  const auto& b = config.bus;
  if (b.str("type") == "kafka") {
    KafkaBusOptions kafka;
    kafka.bootstrap_servers = b.str("kafka.bootstrap_servers");
    kafka.group_prefix = "synchub." + config.hub.str("name") + ".";
    kafka.create_topics = b.boolean("kafka.create_topics");
    kafka.partitions = static_cast<int>(b.integer("kafka.partitions"));
    kafka.replication_factor = static_cast<int>(b.integer("kafka.replication_factor"));
    kafka.delivery_timeout = b.duration("kafka.delivery_timeout");
    for (const auto& [name, value] : b.map("kafka.properties")) kafka.properties[name] = value;
    return open_kafka_bus(kafka);
  }
  EmbeddedBusOptions options;
  options.path = b.str("path");
  options.partitions = static_cast<int>(b.integer("partitions"));
  options.fsync = b.boolean("fsync");
  options.compression = b.str("compression") == "none" ? Compression::None : Compression::Lz4;
  options.retention_age = b.duration("retention.max_age");
  options.retention_bytes = b.size("retention.max_bytes");
  options.reset_offsets = reset_offsets;
  return open_embedded_bus(options);
}

std::unique_ptr<StateStore> open_state(const config::HubConfig& config) {
  if (config.state.str("type") == "postgresql") return open_postgres_state(config.state.str("url"));
  return open_sqlite_state(config.state.str("path"), config.bus.boolean("fsync"));
}

namespace {
// Names this worker in source leases: stable across restarts, so a worker
// that crashed takes its streams back at once instead of after the lease ttl.
std::string this_worker_id(const config::HubConfig& config) {
  if (config.hub.has("worker_id")) return config.hub.str("worker_id");
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  std::error_code ec;
  const auto data_dir = std::filesystem::absolute(config.hub.str_or("data_dir", "."), ec);
  return std::string(host) + ":" + data_dir.string();
}
}  // namespace

namespace {
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
  const std::string worker_id = this_worker_id(config);
  std::map<std::string, connectors::Connector*> by_name;
  for (const auto& c : config.connectors) {
    connectors_.push_back(registry.get(c.type).create(c, context));
    by_name[c.name] = connectors_.back().get();
    for (const auto& s : c.streams) {
      if (!s.roles.source) continue;
      SourceOptions options{c.name, s.name, config.topic({c.name, s.name}), context.hub_name, 5000};
      options.worker_id = worker_id;
      options.lease_ttl = config.state.duration("lease_ttl");
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
    options.xref_entity = f.settings.str_or("xref.entity", "");
    options.xref_from = f.settings.str_or("xref.from", f.from.connector);
    options.xref_to = f.settings.str_or("xref.to", f.to.connector);
    const auto* stream = config.connector(f.to.connector)->stream(f.to.stream);
    std::shared_ptr<const mapping::Mapper> mapper = identity;
    if (f.settings.has("mapping"))
      mapper = std::make_shared<mapping::PlanMapper>(mapping::load_mapping(f.settings.str("mapping")), xref_.get());
    flows_.push_back(
        std::make_unique<FlowRunner>(options, *bus_, *state_, by_name.at(f.to.connector)->open_sink(*stream), mapper));
    flow_ends_.emplace_back(f.from.str(), f.to.str());
  }
  for (auto& flow : flows_) {
    FlowRunner* waiting = flow.get();
    flow->wait_for_masters([this, waiting] {
      for (const auto& master : flows_)
        if (master.get() != waiting && master->fills_xref() && !master->caught_up()) return true;
      return false;
    });
  }
  bool has_push = false;
  for (const auto& s : sources_) has_push = has_push || s->push_source();
  if (config.hub.boolean("admin.enabled"))
    admin_ = std::make_unique<AdminApi>(
        AdminOptions{open_state(config), config.hub.list("admin.viewer_tokens"),
                     config.hub.list("admin.operator_tokens"), [bus = bus_.get()] { return bus->metrics_text(); }},
        board_);
  if (config.alerts.has("webhook.url")) {
    AlertOptions alerts;
    alerts.hub_name = context.hub_name;
    alerts.url = config.alerts.str("webhook.url");
    alerts.format = config.alerts.str("webhook.format");
    alerts.secret = config.alerts.str_or("webhook.secret", "");
    alerts.timeout = config.alerts.duration("webhook.timeout");
    alerts.failing_for = config.alerts.duration("failing_for");
    alerts.lag_age = config.alerts.duration("lag_age");
    alerts.repeat = config.alerts.duration("repeat");
    alerts.check_every = config.alerts.duration("check_every");
    alerts.lag_events = config.alerts.integer("lag_events");
    alerts.dead_letters = config.alerts.integer("dead_letters");
    alerts_ = std::make_unique<AlertMonitor>(alerts, board_, open_state(config));
  }
  if (has_push || admin_) {
    http::HttpServerOptions http;
    http.address = config.hub.str("http.address");
    http.port = static_cast<uint16_t>(config.hub.integer("http.port"));
    http.max_body = config.hub.size("http.max_body");
    http.threads = 4;
    http.tls_cert_file = config.hub.str_or("http.tls.cert", "");
    http.tls_key_file = config.hub.str_or("http.tls.key", "");
    if (http.tls_cert_file.empty() != http.tls_key_file.empty())
      throw std::runtime_error("hub.http.tls: set both cert and key");
    http_ = std::make_unique<http::HttpServer>(http, [this](const http::HttpRequest& r) { return serve(r); });
    log_info("hub", {{"url", http_->base_url()}}, "HTTP server listening");
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
  alerts_.reset();
  ingress_.close();
  if (http_) http_->stop();
  for (auto& f : flows_) f->finish_run();
  for (auto& s : sources_) s->stop();
}

namespace {
http::HttpResponse error_reply(int status, const std::string& code, const std::string& message) {
  std::string body = "{\"error\":";
  mapping::append_json_string(body, code);
  body += ",\"message\":";
  mapping::append_json_string(body, message);
  return http::HttpResponse::json(status, body + "}");
}
}  // namespace

// Runs on the server's threads: checks the request with the push source
// (signature, body), then waits until the scheduler thread made it durable.
http::HttpResponse Hub::serve(const http::HttpRequest& request) {
  const std::string prefix = "/hooks/";
  if (request.path.rfind(prefix, 0) != 0 && admin_) return admin_->handle(request);
  if (request.path == "/healthz") return http::HttpResponse::json(200, R"({"status":"ok"})");
  if (request.path.rfind(prefix, 0) != 0) return error_reply(404, "not_found", "no route " + request.path);
  std::string rest = request.path.substr(prefix.size());
  size_t slash = rest.find('/');
  std::string name = slash == std::string::npos ? rest : rest.substr(0, slash) + "." + rest.substr(slash + 1);
  SourcePoller* target = nullptr;
  for (auto& s : sources_)
    if (s->push_source() && s->name() == name) target = s.get();
  if (!target) return error_reply(404, "not_found", "no webhook stream " + name);
  if (request.method != "POST") {
    http::HttpResponse r = error_reply(405, "method_not_allowed", "use POST");
    r.headers.emplace_back("Allow", "POST");
    return r;
  }
  connectors::PushRequest push{[&](std::string_view h) { return request.header(h); }, request.body};
  connectors::PushReply reply = target->push_source()->receive(push);
  if (reply.status >= 400) {
    log_warn("webhook", {{"stream", name}, {"status", std::to_string(reply.status)}}, reply.error);
    return error_reply(reply.status, reply.status == 401 ? "unauthorized" : "bad_request", reply.error);
  }
  const size_t count = reply.records.size();
  PushIngress::Outcome outcome = ingress_.submit(target, std::move(reply), std::chrono::seconds(10));
  if (!outcome.error.empty()) return error_reply(503, "unavailable", outcome.error);
  // A replay, or a sender's retry after a lost answer: a success, since what it sent is stored.
  if (outcome.duplicate) {
    log_warn("webhook", {{"stream", name}}, "request received before: not published again");
    return http::HttpResponse::json(200, R"({"accepted":0,"duplicate":true,"message":"already received and stored"})");
  }
  return http::HttpResponse::json(202, "{\"accepted\":" + std::to_string(count) + "}");
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
  next_board_ = now + std::chrono::milliseconds(250);
  std::vector<FlowStatus> snapshot;
  for (size_t i = 0; i < flows_.size(); ++i) {
    try {
      FlowStatus s = flows_[i]->status();
      s.from = flow_ends_[i].first;
      s.to = flow_ends_[i].second;
      s.source_cursor = state_->cursor(s.from);
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

std::string Hub::run(const std::atomic<bool>& stop, bool once) {
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
      next_retention = now + std::chrono::minutes(5);
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
    ingress_.wait(std::chrono::milliseconds(20));
  }
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
