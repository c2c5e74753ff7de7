// Incremental sources: sale orders, customer invoices, customers and
// products changed since the cursor, oldest first. A record's time is its
// `write_date`, or its `create_date` while it was never written (Tryton
// leaves write_date null until then); ties are broken by id. Tryton stamps a
// change when its transaction starts, so a slow one can commit after a poll
// has moved past its time: each poll also reads the last `overlap` before the
// cursor again and emits what it had not seen there. The cursor is
// "<time>|<id>[|<id>@<time>,...]": the last record read, time as ISO-8601
// UTC, and the records already emitted within the overlap.
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "config/spec.hpp"
#include "connectors/tryton/fields.hpp"
#include "connectors/tryton/streams.hpp"
#include "connectors/tryton/values.hpp"

namespace synchub::connectors::tryton {
namespace {

using Row = Json;

// Member `path` of a read row: "party.code" is in row["party."]["code"].
Json member(const Row& row, const std::string& path) {
  const size_t dot = path.find('.');
  if (dot == std::string::npos) return row.contains(path) ? to_record(row[path]) : Json();
  const std::string relation = path.substr(0, dot + 1);
  if (!row.contains(relation) || !row[relation].is_object()) return Json();
  return member(row[relation], path.substr(dot + 1));
}

struct Entity {
  std::string model;
  Json domain = Json::array();
  Json context = Json::object();
  std::vector<std::pair<std::string, std::string>> fields;  // record member <- Tryton field (dotted)
  // Adds what needs more calls (invoice lines, the origin sales), for a page of records at once.
  std::function<void(Rpc&, const std::vector<int64_t>& ids, std::vector<Json>& records)> enrich;
};

// Reads `fields` of `model` for `ids` and returns them by id.
std::map<int64_t, Row> read_by_id(Rpc& rpc, const std::string& model, const std::vector<int64_t>& ids, Json fields) {
  std::map<int64_t, Row> rows;
  if (ids.empty()) return rows;
  for (Row& row : rpc.model(model, "read", {Json(ids), std::move(fields)})) {
    const int64_t id = row["id"].get<int64_t>();
    rows[id] = std::move(row);
  }
  return rows;
}

void add_invoice_details(Rpc& rpc, const std::vector<int64_t>& ids, std::vector<Json>& records) {
  const std::map<int64_t, Row> invoices = read_by_id(rpc, "account.invoice", ids, Json::array({"lines", "sales"}));
  std::vector<int64_t> line_ids, sale_ids;
  for (const auto& [id, row] : invoices) {
    for (const Json& l : row["lines"]) line_ids.push_back(l.get<int64_t>());
    for (const Json& s : row["sales"]) sale_ids.push_back(s.get<int64_t>());
  }
  const auto lines = read_by_id(
      rpc, "account.invoice.line", line_ids,
      Json::array({"type", "product.code", "description", "quantity", "unit.symbol", "unit_price", "amount"}));
  const auto sales = read_by_id(rpc, "sale.sale", sale_ids, Json::array({"number", "reference"}));
  for (Json& record : records) {
    const Row& invoice = invoices.at(record["id"].get<int64_t>());
    Json out_lines = Json::array();
    for (const Json& l : invoice["lines"]) {
      const Row& line = lines.at(l.get<int64_t>());
      if (scalar_text(line["type"]) != "line") continue;  // subtotals, titles, comments
      out_lines.push_back({{"product", member(line, "product.code")},
                           {"description", member(line, "description")},
                           {"quantity", member(line, "quantity")},
                           {"unit", member(line, "unit.symbol")},
                           {"unit_price", member(line, "unit_price")},
                           {"amount", member(line, "amount")}});
    }
    Json out_sales = Json::array();
    for (const Json& s : invoice["sales"]) {
      const Row& sale = sales.at(s.get<int64_t>());
      out_sales.push_back({{"number", member(sale, "number")}, {"reference", member(sale, "reference")}});
    }
    record["sales"] = std::move(out_sales);
    record["lines"] = std::move(out_lines);
  }
}

Entity entity_named(const std::string& name, const config::Settings& stream) {
  Entity e;
  if (name == "sale_orders") {
    e.model = "sale.sale";
    e.fields = {{"number", "number"},
                {"reference", "reference"},
                {"state", "state"},
                {"party", "party.code"},
                {"party_name", "party.name"},
                {"sale_date", "sale_date"},
                {"currency", "currency.code"},
                {"untaxed_amount", "untaxed_amount"},
                {"tax_amount", "tax_amount"},
                {"total_amount", "total_amount"},
                {"invoice_state", "invoice_state"},
                {"shipment_state", "shipment_state"},
                {"description", "description"}};
  } else if (name == "invoices") {
    e.model = "account.invoice";
    e.domain.push_back(Json::array({"type", "=", "out"}));
    e.fields = {{"number", "number"},
                {"reference", "reference"},
                {"state", "state"},
                {"invoice_date", "invoice_date"},
                {"party", "party.code"},
                {"party_name", "party.name"},
                {"currency", "currency.code"},
                {"untaxed_amount", "untaxed_amount"},
                {"tax_amount", "tax_amount"},
                {"total_amount", "total_amount"},
                {"description", "description"}};
    e.enrich = add_invoice_details;
  } else if (name == "customers") {
    e.model = "party.party";
    e.context["active_test"] = false;  // deactivated parties are changes too
    e.fields = {{"code", "code"}, {"name", "name"}, {"active", "active"}};
  } else {  // products
    e.model = "product.product";
    e.context["active_test"] = false;
    e.fields = {{"code", "code"},
                {"name", "name"},
                {"active", "active"},
                {"type", "type"},
                {"salable", "salable"},
                {"list_price", "list_price"},
                {"unit", "default_uom.symbol"}};
  }
  if (const auto& states = stream.list(field::kStates); !states.empty())
    e.domain.push_back(Json::array({"state", "in", states}));
  return e;
}

struct Cursor {
  std::string time;  // ISO-8601 UTC; "" = from the beginning
  int64_t id = 0;
  std::map<int64_t, std::string> seen;  // id -> time of what was emitted within the overlap
};

Cursor parse_cursor(const std::string& text) {
  Cursor c;
  if (text.empty()) return c;
  const size_t bar = text.find('|');
  c.time = text.substr(0, bar);
  if (bar == std::string::npos) return c;
  const size_t second = text.find('|', bar + 1);
  c.id = std::stoll(text.substr(bar + 1, second - bar - 1));
  if (second == std::string::npos) return c;
  std::istringstream seen(text.substr(second + 1));
  for (std::string item; std::getline(seen, item, ',');)
    if (const size_t at = item.find('@'); at != std::string::npos)
      c.seen[std::stoll(item.substr(0, at))] = item.substr(at + 1);
  return c;
}

std::string format_cursor(const Cursor& c) {
  std::string text = c.time + "|" + std::to_string(c.id);
  if (!c.seen.empty()) text += '|';
  for (auto it = c.seen.begin(); it != c.seen.end(); ++it)
    text += (it == c.seen.begin() ? "" : ",") + std::to_string(it->first) + "@" + it->second;
  return text;
}

using Rows = std::vector<std::pair<std::string, Row>>;  // (time, row)

class ChangesSource final : public SourceStream {
 public:
  ChangesSource(const Shared& shared, const std::string& entity, const config::Settings& stream)
      : rpc_(shared.session),
        entity_(entity_named(entity, stream)),
        page_size_(static_cast<size_t>(stream.integer(field::kPageSize))),
        poll_interval_(stream.duration(field::kPollInterval)),
        overlap_us_(std::chrono::duration_cast<std::chrono::microseconds>(stream.duration(field::kOverlap)).count()) {}

