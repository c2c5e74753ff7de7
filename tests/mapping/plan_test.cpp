#include "mapping/plan.hpp"

#include <gtest/gtest.h>

#include "config/diagnostics.hpp"
#include "tests/support/files.hpp"

namespace synchub::mapping {
namespace {

class FakeXref final : public XrefResolver {
 public:
  std::optional<std::string> find(const std::string& entity, const std::string& from, const std::string& to,
                                  const std::string& id) override {
    if (entity == "customer" && from == "crm" && to == "erp" && id == "C1") return "KH-0001";
    return std::nullopt;
  }
};

class PlanTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Plan> load(const std::string& yaml) {
    test::write_file(dir_.path() / "m.yaml", yaml);
    return load_mapping(dir_.str("m.yaml"));
  }
  // Loads `yaml` and maps `record`: the output JSON, or "error: ..." / "skipped".
  std::string map(const std::string& yaml, const std::string& record) {
    PlanRunner runner(load(yaml), &xref_);
    std::string out, key, error;
    switch (runner.run(record, out, key, error)) {
      case MapStatus::Mapped: return out;
      case MapStatus::Skipped: return "skipped";
      case MapStatus::Failed: return "error: " + error;
      case MapStatus::MissingReference: return "missing reference: " + error;
    }
    return {};
  }
  // The diagnostics of a bad mapping file, one per line, without the folder.
  std::string errors(const std::string& yaml) {
    try {
      load(yaml);
    } catch (const config::ConfigError& e) {
      std::string out;
      for (const auto& d : e.diagnostics()) {
        std::string s = d.str();
        out += s.substr(s.find("m.yaml")) + "\n";
      }
      return out;
    }
    return "loaded";
  }
  test::TempDir dir_;
  FakeXref xref_;
};

TEST_F(PlanTest, FieldKindsInFileOrder) {
  const char* yaml = R"Y(
source: crm.orders
target: erp.orders
tables:
  status: {draft: A, approved: C}
fields:
  z_first: {value: fixed}
  code: order_no
  status: {from: status, map: status}
  region: {from: region, map: {east: E, west: W}, default: X}
  customer: {from: customer.id, lookup: {xref: customer, from: crm, to: erp}}
  label: {expr: "concat(order_no, '/', customer.name)"}
  count: {value: 3}
  nothing: {value: null}
  empty: {value: []}
)Y";
  EXPECT_EQ(map(yaml, R"({"order_no":"SO1","status":"draft","region":"north","customer":{"id":"C1","name":"华信"}})"),
            R"({"z_first":"fixed","code":"SO1","status":"A","region":"X","customer":"KH-0001","label":"SO1/华信",)"
            R"("count":3,"nothing":null,"empty":[]})");
}

TEST_F(PlanTest, MissesAreErrorsNamingTheValueUnlessDefaulted) {
  const char* yaml = R"Y(
tables: {status: {draft: A}}
fields:
  status: {from: status, map: status}
  customer: {from: customer_id, lookup: {xref: customer, from: crm, to: erp}}
)Y";
  EXPECT_EQ(map(yaml, R"({"status":"lost","customer_id":"C1"})"),
            "error: status: value \"lost\" is not in table 'status' (field status)");
  EXPECT_EQ(map(yaml, R"({"status":"draft","customer_id":"C9"})"),
            "missing reference: customer_id: value \"C9\" has no xref customer crm -> erp (field customer)");
  EXPECT_EQ(map(yaml, R"({"status":null})"), R"({"status":null,"customer":null})");
}

TEST_F(PlanTest, EachMapsNestedArraysWithParentAccess) {
  const char* yaml = R"Y(
fields:
  lines:
    each: items
    fields:
      no: {expr: "concat($parent.order_no, '-', line)"}
      sku: {from: sku, upper: true, trim: true}
      amount: {expr: "qty * price", type: "decimal(18,2)"}
      parts:
        each: parts
        default: []
        fields:
          p: {expr: "concat($root.order_no, ':', $this)"}
  total: {expr: "sum($out.lines[*].amount)", type: "decimal(18,2)"}
)Y";
  EXPECT_EQ(map(yaml, R"({"order_no":"SO1","items":[{"line":1,"sku":" ab ","qty":"2","price":1.5,"parts":["x"]},)"
                      R"({"line":2,"sku":"c","qty":1,"price":0.1}]})"),
            R"({"lines":[{"no":"SO1-1","sku":"AB","amount":3.00,"parts":[{"p":"SO1:x"}]},)"
            R"({"no":"SO1-2","sku":"C","amount":0.10,"parts":[]}],"total":3.10})");
  EXPECT_EQ(map(yaml, R"({"order_no":"SO1"})"), R"({"lines":null,"total":0.00})");
  EXPECT_EQ(map(yaml, R"({"order_no":"SO1","items":[{"line":1,"qty":1,"price":1},{"line":2,"qty":"x","price":1}]})"),
            "error: lines[1].amount: '*' expects numbers, got \"x\"");
}

