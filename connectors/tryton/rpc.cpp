#include "connectors/tryton/rpc.hpp"

#include <algorithm>

#include "http/signing.hpp"

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

// Tryton's "You are trying to read/write records "7" of "Session" that don't exist anymore": the
// session record was deleted while the server checked or renewed it (another login's clean-up,
// a logout, an administrator).
bool lost_session(const std::string& message) {
  return message.find("\"Session\"") != std::string::npos && message.find("exist") != std::string::npos;
}

// Methods that change nothing: sent again as they are after a new login.
bool read_only(const std::string& method) {
  const std::string name = method.substr(method.rfind('.') + 1);
  for (const char* reader : {"read", "search", "search_read", "search_count", "fields_get", "default_get"})
    if (name == reader) return true;
  return false;
}

// The url as shown in messages: without any user:password@ in it.
std::string without_userinfo(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t host = scheme == std::string::npos ? 0 : scheme + 3;
  const size_t at = url.find('@', host);
  if (at == std::string::npos || at > url.find('/', host)) return url;
  return url.substr(0, host) + url.substr(at + 1);
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
    if (lost_session(message))
      return RpcError(ErrorKind::Transient, RpcError::kSessionLost, "Tryton dropped the session: " + message);
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

int Session::login_attempts() const {
  std::lock_guard lock(mu_);
  return login_attempts_;
}

int64_t Session::user_id() const {
  std::lock_guard lock(mu_);
  return user_id_;
}

int Session::sessions_lost() const {
  std::lock_guard lock(mu_);
  return sessions_lost_;
}

void Session::forget(const std::string& stale, bool dropped) {
  std::lock_guard lock(mu_);
  if (dropped) ++sessions_lost_;
  if (authorization_ == stale) authorization_.clear();
}

std::string Session::where() const {
  return "at " + without_userinfo(options_.url) + " (database '" + options_.database + "')";
}

std::string Session::authorization(http::HttpClient& client) {
  std::lock_guard lock(mu_);  // one login at a time; the others wait for its session
  if (!authorization_.empty()) return authorization_;
  if (refusal_ && Clock::now() < retry_login_at_) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(retry_login_at_ - Clock::now()).count();
    throw RpcError(*refusal_, std::string(refusal_->what()) + " (not tried again for " + std::to_string(left) +
                                  " s: Tryton counts each refused login against the user)");
  }
  try {
    authorization_ = log_in(client);
  } catch (const RpcError& e) {
    if (e.type() == "login refused") note_refusal(e);
    throw;
  }
  refusal_.reset();
  login_wait_ = std::chrono::seconds(0);
  return authorization_;
}

void Session::note_refusal(const RpcError& error) {
  login_wait_ = login_wait_.count() == 0 ? kFirstLoginWait : std::min(login_wait_ * 2, kMaxLoginWait);
  retry_login_at_ = Clock::now() + login_wait_;
  refusal_ = error;
}