  PullResult pull(const std::string& cursor_text, size_t max_records) override {
    return honouring_retry_after([&] { return pull_now(cursor_text, max_records); });
  }

 private:
  PullResult pull_now(const std::string& cursor_text, size_t max_records) {
    Cursor cursor = parse_cursor(cursor_text);
    const size_t limit = std::max<size_t>(1, std::min(max_records, page_size_));
    bool full = false;
    Rows rows = list(
        [&](const char* stamp) {
          if (cursor.time.empty()) return Json::array();  // from the beginning
          const Json at = tryton_datetime(cursor.time);
          return Json::array(
              {Json::array({"OR", Json::array({stamp, ">", at}),
                            Json::array({Json::array({stamp, "=", at}), Json::array({"id", ">", cursor.id})})})});
        },
        limit, full);
    // Late commits: within the overlap before the cursor, what was not emitted at that time.
    Rows late;
    if (overlap_us_ > 0 && !cursor.time.empty()) {
      const Json low = tryton_datetime(iso_from_micros(iso_micros(cursor.time) - overlap_us_));
      const Json at = tryton_datetime(cursor.time);
      bool ignored = false;
      for (auto& [time, row] : list(
               [&](const char* stamp) {
                 return Json::array({Json::array({stamp, ">", low}), Json::array({stamp, "<=", at})});
               },
               kLateLimit, ignored)) {
        const int64_t id = row["id"].get<int64_t>();
        if (time == cursor.time && id > cursor.id) continue;  // after the cursor: the listing above has it
        if (auto seen = cursor.seen.find(id); seen != cursor.seen.end() && seen->second == time) continue;
        late.emplace_back(time, std::move(row));
      }
    }
    PullResult result;
    if (!rows.empty()) {
      cursor.time = rows.back().first;
      cursor.id = rows.back().second["id"].get<int64_t>();
    }
    Rows emitted = std::move(late);  // the late ones first: they are older
    for (auto& row : rows) emitted.push_back(std::move(row));
    emit(emitted, result);
    if (overlap_us_ > 0 && !cursor.time.empty()) {
      for (const auto& [time, row] : emitted) cursor.seen[row["id"].get<int64_t>()] = time;
      const std::string cut = iso_from_micros(iso_micros(cursor.time) - overlap_us_);
      std::erase_if(cursor.seen, [&](const auto& entry) { return entry.second <= cut; });
    }
    result.next_cursor = cursor.time.empty() ? cursor_text : format_cursor(cursor);
    result.more = full;
    return result;
  }

