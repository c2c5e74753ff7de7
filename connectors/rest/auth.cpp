#include "connectors/rest/auth.hpp"

#include <ctime>
#include <random>
#include <stdexcept>

#include "config/units.hpp"
#include "connectors/connector.hpp"
#include "connectors/rest/api.hpp"
#include "connectors/rest/error_rules.hpp"
#include "connectors/rest/fields.hpp"
#include "http/signing.hpp"
#include "mapping/document.hpp"

namespace synchub::connectors::rest {

namespace {

std::string append_query(const std::string& url, const std::string& name, const std::string& value) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + config::url_encode(name) + "=" +
         config::url_encode(value);
}

// "a=1; Path=/; HttpOnly" -> "a=1"; all of a reply's cookies joined for a Cookie header.
std::string cookies_of(const HttpReply& reply) {
  std::string out;
  for (const auto& [name, value] : reply.headers) {
    if (name != "set-cookie") continue;
    std::string pair = value.substr(0, value.find(';'));
    if (pair.find('=') == std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += pair;
  }
  return out;
}

std::string random_hex(size_t bytes) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes * 2; ++i) out += digits[rng() & 15];
  return out;
}

// A login or token call refused by its status (400, 401, 403; refusals inside a 200 body are the
// error rules'): no call can pass until the credentials change; no answer, 5xx, 429 pass with time.
bool refusal(const HttpReply& r) {
  return r.status == 400 || r.status == 401 || r.status == 403;
}

std::runtime_error call_failed(const std::string& what, const HttpReply& r) {
  return std::runtime_error(r.status == 0
                                ? what + " failed: " + r.transport_error
                                : what + " answered HTTP " + std::to_string(r.status) + ": " + trimmed_body(r.body));
}

}  // namespace

Auth::Auth(const config::Settings& s, const std::string& base_url, const ErrorRules* rules)
    : base_url_(base_url),
      type_(s.str(field::auth::kType)),
      username_(s.str_or(field::auth::kUsername, "")),
      password_(s.str_or(field::auth::kPassword, "")),
      token_(s.str_or(field::auth::kToken, "")),
      name_(s.str_or(field::auth::kName, "")),
      value_(s.str_or(field::auth::kValue, "")),
      in_(s.str_or(field::auth::kIn, "")),
      token_url_(s.str_or(field::auth::kTokenUrl, "")),
      client_id_(s.str_or(field::auth::kClientId, "")),
      client_secret_(s.str_or(field::auth::kClientSecret, "")),
      scope_(s.str_or(field::auth::kScope, "")),
      login_path_(s.str_or(field::auth::kLoginPath, "")),
      login_body_(s.str_or(field::auth::kLoginBody, "")),
      token_path_(s.str_or(field::auth::kTokenPath, "")),
      key_id_(s.str_or(field::auth::kKeyId, "")),
      secret_(s.str_or(field::auth::kSecret, "")),
      canonical_(s.str(field::auth::kCanonical)),
      signature_header_(s.str(field::auth::kSignatureHeader)),
      signature_format_(s.str(field::auth::kSignatureFormat)),
      timestamp_header_(s.str(field::auth::kTimestampHeader)),
      key_header_(s.str(field::auth::kKeyHeader)),
      encoding_(s.str(field::auth::kEncoding)),
      fields_(s.map(field::auth::kFields)),
      login_fields_(s.map(field::auth::kLoginFields)),
      capture_(s.map(field::auth::kCapture)),
      rules_(rules) {
  for (auto& [name, value] : login_fields_) value = json_string(value);
  if (login_body_.empty() && login_fields_.empty()) login_body_ = R"({"username": {username}, "password": {password}})";
  if (type_ == "api_key" && name_.empty()) name_ = "X-API-Key";
  const bool cookie_session = token_path_.empty() && capture_.empty();
  if (in_.empty()) in_ = type_ == "session" && cookie_session ? "cookie" : "header";
  if (type_ == "session" && name_.empty()) name_ = in_ == "header" ? "Authorization" : "token";
  if (type_ == "session" && login_path_.empty())
    throw std::runtime_error("auth: type session needs login_path (the login call)");
  if (type_ == "hmac" && secret_.empty()) throw std::runtime_error("auth: type hmac needs secret");
}

