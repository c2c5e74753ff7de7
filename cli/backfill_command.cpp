// synchub backfill FLOW --since DATE [-c FILE]: reads the flow's source again
// from DATE and publishes it to the source's topic; a running hub (or the
// next `synchub run`) delivers it. A progress bar (records, rate, ETA) on a
// terminal, a line every 10 s otherwise. SIGINT stops after the pull in flight.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/load.hpp"
#include "connectors/registry.hpp"
#include "mapping/datetime.hpp"
#include "runtime/backfill.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/log.hpp"
#include "runtime/hub.hpp"

namespace synchub::cli {

namespace {

// Records per pull (no setting): progress is shown after each pull, so a backfill takes smaller
// bites than the live poller does.
constexpr size_t kRecordsPerPull = 1000;

std::atomic<bool> g_stop{false};
extern "C" void on_backfill_signal(int) {
  g_stop.store(true);
}

std::string clock_text(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s >= 3600)
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  return text;
}

// "[########------------]  42%  12345 records  1234/s  ETA 0:42"
std::string progress_line(const runtime::BackfillProgress& p, double elapsed, bool bar) {
  const double rate = elapsed > 0 ? static_cast<double>(p.records) / elapsed : 0;
  std::string line;
  char text[160];
  if (p.fraction) {
    const double f = p.done ? 1.0 : *p.fraction;
    if (bar) {
      const int width = 24, filled = static_cast<int>(f * width);
      // Built by appending: "[" + std::string(...) trips GCC 12's -Wrestrict (a false positive).
      line.push_back('[');
      line.append(static_cast<size_t>(filled), '#');
      line.append(static_cast<size_t>(width - filled), '-');
      line.append("] ");
    }
    std::snprintf(text, sizeof text, "%3.0f%%  ", f * 100);
    line += text;
  }
  std::snprintf(text, sizeof text, "%lld records  %.0f/s", static_cast<long long>(p.records), rate);
  line += text;
  if (p.rejected) line += "  " + std::to_string(p.rejected) + " dead-lettered";
  if (p.done)
    line += "  done in " + clock_text(elapsed);
  else if (p.fraction && *p.fraction > 0.001)
    line += "  ETA " + clock_text(elapsed * (1 - *p.fraction) / *p.fraction);
  return line;
}

struct BackfillOptions {
  std::string config, flow, since;
};

int backfill(const BackfillOptions& given) {
  // Only the source's connector is opened: the other connectors' secrets need not be set.
  auto config = load_config_without_secrets(given.config, {"hub", "bus", "state"});
  if (!config) return 1;
  const config::FlowConfig* flow = config->flow(given.flow);
  if (!flow) {
    std::fprintf(stderr, "synchub backfill: no flow '%s' in %s\n", given.flow.c_str(), config->file.c_str());
    return 2;
  }
  if (!require_resolved(*config, {"connectors." + flow->from.connector})) return 1;
  const std::string& since_text = given.since;
  auto since = mapping::parse_datetime(since_text, "", mapping::TimeZone::utc());
  if (!since) {
    std::fprintf(stderr, "synchub backfill: --since '%s' is not a date or ISO-8601 time\n", since_text.c_str());
    return 2;
  }
  const int64_t since_ms = since->micros / 1000;
  runtime::configure_log(runtime::LogLevel::Warn, config->hub.str("log_format"));

  const auto* connector_config = config->connector(flow->from.connector);
  const auto* stream = connector_config->stream(flow->from.stream);
  const std::string hub_name = config->hub.str("name");
  auto connector = connectors::builtin_registry()
                       .get(connector_config->type)
                       .create(*connector_config, connectors::Context{hub_name});
  auto source = connector->open_source(*stream);
  auto bus = runtime::open_bus(*config);
  auto state = runtime::open_state(*config);
  runtime::SourceOptions options = runtime::SourceOptions::from(*config, flow->from);
  options.batch_size = kRecordsPerPull;

  struct sigaction action {};
  action.sa_handler = on_backfill_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  const bool terminal = isatty(fileno(stderr));
  const int64_t started = runtime::now_ms();
  int64_t last_line = started;
  std::fprintf(stderr, "backfill %s from %s since %s\n", flow->name.c_str(), flow->from.str().c_str(),
               runtime::iso_time(since_ms).c_str());
  auto show = [&](const runtime::BackfillProgress& p) {
    const int64_t now = runtime::now_ms();
    const double elapsed = static_cast<double>(now - started) / 1000.0;
    if (terminal) {
      std::fprintf(stderr, "\r\033[K%s", progress_line(p, elapsed, true).c_str());
      if (p.done) std::fputc('\n', stderr);
    } else if (p.done || now - last_line >= 10000) {
      std::fprintf(stderr, "%s\n", progress_line(p, elapsed, false).c_str());
      last_line = now;
    }
  };
  runtime::BackfillProgress result;
  try {
    result = runtime::backfill(options, *bus, *state, *source, since_ms, show, g_stop);
  } catch (const std::exception& e) {
    if (terminal) std::fputc('\n', stderr);
    std::fprintf(stderr, "synchub backfill: %s\n", e.what());
    return 1;
  }
  if (!result.done) {
    if (terminal) std::fputc('\n', stderr);
    std::fprintf(stderr, "stopped: %lld records published; run it again to finish (re-reading is harmless)\n",
                 static_cast<long long>(result.records));
    return 130;
  }
  std::string flows;
  for (const auto& f : config->flows)
    if (f.from.str() == flow->from.str() && f.settings.boolean("enabled"))
      flows += (flows.empty() ? "" : ", ") + f.name;
  std::printf("%lld records from %s published to topic %s; flows %s deliver them (unchanged ones are skipped)\n",
              static_cast<long long>(result.records), flow->from.str().c_str(), options.topic.c_str(), flows.c_str());
  return result.rejected ? 1 : 0;
}

}  // namespace

void add_backfill_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<BackfillOptions>();
  CLI::App* sub =
      app.add_subcommand("backfill", "Read a flow's source again from a date (its flows deliver what it reads)");
  sub->footer(
      "Publishes what it reads to the source's topic without moving the live cursor; the ledger skips\n"
      "what the target already has, so it is safe to run again. Needs a source whose cursor is a time.\n"
      "Only the source's connector is opened: the other connectors' secrets need not be set.\n"
      "Exit status: 0 done, 1 records dead-lettered or an error, 2 misuse, 130 stopped by a signal.");
  add_config_option(*sub, options->config);
  sub->add_option("flow", options->flow, "The flow whose source is read again")->type_name("FLOW")->required();
  sub->add_option("--since", options->since, "2024-03-01, or an ISO-8601 time")->type_name("DATE")->required();
  sub->callback([&action, options] { action = [options] { return backfill(*options); }; });
}

}  // namespace synchub::cli
