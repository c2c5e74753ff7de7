// JSON-RPC to a Tryton server (6.0): `POST <url>/<database>/` with
// {"id", "method", "params": [..., context]}. One Session per connector (the
// login, shared by its streams); one Rpc per stream (its own connection).
// Errors come back as RpcError, already sorted into transient (retry later:
// no answer, 5xx, a lock or a concurrent write), permanent (Tryton refused
// the record: user errors, access errors, warnings) and configuration (no
// record can pass until the config is fixed: credentials refused, an
// endpoint that does not exist, a configured code Tryton does not know),
// Tryton's message kept.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "http/http_client.hpp"

namespace synchub::connectors::tryton {

using Json = nlohmann::ordered_json;

struct ServerOptions {
  std::string url;  // http://host:8000
  std::string database;
  std::string username;
  std::string password;
  std::string language = "en";
  Json context = Json::object();  // sent with every call: company, warehouse, language...
  http::HttpClientOptions http;
};

enum class ErrorKind { Transient, Permanent, Configuration };

class RpcError : public std::runtime_error {
 public:
  RpcError(ErrorKind kind, std::string type, const std::string& message, bool at_login = false)
      : std::runtime_error(message), kind_(kind), type_(std::move(type)), at_login_(at_login) {}
  RpcError(bool transient, std::string type, const std::string& message)
      : RpcError(transient ? ErrorKind::Transient : ErrorKind::Permanent, std::move(type), message) {}
  // `cause` told with more context.
  RpcError(const RpcError& cause, const std::string& message)
      : RpcError(cause.kind_, cause.type_, message, cause.at_login_) {
    wait_ = cause.wait_;
  }
  ErrorKind kind() const { return kind_; }
  bool transient() const { return kind_ == ErrorKind::Transient; }
  bool configuration() const { return kind_ == ErrorKind::Configuration; }
  const std::string& type() const { return type_; }  // UserError, UserWarning, ConcurrencyException, HTTP 503...
  // The login failed: no call of this connector can pass now, whatever the record.
  bool at_login() const { return at_login_; }
  // The server dropped the session while it served a call that may have been applied: log in
  // again and redo the (idempotent) write.
  bool session_lost() const { return type_ == kSessionLost; }
  static constexpr const char* kSessionLost = "session lost";
  // How long the server asked to be left alone (Retry-After), 0 when it did not.
  std::chrono::milliseconds wait() const { return wait_; }
  RpcError& asking_to_wait(std::chrono::milliseconds wait) {
    wait_ = wait;
    return *this;
  }

 private:
  ErrorKind kind_;
  std::string type_;
  bool at_login_;
  std::chrono::milliseconds wait_{0};
};

// The login: `common.db.login` once, again when the server forgets the
// session (HTTP 401: expired after its idle timeout, or logged out; or the
// session record deleted while a call was served).
//
// A refused login (credentials, too many attempts, another factor needed)
// is not tried again before a wait (1 min, doubling to 10 min) whichever
// stream asks: every refused try counts as a failed login in Tryton, which
// then delays every login of that user and, after 5 within its session
// timeout, refuses even the right password.
class Session {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kFirstLoginWait{60};
  static constexpr std::chrono::seconds kMaxLoginWait{600};

  explicit Session(ServerOptions options);
  const ServerOptions& options() const { return options_; }
  std::string endpoint() const { return options_.url + "/" + options_.database + "/"; }
  // "Session base64(user:id:key)", logging in first when there is none.
  std::string authorization(http::HttpClient& client);
  // The server refused `stale`, or dropped it while serving a call (`dropped`): the next
  // authorization() logs in again (once, however many streams saw it).
  void forget(const std::string& stale, bool dropped = false);
  int logins() const;          // logins that succeeded
  int sessions_lost() const;   // sessions the server dropped while serving a call
  int login_attempts() const;  // logins sent to the server
  int64_t user_id() const;     // the Tryton user logged in as; 0 before the first login

 private:
  std::string log_in(http::HttpClient& client);  // the new authorization; throws RpcError
  void note_refusal(const RpcError& error);
  std::string where() const;  // "at <url> (database 'x')", without any password in the url

  ServerOptions options_;
  mutable std::mutex mu_;
  std::string authorization_;
  int logins_ = 0;
  int login_attempts_ = 0;
  int sessions_lost_ = 0;
  int64_t user_id_ = 0;
  std::optional<RpcError> refusal_;  // the last refused login, not tried again before `retry_login_at_`
  Clock::time_point retry_login_at_;
  std::chrono::seconds login_wait_{0};
};

class Rpc {
 public:
  explicit Rpc(std::shared_ptr<Session> session);
  // Calls `method` with `params` and the connector's context (merged with
  // `context`) appended; returns the result. Throws RpcError.
  Json call(const std::string& method, Json params, const Json& context = Json::object());
  // model.<model>.<method>
  Json model(const std::string& model, const std::string& method, Json params, const Json& context = Json::object()) {
    return call("model." + model + "." + method, std::move(params), context);
  }
  const ServerOptions& options() const { return session_->options(); }

 private:
  Json send(const std::string& method, const Json& params, const std::string& authorization);
  Json send_again(const std::string& method, const Json& params, const RpcError& lost);

  std::shared_ptr<Session> session_;
  http::HttpClient client_;
  int64_t next_id_ = 1;
};

// Tryton's error array ["UserError", [message, description, domain]] (or
// [str(exception), traceback] for an unexpected one) as an RpcError.
RpcError error_from(const Json& error);

}  // namespace synchub::connectors::tryton
