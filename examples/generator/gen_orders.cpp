// synchub-gen-orders N [SEED] [--start K]: N orders as JSON lines on stdout.
#include <cstdio>
#include <string>

#include "examples/generator/orders.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: synchub-gen-orders COUNT [SEED] [START]\n");
    return 2;
  }
  const unsigned long long count = std::stoull(argv[1]);
  const unsigned long long seed = argc > 2 ? std::stoull(argv[2]) : 1;
  const unsigned long long start = argc > 3 ? std::stoull(argv[3]) : 0;
  for (unsigned long long i = start; i < start + count; ++i) {
    std::string order = synchub::examples::make_order(i, seed);
    order += '\n';
    std::fwrite(order.data(), 1, order.size(), stdout);
  }
  return 0;
}
