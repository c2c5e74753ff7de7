// JSON-RPC to a Tryton server (6.0): `POST <url>/<database>/` with
// {"id", "method", "params": [..., context]}. One Session per connector (the
// login, shared by its streams); one Rpc per stream (its own connection).
// Errors come back as RpcError, already sorted into transient (retry later:
// no answer, 5xx, a lock or a concurrent write) and permanent (Tryton refused
// the record: user errors, access errors, warnings), Tryton's message kept.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "connectors/rest/http_client.hpp"

namespace synchub::connectors::tryton {

using Json = nlohmann::ordered_json;

struct ServerOptions {
  std::string url;  // http://host:8000
  std::string database;
  std::string username;
  std::string password;
  std::string language = "en";
  Json context = Json::object();  // sent with every call: company, warehouse, language...
  rest::HttpClientOptions http;
};

class RpcError : public std::runtime_error {
 public:
  RpcError(bool transient, std::string type, const std::string& message)
      : std::runtime_error(message), transient_(transient), type_(std::move(type)) {}
  bool transient() const { return transient_; }
  const std::string& type() const { return type_; }  // UserError, UserWarning, ConcurrencyException, HTTP 503...

 private:
  bool transient_;
  std::string type_;
};

// The login: `common.db.login` once, again when the server forgets the
// session (HTTP 401: expired after its idle timeout, or logged out).
class Session {
 public:
  explicit Session(ServerOptions options);
  const ServerOptions& options() const { return options_; }
  std::string endpoint() const { return options_.url + "/" + options_.database + "/"; }
  // "Session base64(user:id:key)", logging in first when there is none.
  std::string authorization(rest::HttpClient& client);
  // The server refused `stale`: the next authorization() logs in again
  // (once, however many streams saw the refusal).
  void forget(const std::string& stale);
  int logins() const;

 private:
  ServerOptions options_;
  mutable std::mutex mu_;
  std::string authorization_;
  int logins_ = 0;
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

  std::shared_ptr<Session> session_;
  rest::HttpClient client_;
  int64_t next_id_ = 1;
};

// Tryton's error array ["UserError", [message, description, domain]] (or
// [str(exception), traceback] for an unexpected one) as an RpcError.
RpcError error_from(const Json& error);

}  // namespace synchub::connectors::tryton
