// synchub-gen-crm-orders N SEED      N CRM orders (mapping benchmark shape) as JSON lines
// synchub-gen-crm-orders --customers the customer lookup table (JSON)
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "examples/generator/crm_orders.hpp"

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "--customers") == 0) {
    std::puts(synchub::examples::make_crm_customer_table().c_str());
    return 0;
  }
  if (argc != 3) {
    std::fputs("usage: synchub-gen-crm-orders N SEED | --customers\n", stderr);
    return 2;
  }
  const unsigned long long n = std::strtoull(argv[1], nullptr, 10), seed = std::strtoull(argv[2], nullptr, 10);
  std::string buffer;
  for (unsigned long long i = 0; i < n; ++i) {
    buffer += synchub::examples::make_crm_order(i, seed);
    buffer += '\n';
    if (buffer.size() > (1 << 20)) {
      std::fwrite(buffer.data(), 1, buffer.size(), stdout);
      buffer.clear();
    }
  }
  std::fwrite(buffer.data(), 1, buffer.size(), stdout);
  return 0;
}
