#include "connectors/rest/api.hpp"

#include <algorithm>
#include <optional>
#include <thread>

#include "config/units.hpp"
#include "connectors/rest/auth.hpp"
#include "connectors/rest/fields.hpp"
#include "mapping/document.hpp"
#include "mapping/json_writer.hpp"

namespace synchub::connectors::rest {

Api::Api(const config::Settings& s)
    : base_url_(s.str(field::connector::kBaseUrl)),
      client_options_{s.duration(field::connector::kConnectTimeout), s.duration(field::connector::kTimeout),
                      s.boolean(field::connector::kVerifyTls), s.str_or(field::connector::kCaFile, "")},
      default_headers_(s.map(field::connector::kHeaders)),
      concurrency_(static_cast<int>(s.integer(field::connector::kConcurrency))),
      rate_(static_cast<double>(s.integer(field::connector::kRateLimit))),
      tokens_(rate_),
      error_rules_(ErrorRules::from(s)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  auth_ = std::make_unique<Auth>(s, base_url_, &error_rules_);
}

Api::~Api() = default;

std::unique_ptr<HttpClient> Api::lease() {
  std::unique_lock lock(pool_mu_);
  pool_cv_.wait(lock, [&] { return !idle_.empty() || created_ < concurrency_; });
  if (!idle_.empty()) {
    auto client = std::move(idle_.back());
    idle_.pop_back();
    return client;
  }
  ++created_;
  lock.unlock();
  return std::make_unique<HttpClient>(client_options_);
}

void Api::give_back(std::unique_ptr<HttpClient> client) {
  {
    std::lock_guard lock(pool_mu_);
    idle_.push_back(std::move(client));
  }
  pool_cv_.notify_one();
}

void Api::wait_for_rate_limit() {
  if (rate_ <= 0) return;
  double deficit;
  {
    std::lock_guard lock(rate_mu_);
    auto now = std::chrono::steady_clock::now();
    tokens_ = std::min(rate_, tokens_ + std::chrono::duration<double>(now - last_refill_).count() * rate_);
    last_refill_ = now;
    tokens_ -= 1;  // reserved now, paid for by waiting below
    deficit = -tokens_;
  }
  if (deficit > 0) std::this_thread::sleep_for(std::chrono::duration<double>(deficit / rate_));
}

// `errors:` rules: a 2xx answer they say is not ok is a failure of their kind.
void Api::read_body_errors(HttpReply& reply, const std::string& request) const {
  if (error_rules_.empty() || reply.status < 200 || reply.status >= 300) return;
  // This API says its failures inside 2xx answers: one that cannot be read (cut off by a
  // dropped connection or a proxy) may be a refusal ("busy") as well as a success.
  mapping::Document doc;
  if (!doc.parse(reply.body).empty()) {
    if (reply.body.find_first_not_of(" \t\r\n") == std::string::npos) return;  // no body: nothing reported
    reply.api_error = "the answer is not readable JSON (cut off?), so whether it was done is unknown: " +
                      trimmed_body(reply.body).substr(0, 200);
    reply.api_error_kind = HttpReply::ApiError::Unreadable;
    return;
  }
  auto verdict = error_rules_.judge(request, doc);
  if (!verdict || verdict->meaning == ErrorRules::Meaning::Ok) return;
  reply.api_error_code = verdict->value;
  // Without a message path the answer itself tells what happened.
  const std::string told =
      verdict->message.empty() ? "answered " + trimmed_body(reply.body).substr(0, 300) : verdict->message;
  reply.api_error = (verdict->name.empty() ? std::string("error code") : verdict->name) + " " +
                    (verdict->value.empty() ? std::string("(empty)") : verdict->value) + ": " + told;
  using Kind = HttpReply::ApiError;
  using M = ErrorRules::Meaning;
  switch (verdict->meaning) {
    case M::Transient: reply.api_error_kind = Kind::Transient; break;
    case M::Relogin: reply.api_error_kind = Kind::Relogin; break;
    case M::Exists: reply.api_error_kind = Kind::Exists; break;
    case M::Done: reply.api_error_kind = Kind::Done; break;
    default: reply.api_error_kind = Kind::Permanent; break;
  }
}

std::chrono::milliseconds Api::gate_wait() {
  std::lock_guard lock(gate_mu_);
  auto left = gate_until_ - std::chrono::steady_clock::now();
  return std::max(std::chrono::milliseconds(0), std::chrono::ceil<std::chrono::milliseconds>(left));
}

void Api::note_retry_after(const HttpReply& reply) {
  if (reply.status != 429 && reply.status != 503) return;
  const long seconds = retry_after_seconds(reply.header("retry-after"));
  if (seconds <= 0) return;
  std::lock_guard lock(gate_mu_);
  gate_until_ = std::max(gate_until_, std::chrono::steady_clock::now() + std::chrono::seconds(seconds));
}

bool Api::wants_relogin(const HttpReply& reply) const {
  return reply.status == 401 || (!reply.api_error.empty() && reply.api_error_kind == HttpReply::ApiError::Relogin);
}

HttpReply Api::send(const std::string& method, const std::string& path_and_query, Params headers, std::string body) {
  for (const auto& h : default_headers_) headers.push_back(h);
  headers.emplace_back("Accept", "application/json");
  std::unique_ptr<HttpClient> client = lease();
  struct GiveBack {
    Api* api;
    std::unique_ptr<HttpClient>& client;
    ~GiveBack() { api->give_back(std::move(client)); }
  } give_back{this, client};
  HttpReply reply;
  if (auto wait = gate_wait(); wait > std::chrono::milliseconds(200)) {
    reply.transport_error = "not sent: the target asked to wait " + std::to_string(wait.count()) + " ms (Retry-After)";
    reply.not_sent = true;
    reply.headers.emplace_back("retry-after", std::to_string((wait.count() + 999) / 1000));
    return reply;
  } else if (wait.count() > 0) {
    std::this_thread::sleep_for(wait);
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    HttpCall call{method, base_url_ + path_and_query, headers, body};
    const uint64_t generation = auth_->apply(*client, call);
    if (!call.body.empty()) call.headers.emplace_back("Content-Type", "application/json");
    wait_for_rate_limit();
    reply = client->send(call);
    note_retry_after(reply);
    read_body_errors(reply, method + " " + path_and_query);
    // The session or token was lost (expired, revoked, server restarted): once more with new ones.
    if (!(attempt == 0 && wants_relogin(reply) && auth_->renew(generation))) break;
  }
  return reply;
}

const Json* find(const Json& value, const std::string& path) {
  if (path.empty() || path == "/") return &value;
  const Json* at = &value;
  const bool pointer = path[0] == '/';
  size_t pos = pointer ? 1 : 0;
  while (pos <= path.size()) {
    size_t end = path.find(pointer ? '/' : '.', pos);
    std::string part = path.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (at->is_object()) {
      auto it = at->find(part);
      if (it == at->end()) return nullptr;
      at = &*it;
    } else if (at->is_array() && !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      size_t i = std::stoul(part);
      if (i >= at->size()) return nullptr;
      at = &(*at)[i];
    } else {
      return nullptr;
    }
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return at;
}

std::string scalar_text(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return {};
  return value.dump();
}

namespace {

std::optional<std::string> value_of(const std::string& name, const Params& values, const Resolver& more) {
  for (const auto& [n, v] : values)
    if (n == name) return v;
  if (more) return more(name);
  return std::nullopt;
}

// `template` with each {name} that has a value replaced by what `place` makes of it; inside a
// JSON string literal (JSON templates only) `place` is told so.
template <class Place>
std::string replace_placeholders(const std::string& text, const Params& values, const Resolver& more, bool json,
                                 Place place) {
  std::string out;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (json && in_string && c == '\\' && i + 1 < text.size()) {
      out += text.substr(i++, 2);
      continue;
    }
    if (json && c == '"') in_string = !in_string;
    if (c == '{') {
      const size_t close = text.find('}', i);
      if (close != std::string::npos)
        if (auto v = value_of(text.substr(i + 1, close - i - 1), values, more)) {
          // Between single quotes inside a string ('{key}'): a literal of a SQL-like filter.
          const bool quoted =
              in_string && i > 0 && text[i - 1] == '\'' && close + 1 < text.size() && text[close + 1] == '\'';
          out += place(*v, in_string, quoted);
          i = close;
          continue;
        }
    }
    out += c;
  }
  return out;
}

// A JSON value's text to stand inside a JSON string: a string without its quotes (between single
// quotes, ' doubled), a list as 'a','b' (' doubled: the SQL-like filter languages of ERPs), null
// as nothing; escaped for JSON.
std::string text_inside_string(const std::string& json_value, bool quoted) {
  const Json value = Json::parse(json_value, nullptr, false);
  if (value.is_discarded()) return json_value;
  std::string text;
  if (value.is_array()) {
    for (const Json& item : value) {
      if (!text.empty()) text += ',';
      if (!item.is_string()) {
        text += item.dump();
        continue;
      }
      std::string quoted = "'";
      for (char ch : item.get<std::string>()) quoted += ch == '\'' ? std::string("''") : std::string(1, ch);
      text += quoted + "'";
    }
  } else if (value.is_string()) {
    for (char ch : value.get<std::string>()) text += quoted && ch == '\'' ? std::string("''") : std::string(1, ch);
  } else if (!value.is_null()) {
    text = json_value;  // a number as it was written
  }
  const std::string escaped = json_string(text);
  return escaped.substr(1, escaped.size() - 2);
}

}  // namespace

std::string fill(const std::string& text, const Params& values, const Resolver& more) {
  return replace_placeholders(text, values, more, false, [](const std::string& v, bool, bool) { return v; });
}

std::string fill_json(const std::string& text, const Params& json_values, const Resolver& more) {
  return replace_placeholders(text, json_values, more, true, [](const std::string& v, bool in_string, bool quoted) {
    return in_string ? text_inside_string(v, quoted) : v;
  });
}

std::string json_string(const std::string& text) {
  return Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string add_members(const std::string& object, const Params& members) {
  std::string added;
  for (const auto& [name, value] : members) {
    if (!added.empty()) added += ',';
    added += json_string(name) + ":" + value;
  }
  size_t open = object.find_first_not_of(" \t\r\n");
  if (open == std::string::npos) return "{" + added + "}";
  if (object[open] != '{' || added.empty()) return object;  // not an object: left as the template wrote it
  size_t first = object.find_first_not_of(" \t\r\n", open + 1);
  const bool empty = first != std::string::npos && object[first] == '}';
  return object.substr(0, open + 1) + added + (empty ? "" : ",") + object.substr(open + 1);
}

std::string trimmed_body(const std::string& body) {
  constexpr size_t kLimit = 2000;
  if (body.size() <= kLimit) return body;
  return body.substr(0, kLimit) + "... (" + std::to_string(body.size()) + " bytes)";
}

std::string named_row(const mapping::Document& doc, uint32_t row, const std::vector<std::string>& names) {
  std::string text = "{";
  uint32_t value = mapping::Document::first_child(row);
  const size_t n = std::min<size_t>(names.size(), doc.at(row).count);
  for (size_t i = 0; i < n; ++i, value = doc.at(value).next) {
    if (i) text += ',';
    text += json_string(names[i]) + ":";
    mapping::write_node(text, doc, value);
  }
  return text + "}";
}

}  // namespace synchub::connectors::rest
