#include "mapping/expression.hpp"

#include <gtest/gtest.h>

#include "mapping/json_writer.hpp"

namespace synchub::mapping {
namespace {

// 2024-03-10T06:30:00Z: New York switches to daylight time at 07:00Z that day.
constexpr int64_t kNow = 1710052200LL * 1000000;

class Eval {
 public:
  Eval() {
    auto t = std::make_shared<Table>();
    t->name = "status";
    t->storage.push_back("A");
    t->insert("draft", Value::of_string(t->storage.back()));
    tables_.emplace("status", t);
  }
  // Evaluates `expr` on `record` and returns the result as JSON.
  std::string operator()(const std::string& expr, const std::string& record = "{}") {
    std::string err = doc_.parse(record);
    if (!err.empty()) throw std::runtime_error("bad test record: " + err);
    arena_.reset();
    auto e = compile_expression(expr, CompileEnv{&tables_});
    Scope scope{Value::of_node(0), nullptr, nullptr, 0};
    EvalContext ctx{doc_, arena_, &scope, nullptr, kNow};
    std::string out;
    write_json(out, doc_, e->eval(ctx));
    return out;
  }
  std::string error(const std::string& expr, const std::string& record = "{}") {
    try {
      std::string r = (*this)(expr, record);
      return "no error, got " + r;
    } catch (const MappingError& e) {
      return e.what();
    }
  }
  // "column: message" of a compile error.
  std::string compile_error(const std::string& expr) {
    try {
      compile_expression(expr, CompileEnv{&tables_});
      return "compiled";
    } catch (const ExpressionError& e) {
      return std::to_string(e.column) + ": " + e.what();
    }
  }

 private:
  Document doc_;
  Arena arena_;
  std::map<std::string, std::shared_ptr<Table>, std::less<>> tables_;
};

const char* kOrder = R"({"id":"7","total":"100.10","qty":3,"price":19.99,"name":"  Widget  ","cn":"上海华信科技",
  "customer":{"id":"C1","tags":["a","b"]},"lines":[{"amount":0.1,"sku":"x"},{"amount":0.2,"sku":"y"},{"amount":null}],
  "nested":[{"items":[{"v":1},{"v":2}]},{"items":[{"v":3}]}],"empty":[],"flag":true,"when":"2024-03-10T01:30:00-05:00"})";

TEST(Expression, LiteralsAndPaths) {
  Eval eval;
  EXPECT_EQ(eval("12.50"), "12.50");
  EXPECT_EQ(eval("-3"), "-3");
  EXPECT_EQ(eval("'it\\'s'"), "\"it's\"");
  EXPECT_EQ(eval("\"a\\n\""), "\"a\\n\"");
  EXPECT_EQ(eval("true"), "true");
  EXPECT_EQ(eval("null"), "null");
  EXPECT_EQ(eval("[1, 'a', null]"), "[1,\"a\",null]");
  EXPECT_EQ(eval("customer.id", kOrder), "\"C1\"");
  EXPECT_EQ(eval("customer.tags[1]", kOrder), "\"b\"");
  EXPECT_EQ(eval("lines[0].sku", kOrder), "\"x\"");
  EXPECT_EQ(eval("lines[*].sku", kOrder), "[\"x\",\"y\",null]");
  EXPECT_EQ(eval("nested[*].items[*].v", kOrder), "[1,2,3]");
  EXPECT_EQ(eval("customer[\"id\"]", kOrder), "\"C1\"");
  EXPECT_EQ(eval("missing.deeper[3].x", kOrder), "null");
  EXPECT_EQ(eval("lines[9].sku", kOrder), "null");
  EXPECT_EQ(eval("cn", kOrder), "\"上海华信科技\"");
  EXPECT_EQ(eval("$this.customer.id", kOrder), "\"C1\"");
  EXPECT_EQ(eval("$root.id", kOrder), "\"7\"");
  EXPECT_EQ(eval("$parent.id", kOrder), "null");
}