// Issue 23, item 4: a record refused with the mapping's own reason, whole: a `checks:` rule that
// reads the mapped fields, or fail() anywhere in an expression.
TEST_F(PlanTest, ChecksAndFailRefuseARecordWithTheirOwnWholeReason) {
  const char* yaml = R"Y(
fields:
  no: {from: no}
  lines:
    each: items
    fields:
      amount: {expr: "qty * price", type: "decimal(18,2)"}
  unit: {expr: "unit == 'pcs' ? 'Pcs' : unit == 'box' ? 'xiang' : fail(concat('unit ', unit, ' has no K3 code; add it to the unit table of crm-product-to-k3.yaml before syncing this order'))"}
checks:
  - that: "sum($out.lines[*].amount) == order_amount"
    message: "order {no}: its lines sum to {sum($out.lines[*].amount)}, the order says {order_amount}"
)Y";
  EXPECT_EQ(map(yaml, R"({"no":"SO1","order_amount":"3.10","unit":"pcs","items":[{"qty":2,"price":1.5},)"
                      R"({"qty":1,"price":"0.10"}]})"),
            R"({"no":"SO1","lines":[{"amount":3.00},{"amount":0.10}],"unit":"Pcs"})");
  EXPECT_EQ(map(yaml, R"({"no":"SO2","order_amount":"3.11","unit":"pcs","items":[{"qty":2,"price":1.5},)"
                      R"({"qty":1,"price":"0.10"}]})"),
            "error: order SO2: its lines sum to 3.10, the order says 3.11");
  EXPECT_EQ(map(yaml, R"({"no":"SO3","order_amount":"3","unit":"bag","items":[{"qty":2,"price":1.5}]})"),
            "error: unit bag has no K3 code; add it to the unit table of crm-product-to-k3.yaml before syncing this "
            "order");
  EXPECT_EQ(map(yaml, R"({"no":"SO4","unit":"pcs","items":[]})"),
            "error: order SO4: its lines sum to 0, the order says ")
      << "a missing amount fails the check";

  EXPECT_EQ(errors("fields:\n  a: {from: a}\nchecks:\n  - that: \"a ==\"\n    message: x\n"
                   "  - {that: a, mesage: y}\n  - {that: a, message: \"{a +}\"}\n"),
            "m.yaml:4:16: checks[0].that: in expression: unexpected end of expression\n"
            "m.yaml:6:15: checks[1].mesage: unknown key; did you mean 'message'?\n"
            "m.yaml:6:5: checks[1]: a check needs message: (text, {expressions} in it)\n"
            "m.yaml:7:24: checks[2].message: in {a +}: unexpected end of expression\n");
}

