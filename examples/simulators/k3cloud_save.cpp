// K3Cloud Save: customers, materials and sales orders, created by number or
// updated by id, validated the way K3Cloud refuses bad bills (MsgCode 11).
#include <set>

#include "examples/simulators/k3cloud.hpp"
#include "examples/simulators/money.hpp"

namespace synchub::simulators {

using Json = nlohmann::ordered_json;

namespace {

// A member as text: strings as they are, numbers as written; "" when absent or null.
std::string text_of(const Json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || object[key].is_null()) return "";
  const Json& v = object[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// A base data reference, {"FNumber": "X"} (or "X" as such).
std::string number_of(const Json& object, const char* key) {
  if (!object.is_object() || !object.contains(key)) return "";
  const Json& ref = object[key];
  return ref.is_object() ? text_of(ref, "FNumber") : text_of(object, key);
}

// The id in a Model (FID, FCUSTID...): 0 when absent or 0 (a new record), -1 when unreadable.
int64_t id_of(const Json& model, const char* key) {
  const std::string text = text_of(model, key);
  if (text.empty()) return 0;
  return scaled(text, 0).value_or(-1);
}

// A plain decimal as text (a JSON number or a numeric string); nullopt otherwise.
std::optional<std::string> decimal_text(const Json& object, const char* key) {
  const std::string text = text_of(object, key);
  if (!compare_decimals(text, "0")) return std::nullopt;
  return text;
}

// "2025-12-05", "2025-12-05 00:00:00" or "2025-12-05T00:00:00" -> "2025-12-05 00:00:00"; "" when unreadable.
std::string normalize_date(std::string text) {
  if (text.size() == 10) text += " 00:00:00";
  if (text.size() < 19) return "";
  text = text.substr(0, 19);
  if (text[10] == 'T') text[10] = ' ';
  static const std::string shape = "dddd-dd-dd dd:dd:dd";
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 'd' ? (text[i] < '0' || text[i] > '9') : text[i] != shape[i]) return "";
  return text;
}

const char* id_key(const std::string& form) {
  if (form == "BD_Customer") return "FCUSTID";
  if (form == "BD_MATERIAL") return "FMATERIALID";
  return "FID";
}

}  // namespace

Json K3CloudSimulator::refuse_duplicate(const std::string& number) {
  ++counts_["duplicates_refused"];
  return refusal(11, "违反字段唯一性要求：编码唯一。[" + number + "]已经被使用。");
}

Json K3CloudSimulator::save(const Json& body) {
  const std::string form = text_of(body, "formid");
  Json data = body.contains("data") ? body["data"] : Json();
  if (data.is_string()) data = Json::parse(quote_decimals(data.get<std::string>()), nullptr, false);
  if (!data.is_object() || !data.contains("Model") || !data["Model"].is_object())
    return refusal(11, "参数data.Model不能为空");
  const Json& model = data["Model"];
  Json result;
  if (form == "BD_Customer")
    result = save_customer(model);
  else if (form == "BD_MATERIAL")
    result = save_material(model);
  else if (form == "SAL_SaleOrder")
    result = save_order(model);
  else
    return refusal(11, "业务对象[" + form + "]不存在");
  if (result["Result"]["ResponseStatus"]["IsSuccess"] == true) ++counts_["saves"];
  return result;
}

// Creates (id 0) or updates (an id) a record of `form` with `fields`.
Json K3CloudSimulator::store(const std::string& form, int64_t id, const std::string& number, const Json& fields) {
  Form& f = forms_[form];
  const char* key = form == "SAL_SaleOrder" ? "FBillNo" : "FNumber";
  if (id == 0) {
    if (number.empty()) return refusal(11, std::string("字段[") + key + "]不能为空");
    if (f.numbers.count(number)) return refuse_duplicate(number);
    Json row = {{key, number}};
    for (const auto& [name, value] : fields.items()) row[name] = value;
    row["FDocumentStatus"] = "A";
    row = add_record(form, number, std::move(row));
    return success(row[id_key(form)].get<int64_t>(), number);
  }
  auto it = f.records.find(id);
  if (it == f.records.end()) return refusal(11, "单据[" + std::to_string(id) + "]不存在");
  Json& row = it->second;
  const std::string old = row[key];
  const std::string state = row.value("FDocumentStatus", "A");
  if (form == "SAL_SaleOrder" && state != "A" && state != "D")
    return refusal(11, "单据[" + old + "]已审核或审核中，不允许修改");
  const std::string now_number = number.empty() ? old : number;
  if (now_number != old && f.numbers.count(now_number)) return refuse_duplicate(now_number);
  f.numbers.erase(old);
  f.numbers[now_number] = id;
  row[key] = now_number;
  for (const auto& [name, value] : fields.items()) row[name] = value;
  row["FModifyDate"] = now_text();
  return success(id, now_number);
}

Json K3CloudSimulator::save_customer(const Json& model) {
  const int64_t id = id_of(model, "FCUSTID");
  if (id < 0) return refusal(11, "字段[FCUSTID]不是有效的内码");
  if (id == 0 && text_of(model, "FName").empty()) return refusal(11, "字段[FName]不能为空");
  Json fields = Json::object();
  if (model.contains("FName")) fields["FName"] = text_of(model, "FName");
  if (model.contains("FCreateOrgId")) fields["FCreateOrgId.FNumber"] = number_of(model, "FCreateOrgId");
  if (model.contains("FUseOrgId")) fields["FUseOrgId.FNumber"] = number_of(model, "FUseOrgId");
  return store("BD_Customer", id, text_of(model, "FNumber"), fields);
}

Json K3CloudSimulator::save_material(const Json& model) {
  static const std::set<std::string> units = {"Pcs", "tai", "tao", "xiang"};
  const int64_t id = id_of(model, "FMATERIALID");
  if (id < 0) return refusal(11, "字段[FMATERIALID]不是有效的内码");
  if (id == 0 && text_of(model, "FName").empty()) return refusal(11, "字段[FName]不能为空");
  const std::string unit = number_of(model, "FBaseUnitId");
  if ((id == 0 || model.contains("FBaseUnitId")) && !units.count(unit))
    return refusal(11, "计量单位[" + unit + "]不存在");
  Json fields = Json::object();
  if (model.contains("FName")) fields["FName"] = text_of(model, "FName");
  if (model.contains("FSpecification")) fields["FSpecification"] = text_of(model, "FSpecification");
  if (model.contains("FBaseUnitId")) fields["FBaseUnitId.FNumber"] = unit;
  if (model.contains("FCreateOrgId")) fields["FCreateOrgId.FNumber"] = number_of(model, "FCreateOrgId");
  const std::string number = text_of(model, "FNumber");
  Json result = store("BD_MATERIAL", id, number, fields);
  if (id == 0 && result["Result"]["ResponseStatus"]["IsSuccess"] == true) {
    for (const char* stock : {"CK001", "CK002"}) {  // what the warehouse holds already
      const int64_t milli =
          rng_() % 3 == 0 ? static_cast<int64_t>(rng_() % 500) * 1000 : static_cast<int64_t>(rng_() % 500000);
      add_record("STK_Inventory", number + "|" + stock,
                 {{"FMaterialId.FNumber", number}, {"FStockId.FNumber", stock}, {"FBaseQty", trimmed(milli, 3)}});
    }
  }
  return result;
}

Json K3CloudSimulator::save_order(const Json& model) {
  const int64_t id = id_of(model, "FID");
  if (id < 0) return refusal(11, "字段[FID]不是有效的内码");
  const std::string number = text_of(model, "FBillNo");
  if (id == 0 && number.empty()) return refusal(11, "单据编号[FBillNo]不能为空");
  const std::string customer = number_of(model, "FCustId");
  if (!forms_["BD_Customer"].numbers.count(customer)) return refusal(11, "客户[" + customer + "]不存在");
  const std::string date_text = text_of(model, "FDate");
  const std::string date = date_text.empty() ? today_text() : normalize_date(date_text);
  if (date.empty()) return refusal(11, "日期[" + date_text + "]格式不正确");
  // The settlement currency at the top of the Model or in its finance part.
  std::string currency = number_of(model, "FSettleCurrId");
  if (currency.empty() && model.contains("FSaleOrderFinance"))
    currency = number_of(model["FSaleOrderFinance"], "FSettleCurrId");
  Json entries = Json::array();
  if (Json bad = sale_order_entries(model, entries); !bad.is_null()) return bad;
  Json fields = {{"FDate", date},
                 {"FCustId.FNumber", customer},
                 {"FSaleOrgId.FNumber", number_of(model, "FSaleOrgId")},
                 {"FSettleCurrId.FNumber", currency},
                 {"FNote", text_of(model, "FNote")},
                 {"FSaleOrderEntry", entries}};
  return store("SAL_SaleOrder", id, number, fields);
}

// The order lines, checked: known material, quantity above 0, amounts that add up.
Json K3CloudSimulator::sale_order_entries(const Json& model, Json& entries) {
  const Json lines = model.contains("FSaleOrderEntry") ? model["FSaleOrderEntry"] : Json();
  if (!lines.is_array() || lines.empty()) return refusal(11, "单据体[FSaleOrderEntry]至少要有一行");
  for (size_t i = 0; i < lines.size(); ++i) {
    const Json& line = lines[i];
    const std::string row = "第" + std::to_string(i + 1) + "行";
    const std::string material = number_of(line, "FMaterialId");
    if (!forms_["BD_MATERIAL"].numbers.count(material)) return refusal(11, "物料[" + material + "]不存在");
    auto qty = decimal_text(line, "FQty");
    if (!qty || compare_decimals(*qty, "0") <= 0) return refusal(11, row + "销售数量[FQty]必须大于0");
    Json entry = {{"FEntryID", next_id_++}, {"FMaterialId.FNumber", material}, {"FQty", *qty}};
    for (const char* key : {"FTaxPrice", "FEntryTaxRate", "FAllAmount", "FAmount", "FTaxAmount"}) {
      auto value = decimal_text(line, key);
      const bool optional = std::string(key) == "FTaxPrice" || std::string(key) == "FEntryTaxRate";
      if (!value && !(optional && text_of(line, key).empty()))
        return refusal(11, row + "字段[" + key + "]不是有效的数值");
      entry[key] = value ? Json(*value) : Json();
    }
    auto all = scaled(entry["FAllAmount"], 6), amount = scaled(entry["FAmount"], 6),
         tax = scaled(entry["FTaxAmount"], 6);
    if (!all || !amount || !tax) return refusal(11, row + "金额的小数位数超过6位");
    if (*all != *amount + *tax)
      return refusal(11, row + "价税合计[" + entry["FAllAmount"].get<std::string>() + "]不等于金额[" +
                             entry["FAmount"].get<std::string>() + "]与税额[" + entry["FTaxAmount"].get<std::string>() +
                             "]之和");
    entries.push_back(std::move(entry));
  }
  return nullptr;
}

}  // namespace synchub::simulators
