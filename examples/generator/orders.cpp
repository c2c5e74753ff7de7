#include "examples/generator/orders.hpp"

#include <cstdio>
#include <random>

namespace synchub::examples {

namespace {
const char* kCustomers[] = {"Acme Trading Ltd", "Northwind GmbH", "上海华联贸易有限公司", "Globex S.A.",
                            "深圳前海科技",     "Initech LLC",    "Umbrella Supplies",    "Contoso Pty"};
const char* kProducts[] = {"Steel bolt M8", "Copper wire 2.5mm",  "LED panel 60x60", "办公椅 人体工学",
                           "Laptop stand",  "Thermal paper roll", "Safety gloves L", "Cable tray 3m"};
const char* kStates[] = {"won", "confirmed", "shipped", "invoiced"};

std::string money(int64_t cents) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld", static_cast<long long>(cents / 100),
                static_cast<long long>(cents % 100));
  return buf;
}
}  // namespace

std::string make_order(uint64_t index, uint64_t seed) {
  std::mt19937_64 rng(seed * 1000003 + index);
  auto pick = [&](uint64_t n) { return static_cast<size_t>(rng() % n); };
  char head[512];
  const unsigned day = 1 + static_cast<unsigned>(index % 28);
  std::snprintf(head, sizeof head,
                "{\"order_id\":\"SO-%08llu\",\"customer\":{\"code\":\"C-%04zu\",\"name\":\"%s\"},"
                "\"status\":\"%s\",\"currency\":\"CNY\",\"order_date\":\"2026-11-%02uT09:%02zu:00+08:00\","
                "\"updated_at\":\"2026-11-%02uT10:%02zu:00Z\",\"sales_rep\":\"rep%zu@example.com\",\"lines\":[",
                static_cast<unsigned long long>(index), 1000 + pick(1000), kCustomers[pick(8)], kStates[pick(4)], day,
                pick(60), day, pick(60), pick(40));
  std::string out = head;
  int64_t total = 0;
  const size_t lines = 2 + pick(4);
  for (size_t l = 0; l < lines; ++l) {
    int64_t quantity = 1 + static_cast<int64_t>(pick(50));
    int64_t unit_cents = 99 + static_cast<int64_t>(pick(250000));
    int64_t amount = quantity * unit_cents;
    total += amount;
    char line[384];
    std::snprintf(line, sizeof line,
                  "%s{\"line_no\":%zu,\"sku\":\"SKU-%05zu\",\"description\":\"%s\",\"quantity\":%lld,"
                  "\"unit_price\":%s,\"amount\":%s,\"tax_rate\":\"0.13\"}",
                  l ? "," : "", l + 1, pick(20000), kProducts[pick(8)], static_cast<long long>(quantity),
                  money(unit_cents).c_str(), money(amount).c_str());
    out += line;
  }
  out += "],\"total\":" + money(total) + ",\"notes\":\"Deliver to dock 3 before noon; call ahead.\"}";
  return out;
}

}  // namespace synchub::examples
