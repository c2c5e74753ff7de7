#include "runtime/state/postgres.hpp"

#include <libpq-fe.h>

#include <stdexcept>

namespace synchub::runtime {

namespace {
std::string server_message(const PGconn* conn) {
  std::string m = PQerrorMessage(conn);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}
}  // namespace

PgResult::PgResult(pg_result* result) : result_(result) {}
PgResult::~PgResult() {
  if (result_) PQclear(result_);
}
PgResult::PgResult(PgResult&& other) noexcept : result_(other.result_) {
  other.result_ = nullptr;
}
int PgResult::rows() const {
  return PQntuples(result_);
}
std::string PgResult::text(int row, int column) const {
  return std::string(PQgetvalue(result_, row, column), static_cast<size_t>(PQgetlength(result_, row, column)));
}
int64_t PgResult::integer(int row, int column) const {
  return std::stoll(PQgetvalue(result_, row, column));
}
bool PgResult::is_null(int row, int column) const {
  return PQgetisnull(result_, row, column) != 0;
}
std::string PgResult::bytes(int row, int column) const {
  size_t length = 0;
  unsigned char* raw =
      PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, column)), &length);
  if (!raw) throw std::runtime_error("postgresql: cannot decode a bytea value");
  std::string out(reinterpret_cast<char*>(raw), length);
  PQfreemem(raw);
  return out;
}
int64_t PgResult::affected() const {
  const char* n = PQcmdTuples(result_);
  return n && *n ? std::stoll(n) : 0;
}

PgConnection::PgConnection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
  if (PQstatus(conn_) != CONNECTION_OK) {
    std::string message = server_message(conn_);
    PQfinish(conn_);
    throw std::runtime_error("cannot connect to PostgreSQL: " + message);
  }
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);  // "relation exists, skipping" and the like
}

PgConnection::~PgConnection() {
  PQfinish(conn_);
}

PgResult PgConnection::exec(std::string_view sql, const std::vector<PgParam>& params) {
  std::vector<const char*> values(params.size());
  std::vector<int> lengths(params.size()), formats(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    values[i] = params[i].value ? params[i].value->data() : nullptr;
    lengths[i] = params[i].value ? static_cast<int>(params[i].value->size()) : 0;
    formats[i] = params[i].binary ? 1 : 0;
  }
  const std::string text(sql);
  PgResult result(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                               lengths.data(), formats.data(), 0));
  check(result, text);
  return result;
}

void PgConnection::exec_script(const std::string& sql) {
  PgResult result(PQexec(conn_, sql.c_str()));
  check(result, sql.substr(0, 60));
}

// Throws with the server's message. A lost connection is reset first, so the
// caller's retry (a flow retries its batch) runs on a fresh one.
void PgConnection::check(const PgResult& result, const std::string& sql) {
  const auto status = PQresultStatus(result.raw());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
  std::string message = result.raw() ? PQresultErrorMessage(result.raw()) : "";
  if (message.empty()) message = server_message(conn_);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (PQstatus(conn_) == CONNECTION_BAD) PQreset(conn_);
  std::string statement = sql.substr(0, sql.find_first_of("\n("));
  throw std::runtime_error("postgresql: " + message + " (in: " + statement + ")");
}

PgTransaction::~PgTransaction() {
  if (done_) return;
  try {
    c_.exec("ROLLBACK");
  } catch (...) {  // the connection is gone: the server rolled back
  }
}

std::string no_nul(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = len > 0 && i + len <= n;
    for (size_t k = 1; valid && k < len; ++k) valid = (p[i + k] & 0xC0) == 0x80;
    if (valid && len == 2) valid = c >= 0xC2;  // no overlong forms
    if (valid && len == 3) valid = !(c == 0xE0 && p[i + 1] < 0xA0) && !(c == 0xED && p[i + 1] >= 0xA0);
    if (valid && len == 4) valid = !(c == 0xF0 && p[i + 1] < 0x90) && !(c == 0xF4 && p[i + 1] >= 0x90) && c <= 0xF4;
    if (!valid) {
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    if (c != 0) out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string pg_text_array(const std::vector<std::string_view>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

}  // namespace synchub::runtime
