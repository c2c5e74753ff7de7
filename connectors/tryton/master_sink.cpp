// Master-data sinks, each record found by its code (default: the record key):
//   customers: {"code", "name", "active", "address": {"street", "city", "postal_code" (or "zip")}}
//              -> party.party and its first address (an empty one when none is given: a sale
//              needs an invoice address)
//   products:  {"code", "name", "list_price", "unit" (symbol, default "u"), "category" (name),
//               "active"} -> product.template + product.product (goods, salable)
//   credit:    {"code", "credit_limit"} -> the party's credit_limit_amount (the Tryton user must
//               be in the "Account Credit Limit" group)
// Created when the code is new, updated when a value differs, else unchanged. A batch's codes
// are looked up in one call and its new records created in one call (one by one only when
// Tryton refuses that call, to find the record it refused).
#include <map>
#include <optional>

#include "config/spec.hpp"
#include "connectors/tryton/streams.hpp"
#include "connectors/tryton/values.hpp"

namespace synchub::connectors::tryton {
namespace {

SinkResult done(Outcome outcome, int64_t id) {
  return SinkResult::landed(outcome, std::to_string(id));
}

class MasterSink final : public SinkStream {
 public:
  MasterSink(const Shared& shared, std::string entity) : rpc_(shared.session), entity_(std::move(entity)) {}

  std::vector<SinkResult> push(const Batch& batch) override {
    const size_t n = batch.records.size();
    std::vector<SinkResult> results = unsent_results(n);  // each slot filled below
    std::vector<Json> inputs(n);
    std::vector<std::string> codes(n);
    std::vector<bool> ready(n, false);
    Json all_codes = Json::array();
    for (size_t i = 0; i < n; ++i) {
      inputs[i] = parse_exact(batch.records[i].value);
      if (!inputs[i].is_object()) {
        results[i] = SinkResult::failed(Failure::Permanent, "the mapped record is not a JSON object");
        continue;
      }
      codes[i] = present(inputs[i], "code") ? scalar_text(inputs[i]["code"]) : std::string(batch.records[i].key);
      if (codes[i].empty()) {
        results[i] = SinkResult::failed(Failure::Permanent, "code: missing");
        continue;
      }
      ready[i] = true;
      all_codes.push_back(codes[i]);
    }
    units_.clear();  // looked up once per batch
    categories_.clear();
    std::map<std::string, Json> existing;
    try {
      for (Json& row : rpc_.model(
               model(), "search_read",
               {Json::array({Json::array({"code", "in", all_codes})}), 0, nullptr, nullptr, fields()}, no_inactive())) {
        const std::string code = scalar_text(row["code"]);  // before the move: Json's operator= takes
        existing[code] = std::move(row);                    // its argument by value, built first
      }
    } catch (const RpcError& e) {
      for (size_t i = 0; i < n; ++i)
        if (ready[i]) results[i] = sink_failure(e);
      return results;
    }
    std::vector<size_t> to_create;
    std::vector<Json> create_values;
    std::optional<SinkResult> stop;  // what stopped the batch: the rest is not sent
    for (size_t i = 0; i < n; ++i) {
      if (!ready[i]) continue;
      if (stop) {
        results[i] = not_sent(*stop);
        continue;
      }
      try {
        auto found = existing.find(codes[i]);
        if (entity_ == "credit") {
          results[i] = write_credit(codes[i], inputs[i], found == existing.end() ? Json() : found->second);
        } else if (found != existing.end()) {
          results[i] = entity_ == "customers" ? update_customer(found->second, inputs[i])
                                              : update_product(found->second, inputs[i]);
        } else {
          create_values.push_back(entity_ == "customers" ? new_customer(codes[i], inputs[i])
                                                         : new_product(codes[i], inputs[i]));
          to_create.push_back(i);
        }
      } catch (const std::exception& e) {
        results[i] = sink_failure(e);
        if (stops_batch(e)) stop = results[i];
      }
    }
    if (stop) {
      for (size_t i : to_create) results[i] = not_sent(*stop);
      return results;
    }
    create(to_create, create_values, results);
    return results;
  }