// Issue 23, item 2: Fxiaoke's epoch milliseconds (numbers or text) read as instants, their date
// the date in a real IANA zone; epoch seconds too, and written back as epoch.
TEST_F(PlanTest, EpochTimesAreReadAndWrittenInARealTimeZone) {
  const char* yaml = R"Y(
fields:
  FDate: {from: order_time, type: date, input_format: epoch_ms, timezone: Asia/Shanghai, format: "%Y-%m-%d 00:00:00"}
  at: {from: order_time, type: datetime, input_format: epoch_ms, timezone: Asia/Shanghai}
  utc_day: {from: order_time, type: date, input_format: epoch_ms}
  paid: {from: paid_s, type: datetime, input_format: epoch_s, format: epoch_ms}
  ny: {from: order_time, type: datetime, input_format: epoch_ms, timezone: America/New_York}
)Y";
  // 2023-12-31T16:30:00.250Z: already 2024-01-01 in Shanghai, still 2023-12-31 in UTC.
  const std::string expected =
      R"({"FDate":"2024-01-01 00:00:00","at":"2024-01-01T00:30:00.250000+08:00","utc_day":"2023-12-31",)"
      R"("paid":"1704040200500","ny":"2023-12-31T11:30:00.250000-05:00"})";
  EXPECT_EQ(map(yaml, R"({"order_time":1704040200250,"paid_s":1704040200.5})"), expected);
  EXPECT_EQ(map(yaml, R"({"order_time":"1704040200250","paid_s":"1704040200.5"})"), expected);
  EXPECT_EQ(
      errors("fields:\n  d: {from: t, type: date, format: YYYY-MM-DD}\n"
             "  e: {from: t, type: datetime, input_format: epoch_mss}\n"),
      "m.yaml:2:3: fields.d.format: the pattern 'YYYY-MM-DD' has no date field (like %Y-%m-%d %H:%M:%S), nor is it "
      "epoch_ms or epoch_s\n"
      "m.yaml:3:3: fields.e.input_format: the pattern 'epoch_mss' has no date field (like %Y-%m-%d %H:%M:%S), nor "
      "is it epoch_ms or epoch_s\n");
  EXPECT_EQ(map(yaml, R"({"order_time":"yesterday","paid_s":1})"),
            "error: order_time: expected a date like epoch_ms, got \"yesterday\" (field FDate)");
}

// Issue 23, item 1: `fields:` without `each` is an object of those fields, at any depth, inside
// `each` or not; from: or expr: sets what its fields read; errors name the nested path.
TEST_F(PlanTest, FieldsWithoutEachBuildNestedObjects) {
  const char* yaml = R"Y(
fields:
  formid: {value: SAL_SaleOrder}
  data:
    fields:
      Model:
        fields:
          FBillNo: {from: name}
          FCustId: {fields: {FNumber: {from: account_no}}}
          FSaleOrgId: {fields: {FNumber: {value: "101"}}}
          FNote: {from: remark}
          buyer:
            from: contact
            fields:
              FName: {from: name}
              FPhone: {from: phone, required: true}
          FSaleOrderEntry:
            each: lines
            fields:
              FMaterialId: {fields: {FNumber: {from: code}}}
              FQty: {from: qty}
          FTotal: {expr: "sum($out.FSaleOrderEntry[*].FQty)"}
)Y";
  EXPECT_EQ(
      map(yaml, R"({"name":"SO-1","account_no":"C01","remark":"加急 \"rush\"","contact":{"name":"王",)"
                R"("phone":"138"},"lines":[{"code":"M1","qty":2},{"code":"M2","qty":3}]})"),
      R"({"formid":"SAL_SaleOrder","data":{"Model":{"FBillNo":"SO-1","FCustId":{"FNumber":"C01"},)"
      R"("FSaleOrgId":{"FNumber":"101"},"FNote":"加急 \"rush\"","buyer":{"FName":"王","FPhone":"138"},)"
      R"("FSaleOrderEntry":[{"FMaterialId":{"FNumber":"M1"},"FQty":2},{"FMaterialId":{"FNumber":"M2"},"FQty":3}],)"
      R"("FTotal":5}}})");
  EXPECT_EQ(map(yaml, R"({"name":"SO-2","contact":{"name":"李"},"lines":[]})"),
            "error: contact.phone: required value is missing (field data.Model.buyer.FPhone)");
  EXPECT_EQ(map(yaml, R"({"name":"SO-3","lines":[]})").substr(0, 96),
            R"({"formid":"SAL_SaleOrder","data":{"Model":{"FBillNo":"SO-3","FCustId":{"FNumber":null},"FSaleOrg)");
}

// Issue 23, item 1: `value:` takes maps and lists; expressions build objects, so a table or a
// condition can yield one; synchub escapes every text.
TEST_F(PlanTest, ValuesAndExpressionsBuildObjectsAndLists) {
  const char* yaml = R"Y(
fields:
  FSaleOrgId: {value: {FNumber: "101"}}
  FSettle: {value: {FCurr: {FNumber: PRE001}, FRates: [13, "9.00", null, true]}}
  FCustId: {expr: "{FNumber: customer, \"FName\": concat(name, ' \"VIP\"')}"}
  FStock: {expr: "qty > 0 ? {FNumber: 'CK01', qty: qty} : {FNumber: 'NONE'}"}
  refs: {expr: "[{n: 1}, {n: qty * 2}]"}
  again: {expr: "$out.FCustId.FNumber"}
)Y";
  EXPECT_EQ(
      map(yaml, R"({"customer":"C01","name":"上海\\华信","qty":"1.5"})"),
      R"({"FSaleOrgId":{"FNumber":"101"},"FSettle":{"FCurr":{"FNumber":"PRE001"},"FRates":[13,"9.00",null,true]},)"
      R"("FCustId":{"FNumber":"C01","FName":"上海\\华信 \"VIP\""},"FStock":{"FNumber":"CK01","qty":"1.5"},)"
      R"("refs":[{"n":1},{"n":3.0}],"again":"C01"})");
  EXPECT_EQ(errors("fields:\n  a: {expr: \"{x: 1, x: 2}\"}\n  b: {expr: \"{1: 2}\"}\n"),
            "m.yaml:2:21: fields.a.expr: in expression: member 'x' given twice\n"
            "m.yaml:3:15: fields.b.expr: in expression: expected a member name\n");
}

