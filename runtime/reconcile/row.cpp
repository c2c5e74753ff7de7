#include "runtime/reconcile/row.hpp"

#include <stdexcept>

namespace synchub::reconcile {

const char* side_name(Side side) {
  return side == Side::Source ? "source" : "target";
}

namespace {

void put_number(std::string& out, uint64_t n) {
  while (n >= 0x80) {
    out += static_cast<char>((n & 0x7f) | 0x80);
    n >>= 7;
  }
  out += static_cast<char>(n);
}

void put_text(std::string& out, std::string_view text) {
  put_number(out, text.size());
  out += text;
}

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  uint64_t number() {
    uint64_t n = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= bytes_.size()) throw std::runtime_error("reconciliation spill: truncated row");
      const auto byte = static_cast<unsigned char>(bytes_[at_++]);
      n |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return n;
    }
    throw std::runtime_error("reconciliation spill: bad number");
  }
  char byte() {
    if (at_ >= bytes_.size()) throw std::runtime_error("reconciliation spill: truncated row");
    return bytes_[at_++];
  }
  std::string text() {
    const uint64_t size = number();
    if (size > bytes_.size() - at_) throw std::runtime_error("reconciliation spill: truncated text");
    std::string out(bytes_.substr(at_, size));
    at_ += size;
    return out;
  }

 private:
  std::string_view bytes_;
  size_t at_ = 0;
};

}  // namespace

std::string encode_row(const Row& row) {
  std::string out;
  out += static_cast<char>(row.side);
  out += static_cast<char>((row.in_scope ? 1 : 0) | (row.time_us ? 2 : 0));
  if (row.time_us) put_number(out, static_cast<uint64_t>(*row.time_us));
  put_number(out, row.values.size());
  for (const auto& v : row.values) {
    out += v ? '\1' : '\0';
    if (v) put_text(out, *v);
  }
  put_text(out, row.waiting);
  put_text(out, row.unpaired);
  put_text(out, row.error);
  return out;
}

Row decode_row(std::string_view bytes) {
  if (bytes.size() < 2) throw std::runtime_error("reconciliation spill: truncated row");
  Row row;
  row.side = static_cast<Side>(bytes[0]);
  const auto flags = static_cast<unsigned char>(bytes[1]);
  row.in_scope = flags & 1;
  Reader r(bytes.substr(2));
  if (flags & 2) row.time_us = static_cast<int64_t>(r.number());
  const uint64_t count = r.number();
  if (count > bytes.size()) throw std::runtime_error("reconciliation spill: bad value count");
  row.values.resize(count);
  for (auto& v : row.values)
    if (r.byte()) v = r.text();
  row.waiting = r.text();
  row.unpaired = r.text();
  row.error = r.text();
  return row;
}

}  // namespace synchub::reconcile
