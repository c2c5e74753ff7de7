// Polled levels: stock per product in the warehouse (`quantity` on hand,
// `forecast_quantity` with the planned moves) and each customer's credit
// (`credit_limit_amount` and `credit_amount`, the receivable plus open
// orders). Tryton keeps no change date for them (they are computed), so each
// poll reads them all and emits only those that differ from the last
// emitted; the cursor holds the last emitted levels ("id=level;...").
#include <map>
#include <sstream>

#include "config/spec.hpp"
#include "connectors/tryton/fields.hpp"
#include "connectors/tryton/streams.hpp"
#include "connectors/tryton/values.hpp"
#include "mapping/decimal.hpp"

namespace synchub::connectors::tryton {
namespace {

constexpr size_t kReadPage = 1000;

using Levels = std::map<int64_t, std::string>;

Levels parse_levels(const std::string& cursor) {
  Levels levels;
  std::istringstream in(cursor);
  std::string item;
  while (std::getline(in, item, ';')) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos) continue;
    levels[std::stoll(item.substr(0, eq))] = item.substr(eq + 1);
  }
  return levels;
}

std::string format_levels(const Levels& levels) {
  std::string out;
  for (const auto& [id, level] : levels) {
    if (!out.empty()) out += ';';
    out += std::to_string(id) + "=" + level;
  }
  return out;
}

class LevelsSource final : public SourceStream {
 public:
  LevelsSource(const Shared& shared, const std::string& entity, const config::Settings& stream)
      : rpc_(shared.session),
        stock_(entity == "stock"),
        warehouse_code_(shared.warehouse_code),
        poll_interval_(stream.duration(field::kPollInterval)) {}

  PullResult pull(const std::string& cursor, size_t max_records) override {
    return honouring_retry_after([&] { return pull_now(cursor, max_records); });
  }

 private:
  PullResult pull_now(const std::string& cursor, size_t max_records) {
    Levels emitted = parse_levels(cursor);
    Levels now;
    PullResult result;
    for (const Json& row : read_all()) {
      const int64_t id = row["id"].get<int64_t>();
      Json record = stock_ ? stock_record(row) : credit_record(row);
      std::string level = stock_ ? scalar_text(record["quantity"]) + "/" + scalar_text(record["forecast_quantity"])
                                 : scalar_text(record["credit_limit"]) + "/" + scalar_text(record["credit_used"]);
      now[id] = level;
      auto last = emitted.find(id);
      if (last != emitted.end() && last->second == level) continue;
      if (result.records.size() >= max_records) {  // the rest next time: keep what they were
        result.more = true;
        if (last != emitted.end())
          now[id] = last->second;
        else
          now.erase(id);
        continue;
      }
      const std::string key = std::to_string(id);
      result.records.push_back({key, record.dump(), std::string(stock_ ? "product.product," : "party.party,") + key});
    }
    result.next_cursor = format_levels(now);  // gone products and parties drop out
    return result;
  }

 public:
  std::chrono::milliseconds poll_interval() const override { return poll_interval_; }

  std::string accept(const std::string& record_json, SourceRecord& out) const override {
    const Json record = parse_exact(record_json);
    if (!record.is_object()) return "expected a JSON object";
    const char* id = stock_ ? "product_id" : "id";
    if (!record.contains(id) || !record[id].is_number_integer()) return std::string(id) + ": expected the Tryton id";
    out.key = std::to_string(record[id].get<int64_t>());
    out.value = record_json;
    out.position = "replay";
    return "";
  }

 private:
  std::vector<Json> read_all() {
    std::vector<Json> rows;
    Json context = Json::object();
    Json fields;
    std::string model;
    Json domain = Json::array();
    if (stock_) {
      if (!warehouse_) warehouse_ = warehouse_id(rpc_, warehouse_code_);
      context["locations"] = Json::array({warehouse_});
      context["stock_date_end"] = nullptr;
      model = "product.product";
      domain.push_back(Json::array({"type", "=", "goods"}));
      fields = Json::array({"code", "quantity", "forecast_quantity", "default_uom.symbol"});
    } else {
      model = "party.party";
      fields = Json::array({"code", "name", "credit_limit_amount", "credit_amount"});
    }
    for (size_t offset = 0;; offset += kReadPage) {
      Json page = rpc_.model(model, "search_read",
                             {domain, offset, kReadPage, Json::array({Json::array({"id", "ASC"})}), fields}, context);
      for (Json& row : page) rows.push_back(std::move(row));
      if (page.size() < kReadPage) break;
    }
    return rows;
  }

  Json stock_record(const Json& row) const {
    return {{"product_id", row["id"]},
            {"product", to_record(row["code"])},
            {"warehouse", warehouse_code_},
            {"quantity", row["quantity"]},
            {"forecast_quantity", row["forecast_quantity"]},
            {"unit", row["default_uom."].is_object() ? row["default_uom."]["symbol"] : Json()}};
  }

  static Json credit_record(const Json& row) {
    const Json limit = to_record(row["credit_limit_amount"]);
    const Json used = to_record(row["credit_amount"]);
    Json available;  // limit - used, exact; null without a limit (no limit)
    if (limit.is_string() && used.is_string()) {
      auto l = mapping::Decimal::parse(limit.get<std::string>());
      auto u = mapping::Decimal::parse(used.get<std::string>());
      if (l && u) available = (*l - *u).str();
    }
    return {{"id", row["id"]},
            {"code", to_record(row["code"])},
            {"name", to_record(row["name"])},
            {"credit_limit", limit},
            {"credit_used", used},
            {"credit_available", available}};
  }

  Rpc rpc_;
  bool stock_;
  std::string warehouse_code_;
  int64_t warehouse_ = 0;
  std::chrono::milliseconds poll_interval_;
};

}  // namespace

std::unique_ptr<SourceStream> open_levels_source(const Shared& shared, const std::string& entity,
                                                 const config::Settings& stream) {
  return std::make_unique<LevelsSource>(shared, entity, stream);
}

}  // namespace synchub::connectors::tryton
