#include "examples/generator/crm_orders.hpp"

#include <cstdio>
#include <random>
#include <vector>

namespace synchub::examples {
namespace {

struct City {
  const char* province;
  const char* city;
  std::vector<const char*> districts;
};
const City kCities[] = {{"上海市", "上海市", {"浦东新区", "徐汇区", "闵行区"}},
                        {"广东省", "深圳市", {"南山区", "福田区", "宝安区"}},
                        {"浙江省", "杭州市", {"西湖区", "滨江区"}},
                        {"北京市", "北京市", {"海淀区", "朝阳区"}},
                        {"四川省", "成都市", {"高新区", "武侯区"}}};
const char* kCompanies[] = {"华信科技有限公司", "恒通贸易有限公司", "Acme Trading Ltd.", "智联电子股份有限公司",
                            "Globex GmbH"};
const char* kPeople[] = {"王伟", "李娜", "张敏", "刘洋", "陈静", "Bob Müller", "Carlos Díaz"};
const char* kProducts[][2] = {{"智能温控模块", "PCS"},     {"工业级交换机 24口", "台"},
                              {"不锈钢法兰 DN50", "件"},   {"锂电池组 48V/100Ah", "组"},
                              {"光纤跳线 LC-LC 3m", "根"}, {"Industrial Sensor Kit", "SET"}};
const char* kRemarks[] = {"请于月底前发货，需开具增值税专用发票。",
                          "Urgent: ship via SF Express 🚚, contact before delivery.",
                          "合同编号见附件\\n付款方式：月结30天", "含\\\"样品\\\"两件，不计费\\t备注结束", ""};
const char* kDiscounts[] = {"0", "0", "0", "0.05", "0.1", "0.15", "0.2", "0.075", "0.085"};
const char* kTaxes[] = {"0.13", "0.13", "0.09", "0.06"};
const char* kStatuses[] = {"draft", "submitted", "submitted", "approved", "approved", "cancelled"};
const char* kCurrencies[] = {"CNY", "CNY", "CNY", "USD", "EUR"};

template <size_t N>
const char* pick(std::mt19937_64& rng, const char* (&list)[N]) {
  return list[rng() % N];
}

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string iso8(int64_t epoch) {  // "+08:00" local time
  int64_t t = epoch + 8 * 3600;
  int64_t days = t / 86400, secs = t % 86400;
  // civil from days (Howard Hinnant)
  days += 719468;
  int64_t era = days / 146097;
  unsigned doe = static_cast<unsigned>(days - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
  int64_t y = yoe + era * 400 + (m <= 2);
  return format("%04lld-%02u-%02uT%02lld:%02lld:%02lld+08:00", static_cast<long long>(y), m, d,
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
}

std::string price(std::mt19937_64& rng) {
  double band = static_cast<double>(rng() % 1000) / 1000;
  uint64_t cents = band < 0.5 ? 100 + rng() % 99900 : band < 0.9 ? 100000 + rng() % 9900000 : (1 + rng() % 99) * 100;
  return format("%llu.%02llu", static_cast<unsigned long long>(cents / 100),
                static_cast<unsigned long long>(cents % 100));
}

std::string quantity(std::mt19937_64& rng) {
  uint64_t x = rng() % 100;
  if (x < 70) return std::to_string(1 + rng() % 500);
  if (x < 85) return "\"" + std::to_string(1 + rng() % 200) + "\"";
  uint64_t milli = 1 + rng() % 100000;
  return format("\"%llu.%03llu\"", static_cast<unsigned long long>(milli / 1000),
                static_cast<unsigned long long>(milli % 1000));
}

}  // namespace

std::string make_crm_order(uint64_t i, uint64_t seed) {
  std::mt19937_64 rng(seed * 1000003 + i);
  const bool drop = i % 61 == 7;
  const int64_t created = 1672502400 + static_cast<int64_t>(rng() % (2 * 365 * 86400));
  const int64_t updated = created + static_cast<int64_t>(rng() % (30 * 86400));
  const City& city = kCities[rng() % 5];
  std::string lines;
  size_t count = 1 + rng() % 12;
  if (i % 503 == 5) count = 0;
  for (size_t k = 0; k < count; ++k) {
    auto product = kProducts[rng() % 6];
    std::string unit_price = price(rng), qty = quantity(rng), discount;
    if (i % 97 == 11 && k < 2) {
      unit_price = k == 0 ? "0.10" : "0.20";
      qty = "1";
    }
    if (i % 211 == 17 && k == 0) unit_price = "12345678901234.56";
    if (!drop) discount = std::string(",\"discount_rate\":") + (i % 97 == 11 ? "0" : pick(rng, kDiscounts));
    std::string warehouse =
        !drop && rng() % 10 < 6 ? format(",\"warehouse\":\"WH%02d\"", 1 + static_cast<int>(rng() % 6)) : "";
    lines += format("%s{\"line_no\":%zu,\"product_code\":\"%s%c%05d\",\"name\":\"%s\",\"uom\":\"%s\",", k ? "," : "",
                    k + 1, rng() % 2 ? "sku-" : "P-", "abcxyz"[rng() % 6], static_cast<int>(rng() % 100000), product[0],
                    product[1]);
    lines += "\"quantity\":" + qty + ",\"unit_price\":" + unit_price + discount + ",\"tax_rate\":" + pick(rng, kTaxes) +
             warehouse + ",\"spec\":\"标准型\",\"delivery_date\":\"2024-06-15\"}";
  }
  const unsigned customer = 1 + static_cast<unsigned>(rng() % 1100);
  std::string customer_json = i % 151 == 23 ? "" : format("\"id\":\"C%06u\",", customer);
  customer_json += format("\"name\":\"%s\"", kCompanies[customer % 5]);
  if (!drop) customer_json += format(",\"tax_id\":\"91%06u%010u\"", customer, customer * 7919u);
  std::string out = format("{\"id\":\"%llu\",\"order_no\":\"SO%06llu\",\"customer\":{", 880000000000ULL + i * 7,
                           static_cast<unsigned long long>(i % 1000000));
  out += customer_json + "},";
  out += format("\"owner\":{\"id\":\"U%04d\",\"name\":\"%s\"},\"status\":\"%s\",\"currency\":\"%s\",",
                1 + static_cast<int>(rng() % 300), pick(rng, kPeople), pick(rng, kStatuses), pick(rng, kCurrencies));
  out += "\"created_at\":\"" + iso8(created) + "\",";
  if (!drop) out += "\"updated_at\":\"" + iso8(updated) + "\",";
  out += "\"lines\":[" + lines + "]";
  if (!drop) {
    const bool municipality = std::string(city.province) == city.city;
    out += ",\"shipping_address\":{\"country\":\"中国\",";
    if (!municipality) out += format("\"province\":\"%s\",", city.province);
    out += format(
        "\"city\":\"%s\",\"district\":\"%s\",\"street\":\"科技路%d号\",\"postal_code\":\"%06d\","
        "\"contact\":\"%s\",\"phone\":\"+86 138%08d\"}",
        city.city, rng() % 20 == 0 ? "" : city.districts[rng() % city.districts.size()],
        1 + static_cast<int>(rng() % 999), 100000 + static_cast<int>(rng() % 900000), pick(rng, kPeople),
        static_cast<int>(rng() % 100000000));
    out += std::string(",\"remarks\":\"") + pick(rng, kRemarks) + "\"";
    out += format(
        ",\"custom_fields\":{\"cf_channel\":\"直销\",\"cf_region\":\"华东\",\"cf_project_code\":\"PRJ-2024-%03d\","
        "\"cf_priority\":%d,\"cf_contract_signed\":%s}",
        1 + static_cast<int>(rng() % 999), 1 + static_cast<int>(rng() % 5), rng() % 2 ? "true" : "false");
  }
  out += format(",\"source\":\"web\",\"tags\":[\"VIP\",\"重点客户\"],\"version\":%d}", 1 + static_cast<int>(rng() % 9));
  return out;
}

std::string make_crm_customer_table() {
  std::mt19937_64 rng(424242);
  std::string out = "{";
  for (unsigned k = 1; k <= 1000; ++k)
    out +=
        format("%s\"C%06u\":\"KH%c%04d\"", k > 1 ? "," : "", k, "ABCDEFGH"[rng() % 8], static_cast<int>(rng() % 10000));
  return out + "}";
}

}  // namespace synchub::examples
