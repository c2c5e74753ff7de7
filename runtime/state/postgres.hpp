// Thin RAII wrapper over libpq: one connection, parameterised statements
// (text parameters, binary where asked), errors as exceptions carrying the
// server's message (never the connection string: it may hold a password).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;
struct pg_result;

namespace synchub::runtime {

// One statement parameter: text, or bytes sent as binary (bytea), or NULL.
struct PgParam {
  std::optional<std::string> value;
  bool binary = false;
  PgParam(std::string v) : value(std::move(v)) {}  // NOLINT: implicit on purpose, params read as a list
  PgParam(const char* v) : value(std::string(v)) {}
  PgParam(std::string_view v) : value(std::string(v)) {}
  PgParam(int64_t v) : value(std::to_string(v)) {}
  PgParam(int v) : value(std::to_string(v)) {}
  static PgParam bytes(std::string_view v) {
    PgParam p{v};
    p.binary = true;
    return p;
  }
};

class PgResult {
 public:
  explicit PgResult(pg_result* result);
  ~PgResult();
  PgResult(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;

  int rows() const;
  std::string text(int row, int column) const;
  int64_t integer(int row, int column) const;
  bool is_null(int row, int column) const;
  std::string bytes(int row, int column) const;  // a bytea column (text format: \x hex)
  int64_t affected() const;                      // rows changed by INSERT/UPDATE/DELETE
  pg_result* raw() const { return result_; }

 private:
  pg_result* result_;
};

class PgConnection {
 public:
  explicit PgConnection(const std::string& url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PgResult exec(std::string_view sql, const std::vector<PgParam>& params = {});
  void exec_script(const std::string& sql);  // several statements, no parameters

 private:
  void check(const PgResult& result, const std::string& sql);
  pg_conn* conn_;
};

class PgTransaction {
 public:
  explicit PgTransaction(PgConnection& c) : c_(c) { c_.exec("BEGIN"); }
  ~PgTransaction();
  void commit() {
    c_.exec("COMMIT");
    done_ = true;
  }

 private:
  PgConnection& c_;
  bool done_ = false;
};

// PostgreSQL text holds valid UTF-8 without NUL; keys and messages come from records: NUL dropped,
// each invalid byte replaced by U+FFFD (bytea holds anything).
std::string no_nul(std::string_view text);

// A PostgreSQL text[] literal of `values` ({"a","b\"c"}), for unnest($1::text[]).
std::string pg_text_array(const std::vector<std::string_view>& values);

}  // namespace synchub::runtime