TEST_F(PlanTest, TypesConvertAndCheck) {
  const char* yaml = R"Y(
fields:
  s: {from: n, type: string}
  i: {from: i, type: int}
  n: {from: text, type: number}
  d: {from: d, type: "decimal(6,2)"}
  r: {from: r, type: "decimal(6,2)", rounding: half_even}
  b: {from: b, type: bool}
  day: {from: t, type: date, timezone: Asia/Shanghai}
  at: {from: t, type: datetime, timezone: America/New_York}
  local: {from: local, type: datetime, input_format: "%d/%m/%Y %H:%M", timezone: Europe/Berlin}
  money: {from: d, type: string, format: "#,##0.00"}
  o: {from: obj, type: object}
  a: {from: arr, type: array}
)Y";
  EXPECT_EQ(
      map(yaml, R"({"n":100.10,"i":"42","text":"2.500","d":100.1,"r":0.125,"b":"true","t":"2024-03-10T20:00:00Z",)"
                R"("local":"01/07/2024 09:30","obj":{"k":[1,{"z":null}]},"arr":[]})"),
      R"({"s":"100.10","i":42,"n":2.5,"d":100.10,"r":0.12,"b":true,"day":"2024-03-11",)"
      R"("at":"2024-03-10T16:00:00-04:00","local":"2024-07-01T09:30:00+02:00","money":"100.10",)"
      R"("o":{"k":[1,{"z":null}]},"a":[]})");
  const std::string base =
      R"("n":1,"i":1,"text":"1","r":1,"b":true,"t":"2024-01-01","local":"01/01/2024 00:00","obj":{},"arr":[])";
  EXPECT_EQ(map(yaml, "{\"d\":12345.67," + base + "}"), "error: d: 12345.67 does not fit decimal(6,2) (field d)");
  EXPECT_EQ(map(yaml, "{\"d\":1.234," + base + "}"),
            "error: d: 1.234 has more than 2 decimal places (set rounding: half_up or half_even to round) (field d)");
  EXPECT_EQ(map(yaml, "{\"d\":\"abc\"," + base + "}"), "error: d: expected decimal(6,2), got \"abc\" (field d)");
  EXPECT_EQ(map(yaml, R"({"i":2.5})"), "error: i: expected an integer, got 2.5 (field i)");
}

TEST_F(PlanTest, NumberTypeWritesNumbersNormalized) {
  const char* yaml = "fields: {n: {from: n, type: number}}";
  const std::pair<const char*, const char*> cases[] = {{"100.10", "100.1"},  {"\"2.500\"", "2.5"},
                                                       {"\" 7 \"", "7"},     {"-0", "0"},
                                                       {"\"-0.0\"", "0"},    {"-0.5", "-0.5"},
                                                       {"1e3", "1000"},      {"\"007\"", "7"},
                                                       {"0.25", "0.25"},     {"12345678901234.56", "12345678901234.56"},
                                                       {"2.50e-1", "0.25"},  {"-12", "-12"},
                                                       {"10", "10"},         {"0", "0"},
                                                       {"-0.0", "0"},        {"5.0", "5"},
                                                       {"-10.010", "-10.01"}};
  for (const auto& [in, out] : cases)
    EXPECT_EQ(map(yaml, std::string("{\"n\":") + in + "}"), std::string("{\"n\":") + out + "}") << in;
}