 public:
  bool reads_ahead() const override { return true; }  // the cursor is a position only
  std::chrono::milliseconds poll_interval() const override { return poll_interval_; }

  std::string accept(const std::string& record_json, SourceRecord& out) const override {
    const Json record = parse_exact(record_json);
    if (!record.is_object()) return "expected a JSON object";
    if (!record.contains("id") || !record["id"].is_number_integer()) return "id: expected the Tryton record id";
    out.key = std::to_string(record["id"].get<int64_t>());
    out.value = record_json;
    out.position = entity_.model + "," + out.key + "@replay";
    return "";
  }

  std::optional<std::string> cursor_at(int64_t epoch_ms) const override {
    return iso_from_micros(epoch_ms * 1000) + "|0";  // ids start at 1: everything at that moment again
  }
  std::optional<int64_t> cursor_time_ms(const std::string& cursor) const override {
    const Cursor c = parse_cursor(cursor);
    if (c.time.empty()) return std::nullopt;
    return iso_micros(c.time) / 1000;
  }

  // As pull() goes on from `cursor_text`: what follows (time, id) is listed next, and within
  // the overlap before it, what was not emitted at that time is emitted as a late commit.
  std::optional<bool> changed_after(const SourceRecord& record, const std::string& cursor_text) const override {
    const Json r = parse_exact(record.value);
    if (!r.is_object() || !r.contains("id") || !r.at("id").is_number_integer() || !r.contains("updated_at") ||
        !r.at("updated_at").is_string())
      return std::nullopt;
    const int64_t id = r.at("id").get<int64_t>();
    const std::string& time = r.at("updated_at").get_ref<const std::string&>();
    try {
      if (!judged_by_ || judged_by_->first != cursor_text) judged_by_ = {cursor_text, parse_cursor(cursor_text)};
      const Cursor& cursor = judged_by_->second;
      if (cursor.time.empty()) return true;  // nothing read yet
      const int64_t at = iso_micros(time), cursor_at = iso_micros(cursor.time);
      if (at > cursor_at || (at == cursor_at && id > cursor.id)) return true;
      if (overlap_us_ == 0 || at <= cursor_at - overlap_us_) return false;
      const auto seen = cursor.seen.find(id);
      return seen == cursor.seen.end() || seen->second != time;
    } catch (const std::exception&) {  // a time or a cursor not written by this source
      return std::nullopt;
    }
  }

