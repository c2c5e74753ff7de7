// Reconciliation at scale (issue: 1,000,000 records per side in under 60 s on one core, memory
// bounded however many records there are). Generates N CRM orders as a `file` connector's inbox
// and the ERP side as a file sink's outbox with a few hundred injected differences, then runs the
// reconciliation in-process, through the connectors, as `synchub reconcile` does, and prints wall
// time, CPU time, records/s and peak RSS. Exits 1 when a class's count is not what was injected.
// usage: synchub-bench-reconcile [--orders N] [--dir PARENT] [--per-file N]   (--help says more)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_cli.hpp"
#include "config/hub_config.hpp"
#include "connectors/registry.hpp"
#include "mapping/datetime.hpp"
#include "runtime/reconcile/plan.hpp"
#include "runtime/reconcile/reconciler.hpp"
#include "runtime/state/state_store.hpp"

namespace fs = std::filesystem;
using namespace synchub;

namespace {

// What the generator injected, for the check (fixed counts: "a few hundred" whatever N is).
struct Expected {
  int64_t records = 0;      // source orders
  int64_t missing = 200;    // source orders the ERP does not have
  int64_t extra = 100;      // ERP orders no source order has
  int64_t off_cent = 150;   // the ERP's total 0.01 off
  int64_t currency = 30;    // the ERP's currency differs
  int64_t duplicated = 60;  // the ERP has the order twice (two ids)
  int64_t reread = 50;      // an ERP order listed twice with its one id: one document, agrees
  int64_t source_cents = 0, target_cents = 0;
  int64_t target_documents() const { return records - missing + extra + duplicated; }
  int64_t matched() const { return records - missing - off_cent - currency - duplicated; }
};

const char* const kCustomers[] = {"上海浦东新区贸易有限公司", "北京海淀科技发展有限公司", "广州天河电子商务有限公司",
                                  "深圳南山智能制造有限公司", "杭州西湖茶业有限公司",     "成都高新软件有限公司",
                                  "苏州工业园区精密机械厂",   "武汉光谷生物医药有限公司"};
const char* const kProducts[] = {"不锈钢保温杯 500ml", "无线蓝牙耳机（降噪版）", "办公椅 人体工学",
                                 "A4 复印纸 70g 5包",  "工业级温湿度传感器",     "有机绿茶 250g 礼盒装",
                                 "LED 面板灯 600×600", "电动螺丝刀套装"};
const char* const kRemarks[] = {"", "请尽快发货", "周末不收货，请工作日送达", "发票抬头见合同", "分两批发货"};

std::string money(int64_t cents) {
  const int64_t magnitude = cents < 0 ? -cents : cents;
  char text[32];
  std::snprintf(text, sizeof text, "%s%" PRId64 ".%02" PRId64, cents < 0 ? "-" : "", magnitude / 100, magnitude % 100);
  return text;
}

// Local (UTC+8) seconds since the epoch as the CRM writes them: with +08:00, or (a third of
// them) as UTC with Z, so that the day in Asia/Shanghai has to be worked out from the zone.
std::string crm_time(int64_t local_s, bool utc) {
  const int64_t s = utc ? local_s - 8 * 3600 : local_s;
  int64_t y;
  unsigned m, d;
  mapping::civil_from_days(s / 86400, y, m, d);
  const int64_t in_day = s % 86400;
  char text[40];
  std::snprintf(text, sizeof text, "%04" PRId64 "-%02u-%02uT%02" PRId64 ":%02" PRId64 ":%02" PRId64 "%s", y, m, d,
                in_day / 3600, in_day / 60 % 60, in_day % 60, utc ? "Z" : "+08:00");
  return text;
}

std::string local_day(int64_t local_s) {
  int64_t y;
  unsigned m, d;
  mapping::civil_from_days(local_s / 86400, y, m, d);
  char text[16];
  std::snprintf(text, sizeof text, "%04" PRId64 "-%02u-%02u", y, m, d);
  return text;
}

// Buffered appends to one file (the generator's output is ~1 GB at a million orders).
class Out {
 public:
  explicit Out(const fs::path& path) : file_(std::fopen(path.c_str(), "wb")) {
    if (!file_) throw std::runtime_error("cannot write " + path.string());
  }
  ~Out() {
    flush();
    std::fclose(file_);
  }
  void line(const std::string& text) {
    buffer_ += text;
    buffer_ += '\n';
    if (buffer_.size() > (1u << 20)) flush();
  }

