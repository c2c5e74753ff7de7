// Wall-clock time as stored and shown (state rows, events, metrics): epoch milliseconds.
#pragma once

#include <chrono>
#include <cstdint>

namespace synchub::runtime {

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace synchub::runtime