TEST(Expression, ArithmeticIsExactDecimal) {
  Eval eval;
  EXPECT_EQ(eval("0.1 + 0.2"), "0.3");
  EXPECT_EQ(eval("0.1 + 0.2 == 0.3"), "true");
  EXPECT_EQ(eval("12345678901234.56 * 1"), "12345678901234.56");
  EXPECT_EQ(eval("qty * price", kOrder), "59.97");
  EXPECT_EQ(eval("total + 0.05", kOrder), "100.15");  // numeric strings are numbers in arithmetic
  EXPECT_EQ(eval("7 % 4 - 1 * 2"), "1");
  EXPECT_EQ(eval("(1 + 2) * 3"), "9");
  EXPECT_EQ(eval("10 / 4"), "2.5");
  EXPECT_EQ(eval("-qty", kOrder), "-3");
  EXPECT_EQ(eval("missing + 1", kOrder), "null");
  EXPECT_EQ(eval("'ab' + 'cd'"), "\"abcd\"");
  EXPECT_EQ(eval.error("name * 2", kOrder), "'*' expects numbers, got \"  Widget  \"");
  EXPECT_EQ(eval.error("1 / 0"), "1 / 0: division by zero");
}

// Operators, ??, conditionals and rounding hand numbers to each other
// unboxed; anything that is not a number takes the general rules on the way.
TEST(Expression, NumbersPassedBetweenOperatorsKeepTheGeneralRules) {
  Eval eval;
  const char* line = R"({"qty":"2.500","price":19.99,"disc":0.085,"tax":"0.13","big":1.5e30,"name":"x",
    "digits":123456789012345678901234567890123456789})";
  EXPECT_EQ(eval("round(qty * price * (1 - (disc ?? 0)), 2)", line), "45.73");
  EXPECT_EQ(eval("round(qty * price * (1 - (none ?? 0)), 2)", line), "49.98");
  EXPECT_EQ(eval("round(qty * price * (1 - (none ?? '0.5')), 2)", line), "24.99");
  EXPECT_EQ(eval("round(price * tax, 2)", line), "2.60");
  EXPECT_EQ(eval("round(none * 2, 2)", line), "null");
  EXPECT_EQ(eval("round(price * none)", line), "null");
  EXPECT_EQ(eval("abs(none)", line), "null");
  EXPECT_EQ(eval("abs(' -1.50 ')"), "1.50");
  EXPECT_EQ(eval("floor(qty)", line), "2");
  EXPECT_EQ(eval("round(price > 10 ? price * 2 : 0, 1)", line), "40.0");
  EXPECT_EQ(eval("round(price < 10 ? price : none)", line), "null");
  EXPECT_EQ(eval("name + 'y' + 'z'", line), "\"xyz\"");
  EXPECT_EQ(eval("digits + none", line), "null");  // null first: the 39 digits are never read
  EXPECT_EQ(eval.error("digits + 1", line), "number 123456789012345678901234567890123456789 has more than 38 digits");
  EXPECT_EQ(eval.error("round(name * 2)", line), "'*' expects numbers, got \"x\"");
  EXPECT_EQ(eval.error("round(price, name)", line), "round(): expected an integer, got \"x\"");
  EXPECT_EQ(eval.error("round(1 / 0)"), "1 / 0: division by zero");
  // an overflow names the operands as they were written
  EXPECT_EQ(eval.error("big * big", line), "1.5e30 * 1.5e30: decimal overflow (more than 38 digits)");
}

TEST(Expression, ComparisonsLogicAndConditionals) {
  Eval eval;
  EXPECT_EQ(eval("qty > 2 and flag", kOrder), "true");
  EXPECT_EQ(eval("qty >= 4 or not flag", kOrder), "false");
  EXPECT_EQ(eval("'b' > 'a'"), "true");
  EXPECT_EQ(eval("1.0 == 1"), "true");
  EXPECT_EQ(eval("'1' == 1"), "true");  // numeric strings compare as numbers, as arithmetic reads them
  EXPECT_EQ(eval("'abc' == 'abc'"), "true");
  EXPECT_EQ(eval("null == null"), "true");
  EXPECT_EQ(eval("missing == null", kOrder), "true");
  EXPECT_EQ(eval("qty > 2 ? 'many' : 'few'", kOrder), "\"many\"");
  EXPECT_EQ(eval("if(flag, 1, 2)", kOrder), "1");
  EXPECT_EQ(eval("missing ?? customer.id", kOrder), "\"C1\"");
  EXPECT_EQ(eval("coalesce(missing, null, 'x')", kOrder), "\"x\"");
  EXPECT_EQ(eval("missing and true", kOrder), "false");  // null counts as false
  EXPECT_EQ(eval.error("qty and true", kOrder), "'and': expected true or false, got 3");
  EXPECT_EQ(eval.error("name < 3", kOrder), "cannot compare \"  Widget  \" with 3: the text is not a number");
  EXPECT_EQ(eval.error("name == 3", kOrder), "cannot compare \"  Widget  \" with 3: the text is not a number");
  EXPECT_EQ(eval("'b' < 'a'"), "false");
  EXPECT_EQ(eval("false and (1/0 == 1)"), "false");  // short-circuit
}

