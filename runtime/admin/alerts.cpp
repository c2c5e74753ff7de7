#include "runtime/admin/alerts.hpp"

#include <nlohmann/json.hpp>

#include "config/units.hpp"
#include "http/http_client.hpp"
#include "http/signing.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/log.hpp"

namespace synchub::runtime {

namespace {

using Json = nlohmann::ordered_json;

std::string human(int64_t ms) {
  const int64_t s = ms / 1000;
  if (s < 120) return std::to_string(s) + " s";
  if (s < 2 * 3600) return std::to_string(s / 60) + " min";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " h " + std::to_string(s / 60 % 60) + " min";
  return std::to_string(s / 86400) + " days";
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The condition's state for one flow: (is it true, what it says).
struct Reading {
  bool on = false;
  std::string text;
};

}  // namespace

AlertRules::Stepped AlertRules::step(Condition& c, bool on, int64_t delay_ms, int64_t now) {
  if (!on) {
    const Stepped s{c.firing ? Step::Resolve : Step::None, c.since_ms};
    c = {};
    return s;
  }
  if (!c.since_ms) c.since_ms = now;
  if (now - c.since_ms < delay_ms) return {Step::None, c.since_ms};
  const bool remind = c.firing && options_.repeat.count() > 0 && now - c.last_sent_ms >= options_.repeat.count();
  if (c.firing && !remind) return {Step::None, c.since_ms};
  c.firing = true;
  c.last_sent_ms = now;
  return {remind ? Step::Remind : Step::Fire, c.since_ms};
}

std::vector<AlertEvent> AlertRules::evaluate(const std::vector<FlowStatus>& flows,
                                             const std::map<std::string, int64_t>& dead_letters, int64_t now) {
  std::vector<AlertEvent> events;
  const int64_t failing_for = options_.failing_for.count(), lag_age = options_.lag_age.count();
  for (const auto& f : flows) {
    const int64_t waiting_ms = f.oldest_pending_ms ? now - f.oldest_pending_ms : 0;
    auto dl = dead_letters.find(f.name);
    const int64_t letters = dl == dead_letters.end() ? 0 : dl->second;
    const std::pair<const char*, Reading> readings[] = {
        {"flow_failing",
         {failing_for > 0 && f.attempt > 0,
          "failing (attempt " + std::to_string(f.attempt) + "): " + (f.last_error.empty() ? "?" : f.last_error)}},
        {"lag_events",
         {options_.lag_events > 0 && f.lag_events > options_.lag_events,
          std::to_string(f.lag_events) + " events waiting (alert above " + std::to_string(options_.lag_events) + ")"}},
        {"lag_age",
         {lag_age > 0 && waiting_ms > lag_age,
          "the oldest waiting event is " + human(waiting_ms) + " old (alert above " + human(lag_age) + ")"}},
        {"dead_letters",
         {options_.dead_letters > 0 && letters > options_.dead_letters,
          std::to_string(letters) + " pending dead letters (alert above " + std::to_string(options_.dead_letters) +
              ")"}},
    };
    for (const auto& [name, reading] : readings) {
      // A failing flow alerts once it has failed for `failing_for`; the other conditions at once.
      const int64_t delay = std::string(name) == "flow_failing" ? failing_for : 0;
      const Stepped s = step(conditions_[{f.name, name}], reading.on, delay, now);
      if (s.step == Step::None) continue;
      AlertEvent e{f.name, name, "firing", "", now, s.since_ms};
      if (s.step == Step::Resolve) {
        e.status = "resolved";
        e.summary = "flow " + f.name + " recovered after " + human(now - s.since_ms) + " (" + name + ")";
      } else {
        e.summary = "flow " + f.name + (s.step == Step::Remind ? " still " : " ") + reading.text + " (since " +
                    human(now - s.since_ms) + " ago)";
      }
      events.push_back(std::move(e));
    }
  }
  return events;
}

std::vector<AlertEvent> AlertRules::evaluate(const std::vector<ReconciliationOutcome>& reconciliations, int64_t now) {
  std::vector<AlertEvent> events;
  for (const auto& r : reconciliations) {
    // Keyed apart from the flows' conditions: a flow and a reconciliation may share a name.
    const Stepped s =
        step(conditions_[{"reconciliation " + r.name, "reconciliation"}], r.failed || r.differences > 0, 0, now);
    if (s.step == Step::None || r.by_another_worker) continue;
    AlertEvent e{"", "reconciliation", "firing", "", now, s.since_ms, r.name, r.run_id};
    const std::string run = r.run_id ? "run #" + std::to_string(r.run_id) : "run not kept";
    // summary_line() starts with the reconciliation's name.
    if (s.step == Step::Resolve) {
      e.status = "resolved";
      e.summary = "reconciliation " + r.name + " agrees again after " + human(now - s.since_ms) + ": " + r.summary +
                  " (" + run + ")";
    } else if (s.step == Step::Remind) {
      e.summary = "reconciliation " + r.name + (r.failed ? " still fails: " : " still differs: ") + r.summary + " (" +
                  run + "; since " + human(now - s.since_ms) + " ago)";
    } else {
      e.summary = "reconciliation " + r.summary + " (" + run + ")";
    }
    events.push_back(std::move(e));
  }
  return events;
}

std::vector<AlertEvent> AlertRules::evaluate(const std::vector<SourceStatus>& sources, int64_t now) {
  std::vector<AlertEvent> events;
  const int64_t failing_for = options_.failing_for.count();
  for (const auto& s : sources) {
    // Keyed apart from the flows' conditions: a flow and a source may share a name.
    const bool on = failing_for > 0 && s.consecutive_failures > 0 && s.state != "paused";
    const Stepped st = step(conditions_[{"source " + s.name, "source_failing"}], on, failing_for, now);
    if (st.step == Step::None) continue;
    AlertEvent e{"", "source_failing", "firing", "", now, st.since_ms};
    e.source = s.name;
    const std::string readers = s.flows.empty() ? "" : " (read by " + join(s.flows) + ")";
    if (st.step == Step::Resolve) {
      e.status = "resolved";
      e.summary = "source " + s.name + " is read again after " + human(now - st.since_ms);
    } else {
      e.summary = "source " + s.name + (st.step == Step::Remind ? " still" : "") + " cannot be read" + readers + " (" +
                  std::to_string(s.consecutive_failures) + " polls failed in a row, since " + human(now - st.since_ms) +
                  " ago): " + (s.last_error.empty() ? "?" : s.last_error);
    }
    events.push_back(std::move(e));
  }
  return events;
}

AlertPost alert_post(const AlertOptions& options, const AlertEvent& e, int64_t now) {
  const std::string text = "[synchub " + options.hub_name + (options.worker.empty() ? "" : " " + options.worker) +
                           "] " + (e.status == "firing" ? "ALERT: " : "RESOLVED: ") + e.summary;
  AlertPost post{options.url, ""};
  Json body;
  if (options.format == "dingtalk" || options.format == "wecom") {
    body = {{"msgtype", "text"}, {"text", {{"content", text}}}};
    if (options.format == "dingtalk" && !options.secret.empty()) {
      // DingTalk: sign = base64(HMAC-SHA256(secret, "<timestamp ms>\n<secret>")), in the query.
      const std::string ts = std::to_string(now);
      const std::string sign = http::hmac_sha256_base64(options.secret, ts + "\n" + options.secret);
      post.url += (post.url.find('?') == std::string::npos ? "?" : "&") + std::string("timestamp=") + ts +
                  "&sign=" + config::url_encode(sign);
    }
  } else if (options.format == "feishu") {
    body = Json::object();
    if (!options.secret.empty()) {
      // Feishu: sign = base64(HMAC-SHA256(key "<timestamp s>\n<secret>", empty message)), in the body.
      const std::string ts = std::to_string(now / 1000);
      body["timestamp"] = ts;
      body["sign"] = http::hmac_sha256_base64(ts + "\n" + options.secret, "");
    }
    body["msg_type"] = "text";
    body["content"] = {{"text", text}};
  } else {
    body = {{"source", "synchub"}, {"hub", options.hub_name}, {"status", e.status}, {"alert", e.condition}};
    if (!options.worker.empty()) body["worker"] = options.worker;
    // A reconciliation's alert names it (and the run to open), a source's the stream, where a
    // flow's names the flow.
    if (!e.source.empty()) {
      body["stream"] = e.source;
    } else if (e.reconciliation.empty()) {
      body["flow"] = e.flow;
    } else {
      body["reconciliation"] = e.reconciliation;
      body["run"] = e.run_id ? Json(e.run_id) : Json(nullptr);
    }
    body["summary"] = e.summary;
    body["since"] = iso_time(e.since_ms);
    body["time"] = iso_time(e.at_ms);
  }
  post.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  return post;
}

AlertMonitor::AlertMonitor(AlertOptions options, const AdminBoard& board, std::unique_ptr<StateStore> state,
                           const ReconciliationBoard* reconciliations)
    : options_(std::move(options)),
      board_(board),
      reconciliations_(reconciliations),
      state_(std::move(state)),
      rules_(options_),
      client_(std::make_unique<http::HttpClient>(
          http::HttpClientOptions{.connect_timeout = options_.timeout, .timeout = options_.timeout})) {
  thread_ = std::thread([this] { loop(); });
}

AlertMonitor::~AlertMonitor() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (!outbox_.empty())
    log_warn("alerts", {{"undelivered", std::to_string(outbox_.size())}}, "stopping with alerts not delivered");
}

AlertMonitor::Delivery AlertMonitor::deliver(const AlertEvent& event) {
  const AlertPost post = alert_post(options_, event, now_ms());
  const auto reply = client_->send({"POST", post.url, {{"Content-Type", "application/json"}}, post.body});
  std::string problem = reply.transport_error;
  if (problem.empty() && (reply.status < 200 || reply.status >= 300))
    problem = "HTTP " + std::to_string(reply.status) + ": " + reply.body.substr(0, 200);
  if (problem.empty()) {  // robots answer 200 with an error code for a bad signature or a muted robot
    Json answer = Json::parse(reply.body, nullptr, false);
    for (const char* code : {"errcode", "code", "StatusCode"})
      if (answer.is_object() && answer.contains(code) && answer[code].is_number() && answer[code] != 0)
        problem = "receiver answered " + reply.body.substr(0, 200);
  }
  const LogFields fields{{!event.source.empty() ? "stream"
                          : event.flow.empty()  ? "reconciliation"
                                                : "flow",
                          !event.source.empty() ? event.source
                          : event.flow.empty()  ? event.reconciliation
                                                : event.flow},
                         {"alert", event.condition},
                         {"status", event.status}};
  if (problem.empty()) {
    log_info("alerts", fields, "delivered: " + event.summary);
    return {true, false, {}};
  }
  // The same rule as every connector's: 4xx (but 408, 425, 429) will not pass by retrying soon.
  const bool permanent = reply.status >= 200 && !http::transient_http_status(reply.status);
  log_warn("alerts", fields,
           std::string(permanent ? "receiver refused the alert (check its URL and secret), will retry: "
                                 : "cannot deliver, will retry: ") +
               problem);
  return {false, permanent, http::asked_wait(reply)};
}

void AlertMonitor::loop() {
  constexpr size_t kMaxQueued = 1000;
  std::chrono::milliseconds retry_wait{1000};
  auto next_check = std::chrono::steady_clock::now(), next_delivery = next_check;
  std::unique_lock lock(mu_);
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_check) {
      next_check = now + options_.check_every;
      lock.unlock();
      std::vector<FlowStatus> flows = board_.flows();
      std::map<std::string, int64_t> letters;
      try {
        if (options_.dead_letters > 0)
          for (const auto& f : flows) letters[f.name] = state_->count_dead_letters(f.name, "pending");
      } catch (const std::exception& e) {
        log_warn("alerts", {}, std::string("cannot count dead letters: ") + e.what());
      }
      auto events = rules_.evaluate(flows, letters, now_ms());
      if (reconciliations_)
        for (auto& e : rules_.evaluate(reconciliations_->outcomes(), now_ms())) events.push_back(std::move(e));
      for (auto& e : rules_.evaluate(board_.sources(), now_ms())) events.push_back(std::move(e));
      lock.lock();
      for (auto& e : events) outbox_.push_back(std::move(e));
      while (outbox_.size() > kMaxQueued) {
        log_error("alerts", {{"flow", outbox_.front().flow}},
                  "alert dropped (receiver down, queue full): " + outbox_.front().summary);
        outbox_.pop_front();
      }
    }
    // Deliver in order; a receiver that is down is retried with back-off (1 s doubling to 5 min).
    if (std::chrono::steady_clock::now() >= next_delivery) {
      while (!outbox_.empty() && !stop_) {
        AlertEvent event = outbox_.front();
        lock.unlock();
        const Delivery delivery = deliver(event);
        lock.lock();
        if (!delivery.delivered) {
          // A refusal waits the longest; a receiver's Retry-After is honoured.
          if (delivery.permanent) retry_wait = std::chrono::minutes(5);
          next_delivery = std::chrono::steady_clock::now() + std::max(retry_wait, delivery.asked_wait);
          retry_wait = std::min<std::chrono::milliseconds>(retry_wait * 2, std::chrono::minutes(5));
          break;
        }
        outbox_.pop_front();
        retry_wait = std::chrono::milliseconds(1000);
      }
    }
    const auto wait_until = outbox_.empty() ? next_check : std::min(next_check, next_delivery);
    wake_.wait_until(lock, wait_until, [this] { return stop_; });
  }
}

}  // namespace synchub::runtime
