// The Fxiaoke simulator's seeded data: accounts, products, sales orders and
// their lines, with exact amounts (money.hpp) and deliberate ties.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "examples/simulators/fxiaoke.hpp"
#include "examples/simulators/money.hpp"

namespace synchub::simulators {

using Json = nlohmann::ordered_json;

namespace {

constexpr int64_t kBaseMs = 1764518400000;  // 2025-12-01 00:00:00 +08:00
constexpr int64_t kMinute = 60000;
constexpr int kTieStart = 90;  // the shared time straddles the page boundary at 100

const char* const kCities[] = {"上海", "北京", "深圳", "广州", "杭州", "苏州", "成都", "武汉", "南京", "天津"};
const char* const kWords[] = {"恒通", "宏达", "金利", "鑫源", "瑞丰", "长城", "中和", "嘉禾", "同创", "华信"};
const char* const kKinds[] = {"贸易", "科技", "实业", "商贸", "电子", "机械"};
const char* const kGoods[] = {"不锈钢螺丝", "工业轴承", "液压阀", "控制面板", "电缆", "传感器", "齿轮箱", "包装箱"};
const char* const kUnits[] = {"pcs", "个", "件", "台", "套", "箱"};

std::string account_name(int i) {
  // A few names that break naive JSON or CSV handling.
  if (i == 1) return "上海\"华东\"贸易有限公司";
  if (i == 3) return "A&B（深圳）科技有限公司";
  if (i == 6) return "北京<京华> & 'Sons' 商贸有限公司";
  return std::string(kCities[i % 10]) + kWords[(i / 10) % 10] + kKinds[(i / 100) % 6] + "有限公司";
}

std::string numbered(const char* prefix, int width, int n) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s%0*d", prefix, width, n);
  return buf;
}

// Unit prices in millionths: most with 2 places, some with 4 or 6.
int64_t price_micros(std::mt19937_64& rng, int& places) {
  const int kind = static_cast<int>(rng() % 10);
  const int64_t cents = static_cast<int64_t>(rng() % 99999) + 100;  // 1.00 .. 1000.98
  if (kind == 0) {
    places = 6;
    return cents * 10000 + static_cast<int64_t>(rng() % 10000);
  }
  if (kind == 1) {
    places = 4;
    return cents * 10000 + static_cast<int64_t>(rng() % 100) * 100;
  }
  places = 2;
  return cents * 10000;
}

}  // namespace

void FxiaokeSimulator::Table::add(Json row) {
  index[row["_id"].get<std::string>()] = rows.size();
  max_time = std::max(max_time, row["last_modified_time"].get<int64_t>());
  rows.push_back(std::move(row));
}

std::string FxiaokeSimulator::new_id() {
  static const char* const hex = "0123456789abcdef";
  std::string id(24, '0');
  for (char& c : id) c = hex[rng_() % 16];
  return id;
}

int64_t FxiaokeSimulator::next_time(Table& table) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  table.max_time = std::max(now, table.max_time + 1);
  return table.max_time;
}

void FxiaokeSimulator::seed_data() {
  const int account_count = options_.accounts > 0 ? options_.accounts : std::max(5, options_.orders / 10);
  for (int i = 0; i < account_count; ++i) {
    // Every eighth account shares its time with the one before.
    const int64_t t = kBaseMs + (i % 8 == 5 ? i - 1 : i) * kMinute;
    accounts_.add({{"_id", new_id()},
                   {"account_no", numbered("KH", 4, i + 1)},
                   {"name", account_name(i)},
                   {"last_modified_time", t},
                   {"create_time", t - 3600000},
                   {"life_status", "normal"}});
  }
  for (int i = 0; i < options_.products; ++i) {
    const int64_t t = kBaseMs + (i % 10 == 4 ? i - 1 : i) * kMinute;
    std::string name = std::string(kGoods[i % 8]) + " M" + std::to_string(100 + i);
    if (i == 2) name = "Widget \"Pro\" & Co";
    products_.add({{"_id", new_id()},
                   {"product_code", numbered("P", 4, i + 1)},
                   {"name", name},
                   {"product_spec", "规格-" + std::to_string(10 + (i % 7) * 5) + "mm"},
                   {"unit", kUnits[i % 6]},
                   {"last_modified_time", t},
                   {"create_time", t - 3600000},
                   {"life_status", "normal"},
                   {"stock_qty__c", nullptr}});
  }
  std::set<int> bad;
  const int bad_count = std::min(options_.bad_totals, options_.orders);
  for (int k = 0; static_cast<int>(bad.size()) < bad_count; ++k) {
    int at = (13 + k * 37) % options_.orders;
    while (bad.count(at)) at = (at + 1) % options_.orders;
    bad.insert(at);
  }
  const int64_t order_base = kBaseMs + 10 * 24 * 60 * kMinute;
  for (int i = 0; i < options_.orders; ++i) {
    const bool tied = i >= kTieStart && i < kTieStart + options_.tie_group;
    add_order(i, order_base + (tied ? kTieStart : i) * kMinute, bad.count(i) > 0);
  }
  next_order_ = options_.orders;
}

