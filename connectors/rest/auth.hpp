// Authentication of `rest` requests: none, basic, bearer, API key (header,
// query or JSON body), OAuth2 client credentials, a login call that opens a
// session (cookie or token; logged in again when lost) and HMAC request
// signing over a configurable canonical string. `auth.fields` adds
// credentials to every JSON request body, for APIs that want them there.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "config/hub_config.hpp"
#include "connectors/rest/reply.hpp"

namespace synchub::connectors::rest {

class ErrorRules;

class Auth {
 public:
  // `rules` (the connector's `errors:`, may be null) also judge the login answer.
  Auth(const config::Settings& settings, const std::string& base_url, const ErrorRules* rules = nullptr);

  // Adds the credentials to `call` (sent next with `client`); fetches a
  // token or logs in first when there is none. Returns the generation of
  // the credentials used, for renew(). Thread-safe; throws when the token
  // or login call fails.
  uint64_t apply(HttpClient& client, HttpCall& call);
  // The credentials of `generation` were refused: the next apply() gets new
  // ones (once, however many requests saw the refusal). False when this
  // style has nothing to renew.
  bool renew(uint64_t generation);

 private:
  std::string credential(HttpClient& client);  // OAuth2 token or session, fetched when missing
  std::string fetch_oauth_token(HttpClient& client);
  std::string log_in(HttpClient& client);
  void sign(HttpCall& call) const;
  void place(HttpCall& call, Params& body_fields, const std::string& name, const std::string& json) const;
  void place_secret(HttpCall& call, Params& body_fields, const std::string& secret) const;

  std::string base_url_, type_;
  std::string username_, password_, token_, name_, value_, in_;
  std::string token_url_, client_id_, client_secret_, scope_;
  std::string login_path_, login_body_, token_path_;
  std::string key_id_, secret_, canonical_, signature_header_, signature_format_, timestamp_header_, key_header_,
      encoding_;
  Params fields_;
  Params login_fields_;  // placeholders of login_body (JSON strings); its members when there is no login_body
  Params capture_;       // name -> where in the login answer: each value sent under its name
  const ErrorRules* rules_;

  std::mutex mu_;
  std::string current_;  // token or "Cookie" header value
  // The last refused login and when the next may be tried (1 min, doubling to 10).
  static constexpr std::chrono::seconds kFirstLoginWait{60}, kMaxLoginWait{600};
  std::string refusal_;
  std::chrono::seconds login_wait_{0};
  std::chrono::steady_clock::time_point retry_login_at_{};
  Params captured_;  // capture_'s values (JSON text) from the last login
  std::chrono::steady_clock::time_point expires_ = std::chrono::steady_clock::time_point::max();
  uint64_t generation_ = 0;
};

}  // namespace synchub::connectors::rest