TEST_F(PlanTest, DefaultsRequiredFilterAndKey) {
  const char* yaml = R"Y(
key: "concat(type, '-', id)"
filter: "status != 'cancelled'"
version: v7
fields:
  id: {from: id, required: true}
  note: {from: note, default: "n/a"}
)Y";
  auto plan = load(yaml);
  PlanRunner runner(plan);
  std::string out, key, error;
  ASSERT_EQ(runner.run(R"({"id":5,"type":"SO","status":"open"})", out, key, error), MapStatus::Mapped) << error;
  EXPECT_EQ(out, R"({"id":5,"note":"n/a"})");
  EXPECT_EQ(key, "SO-5");
  EXPECT_EQ(runner.run(R"({"id":6,"status":"cancelled"})", out, key, error), MapStatus::Skipped);
  EXPECT_EQ(runner.run(R"({"type":"SO","status":"open"})", out, key, error), MapStatus::Failed);
  EXPECT_EQ(error, "id: required value is missing (field id)");
  EXPECT_EQ(runner.run(R"({"id":1,)", out, key, error), MapStatus::Failed);
  EXPECT_EQ(error.rfind("invalid JSON: ", 0), 0u) << error;
  // A record naming a key twice (published before sources refused them): which one counts is unclear.
  EXPECT_EQ(runner.run(R"({"id":7,"type":"SO","status":"open","id":8})", out, key, error), MapStatus::Failed);
  EXPECT_EQ(error, "duplicate key 'id'");
  EXPECT_EQ(PlanMapper(plan, nullptr).version(), "v7");
}

TEST_F(PlanTest, NumbersPassThroughWithTheirDigits) {
  EXPECT_EQ(map("fields: {a: a, b: b}", R"({"a":100.10,"b":12345678901234567890.123456789})"),
            R"({"a":100.10,"b":12345678901234567890.123456789})");
  // more digits than a decimal holds: copied as written, an error only when computed with
  const std::string big = "1234567890123456789012345678901234567890.5";
  EXPECT_EQ(map("fields: {a: a}", "{\"a\":" + big + "}"), "{\"a\":" + big + "}");
  EXPECT_EQ(map("fields: {a: {from: a, type: number}}", "{\"a\":" + big + "}"),
            "error: a: number " + big + " has more than 38 digits (field a)");
  EXPECT_EQ(map("fields: {a: {expr: 'a + 1'}}", "{\"a\":" + big + "}"),
            "error: a: number " + big + " has more than 38 digits");
  EXPECT_EQ(map("fields: {a: {from: a, type: number}}", "{\"a\":\"" + big + "\"}"),
            "error: a: expected a number, got \"" + big + "\" (field a)");
  EXPECT_EQ(map("fields: {t: t}", "{\"t\":\"tab\\there \\\"q\\\" \\u00e9\\ud83d\\ude9a\"}"),
            "{\"t\":\"tab\\there \\\"q\\\" é🚚\"}");
  // deep nesting is kept, and over 200 levels is refused
  std::string deep(150, '['), end(150, ']');
  EXPECT_EQ(map("fields: {d: d}", "{\"d\":" + deep + end + "}"), "{\"d\":" + deep + end + "}");
  std::string deeper(250, '[');
  EXPECT_EQ(map("fields: {d: d}", "{\"d\":" + deeper + std::string(250, ']') + "}").rfind("error: invalid JSON", 0),
            0u);
}

// Lookups remember where a member was in the last record: records listing
// their members in other orders, or without some, still map right.
TEST_F(PlanTest, RecordsWithMembersInAnyOrderMapTheSame) {
  const char* yaml = R"Y(
fields:
  id: id
  city: address.city
  lines:
    each: lines
    fields:
      sku: sku
      qty: {from: qty, type: number}
      total: {expr: "qty * price"}
  first_total: {expr: "$out.lines[0].total"}
  same: {expr: "$out.id"}
)Y";
  PlanRunner runner(load(yaml));
  const std::pair<const char*, const char*> cases[] = {
      {R"({"id":1,"address":{"city":"A"},"lines":[{"sku":"x","qty":2,"price":3},{"price":5,"qty":1,"sku":"y"}]})",
       R"({"id":1,"city":"A","lines":[{"sku":"x","qty":2,"total":6},{"sku":"y","qty":1,"total":5}],"first_total":6,"same":1})"},
      {R"({"lines":[{"qty":4,"sku":"z","price":"0.5"}],"address":{"zip":"1","city":"B"},"id":2})",
       R"({"id":2,"city":"B","lines":[{"sku":"z","qty":4,"total":2.0}],"first_total":2.0,"same":2})"},
      {R"({"id":3,"lines":[{"sku":"w"}]})",
       R"({"id":3,"city":null,"lines":[{"sku":"w","qty":null,"total":null}],"first_total":null,"same":3})"},
      {R"({"id":1,"address":{"city":"A"},"lines":[{"sku":"x","qty":2,"price":3},{"price":5,"qty":1,"sku":"y"}]})",
       R"({"id":1,"city":"A","lines":[{"sku":"x","qty":2,"total":6},{"sku":"y","qty":1,"total":5}],"first_total":6,"same":1})"},
  };
  for (const auto& [in, want] : cases) {
    std::string out, key, error;
    ASSERT_EQ(runner.run(in, out, key, error), MapStatus::Mapped) << error;
    EXPECT_EQ(out, want) << in;
  }
}

