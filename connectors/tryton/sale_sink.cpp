// The `sale_orders` sink: a mapped CRM order becomes a Tryton `sale.sale`
// with its lines, then goes through the workflow the stream asks for
// (draft, quote, confirm, process). Idempotent by the CRM order number,
// kept in the sale's `reference`: a repeated order finds its sale instead of
// creating another; a sale still in draft or quotation is rewritten; one
// further on is left alone, and a change to it is refused, not lost.
//
// Only synchub's own sales are changed: the one the ledger knows for the
// record (its target id), or, when the ledger does not know it yet (synchub
// stopped between creating the sale and recording it), one created by the
// connector's Tryton user that carries synchub's note in its `comment`
// (written at creation; a clerk's copy of such a sale has the note but not
// the creator). Someone else's sale with that reference is refused with the
// reason unless the stream sets `adopt: true`.
//
// Input (after mapping):
//   {"reference": "SO-1001" (default: the record key), "party": "C0001" (code) or 12 (id),
//    "sale_date": "2026-11-27", "description": "...",
//    "lines": [{"product": "SKU-001" (code) or 3 (id), "quantity": 2,
//               "unit_price": 12.50 (default: the list price), "description": "..."}]}
// Sale lines carry unit, price and the product's customer taxes themselves:
// Tryton's `create` runs no on-change rules.
#include <cmath>
#include <map>
#include <optional>

#include "config/spec.hpp"
#include "connectors/tryton/fields.hpp"
#include "connectors/tryton/streams.hpp"
#include "connectors/tryton/values.hpp"

namespace synchub::connectors::tryton {
namespace {

struct PartyInfo {
  int64_t id = 0;
  Json address;  // first address id or null
  Json payment_term;
};

struct ProductInfo {
  int64_t id = 0;
  std::string name;
  Json unit;
  Json taxes = Json::array();
  Json list_price;
};

struct Line {
  int64_t product = 0;
  double quantity = 0;
  std::string unit_price;  // decimal text
  Json payload;            // what `create` gets
};

const std::vector<std::string>& workflow_steps(const std::string& target) {
  static const std::map<std::string, std::vector<std::string>> steps = {{"draft", {}},
                                                                        {"quote", {"quote"}},
                                                                        {"confirm", {"quote", "confirm"}},
                                                                        {"process", {"quote", "confirm", "process"}}};
  return steps.at(target);
}

// What `create` gets for the lines.
Json payloads(const std::vector<Line>& lines) {
  Json out = Json::array();
  for (const Line& line : lines) out.push_back(line.payload);
  return out;
}

// The state a workflow step starts from.
std::string state_before(const std::string& step) {
  if (step == "quote") return "draft";
  if (step == "confirm") return "quotation";
  return "confirmed";
}

// The note synchub writes in the `comment` of the sales it creates.
std::string own_note(const std::string& reference) {
  return "Created by synchub for order " + reference + ".";
}

// "SO0012", or "id 12" for a draft (numbered when quoted).
std::string sale_label(const Json& sale) {
  const std::string number = scalar_text(sale.value("number", Json()));
  return number.empty() ? "id " + scalar_text(sale["id"]) : number;
}

class SaleSink final : public SinkStream {
 public:
  SaleSink(const Shared& shared, const config::Settings& stream)
      : rpc_(shared.session),
        session_(shared.session),
        warehouse_code_(shared.warehouse_code),
        workflow_(stream.str(field::kWorkflow)),
        adopt_(stream.boolean(field::kAdopt)) {}

  std::vector<SinkResult> push(const Batch& batch) override {
    parties_.clear();  // master data may have changed since the last batch
    products_.clear();
    std::vector<SinkResult> results;
    results.reserve(batch.records.size());
    std::optional<SinkResult> stop;  // what stopped the batch: the rest is not sent
    for (const SinkRecord& record : batch.records) {
      if (stop) {
        results.push_back(not_sent(*stop));
        continue;
      }
      bool stops = false;
      results.push_back(attempt(record, stops));
      if (stops) stop = results.back();
    }
    return results;
  }