std::string Auth::fetch_oauth_token(HttpClient& client) {
  std::string form = "grant_type=client_credentials&client_id=" + config::url_encode(client_id_) +
                     "&client_secret=" + config::url_encode(client_secret_);
  if (!scope_.empty()) form += "&scope=" + config::url_encode(scope_);
  HttpReply r = client.send({"POST", token_url_, {{"Content-Type", "application/x-www-form-urlencoded"}}, form});
  if (refusal(r)) throw ConfigurationError(call_failed("token request to " + token_url_, r).what());
  if (r.status != 200) throw call_failed("token request", r);
  Json body = Json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.contains("access_token") || !body["access_token"].is_string())
    throw std::runtime_error("token response has no access_token");
  long ttl = body.contains("expires_in") && body["expires_in"].is_number() ? body["expires_in"].get<long>() : 3600;
  // Refreshed before it expires: a margin of 30 s (or a tenth of short lifetimes).
  long margin = std::min<long>(30, ttl / 10);
  expires_ = std::chrono::steady_clock::now() + std::chrono::seconds(std::max<long>(1, ttl - margin));
  return body["access_token"].get<std::string>();
}

std::string Auth::log_in(HttpClient& client) {
  Params values{{"username", json_string(username_)}, {"password", json_string(password_)}};
  values.insert(values.end(), login_fields_.begin(), login_fields_.end());
  const std::string body = login_body_.empty() ? add_members("{}", login_fields_) : fill_json(login_body_, values);
  std::string url = login_path_.rfind("http", 0) == 0 ? login_path_ : base_url_ + login_path_;
  HttpReply r = client.send({"POST", url, {{"Content-Type", "application/json"}}, body});
  const std::string who =
      "login of " + (username_.empty() ? std::string("synchub") : "'" + username_ + "'") + " at " + url;
  if (refusal(r)) throw ConfigurationError(call_failed(who, r).what());
  if (r.status < 200 || r.status >= 300) throw call_failed(who, r);
  // APIs that answer a refused login with 200 say so in the body, as `errors:` reads it.
  if (rules_)
    if (auto verdict = rules_->judge("POST " + login_path_, r.body);
        verdict && verdict->meaning != ErrorRules::Meaning::Ok) {
      const std::string told = verdict->message.empty() ? verdict->value : verdict->message;
      if (verdict->meaning == ErrorRules::Meaning::Transient)
        throw std::runtime_error(who + " failed for now: " + told);
      throw ConfigurationError(who + " refused: " + told + " (check the credentials)");
    }
  if (token_path_.empty() && capture_.empty()) {
    std::string cookie = cookies_of(r);
    if (cookie.empty()) throw std::runtime_error("login answered without a session cookie");
    return cookie;
  }
  const Json answer = Json::parse(r.body, nullptr, false);
  if (answer.is_discarded()) throw std::runtime_error("login answer is not JSON: " + trimmed_body(r.body));
  captured_.clear();
  for (const auto& [name, path] : capture_) {
    const Json* value = find(answer, path);
    if (!value || value->is_null() || (value->is_string() && value->get<std::string>().empty()))
      throw std::runtime_error("login answer has no '" + path + "' (auth.capture." + name +
                               "): " + trimmed_body(r.body));
    captured_.emplace_back(name, value->dump());
  }
  if (token_path_.empty()) return captured_.front().second;  // the session is the captured values
  const Json* at = find(answer, token_path_);
  std::string token = at ? scalar_text(*at) : "";
  if (token.empty())
    throw std::runtime_error("login answer has no token at '" + token_path_ + "': " + trimmed_body(r.body));
  return token;
}

std::string Auth::credential(HttpClient& client) {
  // Under mu_: one login at a time, the others wait for its result.
  const auto now = std::chrono::steady_clock::now();
  if (!current_.empty() && now < expires_) return current_;
  // After a refusal nobody tries again for a while: many targets count each refused login
  // against the user and lock it.
  if (!refusal_.empty() && now < retry_login_at_) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(retry_login_at_ - now).count();
    throw ConfigurationError(refusal_ + " (not tried again for " + std::to_string(left) + " s)");
  }
  expires_ = std::chrono::steady_clock::time_point::max();
  try {
    current_ = type_ == "oauth2" ? fetch_oauth_token(client) : log_in(client);
  } catch (const ConfigurationError& e) {
    login_wait_ = login_wait_.count() == 0 ? kFirstLoginWait : std::min(login_wait_ * 2, kMaxLoginWait);
    retry_login_at_ = std::chrono::steady_clock::now() + login_wait_;
    refusal_ = e.what();
    throw;
  }
  refusal_.clear();
  login_wait_ = std::chrono::seconds(0);
  ++generation_;
  return current_;
}

