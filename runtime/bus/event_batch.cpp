#include "runtime/bus/event_batch.hpp"

#include <lz4.h>

#include <stdexcept>

namespace synchub::runtime {
namespace {

// Payload: varint count of shared header blocks, each a varint size and its bytes; then per
// event: varint (1 + index of its shared block, 0 for none), then key, value and headers, each a
// varint size and its bytes.

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out.append(bytes);
}

[[noreturn]] void corrupt(const char* what) {
  throw std::runtime_error(std::string("corrupt event batch: ") + what);
}

struct Reader {
  std::string_view in;

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in.empty()) corrupt("truncated");
      const auto byte = static_cast<unsigned char>(in.front());
      in.remove_prefix(1);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (byte < 0x80) return v;
    }
    corrupt("varint too long");
  }

  std::string_view bytes() {
    const uint64_t size = varint();
    if (size > in.size()) corrupt("truncated");
    std::string_view out = in.substr(0, size);
    in.remove_prefix(size);
    return out;
  }
};

std::string encode_payload(std::span<const BatchEvent> events) {
  std::vector<std::string_view> shared;  // distinct blocks; a publish usually has one
  std::vector<uint64_t> shared_index(events.size(), 0);
  size_t size = 16;
  for (size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    size += e.key.size() + e.value.size() + e.headers.size() + 16;
    if (e.shared_headers.empty()) continue;
    size_t k = 0;
    while (k < shared.size() && shared[k] != e.shared_headers) ++k;
    if (k == shared.size()) {
      shared.push_back(e.shared_headers);
      size += e.shared_headers.size() + 8;
    }
    shared_index[i] = k + 1;
  }
  std::string out;
  out.reserve(size);
  put_varint(out, shared.size());
  for (auto block : shared) put_bytes(out, block);
  for (size_t i = 0; i < events.size(); ++i) {
    put_varint(out, shared_index[i]);
    put_bytes(out, events[i].key);
    put_bytes(out, events[i].value);
    put_bytes(out, events[i].headers);
  }
  return out;
}

}  // namespace

std::string encode_batch(std::span<const BatchEvent> events, Compression compression) {
  std::string payload = encode_payload(events);
  if (compression == Compression::Lz4 && payload.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE))
    compression = Compression::None;  // beyond LZ4's block size (2 GB): stored plain
  std::string out;
  out += static_cast<char>(compression);
  put_varint(out, payload.size());
  if (compression == Compression::None) return out.append(payload);
  const size_t head = out.size();
  const int bound = LZ4_compressBound(static_cast<int>(payload.size()));
  out.resize(head + static_cast<size_t>(bound));
  const int written = LZ4_compress_default(payload.data(), out.data() + head, static_cast<int>(payload.size()), bound);
  if (written <= 0) throw std::runtime_error("LZ4 compression failed");
  out.resize(head + static_cast<size_t>(written));
  return out;
}

std::vector<BatchEvent> decode_batch(std::string_view stored, std::string& buffer) {
  Reader header{stored};
  if (header.in.empty()) corrupt("empty");
  const auto codec = static_cast<unsigned char>(header.in.front());
  header.in.remove_prefix(1);
  const uint64_t size = header.varint();
  if (codec == static_cast<unsigned char>(Compression::None)) {
    if (size != header.in.size()) corrupt("size does not match");
    buffer.assign(header.in);
  } else if (codec == static_cast<unsigned char>(Compression::Lz4)) {
    // LZ4 expands at most 255-fold: a larger size is not one the encoder wrote.
    if (size > static_cast<uint64_t>(LZ4_MAX_INPUT_SIZE) || header.in.size() > static_cast<size_t>(INT32_MAX) ||
        size > header.in.size() * 255 + 16)
      corrupt("size out of range");
    buffer.resize(size);
    const int got = LZ4_decompress_safe(header.in.data(), buffer.data(), static_cast<int>(header.in.size()),
                                        static_cast<int>(size));
    if (got < 0 || static_cast<uint64_t>(got) != size) corrupt("LZ4 block does not decode");
  } else {
    corrupt("unknown compression");
  }
  Reader in{buffer};
  const uint64_t shared_count = in.varint();
  if (shared_count > in.in.size()) corrupt("truncated");
  std::vector<std::string_view> shared(shared_count);
  for (auto& block : shared) block = in.bytes();
  std::vector<BatchEvent> events;
  while (!in.in.empty()) {
    BatchEvent e;
    const uint64_t index = in.varint();
    if (index > shared.size()) corrupt("shared headers out of range");
    if (index > 0) e.shared_headers = shared[index - 1];
    e.key = in.bytes();
    e.value = in.bytes();
    e.headers = in.bytes();
    events.push_back(e);
  }
  return events;
}

}  // namespace synchub::runtime
