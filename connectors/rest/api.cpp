#include "connectors/rest/api.hpp"

#include <algorithm>
#include <thread>

#include "config/units.hpp"
#include "connectors/rest/auth.hpp"
#include "mapping/document.hpp"

namespace synchub::connectors::rest {

Api::Api(const config::Settings& s)
    : base_url_(s.str("base_url")),
      client_options_{s.duration("connect_timeout"), s.duration("timeout"), s.boolean("verify_tls"),
                      s.str_or("ca_file", "")},
      default_headers_(s.map("headers")),
      concurrency_(static_cast<int>(s.integer("concurrency"))),
      rate_(static_cast<double>(s.integer("rate_limit"))),
      tokens_(rate_),
      error_code_path_(s.str_or("errors.code", "")),
      error_message_path_(s.str_or("errors.message", "")),
      ok_codes_(s.list("errors.ok")),
      transient_codes_(s.list("errors.transient")),
      relogin_codes_(s.list("errors.relogin")),
      exists_codes_(s.list("errors.exists")),
      done_codes_(s.list("errors.done")) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  if (ok_codes_.empty()) ok_codes_ = {"0", "true"};
  auth_ = std::make_unique<Auth>(s, base_url_);
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

// `errors: {code: errorCode, ok: ["0"], message: errorMsg, transient: [...]}`:
// a 2xx answer whose code is not an ok value is a failure.
void Api::read_body_errors(HttpReply& reply) const {
  if (error_code_path_.empty() || reply.status < 200 || reply.status >= 300) return;
  mapping::Document doc;
  if (!doc.parse(reply.body).empty() || doc.root().kind != mapping::JsonKind::Object) return;
  const uint32_t code_at = doc.find(doc.root_index(), error_code_path_);
  if (code_at == mapping::Document::npos) return;  // no envelope: nothing reported
  const std::string code = doc.scalar_text(code_at);
  if (std::find(ok_codes_.begin(), ok_codes_.end(), code) != ok_codes_.end()) return;
  std::string message;
  if (!error_message_path_.empty())
    if (uint32_t m = doc.find(doc.root_index(), error_message_path_); m != mapping::Document::npos)
      message = doc.scalar_text(m);
  reply.api_error_code = code;
  reply.api_error =
      "error code " + (code.empty() ? std::string("(empty)") : code) + (message.empty() ? "" : ": " + message);
  auto listed = [&](const std::vector<std::string>& codes) {
    return std::find(codes.begin(), codes.end(), code) != codes.end();
  };
  using Kind = HttpReply::ApiError;
  reply.api_error_kind = listed(transient_codes_) || listed(relogin_codes_) ? Kind::Transient
                         : listed(exists_codes_)                            ? Kind::Exists
                         : listed(done_codes_)                              ? Kind::Done
                                                                            : Kind::Permanent;
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
  if (reply.status == 401) return true;
  return !reply.api_error.empty() &&
         std::find(relogin_codes_.begin(), relogin_codes_.end(), reply.api_error_code) != relogin_codes_.end();
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
    read_body_errors(reply);
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

std::string fill(const std::string& text, const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{') {
      size_t close = text.find('}', i);
      if (close != std::string::npos) {
        std::string name = text.substr(i + 1, close - i - 1);
        bool found = false;
        for (const auto& [n, v] : values)
          if (n == name) {
            out += v;
            found = true;
            break;
          }
        if (found) {
          i = close;
          continue;
        }
      }
    }
    out += text[i];
  }
  return out;
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

}  // namespace synchub::connectors::rest
