#include "connectors/rest/api.hpp"

#include <thread>

#include "config/units.hpp"

namespace synchub::connectors::rest {

namespace {

std::string base64(const std::string& in) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(table[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(table[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

}  // namespace

Api::Api(const config::Settings& s)
    : base_url_(s.str("base_url")),
      client_(HttpClientOptions{s.duration("connect_timeout"), s.duration("timeout"), s.boolean("verify_tls"),
                                s.str_or("ca_file", "")}),
      default_headers_(s.map("headers")),
      auth_type_(s.str("auth.type")),
      username_(s.str_or("auth.username", "")),
      password_(s.str_or("auth.password", "")),
      token_(s.str_or("auth.token", "")),
      key_name_(s.str_or("auth.name", "X-API-Key")),
      key_value_(s.str_or("auth.value", "")),
      key_in_(s.str_or("auth.in", "header")),
      token_url_(s.str_or("auth.token_url", "")),
      client_id_(s.str_or("auth.client_id", "")),
      client_secret_(s.str_or("auth.client_secret", "")),
      scope_(s.str_or("auth.scope", "")),
      rate_(static_cast<double>(s.integer("rate_limit"))),
      tokens_(rate_) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

void Api::wait_for_rate_limit() {
  if (rate_ <= 0) return;
  auto now = std::chrono::steady_clock::now();
  tokens_ = std::min(rate_, tokens_ + std::chrono::duration<double>(now - last_refill_).count() * rate_);
  last_refill_ = now;
  if (tokens_ < 1) {
    auto wait = std::chrono::duration<double>((1 - tokens_) / rate_);
    std::this_thread::sleep_for(wait);
    tokens_ = 1;
    last_refill_ = std::chrono::steady_clock::now();
  }
  tokens_ -= 1;
}

std::string Api::oauth_token(bool force_refresh) {
  auto now = std::chrono::steady_clock::now();
  if (!force_refresh && !access_token_.empty() && now < token_expires_) return access_token_;
  std::string form = "grant_type=client_credentials&client_id=" + config::url_encode(client_id_) +
                     "&client_secret=" + config::url_encode(client_secret_);
  if (!scope_.empty()) form += "&scope=" + config::url_encode(scope_);
  wait_for_rate_limit();
  HttpReply r = client_.send({"POST", token_url_, {{"Content-Type", "application/x-www-form-urlencoded"}}, form});
  if (r.status != 200) {
    access_token_.clear();
    throw std::runtime_error(r.status == 0
                                 ? "token request failed: " + r.transport_error
                                 : "token request answered " + std::to_string(r.status) + ": " + trimmed_body(r.body));
  }
  Json body = Json::parse(r.body, nullptr, false);
  if (body.is_discarded() || !body.contains("access_token") || !body["access_token"].is_string())
    throw std::runtime_error("token response has no access_token");
  access_token_ = body["access_token"].get<std::string>();
  long ttl = body.contains("expires_in") && body["expires_in"].is_number() ? body["expires_in"].get<long>() : 3600;
  // Refreshed before it expires: a margin of 30 s (or a tenth of short lifetimes).
  long margin = std::min<long>(30, ttl / 10);
  token_expires_ = now + std::chrono::seconds(std::max<long>(1, ttl - margin));
  return access_token_;
}

HttpReply Api::send_once(const std::string& method, const std::string& path_and_query,
                         std::vector<std::pair<std::string, std::string>> headers, const std::string& body) {
  std::string url = base_url_ + path_and_query;
  for (const auto& h : default_headers_) headers.push_back(h);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  headers.emplace_back("Accept", "application/json");
  if (auth_type_ == "basic") {
    headers.emplace_back("Authorization", "Basic " + base64(username_ + ":" + password_));
  } else if (auth_type_ == "bearer") {
    headers.emplace_back("Authorization", "Bearer " + token_);
  } else if (auth_type_ == "api_key") {
    if (key_in_ == "query")
      url += (url.find('?') == std::string::npos ? "?" : "&") + config::url_encode(key_name_) + "=" +
             config::url_encode(key_value_);
    else
      headers.emplace_back(key_name_, key_value_);
  } else if (auth_type_ == "oauth2") {
    headers.emplace_back("Authorization", "Bearer " + oauth_token(false));
  }
  wait_for_rate_limit();
  return client_.send({method, url, std::move(headers), body});
}

HttpReply Api::send(const std::string& method, const std::string& path_and_query,
                    std::vector<std::pair<std::string, std::string>> headers, const std::string& body) {
  HttpReply r = send_once(method, path_and_query, headers, body);
  if (r.status == 401 && auth_type_ == "oauth2") {
    oauth_token(true);  // the token was revoked or expired early
    r = send_once(method, path_and_query, std::move(headers), body);
  }
  return r;
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

std::string trimmed_body(const std::string& body) {
  constexpr size_t kLimit = 2000;
  if (body.size() <= kLimit) return body;
  return body.substr(0, kLimit) + "... (" + std::to_string(body.size()) + " bytes)";
}

}  // namespace synchub::connectors::rest