uint64_t Auth::apply(HttpClient& client, HttpCall& call) {
  Params body_fields;
  uint64_t generation = 0;
  std::string secret;  // the credential placed by `in`
  Params captured;     // values taken from the login answer, each placed by `in` under its name
  if (type_ == "basic") {
    call.headers.emplace_back("Authorization", "Basic " + http::base64_encode(username_ + ":" + password_));
  } else if (type_ == "bearer") {
    call.headers.emplace_back("Authorization", "Bearer " + token_);
  } else if (type_ == "api_key") {
    secret = value_;
  } else if (type_ == "oauth2" || type_ == "session") {
    std::lock_guard lock(mu_);
    secret = credential(client);
    generation = generation_;
    captured = captured_;
  }
  if (type_ == "oauth2") {
    call.headers.emplace_back("Authorization", "Bearer " + secret);
  } else if (type_ == "api_key" || type_ == "session") {
    for (const auto& [name, json] : captured) place(call, body_fields, name, json);
    // A session of captured values only (no token_path) has no token of its own to send.
    if (type_ == "api_key" || !token_path_.empty() || captured.empty()) place_secret(call, body_fields, secret);
  }
  for (const auto& [name, value] : fields_) body_fields.emplace_back(name, json_string(value));
  if (!body_fields.empty()) call.body = add_members(call.body, body_fields);
  if (type_ == "hmac") sign(call);
  return generation;
}

// The API key, token or session cookie, where `in` says.
void Auth::place_secret(HttpCall& call, Params& body_fields, const std::string& secret) const {
  if (in_ == "cookie")
    call.headers.emplace_back("Cookie", type_ == "session" && token_path_.empty() ? secret : name_ + "=" + secret);
  else if (in_ == "query")
    call.url = append_query(call.url, name_, secret);
  else if (in_ == "body")
    body_fields.emplace_back(name_, json_string(secret));
  else
    call.headers.emplace_back(name_, name_ == "Authorization" && type_ == "session" ? "Bearer " + secret : secret);
}

// One captured login value (JSON text) under its name, where `in` says.
void Auth::place(HttpCall& call, Params& body_fields, const std::string& name, const std::string& json) const {
  if (in_ == "body") {
    body_fields.emplace_back(name, json);
    return;
  }
  const Json value = Json::parse(json, nullptr, false);
  const std::string text = value.is_discarded() ? json : scalar_text(value);
  if (in_ == "query")
    call.url = append_query(call.url, name, text);
  else if (in_ == "cookie")
    call.headers.emplace_back("Cookie", name + "=" + text);
  else
    call.headers.emplace_back(name, text);
}

bool Auth::renew(uint64_t generation) {
  if (type_ != "oauth2" && type_ != "session") return false;
  std::lock_guard lock(mu_);
  if (generation == generation_) current_.clear();  // else someone renewed it already
  return true;
}

// The canonical string (e.g. "{method}\n{path}\n{timestamp}\n{body_sha256}")
// signed with the secret; signature, timestamp and key id go in headers.
void Auth::sign(HttpCall& call) const {
  std::string path = call.url.substr(std::min(call.url.size(), base_url_.size()));
  if (call.url.rfind(base_url_, 0) != 0) path = call.url;
  const size_t host = base_url_.find("://");
  const size_t root = host == std::string::npos ? std::string::npos : base_url_.find('/', host + 3);
  const std::string prefix = root == std::string::npos ? "" : base_url_.substr(root);  // e.g. "/api/v2"
  const std::string full_path = prefix + path;
  const size_t q = full_path.find('?');
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const Params values{
      {"method", call.method},
      {"path", full_path},
      {"path_only", full_path.substr(0, q)},
      {"query", q == std::string::npos ? "" : full_path.substr(q + 1)},
      {"timestamp", std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now).count())},
      {"timestamp_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count())},
      {"nonce", random_hex(8)},
      {"body", call.body},
      {"body_sha256", http::sha256_hex(call.body)},
      {"key_id", key_id_},
  };
  // YAML "\n" escapes arrive as real newlines; a literal backslash-n is read the same way.
  std::string canonical;
  for (size_t i = 0; i < canonical_.size(); ++i) {
    if (canonical_[i] == '\\' && i + 1 < canonical_.size() && canonical_[i + 1] == 'n') {
      canonical += '\n';
      ++i;
    } else {
      canonical += canonical_[i];
    }
  }
  const std::string signed_text = fill(canonical, values);
  const std::string signature = encoding_ == "base64" ? http::hmac_sha256_base64(secret_, signed_text)
                                                      : http::hmac_sha256_hex(secret_, signed_text);
  Params with_signature = values;
  with_signature.emplace_back("signature", signature);
  call.headers.emplace_back(signature_header_, fill(signature_format_, with_signature));
  if (canonical.find("{timestamp") != std::string::npos) {
    const bool ms = canonical.find("{timestamp_ms}") != std::string::npos;
    call.headers.emplace_back(timestamp_header_, ms ? values[5].second : values[4].second);
  }
  if (canonical.find("{nonce}") != std::string::npos) call.headers.emplace_back("X-Nonce", values[6].second);
  if (!key_id_.empty()) call.headers.emplace_back(key_header_, key_id_);
}

}  // namespace synchub::connectors::rest