 private:
  SinkResult attempt(const SinkRecord& record, bool& stops) {
    for (int tries = 0;; ++tries) {
      try {
        if (!checked_company_) {
          check_company(rpc_);
          checked_company_ = true;
        }
        return write(record);
      } catch (const RpcError& e) {
        // Dropped session: the write may have been applied. It is idempotent (the sale is found
        // by its reference, synchub's by its note), so it is done again on a new login.
        if (e.session_lost() && tries == 0) continue;
        stops = stops_batch(e);
        return sink_failure(e);
      } catch (const BadInput& e) {
        return sink_failure(e);
      } catch (const std::invalid_argument& e) {
        return sink_failure(e);
      }
    }
  }

  // Refuses a sale found by the reference that synchub did not create, unless `adopt`.
  void check_owner(const SinkRecord& record, const Json& sale, const std::string& reference) {
    if (adopt_) return;
    if (!record.target_id.empty() && record.target_id == scalar_text(sale["id"])) return;  // the ledger's
    const Json& creator = sale.contains("create_uid") ? sale["create_uid"] : Json();
    const bool by_connector = creator.is_number_integer() && creator.get<int64_t>() == session_->user_id();
    if (by_connector && scalar_text(sale.value("comment", Json())).find(own_note(reference)) != std::string::npos)
      return;  // created by synchub, not recorded yet (it stopped before its ledger commit)
    throw BadInput("sale " + sale_label(sale) + " with reference " + reference +
                   " was not created by synchub (set `adopt: true` on the stream to take it over)");
  }

  SinkResult write(const SinkRecord& record) {
    const Json order = parse_exact(record.value);
    if (!order.is_object()) throw BadInput("the mapped order is not a JSON object");
    const std::string reference =
        present(order, "reference") ? scalar_text(order["reference"]) : std::string(record.key);
    if (reference.empty()) throw BadInput("the order has no reference (CRM order number)");
    const PartyInfo party = find_party(order.value("party", Json()));
    std::vector<Line> lines = read_lines(order);
    Json header = {{"party", party.id}, {"reference", reference}};
    if (!party.address.is_null()) header["invoice_address"] = header["shipment_address"] = party.address;
    if (!party.payment_term.is_null()) header["payment_term"] = party.payment_term;
    if (!warehouse_code_.empty()) {
      if (!warehouse_) warehouse_ = warehouse_id(rpc_, warehouse_code_);
      header["warehouse"] = warehouse_;
    }
    if (present(order, "sale_date")) header["sale_date"] = tryton_date(scalar_text(order["sale_date"]).substr(0, 10));
    if (present(order, "description")) header["description"] = scalar_text(order["description"]);

    const Json found = rpc_.model(
        "sale.sale", "search_read",
        {Json::array({Json::array({"reference", "=", reference}), Json::array({"state", "!=", "cancelled"})}), 0, 2,
         Json::array({Json::array({"id", "ASC"})}),
         Json::array({"state", "number", "party", "create_uid", "comment"})});
    Outcome outcome = Outcome::Created;
    int64_t id = 0;
    std::string state = "draft";
    if (found.empty()) {
      Json values = header;
      values["comment"] = own_note(reference);
      values["lines"] = Json::array({Json::array({"create", payloads(lines)})});
      id = rpc_.model("sale.sale", "create", {Json::array({values})}).at(0).get<int64_t>();
    } else {
      const Json& sale = found[0];
      check_owner(record, sale, reference);
      id = sale["id"].get<int64_t>();
      state = scalar_text(sale["state"]);
      if (state == "draft" || state == "quotation") {
        if (state == "quotation") {
          rpc_.model("sale.sale", "draft", {Json::array({id})});
          state = "draft";
        }
        rewrite(id, header, lines);
        outcome = Outcome::Updated;
      } else {
        if (!same_content(id, party.id, sale["party"], lines))
          throw BadInput("sale " + scalar_text(sale["number"]) + " (reference " + reference + ") is " + state +
                         " in Tryton: the changed order cannot be applied to it");
        outcome = Outcome::Unchanged;
      }
    }
    run_workflow(id, state, reference);
    return SinkResult::landed(outcome, std::to_string(id));
  }

