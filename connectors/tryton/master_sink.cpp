// Master-data sinks, each record found by its code (default: the record key):
//   customers: {"code", "name", "active", "address": {"street", "city", "postal_code" (or "zip")}}
//              -> party.party and its first address
//   products:  {"code", "name", "list_price", "unit" (symbol, default "u"), "category" (name),
//               "active"} -> product.template + product.product (goods, salable)
//   credit:    {"code", "credit_limit"} -> the party's credit_limit_amount (the Tryton user must
//               be in the "Account Credit Limit" group)
// Created when the code is new, updated when a value differs, else unchanged.
#include "config/spec.hpp"
#include "connectors/tryton/streams.hpp"
#include "connectors/tryton/values.hpp"
#include "mapping/decimal.hpp"

namespace synchub::connectors::tryton {
namespace {

struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool present(const Json& record, const char* name) {
  return record.contains(name) && !record[name].is_null();
}

bool same_decimal(const Json& tryton_value, const Json& wanted) {
  const auto a = mapping::Decimal::parse(scalar_text(to_record(tryton_value)));
  const auto b = mapping::Decimal::parse(scalar_text(wanted));
  return a && b && *a == *b;
}

class MasterSink final : public SinkStream {
 public:
  MasterSink(const Shared& shared, std::string entity) : rpc_(shared.session), entity_(std::move(entity)) {}

  std::vector<SinkResult> push(const Batch& batch) override {
    std::vector<SinkResult> results;
    for (const SinkRecord& record : batch.records) {
      try {
        const Json input = parse_exact(record.value);
        if (!input.is_object()) throw BadInput("the mapped record is not a JSON object");
        const std::string code = present(input, "code") ? scalar_text(input["code"]) : std::string(record.key);
        if (code.empty()) throw BadInput("code: missing");
        if (entity_ == "customers")
          results.push_back(write_customer(code, input));
        else if (entity_ == "products")
          results.push_back(write_product(code, input));
        else
          results.push_back(write_credit(code, input));
      } catch (const BadInput& e) {
        results.push_back(SinkResult::failed(Failure::Permanent, e.what()));
      } catch (const std::invalid_argument& e) {
        results.push_back(SinkResult::failed(Failure::Permanent, e.what()));
      } catch (const RpcError& e) {
        results.push_back(SinkResult::failed(e.transient() ? Failure::Transient : Failure::Permanent, e.what()));
      }
    }
    return results;
  }

 private:
  static const Json& no_inactive() {
    static const Json context = {{"active_test", false}};
    return context;
  }

  Json find(const std::string& model, const std::string& code, Json fields) {
    const Json found =
        rpc_.model(model, "search_read",
                   {Json::array({Json::array({"code", "=", code})}), 0, 1, nullptr, std::move(fields)}, no_inactive());
    return found.empty() ? Json() : found[0];
  }

  static SinkResult done(Outcome outcome, int64_t id) { return {outcome, Failure::None, std::to_string(id), {}, {}}; }

  SinkResult write_customer(const std::string& code, const Json& input) {
    if (!present(input, "name")) throw BadInput("name: missing");
    Json values = {{"name", scalar_text(input["name"])}};
    if (present(input, "active")) values["active"] = input["active"].is_boolean() ? input["active"].get<bool>() : true;
    const Json party = find("party.party", code, Json::array({"name", "active", "addresses"}));
    Json address = Json::object();
    if (present(input, "address") && input["address"].is_object())
      for (const char* field : {"street", "city", "postal_code", "zip"})
        if (present(input["address"], field))
          address[std::string(field) == "zip" ? "postal_code" : field] = scalar_text(input["address"][field]);
    if (party.is_null()) {
      values["code"] = code;
      if (!address.empty()) values["addresses"] = Json::array({Json::array({"create", Json::array({address})})});
      return done(Outcome::Created, rpc_.model("party.party", "create", {Json::array({values})}).at(0).get<int64_t>());
    }
    const int64_t id = party["id"].get<int64_t>();
    bool changed = false;
    for (const auto& [name, value] : values.items())
      changed |= name == "active" ? truthy(party[name]) != value.get<bool>() : party[name] != value;
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
    rpc_.model("party.party", "write", {Json::array({id}), values});
    return done(Outcome::Updated, id);
  }