// Issue 23, item 3: a numeric string is the same number to `+`, `==` and `<`, exactly.
TEST(Expression, NumericStringsCompareAsTheNumbersArithmeticReads) {
  Eval eval;
  const char* order = R"({"amount":"56.53","big":"100000000000000000000000000000.01","padded":" 7 "})";
  EXPECT_EQ(eval("amount == 56.53", order), "true");
  EXPECT_EQ(eval("amount + 0 == 56.53", order), "true");
  EXPECT_EQ(eval("amount < 100", order), "true");
  EXPECT_EQ(eval("amount >= 56.530", order), "true");
  EXPECT_EQ(eval("amount != 56.54", order), "true");
  EXPECT_EQ(eval("56.52 < amount", order), "true");
  EXPECT_EQ(eval("big > 100000000000000000000000000000", order), "true");  // decimal, not binary
  EXPECT_EQ(eval("big == 100000000000000000000000000000.01", order), "true");
  EXPECT_EQ(eval("padded == 7", order), "true");
  EXPECT_EQ(eval("contains([1, 56.53], amount)", order), "true");
  EXPECT_EQ(eval("amount * 2 == '113.06'", order), "true");
}

TEST(Expression, StringFunctions) {
  Eval eval;
  EXPECT_EQ(eval("concat(id, '-', qty, '-', flag)", kOrder), "\"7-3-true\"");
  EXPECT_EQ(eval("substr(cn, 2, 2)", kOrder), "\"华信\"");
  EXPECT_EQ(eval("substr('abcdef', -2)"), "\"ef\"");
  EXPECT_EQ(eval("replace('a-b-c', '-', '+')"), "\"a+b+c\"");
  EXPECT_EQ(eval("split('a,b,,c', ',')"), "[\"a\",\"b\",\"\",\"c\"]");
  EXPECT_EQ(eval("join(lines[*].sku, '/')", kOrder), "\"x/y\"");
  EXPECT_EQ(eval("upper('abc-é')"), "\"ABC-é\"");
  EXPECT_EQ(eval("lower('ABC')"), "\"abc\"");
  EXPECT_EQ(eval("trim(name)", kOrder), "\"Widget\"");
  EXPECT_EQ(eval("pad_left(qty, 5, '0')", kOrder), "\"00003\"");
  EXPECT_EQ(eval("pad_right('上海', 4, '*')"), "\"上海**\"");
  EXPECT_EQ(eval.error("pad_left('a', 40000000000, '0')"), "pad_left(): width 40000000000 is over 10000");
  EXPECT_EQ(eval("matches('SO-2024-001', '^SO-[0-9]{4}-')"), "true");
  EXPECT_EQ(eval("matches(cn, '华信')", kOrder), "true");
  EXPECT_EQ(eval("length(cn)", kOrder), "6");
  EXPECT_EQ(eval("length(lines)", kOrder), "3");
  EXPECT_EQ(eval("contains(customer.tags, 'b')", kOrder), "true");
  EXPECT_EQ(eval("starts_with(cn, '上海')", kOrder), "true");
  EXPECT_EQ(eval("ends_with('abc', 'bc')"), "true");
  EXPECT_EQ(eval("string(12.50)"), "\"12.50\"");
  EXPECT_EQ(eval("number(' 12.50 ')"), "12.50");
  EXPECT_EQ(eval("compact([1, null, '', 'a'])"), "[1,\"a\"]");
  EXPECT_EQ(eval("upper(missing)", kOrder), "null");
}

TEST(Expression, NumberFunctionsAndAggregates) {
  Eval eval;
  EXPECT_EQ(eval("round(2.345, 2)"), "2.35");
  EXPECT_EQ(eval("round(2.345, 2, 'half_even')"), "2.34");
  EXPECT_EQ(eval("round_half_even(2.5)"), "2");
  EXPECT_EQ(eval("round(-2.5)"), "-3");
  EXPECT_EQ(eval("floor(-1.25, 1)"), "-1.3");
  EXPECT_EQ(eval("ceil(1.21, 1)"), "1.3");
  EXPECT_EQ(eval("abs(-4.50)"), "4.50");
  EXPECT_EQ(eval("min(3, 1.5, 2)"), "1.5");
  EXPECT_EQ(eval("max(lines[*].amount)", kOrder), "0.2");
  EXPECT_EQ(eval("sum(lines[*].amount)", kOrder), "0.3");
  EXPECT_EQ(eval("sum(empty)", kOrder), "0");
  EXPECT_EQ(eval("count(lines)", kOrder), "3");
  EXPECT_EQ(eval("count(missing)", kOrder), "0");
  EXPECT_EQ(eval("avg(lines[*].amount)", kOrder), "0.15");
  EXPECT_EQ(eval("avg(empty)", kOrder), "null");
  EXPECT_EQ(eval.error("sum(lines[*].sku)", kOrder), "sum(): expected a number, got \"x\"");
}

