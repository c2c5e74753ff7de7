// synchub-gen-crm-orders N SEED      N CRM orders (mapping benchmark shape) as JSON lines
// synchub-gen-crm-orders --customers the customer lookup table (JSON)
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "examples/generator/crm_orders.hpp"

int main(int argc, char** argv) {
  CLI::App app{"synchub-gen-crm-orders: generated CRM orders (the mapping benchmark's shape) as JSON lines on stdout",
               "synchub-gen-crm-orders"};
  unsigned long long n = 0, seed = 0;
  bool customers = false;
  CLI::Option* count = app.add_option("n", n, "How many orders")->type_name("N")->check(CLI::NonNegativeNumber);
  CLI::Option* seed_option = app.add_option("seed", seed, "Seed: the same seed gives the same orders")
                                 ->type_name("SEED")
                                 ->check(CLI::NonNegativeNumber);
  app.add_flag("--customers", customers, "Print the customer lookup table (JSON) instead")
      ->excludes(count)
      ->excludes(seed_option);
  try {
    app.parse(argc, argv);
    if (!customers && (!*count || !*seed_option)) throw CLI::RequiredError("N and SEED (or --customers)");
  } catch (const CLI::Success& e) {  // --help
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "synchub-gen-crm-orders: %s\nRun 'synchub-gen-crm-orders --help' for usage.\n", e.what());
    return 2;
  }
  if (customers) {
    std::puts(synchub::examples::make_crm_customer_table().c_str());
    return 0;
  }
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