 private:
  static const Json& no_inactive() {
    static const Json context = {{"active_test", false}};
    return context;
  }
  std::string model() const { return entity_ == "products" ? "product.product" : "party.party"; }
  Json fields() const {
    if (entity_ == "products") return Json::array({"code", "template", "name", "list_price", "active"});
    if (entity_ == "customers") return Json::array({"code", "name", "active", "addresses"});
    return Json::array({"code", "credit_limit_amount"});
  }

  // Creates the new records in one call; when Tryton refuses it, one by one.
  void create(const std::vector<size_t>& at, const std::vector<Json>& values, std::vector<SinkResult>& results) {
    if (at.empty()) return;
    try {
      const std::vector<int64_t> ids = create_records(values);
      for (size_t k = 0; k < at.size(); ++k) results[at[k]] = done(Outcome::Created, ids[k]);
      return;
    } catch (const RpcError& e) {
      if (e.transient() || at.size() == 1) {
        for (size_t i : at) results[i] = sink_failure(e);
        return;
      }
    }
    for (size_t k = 0; k < at.size(); ++k) {
      try {
        results[at[k]] = done(Outcome::Created, create_records({values[k]}).at(0));
      } catch (const RpcError& e) {
        results[at[k]] = sink_failure(e);
      }
    }
  }

  std::vector<int64_t> create_records(const std::vector<Json>& values) {
    const Json ids = rpc_.model(entity_ == "products" ? "product.template" : "party.party", "create", {Json(values)});
    std::vector<int64_t> out;
    if (entity_ != "products") {
      for (const Json& id : ids) out.push_back(id.get<int64_t>());
      return out;
    }
    // The product (variant) of each new template.
    std::map<int64_t, int64_t> product_of;
    for (const Json& row : rpc_.model(
             "product.product", "search_read",
             {Json::array({Json::array({"template", "in", ids})}), 0, nullptr, nullptr, Json::array({"template"})}))
      product_of[row["template"].get<int64_t>()] = row["id"].get<int64_t>();
    for (const Json& id : ids) out.push_back(product_of.at(id.get<int64_t>()));
    return out;
  }

  static Json address_of(const Json& input) {
    Json address = Json::object();
    if (present(input, "address") && input["address"].is_object())
      for (const char* field : {"street", "city", "postal_code", "zip"})
        if (present(input["address"], field))
          address[std::string(field) == "zip" ? "postal_code" : field] = scalar_text(input["address"][field]);
    return address;
  }

  static Json customer_values(const Json& input) {
    if (!present(input, "name")) throw BadInput("name: missing");
    Json values = {{"name", scalar_text(input["name"])}};
    if (present(input, "active") && input["active"].is_boolean()) values["active"] = input["active"];
    return values;
  }

  Json new_customer(const std::string& code, const Json& input) {
    Json values = customer_values(input);
    values["code"] = code;
    values["addresses"] = Json::array({Json::array({"create", Json::array({address_of(input)})})});
    return values;
  }

  SinkResult update_customer(const Json& party, const Json& input) {
    Json values = customer_values(input);
    const int64_t id = party["id"].get<int64_t>();
    bool changed = party["name"] != values["name"];
    if (values.contains("active")) changed |= truthy(party["active"]) != values["active"].get<bool>();
    const Json address = address_of(input);
    if (!address.empty()) {
      const Json& ids = party["addresses"];
      if (ids.empty()) {
        values["addresses"] = Json::array({Json::array({"create", Json::array({address})})});
        changed = true;
      } else {
        const Json first =
            rpc_.model("party.address", "read", {Json::array({ids[0]}), Json::array({"street", "city", "postal_code"})})
                .at(0);
        bool differs = false;
        for (const auto& [name, value] : address.items()) differs |= first[name] != value;
        if (differs) {
          values["addresses"] = Json::array({Json::array({"write", Json::array({ids[0]}), address})});
          changed = true;
        }
      }
    }
    if (!changed) return done(Outcome::Unchanged, id);
    rpc_.model("party.party", "write", {Json::array({id}), values}, no_inactive());
    return done(Outcome::Updated, id);
  }

