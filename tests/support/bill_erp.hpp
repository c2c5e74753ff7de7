// A test ERP whose documents are saved, then submitted, then audited, the way
// Kingdee K3Cloud's bills are, and as unkind as such APIs get: every answer is
// HTTP 200 with {"code", "msg"}, a duplicate bill number is refused
// (DUPLICATE), a step repeated is refused (ALREADY), look-ups are a POST with
// a JSON body, and faults come before the work (503, BUSY) or after it (the
// work is done, the answer says 503). Runs on 127.0.0.1 in the test process.
//   POST /bills/save {"order_id": no, ...}   -> {"code": 0, "id": "B1"}
//   POST /bills/query {"no": no}             -> {"code": 0, "rows": [{"id", "no", "state"}]}
//   POST /bills/{id}/submit, /bills/{id}/audit
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "http/http_server.hpp"

namespace synchub::test {

struct BillErpFaults {
  double before_work = 0;  // 503 and nothing done
  double busy = 0;         // {"code": "BUSY"} and nothing done
  double after_work = 0;   // done, then 503
  uint32_t seed = 1;
};

class BillErp {
 public:
  using Json = nlohmann::json;
  struct Bill {
    std::string id, state;  // saved | submitted | audited
  };

  explicit BillErp(BillErpFaults faults = {}) : faults_(faults), rng_(faults.seed) {
    http::HttpServerOptions options;
    options.threads = 4;
    server_ = std::make_unique<http::HttpServer>(options, [this](const http::HttpRequest& r) { return handle(r); });
  }
  ~BillErp() { server_->stop(); }
  std::string base_url() const { return server_->base_url(); }

  std::map<std::string, Bill> bills() const {  // by bill number
    std::lock_guard lock(mu_);
    return bills_;
  }
  // How often each kind of answer was given ("DUPLICATE", "ALREADY", "after:submit"...).
  std::map<std::string, int> counts() const {
    std::lock_guard lock(mu_);
    return counts_;
  }
  // The next request of `kind` ("save", "submit", "audit") fails with 503, before or after its work.
  void fail_next(const std::string& kind, bool after_work) {
    std::lock_guard lock(mu_);
    fail_next_[kind] = after_work;
  }
  // A bill keyed in by hand (or left behind by a crashed writer).
  void add(const std::string& no, const std::string& state) {
    std::lock_guard lock(mu_);
    bills_[no] = {"B" + std::to_string(next_id_++), state};
  }

 private:
  static http::HttpResponse answer(Json body) { return http::HttpResponse::json(200, body.dump()); }
  static http::HttpResponse refuse(const std::string& code, const std::string& msg) {
    return answer({{"code", code}, {"msg", msg}});
  }

  http::HttpResponse handle(const http::HttpRequest& r) {
    std::lock_guard lock(mu_);
    const std::string kind = r.path == "/bills/save" ? "save" : r.path == "/bills/query" ? "query" : step_of(r.path);
    const bool writes = kind != "query";
    std::uniform_real_distribution<double> dice(0, 1);
    bool fail_after = false;
    if (auto planned = fail_next_.find(kind); planned != fail_next_.end()) {
      fail_after = planned->second;
      fail_next_.erase(planned);
      if (!fail_after) return count("before:" + kind, unavailable());
    }
    if (writes && dice(rng_) < faults_.before_work) return count("before:" + kind, unavailable());
    if (writes && dice(rng_) < faults_.busy) return count("BUSY", refuse("BUSY", "server busy, try again"));
    http::HttpResponse done = work(kind, r);
    if (writes && done.body.find("\"code\":0") != std::string::npos && (fail_after || dice(rng_) < faults_.after_work))
      return count("after:" + kind, unavailable());
    return done;
  }

  static std::string step_of(const std::string& path) {
    const size_t slash = path.rfind('/');
    return path.rfind("/bills/", 0) == 0 && slash > 7 ? path.substr(slash + 1) : "unknown";
  }
  static http::HttpResponse unavailable() {
    return http::HttpResponse::json(503, R"({"error":"service unavailable"})");
  }
  http::HttpResponse count(const std::string& what, http::HttpResponse response) {
    ++counts_[what];
    return response;
  }

  http::HttpResponse work(const std::string& kind, const http::HttpRequest& r) {
    const Json body = Json::parse(r.body, nullptr, false);
    if (kind == "save") {
      if (!body.is_object() || !body.contains("order_id")) return refuse("BAD", "order_id is required");
      const std::string no = body["order_id"];
      if (bills_.count(no)) return count("DUPLICATE", refuse("DUPLICATE", "bill number " + no + " exists"));
      bills_[no] = {"B" + std::to_string(next_id_++), "saved"};
      return answer({{"code", 0}, {"id", bills_[no].id}});
    }
    if (kind == "query") {
      Json rows = Json::array();
      if (body.is_object() && body.contains("no") && body["no"].is_string())
        if (auto it = bills_.find(body["no"].get<std::string>()); it != bills_.end())
          rows.push_back({{"id", it->second.id}, {"no", it->first}, {"state", it->second.state}});
      return answer({{"code", 0}, {"rows", rows}});
    }
    const std::string id = r.path.substr(7, r.path.rfind('/') - 7);
    for (auto& [no, bill] : bills_) {
      if (bill.id != id) continue;
      const std::string from = kind == "submit" ? "saved" : "submitted";
      const std::string to = kind == "submit" ? "submitted" : "audited";
      if (bill.state == to || (kind == "submit" && bill.state == "audited"))
        return count("ALREADY", refuse("ALREADY", "bill " + no + " is " + bill.state + " already"));
      if (bill.state != from) return refuse("STATE", "bill " + no + " is " + bill.state + ", not " + from);
      bill.state = to;
      return answer({{"code", 0}});
    }
    return refuse("NOTFOUND", "no bill " + id);
  }

  BillErpFaults faults_;
  std::mt19937 rng_;
  mutable std::mutex mu_;
  std::map<std::string, Bill> bills_;
  std::map<std::string, int> counts_;
  std::map<std::string, bool> fail_next_;  // kind -> after the work
  int next_id_ = 1;
  std::unique_ptr<http::HttpServer> server_;
};

}  // namespace synchub::test
