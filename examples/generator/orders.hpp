// Deterministic, realistic CRM orders as JSON lines (about 1 KB each), for
// the demo, the tests and the benchmarks.
#pragma once

#include <cstdint>
#include <string>

namespace synchub::examples {

// Order number `index` of the set made from `seed`; same inputs, same bytes.
std::string make_order(uint64_t index, uint64_t seed);

}  // namespace synchub::examples