  void rewrite(int64_t id, const Json& header, const std::vector<Line>& lines) {
    const Json old_lines = rpc_.model("sale.line", "search", {Json::array({Json::array({"sale", "=", id})})});
    Json values = header;
    Json actions = Json::array();
    if (!old_lines.empty()) actions.push_back(Json::array({"delete", old_lines}));
    actions.push_back(Json::array({"create", payloads(lines)}));
    values["lines"] = actions;
    // Tryton refuses the write (ConcurrencyException, retried) when someone changed the sale since this read.
    const Json stamp = rpc_.model("sale.sale", "read", {Json::array({id}), Json::array({"_timestamp"})}).at(0);
    Json context = Json::object();
    if (stamp.contains("_timestamp"))
      context["_timestamp"] = {{"sale.sale," + std::to_string(id), stamp["_timestamp"]}};
    rpc_.model("sale.sale", "write", {Json::array({id}), values}, context);
  }

  bool same_content(int64_t id, int64_t party, const Json& sale_party, const std::vector<Line>& lines) {
    if (!sale_party.is_number_integer() || sale_party.get<int64_t>() != party) return false;
    const Json existing =
        rpc_.model("sale.line", "search_read",
                   {Json::array({Json::array({"sale", "=", id}), Json::array({"type", "=", "line"})}), 0, nullptr,
                    Json::array({Json::array({"sequence", "ASC"}), Json::array({"id", "ASC"})}),
                    Json::array({"product", "quantity", "unit_price"})});
    if (existing.size() != lines.size()) return false;
    for (size_t i = 0; i < lines.size(); ++i) {
      const Json& have = existing[i];
      if (!have["product"].is_number_integer() || have["product"].get<int64_t>() != lines[i].product) return false;
      if (std::fabs(have.value("quantity", 0.0) - lines[i].quantity) > 1e-9) return false;
      if (!same_decimal(to_record(have["unit_price"]), Json(lines[i].unit_price))) return false;
    }
    return true;
  }

  void run_workflow(int64_t id, std::string state, const std::string& reference) {
    for (const std::string& step : workflow_steps(workflow_)) {
      if (state != state_before(step)) continue;  // already past it (or not there yet: the step after tells)
      try {
        rpc_.model("sale.sale", step, {Json::array({id})});
      } catch (const RpcError& e) {
        throw RpcError(e, "Tryton refused to " + step + " the sale of reference " + reference + ": " + e.what());
      }
      state = scalar_text(rpc_.model("sale.sale", "read", {Json::array({id}), Json::array({"state"})}).at(0)["state"]);
    }
  }

  PartyInfo find_party(const Json& party) {
    if (party.is_null() || (party.is_string() && party.get<std::string>().empty()))
      throw BadInput("party: missing (a Tryton party code or id)");
    const std::string text = scalar_text(party);
    if (auto it = parties_.find(text); it != parties_.end()) return it->second;
    Json domain = party.is_number_integer() ? Json::array({Json::array({"id", "=", party})})
                                            : Json::array({Json::array({"code", "=", text})});
    const Json found = rpc_.model("party.party", "search_read",
                                  {domain, 0, 1, nullptr, Json::array({"addresses", "customer_payment_term"})});
    if (found.empty())
      throw BadInput("party: no party " + std::string(party.is_number_integer() ? "with id " : "with code ") + text +
                     " in Tryton");
    PartyInfo info;
    info.id = found[0]["id"].get<int64_t>();
    if (found[0]["addresses"].is_array() && !found[0]["addresses"].empty()) info.address = found[0]["addresses"][0];
    info.payment_term = found[0].value("customer_payment_term", Json());
    return parties_[text] = info;
  }

