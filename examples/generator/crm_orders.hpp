// Deterministic CRM sales orders in the shape of the mapping benchmark
// (about 2 KB each, Chinese and other Unicode text, 1-20 lines, prices with
// two decimals, quantities as numbers or decimal strings) including its hard
// cases: 0.10 + 0.20 lines, a 12345678901234.56 price, empty orders, missing
// optional fields, customers missing from the lookup table.
#pragma once

#include <cstdint>
#include <string>

namespace synchub::examples {

std::string make_crm_order(uint64_t index, uint64_t seed);

// The CRM customer id -> ERP code table as JSON (C000001..C001000).
std::string make_crm_customer_table();

}  // namespace synchub::examples
