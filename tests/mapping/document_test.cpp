// The record parser: simdjson's stage 1 plus our own walk of its index.
#include "mapping/document.hpp"

#include <gtest/gtest.h>

#include <string>

namespace synchub::mapping {
namespace {

// parse()'s reason, which check() must give too.
std::string parse_error(const std::string& json) {
  Document doc;
  Document::Member member;
  const std::string checked = doc.check(json, "n", member);
  const std::string reason = doc.parse(json);
  EXPECT_EQ(checked, reason) << json;
  return reason;
}

// same_text settles short texts with word loads: every length, a difference at every position.
TEST(Document, SameTextComparesEveryByteOfEveryLength) {
  const std::string base = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (size_t n = 0; n <= base.size(); ++n) {
    const std::string a = base.substr(0, n);
    std::string b = a;
    EXPECT_TRUE(same_text(a, b)) << n;
    for (size_t i = 0; i < n; ++i) {
      b = a;
      b[i] = '#';
      EXPECT_FALSE(same_text(a, b)) << n << " at " << i;
    }
    if (n > 0) {
      EXPECT_FALSE(same_text(a, a.substr(0, n - 1))) << n;
    }
  }
}

TEST(Document, KeepsNumberTextAndUnescapesOnlyStringsWithEscapes) {
  Document doc;
  ASSERT_EQ(
      doc.parse(
          R"( {"a" : 100.10 , "b":"plain","c":"tab\there \"q\" \u00e9\ud83d\ude9a","d\n":[true,false,null,-0.5e3,[],{}]} )"),
      "");
  const Node& a = doc.at(doc.find(0, "a"));
  EXPECT_EQ(a.kind, JsonKind::Number);
  EXPECT_EQ(a.text(), "100.10");
  EXPECT_EQ(doc.at(doc.find(0, "b")).text(), "plain");
  EXPECT_EQ(doc.at(doc.find(0, "c")).text(), "tab\there \"q\" é🚚");
  uint32_t d = doc.member(0, "d\n");
  ASSERT_NE(d, Document::npos);
  ASSERT_EQ(doc.at(d).kind, JsonKind::Array);
  EXPECT_EQ(doc.at(d).count, 6u);
  EXPECT_EQ(doc.at(doc.element(d, 0)).kind, JsonKind::Bool);
  EXPECT_TRUE(doc.at(doc.element(d, 0)).boolean);
  EXPECT_FALSE(doc.at(doc.element(d, 1)).boolean);
  EXPECT_EQ(doc.at(doc.element(d, 2)).kind, JsonKind::Null);
  EXPECT_EQ(doc.at(doc.element(d, 3)).text(), "-0.5e3");
  EXPECT_EQ(doc.at(doc.element(d, 4)).count, 0u);
  EXPECT_EQ(doc.at(doc.element(d, 5)).kind, JsonKind::Object);
  EXPECT_EQ(doc.element(d, 6), Document::npos);
  EXPECT_EQ(doc.at(0).next, 11u);  // nodes: the root, its 4 members and the 6 elements of d
  EXPECT_EQ(doc.at(0).count, 4u);
}

TEST(Document, StringsOfEveryLengthEndAtTheirQuote) {
  // 16-byte scans: a quote or backslash at every position of a block
  for (size_t n = 0; n < 40; ++n) {
    std::string s(n, 'x');
    Document doc;
    ASSERT_EQ(doc.parse("[\"" + s + "\",\"" + s + "\\\\\"]"), "") << n;
    EXPECT_EQ(doc.at(doc.element(0, 0)).text(), s);
    EXPECT_EQ(doc.at(doc.element(0, 1)).text(), s + "\\");
  }
}

TEST(Document, MemberNamesOfEveryLengthAreComparedWhole) {
  // names sharing length, first and last byte with the one looked up
  for (size_t n = 1; n < 40; ++n) {
    std::string name(n, 'k'), lookalike = name;
    if (n > 2) lookalike[n / 2] = 'x';
    Document doc;
    ASSERT_EQ(doc.parse("{\"" + lookalike + "\":1,\"" + name + "\":2}"), "");
    EXPECT_EQ(doc.at(doc.member(0, name)).text(), n > 2 ? "2" : "1") << n;  // "k" and "kk" have no lookalike
    EXPECT_EQ(doc.member(0, name + "k"), Document::npos);
  }
  // lengths 65,536 apart share a signature
  const std::string longer = "a" + std::string(65536, 'b') + "c";
  Document doc;
  ASSERT_EQ(doc.parse("{\"" + longer + "\":1,\"abc\":2}"), "");
  EXPECT_EQ(doc.at(doc.member(0, "abc")).text(), "2");
  EXPECT_EQ(doc.at(doc.member(0, longer)).text(), "1");
  ASSERT_EQ(doc.parse(R"({"abc":2})"), "");
  EXPECT_EQ(doc.member(0, longer), Document::npos);
}

TEST(Document, ReusedForTheNextRecord) {
  Document doc;
  ASSERT_EQ(doc.parse(R"({"a":"first \"one\"","n":1})"), "");
  ASSERT_EQ(doc.parse(R"({"a":"second","n":22})"), "");
  EXPECT_EQ(doc.at(doc.find(0, "a")).text(), "second");
  EXPECT_EQ(doc.at(doc.find(0, "n")).text(), "22");
  ASSERT_EQ(doc.parse("[" + std::string(200000, ' ') + "\"big\"]"), "");  // grows past its first capacity
  EXPECT_EQ(doc.at(doc.element(0, 0)).text(), "big");
}

// Numbers written as a normalized decimal is are marked so, for `type: number`
// to keep their text: no exponent, no trailing fractional zero, not -0.
TEST(Document, MarksNumbersWrittenNormalized) {
  Document doc;
  ASSERT_EQ(doc.parse("[1,10,0,-0.5,0.25,1.50,-0,-0.0,1e3,2.5E-1,5.0]"), "");
  const bool expected[] = {true, true, true, true, true, false, false, false, false, false, false};
  for (uint32_t i = 0; i < 11; ++i) {
    const Node& n = doc.at(doc.element(0, i));
    ASSERT_EQ(n.kind, JsonKind::Number) << i;
    EXPECT_EQ(n.boolean, expected[i]) << n.text();
  }
}

TEST(Document, ParsesInPlaceWhenTheBufferGoesOnAndNeverReadsPastTheText) {
  // what follows the text is the next record: it must not complete this one
  std::string buffer = R"({"a":"x","n":[1,2]})"
                       "\n"
                       "]}" +
                       std::string(Document::kPadding, ' ');
  Document doc;
  const size_t first = buffer.find('\n');
  ASSERT_EQ(doc.parse(std::string_view(buffer).substr(0, first), buffer.size() - first), "");
  EXPECT_EQ(doc.at(doc.find(0, "a")).text(), "x");
  EXPECT_EQ(doc.at(doc.find(0, "n")).count, 2u);
  buffer = R"({"n":[1,2)"
           "]}" +
           std::string(Document::kPadding, ' ');
  EXPECT_EQ(doc.parse(std::string_view(buffer).substr(0, 9), buffer.size() - 9), "expected ',' or ']' in an array");
  buffer = R"({"n":"a)"
           "\"}" +
           std::string(Document::kPadding, ' ');
  EXPECT_NE(doc.parse(std::string_view(buffer).substr(0, 7), buffer.size() - 7), "");  // unclosed string
  // parsed where they are (a newline follows): the newline ends them, what comes after it does not count
  for (const std::string truncated : {"[1,2", R"({"a":1)", R"({"a")", "[[]", R"({"a":[1],"b")"}) {
    buffer = truncated + "\n]}]}" + std::string(Document::kPadding, ' ');
    EXPECT_NE(doc.parse(std::string_view(buffer).substr(0, truncated.size()), buffer.size() - truncated.size()), "")
        << truncated;
  }
  buffer = std::string(R"({"a":[1]})") + "\n]}" + std::string(Document::kPadding, ' ');
  EXPECT_EQ(doc.parse(std::string_view(buffer).substr(0, 9), buffer.size() - 9), "");
}