  ProductInfo find_product(const Json& product, const std::string& where) {
    if (product.is_null()) throw BadInput(where + ".product: missing (a Tryton product code or id)");
    const std::string text = scalar_text(product);
    if (auto it = products_.find(text); it != products_.end()) return it->second;
    Json domain = product.is_number_integer() ? Json::array({Json::array({"id", "=", product})})
                                              : Json::array({Json::array({"code", "=", text})});
    const Json found =
        rpc_.model("product.product", "search_read",
                   {domain, 0, 1, nullptr,
                    Json::array({"name", "sale_uom", "list_price", "salable", "account_category.customer_taxes"})});
    if (found.empty())
      throw BadInput(where + ".product: no product " +
                     std::string(product.is_number_integer() ? "with id " : "with code ") + text + " in Tryton");
    const Json& row = found[0];
    if (!truthy(row.value("salable", Json(false))))
      throw BadInput(where + ".product: " + text + " is not salable in Tryton");
    ProductInfo info;
    info.id = row["id"].get<int64_t>();
    info.name = scalar_text(row["name"]);
    info.unit = row["sale_uom"];
    info.list_price = row["list_price"];
    const Json& category = row["account_category."];
    if (category.is_object() && category["customer_taxes"].is_array()) info.taxes = category["customer_taxes"];
    return products_[text] = info;
  }

  std::vector<Line> read_lines(const Json& order) {
    const Json& items = order.contains("lines") ? order["lines"] : Json();
    if (!items.is_array() || items.empty()) throw BadInput("lines: an order needs at least one line");
    std::vector<Line> lines;
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string where = "lines[" + std::to_string(i) + "]";
      const Json& item = items[i];
      if (!item.is_object()) throw BadInput(where + ": expected an object");
      const ProductInfo product = find_product(item.value("product", Json()), where);
      Line line;
      line.product = product.id;
      const std::string quantity = scalar_text(item.value("quantity", Json()));
      try {
        size_t used = 0;
        line.quantity = std::stod(quantity, &used);
        if (used != quantity.size()) throw std::invalid_argument(quantity);
      } catch (const std::exception&) {
        throw BadInput(where + ".quantity: expected a number, got \"" + quantity + "\"");
      }
      if (!(line.quantity > 0)) throw BadInput(where + ".quantity: must be more than 0, got " + quantity);
      Json price = present(item, "unit_price") ? tryton_decimal(item["unit_price"]) : product.list_price;
      if (price.is_null()) throw BadInput(where + ".unit_price: missing, and the product has no list price");
      line.unit_price = scalar_text(to_record(price));
      const std::string description = present(item, "description") ? scalar_text(item["description"]) : product.name;
      line.payload = {{"type", "line"},
                      {"sequence", static_cast<int64_t>(i + 1)},
                      {"product", product.id},
                      {"description", description},
                      {"quantity", line.quantity},
                      {"unit", product.unit},
                      {"unit_price", price}};
      if (!product.taxes.empty()) line.payload["taxes"] = Json::array({Json::array({"add", product.taxes})});
      lines.push_back(std::move(line));
    }
    return lines;
  }

  Rpc rpc_;
  std::shared_ptr<Session> session_;  // whose user creates synchub's sales
  std::string warehouse_code_;
  int64_t warehouse_ = 0;
  bool checked_company_ = false;
  std::string workflow_;
  bool adopt_;
  std::map<std::string, PartyInfo> parties_;
  std::map<std::string, ProductInfo> products_;
};

}  // namespace

std::unique_ptr<SinkStream> open_sale_sink(const Shared& shared, const config::Settings& stream) {
  return std::make_unique<SaleSink>(shared, stream);
}

}  // namespace synchub::connectors::tryton
