// Record batches of the embedded log: what goes in comes back, under either compression, and
// bytes that are not a batch are an error, never a crash or a wrong event.
#include "runtime/bus/event_batch.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace synchub::runtime {
namespace {

const std::string kShared = "9:ce_source19:/synchub/crm/orders";

std::vector<BatchEvent> sample(std::vector<std::string>& keep) {
  keep = {"SO-1",
          R"({"order_id":"SO-1","customer":"上海贸易"})",
          "5:ce_id4:id-1",
          "",
          std::string(70'000, 'x'),
          "",
          "SO-3",
          std::string("nul\0inside", 10),
          "5:ce_id4:id-3"};
  return {{keep[0], keep[1], kShared, keep[2]}, {keep[3], keep[4], {}, keep[5]}, {keep[6], keep[7], kShared, keep[8]}};
}

class EventBatch : public testing::TestWithParam<Compression> {};

TEST_P(EventBatch, RoundTripsKeysValuesAndHeaders) {
  std::vector<std::string> keep;
  const auto events = sample(keep);
  const std::string stored = encode_batch(events, GetParam());
  std::string buffer;
  const auto back = decode_batch(stored, buffer);
  ASSERT_EQ(back.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(back[i].key, events[i].key) << i;
    EXPECT_EQ(back[i].value, events[i].value) << i;
    EXPECT_EQ(back[i].shared_headers, events[i].shared_headers) << i;
    EXPECT_EQ(back[i].headers, events[i].headers) << i;
  }
  // The shared block is stored once, however many events carry it.
  EXPECT_EQ(back[0].shared_headers.data(), back[2].shared_headers.data());
  EXPECT_TRUE(decode_batch(encode_batch({}, GetParam()), buffer).empty());
}

TEST_P(EventBatch, EveryTruncationIsAnError) {
  std::vector<std::string> keep;
  const std::string stored = encode_batch(sample(keep), GetParam());
  std::string buffer;
  for (size_t size = 0; size < stored.size(); size += (size < 64 ? 1 : 997)) {
    EXPECT_THROW(decode_batch(std::string_view(stored).substr(0, size), buffer), std::runtime_error) << size;
  }
}

INSTANTIATE_TEST_SUITE_P(Compressions, EventBatch, testing::Values(Compression::None, Compression::Lz4),
                         [](const auto& info) { return info.param == Compression::Lz4 ? "Lz4" : "None"; });

TEST(EventBatch, Lz4ShrinksRepetitiveEvents) {
  const std::string order = R"({"order_id":"SO-1","lines":[{"sku":"A-1","qty":2,"unit_price":"10.00"}]})";
  std::vector<BatchEvent> events(500, BatchEvent{"SO-1", order, kShared, "5:ce_id4:id-1"});
  EXPECT_LT(encode_batch(events, Compression::Lz4).size() * 10, encode_batch(events, Compression::None).size());
}

TEST(EventBatch, BytesThatAreNotABatchAreErrorsNamingWhy) {
  std::string buffer;
  auto reason = [&](std::string_view bytes) {
    try {
      decode_batch(bytes, buffer);
      return std::string("decoded");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
  };
  EXPECT_EQ(reason(""), "corrupt event batch: empty");
  EXPECT_EQ(reason(std::string("\x07\x00", 2)), "corrupt event batch: unknown compression");
  EXPECT_EQ(reason(std::string("\x00\x05"
                               "ab",
                               4)),
            "corrupt event batch: size does not match");
  EXPECT_EQ(reason(std::string("\x01\x04"
                               "abcd",
                               6)),
            "corrupt event batch: LZ4 block does not decode");
  EXPECT_EQ(reason(std::string("\x00\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", 11)),
            "corrupt event batch: varint too long");
  // Plain payload: one event pointing at shared block 3 of none.
  EXPECT_EQ(reason(std::string("\x00\x05\x00\x03\x00\x00\x00", 7)), "corrupt event batch: shared headers out of range");
}

}  // namespace
}  // namespace synchub::runtime