 private:
  static constexpr size_t kLateLimit = 1000;

  // Both listings (rows written, rows created and never written) within `range` (a domain on
  // the stamp field; none while `range` is asked with no cursor), merged in time order, at
  // most `limit`; `full` when there may be more.
  Rows list(const std::function<Json(const char* stamp)>& range, size_t limit, bool& full) {
    Rows rows;
    for (const char* stamp : {"write_date", "create_date"}) {
      Json domain = entity_.domain;
      domain.push_back(Json::array({"write_date", std::string(stamp) == "create_date" ? "=" : "!=", nullptr}));
      for (Json& condition : range(stamp)) domain.push_back(std::move(condition));
      Json fields = Json::array({stamp});
      for (const auto& [out, path] : entity_.fields) fields.push_back(path);
      const Json order = Json::array({Json::array({stamp, "ASC"}), Json::array({"id", "ASC"})});
      for (Row& row : rpc_.model(entity_.model, "search_read", {domain, 0, limit, order, fields}, entity_.context)) {
        std::string time = scalar_text(to_record(row[stamp]));
        rows.emplace_back(std::move(time), std::move(row));
      }
    }
    full = rows.size() >= limit;
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first
                                : a.second["id"].template get<int64_t>() < b.second["id"].template get<int64_t>();
    });
    if (rows.size() > limit) rows.resize(limit);
    return rows;
  }

  void emit(const Rows& rows, PullResult& result) {
    std::vector<Json> records;
    std::vector<int64_t> ids;
    for (const auto& [time, row] : rows) {
      Json record = {{"id", row["id"]}};
      for (const auto& [out, path] : entity_.fields) record[out] = member(row, path);
      for (const char* flag : {"active", "salable"})  // 1/0 from Tryton's SQLite backend
        if (record.contains(flag)) record[flag] = truthy(record[flag]);
      record["updated_at"] = time;
      ids.push_back(row["id"].get<int64_t>());
      records.push_back(std::move(record));
    }
    if (entity_.enrich && !records.empty()) entity_.enrich(rpc_, ids, records);
    for (size_t i = 0; i < records.size(); ++i) {
      const std::string id = std::to_string(ids[i]);
      result.records.push_back({id, records[i].dump(), entity_.model + "," + id + "@" + rows[i].first});
    }
  }

  Rpc rpc_;
  Entity entity_;
  size_t page_size_;
  std::chrono::milliseconds poll_interval_;
  int64_t overlap_us_;
  mutable std::optional<std::pair<std::string, Cursor>> judged_by_;  // changed_after()'s last cursor, parsed
};

}  // namespace

std::unique_ptr<SourceStream> open_changes_source(const Shared& shared, const std::string& entity,
                                                  const config::Settings& stream) {
  return std::make_unique<ChangesSource>(shared, entity, stream);
}

}  // namespace synchub::connectors::tryton