// Fields are written as they are mapped: a record that fails half-way adds
// nothing to the output. Paths also read computed objects (each over $out).
TEST_F(PlanTest, FailedRecordsWriteNothingAndPathsReadComputedValues) {
  const char* yaml = R"Y(
fields:
  id: id
  note: {from: note, default: "-"}
  lines:
    each: lines
    fields:
      sku: {from: sku, upper: true}
      qty: {from: qty, type: number}
  again:
    each: $out.lines
    fields:
      sku: sku
      twice: {expr: "qty * 2"}
      nothing: missing.here
      parent: $parent.id
  last: {from: qty, type: number}
)Y";
  PlanRunner runner(load(yaml));
  std::string out, key, error;
  ASSERT_EQ(runner.run(R"({"id":1,"lines":[{"sku":"a","qty":"1.50"}],"qty":2})", out, key, error), MapStatus::Mapped)
      << error;
  const std::string first = R"({"id":1,"note":"-","lines":[{"sku":"A","qty":1.5}],)"
                            R"("again":[{"sku":"A","twice":3.0,"nothing":null,"parent":1}],"last":2})";
  EXPECT_EQ(out, first);
  EXPECT_EQ(runner.run(R"({"id":2,"note":"n","lines":[{"sku":"b","qty":1}],"qty":"x"})", out, key, error),
            MapStatus::Failed);
  EXPECT_EQ(error, "qty: expected a number, got \"x\" (field last)");
  EXPECT_EQ(out, first);  // nothing of the failed record
  ASSERT_EQ(runner.run(R"({"id":3,"note":"n","lines":[],"qty":0})", out, key, error), MapStatus::Mapped) << error;
  EXPECT_EQ(out, first + R"({"id":3,"note":"n","lines":[],"again":[],"last":0})");
}

TEST_F(PlanTest, WildcardsReadMembersOfMappedLists) {
  const char* yaml = R"Y(
fields:
  lines:
    each: lines
    fields:
      sku: sku
      qty: {from: qty, type: number}
  mixed: {expr: "[$out.lines[1], 7, null]"}
  qtys: {expr: "$out.lines[*].qty"}
  skus: {expr: "$out.lines[*].sku"}
  total: {expr: "sum($out.lines[*].qty)"}
  from_mixed: {expr: "$out.mixed[*].qty"}
)Y";
  EXPECT_EQ(map(yaml, R"({"lines":[{"sku":"a","qty":"1.50"},{"qty":2},{"sku":{"x":1},"qty":null}]})"),
            R"({"lines":[{"sku":"a","qty":1.5},{"sku":null,"qty":2},{"sku":{"x":1},"qty":null}],)"
            R"("mixed":[{"sku":null,"qty":2},7,null],"qtys":[1.5,2,null],"skus":["a",null,{"x":1}],)"
            R"("total":3.5,"from_mixed":[2,null,null]})");
}