TEST(Expression, DatesAndTimeZones) {
  Eval eval;
  EXPECT_EQ(eval("format_date(when, '%Y-%m-%d %H:%M:%S', 'UTC')", kOrder), "\"2024-03-10 06:30:00\"");
  EXPECT_EQ(eval("format_date(when, '%Y-%m-%d %H:%M %z', 'Asia/Shanghai')", kOrder), "\"2024-03-10 14:30 +0800\"");
  // America/New_York crosses into daylight time at 2024-03-10 07:00 UTC
  EXPECT_EQ(eval("format_date(parse_datetime('2024-03-10 06:59', '%Y-%m-%d %H:%M', 'UTC'), '%H:%M%:z', "
                 "'America/New_York')"),
            "\"01:59-05:00\"");
  EXPECT_EQ(eval("format_date(parse_datetime('2024-03-10 07:00', '%Y-%m-%d %H:%M', 'UTC'), '%H:%M%:z', "
                 "'America/New_York')"),
            "\"03:00-04:00\"");
  // a local time in the zone is read with that day's offset
  EXPECT_EQ(eval("format_date(parse_datetime('2024-07-01 09:00:00', '%Y-%m-%d %H:%M:%S', 'Europe/Berlin'), "
                 "'%H:%M', 'UTC')"),
            "\"07:00\"");
  EXPECT_EQ(eval("to_timezone('2024-01-31T23:30:00Z', 'Asia/Tokyo')"), "\"2024-02-01T08:30:00+09:00\"");
  EXPECT_EQ(eval("add_days(parse_date('2024-02-28'), 1)"), "\"2024-02-29\"");
  EXPECT_EQ(eval("format_date(add_days('2023-12-31', 1), '%d/%m/%Y')"), "\"01/01/2024\"");
  EXPECT_EQ(eval("parse_date('31.12.2024', '%d.%m.%Y')"), "\"2024-12-31\"");
  EXPECT_EQ(eval("format_date(now(), '%F %T')"), "\"2024-03-10 06:30:00\"");
  EXPECT_EQ(eval("today('Asia/Shanghai')"), "\"2024-03-10\"");
  EXPECT_EQ(eval("parse_datetime('2024-03-10T01:30:00.250+01:00')"), "\"2024-03-10T01:30:00.250000+01:00\"");
  EXPECT_EQ(eval.error("parse_date('2024-02-30')"),
            "parse_date(): expected a date like 2024-03-01, got \"2024-02-30\"");
  EXPECT_EQ(eval("parse_date(missing)", kOrder), "null");
}

TEST(Expression, DateFunctionsTakeEpochTimes) {
  Eval eval;
  const char* order = R"({"ms":1704040200250,"ms_text":"1704040200250","s":1704040200})";
  EXPECT_EQ(eval("format_date(ms, '%Y-%m-%d %H:%M', 'Asia/Shanghai')", order), "\"2024-01-01 00:30\"");
  EXPECT_EQ(eval("format_date(ms_text, '%F', 'Asia/Shanghai')", order), "\"2024-01-01\"");
  EXPECT_EQ(eval("format_date(s, '%F %T')", order), "\"2023-12-31 16:30:00\"");
  EXPECT_EQ(eval("format_date(to_timezone(s, 'Asia/Shanghai'))", order), "\"2024-01-01T00:30:00+08:00\"");
  EXPECT_EQ(eval("format_date(parse_datetime(ms_text, 'epoch_ms'), 'epoch_s')", order), "\"1704040200\"");
}

TEST(Expression, TablesAndLookups) {
  Eval eval;
  EXPECT_EQ(eval("lookup(status, 'draft')"), "\"A\"");
  EXPECT_EQ(eval("lookup(status, 'other')"), "null");
  EXPECT_EQ(eval("lookup(status, 'other', 'Z')"), "\"Z\"");
}

