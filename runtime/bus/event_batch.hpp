// A record batch of the embedded log: the events one publish appends to one partition, stored
// in one row and compressed together, as Kafka stores its record batches. Headers the events of
// a batch share (CloudEvents source, type, time...) are stored once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace synchub::runtime {

enum class Compression : uint8_t { None = 0, Lz4 = 1 };

// One event in a batch. Headers are encoded as append_header writes them; an event's full
// headers are `shared_headers` followed by `headers`.
struct BatchEvent {
  std::string_view key;
  std::string_view value;
  std::string_view shared_headers;
  std::string_view headers;
};

// The stored form: a codec byte, the payload's size as a varint, then the payload (an LZ4 block,
// or plain). Batches compressed one way decode under any setting.
std::string encode_batch(std::span<const BatchEvent> events, Compression compression);

// The batch's events, viewing `buffer` (which it fills). Throws std::runtime_error when the
// bytes are not a batch.
std::vector<BatchEvent> decode_batch(std::string_view stored, std::string& buffer);

}  // namespace synchub::runtime
