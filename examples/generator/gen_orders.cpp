// synchub-gen-orders COUNT [SEED] [START]: COUNT orders as JSON lines on stdout.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "examples/generator/orders.hpp"

int main(int argc, char** argv) {
  CLI::App app{"synchub-gen-orders: generated sales orders (the file-to-file example's shape) as JSON lines on stdout",
               "synchub-gen-orders"};
  unsigned long long count = 0, seed = 1, start = 0;
  app.add_option("count", count, "How many orders")->type_name("COUNT")->required()->check(CLI::NonNegativeNumber);
  app.add_option("seed", seed, "Seed: the same seed gives the same orders")
      ->type_name("SEED")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("start", start, "Index of the first order (its number)")
      ->type_name("START")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "synchub-gen-orders: %s\nRun 'synchub-gen-orders --help' for usage.\n", e.what());
    return 2;
  }
  for (unsigned long long i = start; i < start + count; ++i) {
    std::string order = synchub::examples::make_order(i, seed);
    order += '\n';
    std::fwrite(order.data(), 1, order.size(), stdout);
  }
  return 0;
}