TEST(Expression, TableFindsEveryKeyItHoldsAndNoOther) {
  Table t;
  std::deque<std::string> values;
  for (int i = 0; i < 1000; ++i) {
    values.push_back("KH" + std::to_string(i));
    ASSERT_TRUE(t.insert("C" + std::to_string(i), Value::of_string(values.back())));
  }
  EXPECT_TRUE(t.insert("", Value::of_bool(true)));  // the empty text is a key like any other
  EXPECT_FALSE(t.insert("C17", Value::null()));     // refused: the first value stays
  EXPECT_FALSE(t.insert("", Value::null()));
  // keys up to 20 bytes are kept in their entry, longer ones apart: both sides of the line
  for (size_t n : {19, 20, 21, 64}) EXPECT_TRUE(t.insert(std::string(n, 'k'), Value::of_bool(n % 2 == 1)));
  EXPECT_FALSE(t.insert(std::string(64, 'k'), Value::null()));
  EXPECT_EQ(t.size(), 1005u);
  for (size_t n : {19, 20, 21, 64}) {
    const Value* v = t.find(std::string(n, 'k'));
    ASSERT_NE(v, nullptr) << n;
    EXPECT_EQ(v->boolean, n % 2 == 1) << n;
  }
  for (size_t n : {18, 22, 63, 65}) EXPECT_EQ(t.find(std::string(n, 'k')), nullptr) << n;
  EXPECT_EQ(t.find(std::string(20, 'k') + "x"), nullptr);
  for (int i = 0; i < 1000; ++i) {
    const Value* v = t.find("C" + std::to_string(i));
    ASSERT_NE(v, nullptr) << i;
    EXPECT_EQ(v->text, "KH" + std::to_string(i));
  }
  ASSERT_NE(t.find(""), nullptr);
  EXPECT_TRUE(t.find("")->boolean);
  for (const char* miss : {"C1000", "C-1", "c1", "C01", "C1 ", "KH1"}) EXPECT_EQ(t.find(miss), nullptr) << miss;
  EXPECT_EQ(Table().find("C1"), nullptr);
}

TEST(Expression, CompileErrorsNameTheColumn) {
  Eval eval;
  EXPECT_EQ(eval.compile_error("qty * "), "7: unexpected end of expression");
  EXPECT_EQ(eval.compile_error("uper(name)"), "1: unknown function 'uper'; did you mean 'upper'?");
  EXPECT_EQ(eval.compile_error("round(1, 2, 3, 4)"), "1: round() takes 1 to 3 arguments, got 4");
  EXPECT_EQ(eval.compile_error("round(x, 2, 'half_down')"),
            "13: round(): unknown rounding mode 'half_down' (expected half_up, half_even, floor, ceil or down)");
  EXPECT_EQ(eval.compile_error("matches(x, '(')"), "12: matches(): invalid regular expression: missing ): (");
  EXPECT_EQ(eval.compile_error("format_date(x, '%Q')"),
            "16: format_date(): unknown pattern field '%Q' (expected one of %Y %y %m %d %j %F %H %M %S %T %L %f %z "
            "%:z %%)");
  EXPECT_EQ(eval.compile_error("to_timezone(x, 'Mars/Base')"), "16: to_timezone(): unknown time zone 'Mars/Base'");
  EXPECT_EQ(eval.compile_error("lookup(stats, x)"), "8: unknown table 'stats'; did you mean 'status'?");
  EXPECT_EQ(eval.compile_error("a ? b"), "6: expected ':' at the end of the expression");
  EXPECT_EQ(eval.compile_error("a # b"), "3: unexpected character '#'");
  EXPECT_EQ(eval.compile_error("'open"), "1: unterminated string");
  EXPECT_EQ(eval.compile_error("$self.x"), "1: unknown variable '$self' (expected $this, $parent, $root or $out)");
  EXPECT_EQ(eval.compile_error("(1 + 2"), "7: expected ')' at the end of the expression");
  EXPECT_EQ(eval.compile_error("a b"), "3: unexpected 'b' after the expression");
  // found by the fuzzer: huge indexes and deep nesting are errors, not crashes
  EXPECT_EQ(eval.compile_error("a[11111111111111111111]"), "3: index 11111111111111111111 is too large");
  EXPECT_EQ(eval.compile_error("-111111111111111111111111111111111111111"),
            "2: number 111111111111111111111111111111111111111 has more than 38 digits");
  EXPECT_EQ(eval.compile_error(std::string(500, '(') + "1" + std::string(500, ')')),
            "101: expression nested too deeply");
}

}  // namespace
}  // namespace synchub::mapping