  Json product_values(const Json& input) {
    if (!present(input, "name")) throw BadInput("name: missing");
    Json values = {{"name", scalar_text(input["name"])}};
    if (present(input, "list_price")) values["list_price"] = tryton_decimal(input["list_price"]);
    return values;
  }

  Json new_product(const std::string& code, const Json& input) {
    Json values = product_values(input);
    if (!values.contains("list_price")) values["list_price"] = tryton_decimal(Json("0"));
    const std::string symbol = present(input, "unit") ? scalar_text(input["unit"]) : "u";
    values["type"] = "goods";
    values["salable"] = true;
    values["default_uom"] = values["sale_uom"] = id_of("product.uom", "symbol", symbol, "unit", units_);
    if (present(input, "category"))
      values["account_category"] =
          id_of("product.category", "name", scalar_text(input["category"]), "category", categories_);
    values["products"] = Json::array({Json::array({"create", Json::array({{{"suffix_code", code}}})})});
    return values;
  }

  SinkResult update_product(const Json& product, const Json& input) {
    Json values = product_values(input);
    const int64_t id = product["id"].get<int64_t>();
    bool changed = product["name"] != values["name"];
    if (values.contains("list_price"))
      changed |= !same_decimal(to_record(product["list_price"]), values["list_price"]["decimal"]);
    if (present(input, "active") && input["active"].is_boolean() &&
        truthy(product["active"]) != input["active"].get<bool>()) {
      rpc_.model("product.product", "write", {Json::array({id}), {{"active", input["active"]}}}, no_inactive());
      changed = true;
    }
    if (changed) rpc_.model("product.template", "write", {Json::array({product["template"]}), values}, no_inactive());
    return done(changed ? Outcome::Updated : Outcome::Unchanged, id);
  }

  SinkResult write_credit(const std::string& code, const Json& input, const Json& party) {
    if (!present(input, "credit_limit")) throw BadInput("credit_limit: missing");
    const Json limit = tryton_decimal(input["credit_limit"]);
    if (party.is_null()) throw BadInput("code: no party with code " + code + " in Tryton");
    const int64_t id = party["id"].get<int64_t>();
    if (!party["credit_limit_amount"].is_null() &&
        same_decimal(to_record(party["credit_limit_amount"]), input["credit_limit"]))
      return done(Outcome::Unchanged, id);
    rpc_.model("party.party", "write", {Json::array({id}), {{"credit_limit_amount", limit}}});
    return done(Outcome::Updated, id);
  }

  // The id of the `model` record whose `field` is `value` (units by symbol, categories by name).
  Json id_of(const std::string& model, const std::string& field, const std::string& value, const std::string& what,
             std::map<std::string, Json>& cache) {
    if (auto it = cache.find(value); it != cache.end()) return it->second;
    const Json found = rpc_.model(model, "search", {Json::array({Json::array({field, "=", value})}), 0, 1});
    if (found.empty()) throw BadInput(what + ": no " + model + " with " + field + " \"" + value + "\" in Tryton");
    return cache[value] = found[0];
  }

  Rpc rpc_;
  std::string entity_;
  std::map<std::string, Json> units_, categories_;
};

}  // namespace

std::unique_ptr<SinkStream> open_master_sink(const Shared& shared, const std::string& entity, const config::Settings&) {
  return std::make_unique<MasterSink>(shared, entity);
}

}  // namespace synchub::connectors::tryton