std::string Session::log_in(http::HttpClient& client) {
  Json body = {{"id", 0},
               {"method", "common.db.login"},
               {"params", Json::array({options_.username, {{"password", options_.password}}, options_.language})}};
  http::HttpCall call{"POST", endpoint(), {{"Content-Type", "application/json"}}, body.dump()};
  ++login_attempts_;
  http::HttpReply reply = client.send(call);
  const std::string who = "'" + options_.username + "' " + where();
  auto failure = [](ErrorKind kind, std::string type, const std::string& message) {
    return RpcError(kind, std::move(type), message, true);
  };
  const std::string status = "HTTP " + std::to_string(reply.status);
  if (reply.status == 0) throw failure(ErrorKind::Transient, "transport", "Tryton login: " + reply.transport_error);
  if (reply.status == 401 || reply.status == 403)
    throw failure(ErrorKind::Configuration, "login refused",
                  "Tryton refused the login of " + who + ", " + status + ": check username and password");
  if (reply.status == 429)  // too many refused logins of this user lately: it passes, if nobody keeps trying
    throw failure(ErrorKind::Transient, "login refused",
                  "Tryton refused the login of " + who + " for now (" + status + ", too many failed logins)")
        .asking_to_wait(http::asked_wait(reply));
  if (http::transient_http_status(reply.status))
    throw failure(ErrorKind::Transient, status, "Tryton login answered " + status + ": " + short_body(reply.body))
        .asking_to_wait(http::asked_wait(reply));
  if (reply.status != 200)  // 404, 405: no Tryton JSON-RPC there
    throw failure(ErrorKind::Configuration, status,
                  "Tryton login " + who + " answered " + status +
                      ": check the connector's url (the server's root, e.g. http://host:8000) and database");
  Json answer = Json::parse(reply.body, nullptr, false);
  if (answer.is_discarded())
    throw failure(ErrorKind::Transient, "protocol", "Tryton login answered no JSON: " + short_body(reply.body));
  if (answer.contains("error")) {
    const RpcError e = error_from(answer["error"]);
    if (e.type() == "LoginException")  // another factor is needed: the connector has none
      throw failure(ErrorKind::Configuration, "login refused", "Tryton login of " + who + ": " + e.what());
    if (e.type() == "fault" && !e.transient() && std::string(e.what()).find("exist") != std::string::npos)
      throw failure(ErrorKind::Configuration, "database", "Tryton login " + who + ": " + e.what());
    throw failure(ErrorKind::Transient, e.type(), "Tryton login: " + std::string(e.what()));
  }
  const Json& result = answer["result"];
  if (!result.is_array() || result.size() != 2 || !result[0].is_number_integer())
    throw failure(ErrorKind::Configuration, "login refused", "Tryton refused the login of " + who);
  ++logins_;
  user_id_ = result[0].get<int64_t>();
  return "Session " + http::base64_encode(options_.username + ":" + text_of(result[0]) + ":" + text_of(result[1]));
}

Rpc::Rpc(std::shared_ptr<Session> session) : session_(std::move(session)), client_(session_->options().http) {}

Json Rpc::call(const std::string& method, Json params, const Json& context) {
  Json merged = session_->options().context;
  for (const auto& [name, value] : context.items()) merged[name] = value;
  params.push_back(std::move(merged));
  const std::string authorization = session_->authorization(client_);
  try {
    return send(method, params, authorization);
  } catch (const RpcError& e) {
    if (e.type() != "session" && !e.session_lost()) throw;
    session_->forget(authorization, e.session_lost());  // expired, logged out or deleted: log in again, once
    return send_again(method, params, e);
  }
}

Json Rpc::send_again(const std::string& method, const Json& params, const RpcError& lost) {
  // Refused at the door (401): nothing ran. Dropped while served: a read is sent again; a write
  // may have been applied, so its caller decides (it redoes its idempotent write).
  if (lost.session_lost() && !read_only(method))
    throw RpcError(lost, "Tryton " + method + " may have been applied: " + lost.what());
  return send(method, params, session_->authorization(client_));
}

Json Rpc::send(const std::string& method, const Json& params, const std::string& authorization) {
  const int64_t id = next_id_++;
  Json body = {{"id", id}, {"method", method}, {"params", params}};
  http::HttpCall call{"POST",
                      session_->endpoint(),
                      {{"Content-Type", "application/json"}, {"Authorization", authorization}},
                      body.dump()};
  http::HttpReply reply = client_.send(call);
  const std::string what = "Tryton " + method;
  const std::string status = "HTTP " + std::to_string(reply.status);
  if (reply.status == 0) throw RpcError(true, "transport", what + ": " + reply.transport_error);
  if (reply.status == 401) throw RpcError(true, "session", what + ": the session was refused");
  if (reply.status == 403 || reply.status == 404 || reply.status == 405)  // no such endpoint or method
    throw RpcError(ErrorKind::Configuration, status, what + " answered " + status + ": " + short_body(reply.body));
  if (reply.status != 200) {
    throw RpcError(http::transient_http_status(reply.status), status,
                   what + " answered " + status + ": " + short_body(reply.body))
        .asking_to_wait(http::asked_wait(reply));
  }
  Json answer = Json::parse(reply.body, nullptr, false);
  if (answer.is_discarded() || !answer.is_object())
    throw RpcError(true, "protocol", what + " answered no JSON object: " + short_body(reply.body));
  if (answer.contains("error")) throw error_from(answer["error"]);
  return answer.value("result", Json());
}

}  // namespace synchub::connectors::tryton