 private:
  void flush() {
    std::fwrite(buffer_.data(), 1, buffer_.size(), file_);
    buffer_.clear();
  }
  std::FILE* file_;
  std::string buffer_;
};

enum Inject : uint8_t { kNone, kMissing, kOffCent, kCurrency, kDuplicated, kReread };

// Writes the inbox (one file per 100,000 orders) and the outbox (one file per flow batch of
// `per_file`, named as the file sink names them) and returns what it injected.
Expected generate(int64_t n, int64_t per_file, const fs::path& inbox, const fs::path& outbox) {
  Expected e;
  e.records = n;
  std::mt19937_64 random(42);
  // Which orders carry a difference: distinct, spread at random.
  std::vector<uint8_t> inject(static_cast<size_t>(n), kNone);
  for (auto [kind, count] :
       {std::pair{kMissing, e.missing}, std::pair{kOffCent, e.off_cent}, std::pair{kCurrency, e.currency},
        std::pair{kDuplicated, e.duplicated}, std::pair{kReread, e.reread}})
    for (int64_t placed = 0; placed < count;) {
      auto& at = inject[random() % static_cast<uint64_t>(n)];
      if (at == kNone) at = kind, ++placed;
    }
  // Keys are not in the order the CRM lists them (by time): the spill has to sort.
  uint64_t stride = 7919;
  while (std::gcd(stride, static_cast<uint64_t>(n)) != 1) stride += 2;
  const int64_t start_s = mapping::days_from_civil(2023, 1, 1) * 86400;  // local time
  const double spacing = 730.0 * 86400 / static_cast<double>(n);         // two years
  std::unique_ptr<Out> source, target;
  int64_t target_in_file = 0, target_files = 0, target_id = 0;
  std::vector<std::string> again;  // ERP lines listed a second time (re-read, duplicated)
  auto erp = [&](const std::string& line) {
    if (!target || target_in_file == per_file) {
      char name[64];
      std::snprintf(name, sizeof name, "orders_to_erp-p0-%08" PRId64 ".jsonl", ++target_files);
      target = std::make_unique<Out>(outbox / name);
      target_in_file = 0;
    }
    target->line(line);
    ++target_in_file;
  };
  auto erp_order = [&](const std::string& no, const std::string& day, const std::string& currency, int64_t cents,
                       const char* customer, int lines) {
    e.target_cents += cents;
    return R"({"id":"ERP-)" + std::to_string(++target_id) + R"(","external_no":")" + no +
           R"(","state":"confirmed","partner":")" + customer + R"(","currency":")" + currency + R"(","order_date":")" +
           day + R"(","line_count":)" + std::to_string(lines) + R"(,"total":")" + money(cents) + R"("})";
  };
  for (int64_t i = 0; i < n; ++i) {
    if (i % 100000 == 0) {
      char name[64];
      std::snprintf(name, sizeof name, "orders-%04" PRId64 ".jsonl", i / 100000);
      source = std::make_unique<Out>(inbox / name);
    }
    char no[32];
    std::snprintf(no, sizeof no, "SO%08" PRIu64,
                  (static_cast<uint64_t>(i) * stride + 12345) % static_cast<uint64_t>(n));
    const int64_t local_s =
        start_s + static_cast<int64_t>(static_cast<double>(i) * spacing) + static_cast<int64_t>(random() % 3600);
    const uint64_t r = random();
    const char* customer = kCustomers[r % 8];
    const std::string currency = r % 20 == 0 ? "USD" : r % 50 == 1 ? "HKD" : "CNY";
    const int lines = 1 + static_cast<int>(r >> 8 & 3);
    std::string items;
    int64_t cents = 0;
    for (int l = 0; l < lines; ++l) {
      const uint64_t p = random();
      const int64_t price = 100 + static_cast<int64_t>(p % 500000), qty = 1 + static_cast<int64_t>(p >> 32 & 7);
      cents += price * qty;
      items += std::string(l ? "," : "") + R"({"sku":"SKU-)" + std::to_string(p % 8 * 1000 + p % 97) + R"(","name":")" +
               kProducts[p % 8] + R"(","qty":)" + std::to_string(qty) + R"(,"price":)" + money(price) + "}";
    }
    e.source_cents += cents;
    source->line(R"({"order_no":")" + std::string(no) + R"(","status":"won","customer":{"id":"C)" +
                 std::to_string(r % 8 + 1) + R"(","name":")" + customer + R"("},"currency":")" + currency +
                 R"(","created_at":")" + crm_time(local_s, r % 3 == 0) + R"(","lines":[)" + items + R"(],"total":)" +
                 money(cents) + R"(,"remark":")" + kRemarks[r >> 16 & 3] + R"("})");
    const std::string day = local_day(local_s);
    switch (inject[static_cast<size_t>(i)]) {
      case kMissing: break;
      case kOffCent: erp(erp_order(no, day, currency, cents + (i % 2 ? 1 : -1), customer, lines)); break;
      case kCurrency: erp(erp_order(no, day, currency == "CNY" ? "USD" : "CNY", cents, customer, lines)); break;
      case kDuplicated:
        erp(erp_order(no, day, currency, cents, customer, lines));
        again.push_back(erp_order(no, day, currency, cents, customer, lines));  // a second id
        break;
      case kReread: {
        const std::string line = erp_order(no, day, currency, cents, customer, lines);
        erp(line);
        again.push_back(line);  // the same id again: a listing that moved while it was read
        break;
      }
      default: erp(erp_order(no, day, currency, cents, customer, lines));
    }
    if (i % (n / e.extra) == 0 && i / (n / e.extra) < e.extra)  // spread through the outbox
      erp(erp_order("SX" + std::to_string(i), day, "CNY", 1000 + i % 100000, customer, 1));
  }
  for (const auto& line : again) erp(line);
  return e;
}