// Issue 23, item 5: a `$out` name that no field mapped before has is found at load, not summed to
// 0.00 in every record.
TEST_F(PlanTest, OutNamesThatNoEarlierFieldHasAreLoadErrors) {
  EXPECT_EQ(errors("fields:\n  lines:\n    each: lines\n    fields: {amount: amount}\n"
                   "  total: {expr: \"sum($out.lines[*].nett)\"}\n"
                   "  tax: {expr: \"$out.totl * 0.13\"}\n"
                   "  early: {expr: \"$out.late\"}\n  late: {value: 1}\n"
                   "  ok: {expr: \"sum($out.lines[*].amount) + $out.late\"}\n"),
            "m.yaml:5:17: fields.total.expr: $out.lines[*].nett: nett is no field of lines\n"
            "m.yaml:6:15: fields.tax.expr: $out.totl is no field mapped before this one (mapped before: lines, "
            "total)\n"
            "m.yaml:7:17: fields.early.expr: $out.late is no field mapped before this one (mapped before: lines, "
            "total, tax)\n");
  // Checks (written before or after the fields) read every field.
  EXPECT_EQ(errors("checks:\n  - {that: \"$out.totl > 0\", message: \"sum {sum($out.lines[*].nett)}\"}\n"
                   "  - {that: \"$out.total > 0\", message: \"{$out.lines[0].amount}\"}\n"
                   "fields:\n  lines:\n    each: lines\n    fields: {amount: amount}\n"
                   "  total: {expr: \"sum($out.lines[*].amount)\"}\n"),
            "m.yaml:2:12: checks[0].that: $out.totl is no field mapped before this one (mapped before: lines, "
            "total)\n"
            "m.yaml:2:38: checks[0].message: $out.lines[*].nett: nett is no field of lines\n");
  // At any depth: nested objects, and lists inside them.
  EXPECT_EQ(errors("fields:\n  data:\n    fields:\n      Model:\n        fields:\n          FBillNo: no\n"
                   "          Entry:\n            each: lines\n            fields: {FAllAmount: a}\n"
                   "  a: {expr: \"$out.data.Model.FBillNoo\"}\n"
                   "  b: {expr: \"sum($out.data.Model.Entry[*].FAllAmt)\"}\n"
                   "  c: {expr: \"sum($out.data.Model.Entry[*].FAllAmount) + length($out.data.Model.FBillNo)\"}\n"),
            "m.yaml:10:13: fields.a.expr: $out.data.Model.FBillNoo: FBillNoo is no field of Model\n"
            "m.yaml:11:13: fields.b.expr: $out.data.Model.Entry[*].FAllAmt: FAllAmt is no field of Entry\n");
}

TEST_F(PlanTest, UpperOrLowerFalseChangesNothing) {
  EXPECT_EQ(map("fields:\n  s: {from: s, upper: true, lower: false}\n", R"({"s":"aB-c上D"})"), R"({"s":"AB-C上D"})");
  EXPECT_EQ(map("fields:\n  s: {from: s, upper: false, lower: true}\n", R"({"s":"aB-c上D"})"), R"({"s":"ab-c上d"})");
  EXPECT_EQ(map("fields:\n  s: {from: s, upper: false}\n", R"({"s":"aB"})"), R"({"s":"aB"})");
}

TEST_F(PlanTest, CaseChangesTouchAsciiLettersOnly) {
  PlanRunner runner(load("fields:\n  up: {from: s, upper: true}\n  down: {from: s, lower: true}\n"));
  // every printable ASCII character and some UTF-8, at every length and offset
  // (the case change works on 8 bytes at a time, then on the rest)
  std::string all;
  for (char c = ' '; c <= '~'; ++c)
    if (c != '"' && c != '\\') all += c;
  all += "é上海Ωz";
  for (size_t start = 0; start < 9; ++start) {
    for (size_t n = 0; start + n <= all.size(); ++n) {
      if (start + n < all.size() && (all[start + n] & 0xC0) == 0x80) continue;  // inside a UTF-8 character
      const std::string text = all.substr(start, n);
      std::string up = text, down = text;
      for (char& c : up)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      for (char& c : down)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      std::string out, key, error;
      ASSERT_EQ(runner.run("{\"s\":\"" + text + "\"}", out, key, error), MapStatus::Mapped) << error;
      EXPECT_EQ(out, "{\"up\":\"" + up + "\",\"down\":\"" + down + "\"}") << text;
    }
  }
}

TEST_F(PlanTest, SharedTableFilesAndTablesFromFiles) {
  test::write_file(dir_.path() / "shared.yaml", "currency: {CNY: PRE001, USD: PRE007}\n");
  test::write_file(dir_.path() / "customers.json", R"({"C1":"KH1","C2":"KH2"})");
  const char* yaml = R"Y(
table_files: [shared.yaml]
tables: {customers: customers.json}
fields:
  cur: {from: cur, map: currency}
  cust: {expr: "lookup(customers, c, 'none')"}
)Y";
  EXPECT_EQ(map(yaml, R"({"cur":"USD","c":"C2"})"), R"({"cur":"PRE007","cust":"KH2"})");
  EXPECT_EQ(map(yaml, R"({"cur":"CNY","c":"C3"})"), R"({"cur":"PRE001","cust":"none"})");
}