// One order and its lines; under mu_.
void FxiaokeSimulator::add_order(int index, int64_t time, bool bad_total) {
  const std::string order_id = new_id();
  // Most orders have 1..6 lines; a few have 30 and more, so one page of
  // orders needs several pages of lines.
  const int line_count = index % 37 == 7 ? 30 + static_cast<int>(rng_() % 12) : 1 + static_cast<int>(rng_() % 6);
  int64_t cents = 0;
  for (int l = 0; l < line_count; ++l) {
    const Json& product = products_.rows[rng_() % products_.rows.size()];
    // Quantities in thousandths: whole numbers mostly, some halves.
    const int64_t qty =
        rng_() % 6 == 0 ? static_cast<int64_t>(rng_() % 40 + 1) * 500 : static_cast<int64_t>(rng_() % 20 + 1) * 1000;
    int places = 2;
    const int64_t price = price_micros(rng_, places);
    const int64_t subtotal = qty * price;  // 9 places
    cents += round_half_up(subtotal, 9, 2);
    // Two-place prices: as "56.53" mostly, sometimes padded "56.530000".
    const std::string price_text = places == 6   ? unscaled(price, 6)
                                   : places == 4 ? unscaled(price / 100, 4)
                                   : l % 5 == 4  ? unscaled(price, 6)
                                                 : unscaled(price / 10000, 2);
    lines_.add({{"_id", new_id()},
                {"order_id", order_id},
                {"product_id", product["_id"]},
                {"quantity", trimmed(qty, 3)},
                {"sales_price", price_text},
                {"subtotal", trimmed(subtotal, 9, 2)},
                {"last_modified_time", time},
                {"create_time", time}});
  }
  if (bad_total) cents += 1;
  const int roll = static_cast<int>(rng_() % 100);
  std::string remark;
  if (index % 9 == 0) remark = "客户要求\"加急\"发货\n第二行: 50% off, a\\b";
  if (index % 4 == 1) remark = "请尽快发货";
  const Json& account = accounts_.rows[rng_() % accounts_.rows.size()];
  if (bad_total) bad_totals_.insert(numbered("SO20261205-", 5, index + 1));
  orders_.add({{"_id", order_id},
               {"name", numbered("SO20261205-", 5, index + 1)},
               {"account_id", account["_id"]},
               {"order_time", time - 86400000},
               {"order_amount", cents_text(cents)},
               {"life_status", roll < 5   ? "under_review"
                               : roll < 8 ? "ineffective"
                                          : "normal"},
               {"remark", remark},
               {"last_modified_time", time},
               {"create_time", time - 3600000},
               {"receivable_amount__c", nullptr},
               {"receivable_no__c", nullptr}});
}

void FxiaokeSimulator::trickle(int new_orders, int edits) {
  std::lock_guard lock(mu_);
  for (int i = 0; i < new_orders; ++i) {
    const int64_t t = next_time(orders_);
    // Keep every table's times ahead of what was seeded.
    lines_.max_time = std::max(lines_.max_time, t);
    add_order(next_order_++, t, false);
  }
  const size_t start = rng_();
  for (int i = 0; i < edits && !orders_.rows.empty(); ++i) {
    Json& order = orders_.rows[(start + static_cast<size_t>(i) * 7919) % orders_.rows.size()];  // distinct ones
    order["remark"] = "edited " + std::to_string(order["last_modified_time"].get<int64_t>());
    order["last_modified_time"] = next_time(orders_);
  }
}

}  // namespace synchub::simulators