// An exact decimal text with at most two places, as cents.
int64_t cents_of(const std::string& text) {
  const bool negative = text.starts_with('-');
  const std::string digits = negative ? text.substr(1) : text;
  const size_t dot = digits.find('.');
  int64_t cents = std::stoll(digits.substr(0, dot)) * 100;
  if (dot != std::string::npos) {
    std::string fraction = digits.substr(dot + 1) + "00";
    cents += std::stoll(fraction.substr(0, 2));
  }
  return negative ? -cents : cents;
}

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

int check(const char* what, int64_t got, int64_t expected) {
  std::printf("  %-28s %10" PRId64 "%s\n", what, got,
              got == expected ? "" : ("  WRONG: expected " + std::to_string(expected)).c_str());
  return got == expected ? 0 : 1;
}

struct Options {
  int64_t n = 1000000;
  std::string parent = "/tmp";
  int64_t per_file = 500;
};

// The command line into `options`; the code to exit with when the program is to end here.
std::optional<int> parse_options(int argc, char** argv, Options& options) {
  CLI::App app{
      "synchub-bench-reconcile: reconciliation of N generated CRM orders (a file connector's inbox) against "
      "the ERP's (a file sink's outbox, a few hundred differences injected), in-process on one core",
      "synchub-bench-reconcile"};
  app.add_option("-n,--orders", options.n, "Orders per side (at least 10,000)")
      ->type_name("N")
      ->capture_default_str()
      ->check(bench::whole_number<int64_t>(10000));  // the injected differences need room
  app.add_option("--dir", options.parent, "The data goes to a new folder under this one, removed at the end")
      ->type_name("PARENT")
      ->capture_default_str()
      ->check(bench::writable_directory());
  app.add_option(
         "--per-file", options.per_file,
         "ERP orders per outbox file, as a flow's batch_size: the file sink writes one file per batch (at least 1)")
      ->type_name("N")
      ->capture_default_str()
      ->check(bench::whole_number<int64_t>(1));
  return bench::parse_command_line(app, argc, argv);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (auto exit_code = parse_options(argc, argv, options)) return *exit_code;
  const int64_t n = options.n, per_file = options.per_file;
  const bench::ScratchDir scratch(options.parent, "synchub-reconcile-bench");
  const fs::path& dir = scratch.path();
  fs::create_directories(dir / "crm");
  fs::create_directories(dir / "erp");

  // Generated in a child process: neither its time nor its memory is in this process's figures.
  const auto gen_start = std::chrono::steady_clock::now();
  const pid_t child = ::fork();
  if (child == 0) {
    try {
      const Expected e = generate(n, per_file, dir / "crm", dir / "erp");
      std::ofstream(dir / "expected") << e.source_cents << ' ' << e.target_cents << '\n';
      std::_Exit(0);
    } catch (const std::exception& err) {
      std::fprintf(stderr, "generating: %s\n", err.what());
      std::_Exit(1);
    }
  }
  int status = 0;
  if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fputs("synchub-bench-reconcile: generating the data failed\n", stderr);
    return 1;
  }
  Expected expected;
  expected.records = n;
  std::ifstream(dir / "expected") >> expected.source_cents >> expected.target_cents;
  uintmax_t bytes[2] = {0, 0}, files[2] = {0, 0};
  for (int side = 0; side < 2; ++side)
    for (const auto& f : fs::directory_iterator(dir / (side ? "erp" : "crm")))
      bytes[side] += f.file_size(), ++files[side];
  std::printf("reconciliation, %" PRId64 " CRM orders (inbox, %ju files, %.0f MB) against %" PRId64
              " ERP orders (outbox, %ju files, %.0f MB), generated in %.1f s (not measured)\n",
              n, files[0], static_cast<double>(bytes[0]) / 1e6, expected.target_documents() + expected.reread, files[1],
              static_cast<double>(bytes[1]) / 1e6,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - gen_start).count());

  const fs::path yaml = dir / "synchub.yaml";
  std::ofstream(yaml) << "hub: {name: reconcile-bench, data_dir: " << (dir / "data").string() << ", log_level: warn}\n"
                      << "connectors:\n"
                      << "  crm: {type: file, streams: {orders: {inbox: " << (dir / "crm").string()
                      << ", key: order_no}}}\n"
                      << "  erp: {type: file, streams: {sale_orders: {outbox: " << (dir / "erp").string()
                      << ", key: id}}}\n"
                      << "flows:\n"
                      << "  orders_to_erp: {from: crm.orders, to: erp.sale_orders}\n"
                      << "reconciliations:\n"
                      << "  orders_in_erp:\n"
                      << "    source: {stream: crm.orders, key: order_no, time: created_at}\n"
                      << "    target: {stream: erp.sale_orders, key: external_no, time: order_date}\n"
                      << "    flow: orders_to_erp\n"
                      << "    measures: [total]\n"
                      << "    compare: [currency]\n"
                      << "    group_by: [day]\n"
                      << "    time_zone: Asia/Shanghai\n";

  rusage before{}, after{};
  ::getrusage(RUSAGE_SELF, &before);
  const auto start = std::chrono::steady_clock::now();
  const config::HubConfig config = config::load_hub_config(yaml.string(), connectors::builtin_registry().specs());
  auto state = runtime::open_sqlite_state((dir / "state.db").string(), false);
  const reconcile::ReconcilePlan plan = reconcile::compile_plan(config.reconciliations.at(0));
  reconcile::RunContext context{config, *state, nullptr, reconcile::registry_readers(config), (dir / "data").string()};
  const reconcile::Report report = reconcile::reconcile(plan, context, {});
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::getrusage(RUSAGE_SELF, &after);
  const double user = seconds(after.ru_utime) - seconds(before.ru_utime);
  const double sys = seconds(after.ru_stime) - seconds(before.ru_stime);
  const double records = static_cast<double>(report.read[0] + report.read[1]);
  std::printf("  wall %.2f s, cpu %.2f s (user %.2f + sys %.2f)\n", wall, user + sys, user, sys);
  std::printf("  %.0f records/s (both sides, by wall time), %.0f per CPU-second\n", records / wall,
              records / (user + sys));
  std::printf("  peak RSS %.1f MB (before the run %.1f MB)\n", static_cast<double>(after.ru_maxrss) / 1024,
              static_cast<double>(before.ru_maxrss) / 1024);
  std::printf("RESULT n=%" PRId64 " wall_s=%.2f cpu_s=%.2f records_per_s=%.0f peak_rss_mb=%.1f\n", n, wall, user + sys,
              records / wall, static_cast<double>(after.ru_maxrss) / 1024);

  if (!report.error.empty()) {
    std::printf("  FAILED: %s\n", report.error.c_str());
    return 1;
  }
  using reconcile::DiffClass;
  int wrong = 0;
  wrong += check("source documents read", report.read[0], n);
  wrong += check("target documents read", report.read[1], expected.target_documents());
  wrong += check("matched", report.matched, expected.matched());
  wrong += check("missing", report.count(DiffClass::Missing), expected.missing);
  wrong += check("extra", report.count(DiffClass::Extra), expected.extra);
  wrong +=
      check("different (cent, currency)", report.count(DiffClass::Different), expected.off_cent + expected.currency);
  wrong += check("duplicated", report.count(DiffClass::Duplicated), expected.duplicated);
  wrong += check("in flight", report.count(DiffClass::InFlight), 0);
  wrong += check("unreadable", report.count(DiffClass::Unreadable), 0);
  int64_t counted[2] = {0, 0}, cents[2] = {0, 0};
  for (const auto& g : report.groups)
    for (int side = 0; side < 2; ++side) {
      counted[side] += g.count[side];
      cents[side] += cents_of(g.sums[side].at(0));
    }
  std::printf("  %-28s %10zu\n", "groups (Shanghai days)", report.groups.size());
  wrong += check("source count over groups", counted[0], n);
  wrong += check("target count over groups", counted[1], expected.target_documents());
  wrong += check("source total over groups", cents[0], expected.source_cents);
  wrong += check("target total over groups", cents[1], expected.target_cents);
  for (const auto& note : report.notes) std::printf("  note: %s\n", note.c_str());
  if (wrong) std::printf("  %d figure(s) WRONG\n", wrong);
  return wrong ? 1 : 0;
}