// A table or a lookup can yield an object or a list (K3's base-data references {"FNumber": ...}).
TEST_F(PlanTest, TablesYieldObjectsAndLists) {
  test::write_file(dir_.path() / "units.yaml", "file_units: {箱: {FNumber: xiang, sizes: [6, 12]}}\n");
  const char* yaml = R"Y(
table_files: [units.yaml]
tables:
  units: {台: {FNumber: tai}, 个: {FNumber: Pcs, aliases: [pcs, 件]}}
fields:
  FBaseUnitId: {from: unit, map: units}
  via_lookup: {expr: "lookup(units, unit)"}
  from_file: {expr: "lookup(file_units, '箱')"}
  aliases: {expr: "lookup(units, '个').aliases"}
)Y";
  EXPECT_EQ(map(yaml, R"({"unit":"台"})"), R"({"FBaseUnitId":{"FNumber":"tai"},"via_lookup":{"FNumber":"tai"},)"
                                           R"("from_file":{"FNumber":"xiang","sizes":[6,12]},"aliases":["pcs","件"]})");
}

TEST_F(PlanTest, LoadErrorsPointAtFileLineAndColumn) {
  EXPECT_EQ(errors("fields:\n  a: {from: x, tpye: int}\n"),
            "m.yaml:2:16: fields.a.tpye: unknown key; did you mean 'type'?\n");
  EXPECT_EQ(errors("fields:\n  a: {expr: \"round(x, 2) +\"}\n"),
            "m.yaml:2:27: fields.a.expr: in expression: unexpected end of expression\n");
  EXPECT_EQ(errors("fields:\n  a:\n    expr: uper(x)\n"),
            "m.yaml:3:11: fields.a.expr: in expression: unknown function 'uper'; did you mean 'upper'?\n");
  EXPECT_EQ(errors("fields:\n  a: {from: x, type: 'decimal(40,2)'}\n"),
            "m.yaml:2:22: fields.a.type: decimal(p,s) needs 1 <= p <= 38 and s <= p\n");
  EXPECT_EQ(errors("fields:\n  a: {from: x, type: float}\n"),
            "m.yaml:2:22: fields.a.type: unknown type 'float'; expected one of: array, bool, date, datetime, "
            "decimal(p,s), int, number, object, string\n");
  EXPECT_EQ(errors("fields:\n  a: {from: x, map: stauts}\ntables: {status: {a: b}}\n"),
            "m.yaml:2:21: fields.a.map: unknown table 'stauts'; did you mean 'status'?\n");
  EXPECT_EQ(errors("fields:\n  a: {from: x, expr: y}\n"),
            "m.yaml:2:3: fields.a: use one of from, value, expr, each (found from and expr)\n");
  EXPECT_EQ(errors("fields:\n  a: {from: x, timezone: Mars/Olympus}\n"),
            "m.yaml:2:26: fields.a.timezone: unknown time zone 'Mars/Olympus' (IANA name like Asia/Shanghai, or UTC, "
            "or +08:00)\n");
  EXPECT_EQ(errors("fields:\n  a: {from: x, upper: true,\n      lower: true}\n"),
            "m.yaml:3:7: fields.a.lower: upper and lower contradict; keep one\n");
  EXPECT_EQ(errors("fields:\n  a: {each: lines}\n"), "m.yaml:2:3: fields.a: each needs fields: for the elements\n");
  EXPECT_EQ(errors("source: x\n"), "m.yaml:1:1: fields: missing required key 'fields'\n");
  EXPECT_EQ(errors("fields: {a: x}\nfilds: {}\n"), "m.yaml:2:1: filds: unknown key; did you mean 'fields'?\n");
  EXPECT_EQ(errors("fields:\n  a: x\n  a: y\n"), "m.yaml:3:3: fields.a: duplicate key\n");
  EXPECT_EQ(errors("fields: {a: x}\ntests:\n  - {input: {}}\n"),
            "m.yaml:3:5: tests[0]: a test case needs expect:, expect_error: or expect_skip: true\n");
  EXPECT_EQ(errors("fields: [a\n"), "m.yaml:2:1: YAML syntax error: end of sequence flow not found\n");
}

}  // namespace
}  // namespace synchub::mapping
