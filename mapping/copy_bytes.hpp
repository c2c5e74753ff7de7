// Copies of a few bytes without a libc call. The record path copies many
// short pieces (member names, numbers, codes); a memcpy call with a size
// known only at run time costs more than the copy itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace synchub::mapping {

// memcpy(dst, src, n) for ranges that do not overlap: up to 32 bytes as two
// overlapping loads and stores of the widest size that fits (nothing is read
// or written outside the ranges), longer ones by memcpy.
inline void copy_bytes(char* dst, const char* src, size_t n) {
  auto copy = [](char* d, const char* s, auto word) {
    std::memcpy(&word, s, sizeof word);  // fixed sizes: compiled to one load and one store
    std::memcpy(d, &word, sizeof word);
  };
  if (n <= 16) {
    if (n >= 8) {
      copy(dst, src, uint64_t{});
      copy(dst + n - 8, src + n - 8, uint64_t{});
    } else if (n >= 4) {
      copy(dst, src, uint32_t{});
      copy(dst + n - 4, src + n - 4, uint32_t{});
    } else if (n > 0) {
      dst[0] = src[0];
      dst[n / 2] = src[n / 2];
      dst[n - 1] = src[n - 1];
    }
  } else if (n <= 32) {
    struct Half {
      uint64_t a, b;
    };
    copy(dst, src, Half{});
    copy(dst + n - 16, src + n - 16, Half{});
  } else {
    std::memcpy(dst, src, n);
  }
}

}  // namespace synchub::mapping