TEST(Document, CheckReportsTheRootsFirstMemberOfTheNameWithoutATree) {
  Document doc;
  Document::Member m;
  ASSERT_EQ(doc.check(R"({"lines":[{"id":"inner"}],"id":"SO-1","id":"SO-2"})", "id", m), "");
  EXPECT_EQ(m.root, JsonKind::Object);
  EXPECT_TRUE(m.found);
  EXPECT_EQ(m.kind, JsonKind::String);
  EXPECT_EQ(m.text, "SO-1") << "the root's own member, the first of that name";
  ASSERT_EQ(doc.check(R"({"id":"SO-\u4e0a","n":12.50})", "id", m), "");
  EXPECT_EQ(m.text, "SO-上");
  ASSERT_EQ(doc.check(R"({"id":"SO-1","n":12.50})", "n", m), "");
  EXPECT_EQ(m.kind, JsonKind::Number);
  EXPECT_EQ(m.text, "12.50");
  ASSERT_EQ(doc.check(R"({"order":{"id":"x"}})", "id", m), "");
  EXPECT_FALSE(m.found);
  ASSERT_EQ(doc.check(R"([{"id":"x"}])", "id", m), "");
  EXPECT_EQ(m.root, JsonKind::Array);
  EXPECT_FALSE(m.found);
}