  SinkResult write_product(const std::string& code, const Json& input) {
    if (!present(input, "name")) throw BadInput("name: missing");
    Json values = {{"name", scalar_text(input["name"])}};
    if (present(input, "list_price")) values["list_price"] = tryton_decimal(input["list_price"]);
    const Json product = find("product.product", code, Json::array({"template", "name", "list_price", "active"}));
    if (product.is_null()) {
      const std::string unit_symbol = present(input, "unit") ? scalar_text(input["unit"]) : "u";
      const Json units =
          rpc_.model("product.uom", "search", {Json::array({Json::array({"symbol", "=", unit_symbol})}), 0, 1});
      if (units.empty()) throw BadInput("unit: no unit of measure with symbol \"" + unit_symbol + "\" in Tryton");
      Json template_values = values;
      if (!template_values.contains("list_price")) template_values["list_price"] = tryton_decimal(Json("0"));
      template_values["type"] = "goods";
      template_values["salable"] = true;
      template_values["default_uom"] = units[0];
      template_values["sale_uom"] = units[0];
      if (present(input, "category")) {
        const std::string name = scalar_text(input["category"]);
        const Json categories =
            rpc_.model("product.category", "search", {Json::array({Json::array({"name", "=", name})}), 0, 1});
        if (categories.empty()) throw BadInput("category: no product category \"" + name + "\" in Tryton");
        template_values["account_category"] = categories[0];
      }
      template_values["products"] = Json::array({Json::array({"create", Json::array({{{"suffix_code", code}}})})});
      const int64_t template_id =
          rpc_.model("product.template", "create", {Json::array({template_values})}).at(0).get<int64_t>();
      const Json created =
          rpc_.model("product.template", "read", {Json::array({template_id}), Json::array({"products"})});
      return done(Outcome::Created, created.at(0)["products"].at(0).get<int64_t>());
    }
    const int64_t id = product["id"].get<int64_t>();
    bool changed = product["name"] != values["name"];
    if (values.contains("list_price")) changed |= !same_decimal(product["list_price"], values["list_price"]["decimal"]);
    if (present(input, "active") && input["active"].is_boolean() &&
        truthy(product["active"]) != input["active"].get<bool>()) {
      rpc_.model("product.product", "write", {Json::array({id}), {{"active", input["active"]}}}, no_inactive());
      changed = true;
    }
    if (changed) rpc_.model("product.template", "write", {Json::array({product["template"]}), values}, no_inactive());
    return done(changed ? Outcome::Updated : Outcome::Unchanged, id);
  }

  SinkResult write_credit(const std::string& code, const Json& input) {
    if (!present(input, "credit_limit")) throw BadInput("credit_limit: missing");
    const Json limit = tryton_decimal(input["credit_limit"]);
    const Json party = find("party.party", code, Json::array({"credit_limit_amount"}));
    if (party.is_null()) throw BadInput("code: no party with code " + code + " in Tryton");
    const int64_t id = party["id"].get<int64_t>();
    if (!party["credit_limit_amount"].is_null() && same_decimal(party["credit_limit_amount"], input["credit_limit"]))
      return done(Outcome::Unchanged, id);
    rpc_.model("party.party", "write", {Json::array({id}), {{"credit_limit_amount", limit}}});
    return done(Outcome::Updated, id);
  }

  Rpc rpc_;
  std::string entity_;
};

}  // namespace

std::unique_ptr<SinkStream> open_master_sink(const Shared& shared, const std::string& entity, const config::Settings&) {
  return std::make_unique<MasterSink>(shared, entity);
}

}  // namespace synchub::connectors::tryton
