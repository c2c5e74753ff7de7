#include "connectors/tryton/rpc.hpp"

#include "connectors/signing.hpp"

namespace synchub::connectors::tryton {
namespace {

std::string text_of(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

// Server faults worth retrying: the database was busy or a transaction lost a race.
bool transient_fault(const std::string& message) {
  for (const char* sign : {"database is locked", "could not serialize", "deadlock detected", "could not obtain lock",
                           "canceling statement due to lock timeout", "server closed the connection"})
    if (message.find(sign) != std::string::npos) return true;
  return false;
}

std::string short_body(const std::string& body) {
  std::string text = body.substr(0, 300);
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

}  // namespace

RpcError error_from(const Json& error) {
  if (!error.is_array() || error.empty()) return RpcError(false, "error", "Tryton error: " + text_of(error));
  const std::string type = text_of(error[0]);
  const Json args = error.size() > 1 ? error[1] : Json();
  auto arg = [&](size_t i) { return args.is_array() && args.size() > i ? text_of(args[i]) : std::string(); };
  if (type == "UserError") {  // [message, description, domain]; access errors are UserErrors too
    std::string message = arg(0);
    if (const std::string description = arg(1); !description.empty()) message += " (" + description + ")";
    return RpcError(false, type, message);
  }
  if (type == "UserWarning") {  // [name, message, description]
    std::string message = arg(1);
    if (const std::string description = arg(2); !description.empty()) message += " (" + description + ")";
    return RpcError(false, type, message + " [warning " + arg(0) + "]");
  }
  if (type == "ConcurrencyException") return RpcError(true, type, "record changed concurrently: " + arg(0));
  if (type == "LoginException") return RpcError(false, type, "login needs " + arg(0) + ": " + arg(1));
  if (type == "RateLimitException") return RpcError(true, type, "Tryton rate limit: " + arg(0));
  // An unexpected exception: [str(exception), traceback]; the traceback stays in the server's log.
  const std::string message = type.empty() ? text_of(error) : type;
  return RpcError(transient_fault(message), "fault", "Tryton server fault: " + message);
}

Session::Session(ServerOptions options) : options_(std::move(options)) {
  while (!options_.url.empty() && options_.url.back() == '/') options_.url.pop_back();
}

int Session::logins() const {
  std::lock_guard lock(mu_);
  return logins_;
}

void Session::forget(const std::string& stale) {
  std::lock_guard lock(mu_);
  if (authorization_ == stale) authorization_.clear();
}

std::string Session::authorization(rest::HttpClient& client) {
  std::lock_guard lock(mu_);  // one login at a time; the others wait for its session
  if (!authorization_.empty()) return authorization_;
  Json body = {{"id", 0},
               {"method", "common.db.login"},
               {"params", Json::array({options_.username, {{"password", options_.password}}, options_.language})}};
  rest::HttpCall call{"POST", endpoint(), {{"Content-Type", "application/json"}}, body.dump()};
  rest::HttpReply reply = client.send(call);
  if (reply.status == 0) throw RpcError(true, "transport", "Tryton login: " + reply.transport_error);
  if (reply.status == 401 || reply.status == 403)
    throw RpcError(true, "login",
                   "Tryton refused the login of '" + options_.username + "' on database '" + options_.database +
                       "' (HTTP " + std::to_string(reply.status) + "): check username and password");
  if (reply.status != 200)
    throw RpcError(reply.status >= 500 || reply.status == 429, "HTTP " + std::to_string(reply.status),
                   "Tryton login answered HTTP " + std::to_string(reply.status) + ": " + short_body(reply.body));
  Json answer = Json::parse(reply.body, nullptr, false);
  if (answer.is_discarded())
    throw RpcError(true, "protocol", "Tryton login answered no JSON: " + short_body(reply.body));
  if (answer.contains("error")) {
    RpcError e = error_from(answer["error"]);
    throw RpcError(true, e.type(), "Tryton login: " + std::string(e.what()));  // not the records' fault
  }
  const Json& result = answer["result"];
  if (!result.is_array() || result.size() != 2)
    throw RpcError(true, "login", "Tryton refused the login of '" + options_.username + "'");
  authorization_ = "Session " + base64_encode(options_.username + ":" + text_of(result[0]) + ":" + text_of(result[1]));
  ++logins_;
  return authorization_;
}

Rpc::Rpc(std::shared_ptr<Session> session) : session_(std::move(session)), client_(session_->options().http) {}

Json Rpc::call(const std::string& method, Json params, const Json& context) {
  Json merged = session_->options().context;
  for (const auto& [name, value] : context.items()) merged[name] = value;
  params.push_back(std::move(merged));
  std::string authorization = session_->authorization(client_);
  try {
    return send(method, params, authorization);
  } catch (const RpcError& e) {
    if (e.type() != "session") throw;
  }
  session_->forget(authorization);  // expired or logged out: log in again, once
  return send(method, params, session_->authorization(client_));
}

Json Rpc::send(const std::string& method, const Json& params, const std::string& authorization) {
  const int64_t id = next_id_++;
  Json body = {{"id", id}, {"method", method}, {"params", params}};
  rest::HttpCall call{"POST",
                      session_->endpoint(),
                      {{"Content-Type", "application/json"}, {"Authorization", authorization}},
                      body.dump()};
  rest::HttpReply reply = client_.send(call);
  const std::string what = "Tryton " + method;
  if (reply.status == 0) throw RpcError(true, "transport", what + ": " + reply.transport_error);
  if (reply.status == 401) throw RpcError(true, "session", what + ": the session was refused");
  if (reply.status != 200) {
    const bool transient = reply.status >= 500 || reply.status == 429 || reply.status == 408;
    throw RpcError(transient, "HTTP " + std::to_string(reply.status),
                   what + " answered HTTP " + std::to_string(reply.status) + ": " + short_body(reply.body));
  }
  Json answer = Json::parse(reply.body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object())
    throw RpcError(true, "protocol", what + " answered no JSON object: " + short_body(reply.body));
  if (answer.contains("error")) {
    RpcError e = error_from(answer["error"]);
    throw RpcError(e.transient(), e.type(), e.what());
  }
  return answer.value("result", Json());
}

}  // namespace synchub::connectors::tryton