// A member named twice in one object is found by parse() and check() alike,
// at any depth, with escapes read; the JSON itself is valid, so parse() keeps
// the tree (an answer from another system is read as before).
TEST(Document, FindsAMemberNamedTwiceInOneObject) {
  auto duplicate = [](const std::string& json) {
    Document doc;
    Document::Member member;
    EXPECT_EQ(doc.check(json, "id", member), "") << json;
    const std::string checked = doc.duplicate_key();
    EXPECT_EQ(doc.parse(json), "") << json;
    EXPECT_EQ(doc.duplicate_key(), checked) << json;
    EXPECT_EQ(doc.duplicate_key(doc.root_index()), checked) << json;
    return checked;
  };
  EXPECT_EQ(duplicate(R"({"id":"A","amount":"1.00","amount":"2.00"})"), "duplicate key 'amount'");
  EXPECT_EQ(duplicate(R"({"amount":"1.00","id":"A","amount":"2.00"})"), "duplicate key 'amount'");
  EXPECT_EQ(duplicate(R"({"id":"A","lines":[{"sku":"x","qty":1,"sku":"y"}]})"), "duplicate key 'sku'");
  EXPECT_EQ(duplicate(R"({"id":"A","a":{"x":{"deep":1,"deep":2}}})"), "duplicate key 'deep'");
  EXPECT_EQ(duplicate(R"({"id":"A","\u0061":1,"a":2})"), "duplicate key 'a'");  // the same name, escaped
  EXPECT_EQ(duplicate(R"({"":1,"":2})"), "duplicate key ''");
  // Names alike in length, first and last byte, or the same name in two objects: no duplicate.
  EXPECT_EQ(duplicate(R"({"id":"A","a1x":1,"a2x":2,"abcx":3,"abdx":4})"), "");
  EXPECT_EQ(duplicate(R"({"id":"A","p":{"x":1},"q":{"x":2},"list":[{"x":1},{"x":2}]})"), "");
  EXPECT_EQ(duplicate(R"(["id","id"])"), "");
  // A large object (past the small-object filter): distinct names, then one repeated.
  std::string large = "{\"id\":\"A\"";
  for (int i = 0; i < 300; ++i) large += ",\"field_" + std::to_string(i) + "\":" + std::to_string(i);
  EXPECT_EQ(duplicate(large + "}"), "");
  EXPECT_EQ(duplicate(large + ",\"field_150\":0}"), "duplicate key 'field_150'");
}

// Rows of one page are told apart: the duplicate belongs to its row only.
TEST(Document, FindsADuplicateInTheRowThatHasIt) {
  Document doc;
  ASSERT_EQ(doc.parse(R"([{"id":"A","n":1},{"id":"B","n":1,"n":2},{"id":"C"}])"), "");
  const uint32_t a = Document::first_child(doc.root_index());
  const uint32_t b = doc.at(a).next;
  const uint32_t c = doc.at(b).next;
  EXPECT_EQ(doc.duplicate_key(a), "");
  EXPECT_EQ(doc.duplicate_key(b), "duplicate key 'n'");
  EXPECT_EQ(doc.duplicate_key(c), "");
  // The next record starts clean.
  ASSERT_EQ(doc.parse(R"({"id":"D","n":1})"), "");
  EXPECT_EQ(doc.duplicate_key(), "");
}

TEST(Document, RefusesInvalidJsonWithAReason) {
  EXPECT_EQ(parse_error("{\"n\":\"\xc3\x28\"}"), "invalid UTF-8");
  EXPECT_NE(parse_error("{\"n\":\"a\x01z\"}"), "");  // a control character inside a string
  EXPECT_EQ(parse_error(R"({"n":"\x"})"), "invalid escape in a string");
  EXPECT_NE(parse_error(R"({"n":"open})"), "");
  EXPECT_EQ(parse_error(R"({"n":1} {"m":2})"), "trailing content after the JSON value");
  EXPECT_EQ(parse_error(R"({"n":1}})"), "trailing content after the JSON value");
  EXPECT_EQ(parse_error(R"("just a string")"), "expected a JSON object or array");
  EXPECT_EQ(parse_error("42"), "expected a JSON object or array");
  EXPECT_NE(parse_error(""), "");
  EXPECT_NE(parse_error("   "), "");
  EXPECT_EQ(parse_error(R"({"n":tru})"), "invalid literal 'tru'");
  EXPECT_EQ(parse_error(R"({"n":nulls})"), "invalid literal 'nulls'");
  EXPECT_EQ(parse_error(R"({"n":01})"), "invalid value '01'");
  EXPECT_EQ(parse_error(R"({"n":1.})"), "invalid value '1.'");
  EXPECT_EQ(parse_error(R"({"n":+1})"), "invalid value '+1'");
  EXPECT_EQ(parse_error(R"({"n" 1})"), "expected ':' after a member name");
  EXPECT_EQ(parse_error(R"({"n":1 "m":2})"), "expected ',' or '}' in an object");
  EXPECT_EQ(parse_error(R"({n:1})"), "expected a member name in an object");
  EXPECT_EQ(parse_error(R"({"n":1,})"), "expected a member name in an object");
  EXPECT_EQ(parse_error(R"([1 2])"), "expected ',' or ']' in an array");
  EXPECT_EQ(parse_error(R"([1,])"), "invalid value ']'");
  EXPECT_EQ(parse_error(R"([1)"), "expected ',' or ']' in an array");
  EXPECT_EQ(parse_error(R"({"n":)"), "unexpected end of input");
  EXPECT_EQ(parse_error(R"({"n")"), "expected ':' after a member name");
  // the root and 200 levels below it
  EXPECT_EQ(parse_error(std::string(201, '[') + std::string(201, ']')), "");
  EXPECT_EQ(parse_error(std::string(202, '[') + std::string(202, ']')), "nesting deeper than 200 levels");
}

}  // namespace
}  // namespace synchub::mapping
