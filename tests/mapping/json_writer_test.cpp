#include "mapping/json_writer.hpp"

#include <gtest/gtest.h>

#include "mapping/record.hpp"

namespace synchub::mapping {
namespace {

// copy_bytes copies exactly n bytes for every n around its word sizes, at
// every alignment, and writes nothing before or after them.
TEST(CopyBytes, CopiesExactlyTheBytesAskedFor) {
  std::string source(100, '\0');
  for (size_t i = 0; i < source.size(); ++i) source[i] = static_cast<char>('A' + i % 50);
  for (size_t n = 0; n <= 70; ++n) {
    for (size_t offset = 0; offset < 8; ++offset) {
      std::string target(n + 32, '.');
      copy_bytes(target.data() + 16, source.data() + offset, n);
      const std::string want = std::string(16, '.') + source.substr(offset, n) + std::string(16, '.');
      ASSERT_EQ(target, want) << "n " << n << " offset " << offset;
    }
  }
}

// The writer's escaping (16 bytes at a time) agrees with append_json_string
// (a byte at a time) for every special byte at every position around the
// 16-byte blocks, beside UTF-8 text whose bytes are >= 0x80.
TEST(JsonWriter, EscapesLikeTheReferenceAtEveryPosition) {
  std::vector<char> specials = {'"', '\\', '\n', '\r', '\t', '\b', '\f', 0x7f};
  for (int c = 0; c < 0x20; ++c) specials.push_back(static_cast<char>(c));
  const std::string filler =
      "ab\xe4\xb8\xad"
      "cdefgh\xf0\x9f\x9a\x9a"
      "ijklmnopqrstuvwxyz0123456789";
  JsonWriter w;
  for (size_t length = 0; length <= 40; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (char special : specials) {
        std::string text = filler.substr(0, length);
        text[at] = special;
        if (at + 1 < length) text[length - 1] = '"';  // a second one
        std::string want;
        append_json_string(want, text);
        w.clear();
        w.string(text, false);
        ASSERT_EQ(w.text(), want) << "length " << length << " at " << at << " byte " << int(special);
        ASSERT_EQ(is_plain_json_text(text), want == "\"" + text + "\"") << length << " at " << at;
      }
    }
  }
  EXPECT_TRUE(is_plain_json_text(filler));
  EXPECT_TRUE(is_plain_json_text(""));
  w.clear();
  w.string("plain \xe4\xb8\xad", true);
  EXPECT_EQ(w.text(), "\"plain \xe4\xb8\xad\"");
}

TEST(JsonWriter, GrowsPastItsFirstBuffer) {
  JsonWriter w;
  std::string want = "[";
  Value items[3];
  const std::string big(10000, 'x'), escaped = big + "\n";
  items[0] = Value::of_string(big, true);
  items[1] = Value::of_string(escaped, false);
  items[2] = Value::of_number(Decimal::parse("-12345678901234567890.0123456789").value());
  Document doc;
  w.value(doc, Value::of_list(items, 3));
  EXPECT_EQ(w.text(), "[\"" + big + "\",\"" + big + "\\n\",-12345678901234567890.0123456789]");
}

}  // namespace
}  // namespace synchub::mapping
