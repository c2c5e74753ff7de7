// The command lines of the benchmark programs in bench/ (issue 26 item 6): --help, usage errors
// for unknown options and bad numbers, and the options the bench/ scripts pass doing what they say
// (each program run once at a tiny size).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/kafka_mock.hpp"
#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

// A bench program run under timeout(1): one that starts its benchmark instead of printing its
// help or refusing its command line ends after 60 s (exit 124) rather than hanging the test.
CommandResult run_bench(const std::string& name, const std::vector<std::string>& args,
                        const std::string& stdin_text = "") {
  std::vector<std::string> with_timeout = {"60", std::string(SYNCHUB_BENCH_DIR) + "/" + name};
  with_timeout.insert(with_timeout.end(), args.begin(), args.end());
  return run_program("/usr/bin/timeout", with_timeout, stdin_text);
}

struct BenchProgram {
  std::string name;
  std::vector<std::string> options;   // named in its --help
  std::vector<std::string> required;  // what a run needs besides the option under test
};

const std::vector<BenchProgram>& bench_programs() {
  static const std::vector<BenchProgram> programs = {
      {"synchub-bus-bench", {"--events", "--batch", "--fsync on|off", "--dir"}, {}},
      {"synchub-kafka-bench",
       {"--bootstrap", "--publish-topic", "--consume-topic", "--events", "--batch", "--fsync on|off"},
       {"-b", "127.0.0.1:1", "--publish-topic", "t"}},
      {"synchub-bench-reconcile", {"--orders", "--dir", "--per-file"}, {}},
      {"synchub-bench-simdjson-reprint", {}, {}},
      {"synchub-state-bench", {"--records", "--batch", "--fsync on|off", "--rounds", "--dir"}, {}},
      {"synchub-bench-webhook", {"--synchub", "--orders", "--rate"}, {"--synchub", synchub_binary()}}};
  return programs;
}

TEST(BenchCli, EveryBenchProgramHasHelp) {
  for (const auto& program : bench_programs()) {
    const CommandResult r = run_bench(program.name, {"--help"});
    EXPECT_EQ(r.exit_code, 0) << program.name << ": " << r.out << r.err;
    EXPECT_EQ(r.err, "") << program.name;
    EXPECT_NE(r.out.find("Usage: " + program.name), std::string::npos) << program.name << ": " << r.out;
    for (const auto& option : program.options)
      EXPECT_NE(r.out.find(option), std::string::npos) << program.name << " --help names no " << option << ":\n"
                                                       << r.out;
  }
}

// Refused before anything is measured: exit 2, the reason on stderr and a pointer to --help.
void expect_usage_error(const std::string& name, const std::vector<std::string>& args, const std::string& reason) {
  const CommandResult r = run_bench(name, args);
  std::string line = name;
  for (const auto& a : args) line += " " + a;
  EXPECT_EQ(r.exit_code, 2) << line << ": " << r.out << r.err;
  EXPECT_EQ(r.out, "") << line;
  EXPECT_NE(r.err.find(reason), std::string::npos) << line << ": " << r.err;
  EXPECT_NE(r.err.find("Run '" + name + " --help' for usage."), std::string::npos) << line << ": " << r.err;
}

TEST(BenchCli, UnknownOptionsAndStrayArgumentsAreRefused) {
  for (const auto& program : bench_programs()) {
    std::vector<std::string> args = program.required;
    args.push_back("--bogus");
    expect_usage_error(program.name, args, "--bogus");
    args.back() = "200";  // a count where the old programs took one: now a named option
    expect_usage_error(program.name, args, "200");
  }
  expect_usage_error("synchub-kafka-bench", {"--publish-topic", "t"}, "--bootstrap is required");
  expect_usage_error("synchub-bench-webhook", {"--orders", "5"}, "--synchub is required");
  expect_usage_error("synchub-bench-webhook", {"--synchub", "/nonexistent/synchub"}, "/nonexistent/synchub");
  expect_usage_error("synchub-bus-bench", {"--dir", "/nonexistent"}, "no folder '/nonexistent'");
}

TEST(BenchCli, ACountThatIsNotAPositiveWholeNumberIsAUsageError) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> counts = {
      {"synchub-bus-bench", {"--events", "--batch"}},
      {"synchub-kafka-bench", {"--events", "--batch"}},
      {"synchub-bench-reconcile", {"--orders", "--per-file"}},
      {"synchub-state-bench", {"--records", "--batch", "--rounds"}},
      {"synchub-bench-webhook", {"--orders"}}};
  for (const auto& [name, options] : counts) {
    std::vector<std::string> required;
    for (const auto& program : bench_programs())
      if (program.name == name) required = program.required;
    for (const auto& option : options)
      for (const auto& [value, reason] : std::vector<std::pair<std::string, std::string>>{
               {"many", "'many' is not a whole number"},
               {"-5", "'-5' is not a whole number"},  // not 2^64 - 5
               {"1.5", "'1.5' is not a whole number"},
               {"0x10", "'0x10' is not a whole number"},
               {"12abc", "'12abc' is not a whole number"},
               {"99999999999999999999999", "'99999999999999999999999' is too big"},  // not the type's maximum
               {"0", "'0' is less than "}}) {
        std::vector<std::string> args = required;
        args.insert(args.end(), {option, value});
        expect_usage_error(name, args, option + ": " + reason);
      }
  }
  // The generator needs room for the few hundred differences it injects.
  expect_usage_error("synchub-bench-reconcile", {"--orders", "9999"}, "--orders: '9999' is less than 10000");
  for (const char* name : {"synchub-bus-bench", "synchub-state-bench"})
    expect_usage_error(name, {"--fsync", "yes"}, "--fsync: 'yes' is neither on nor off");
  for (const char* rate : {"0", "-1", "nan", "inf", "fast"})
    expect_usage_error("synchub-bench-webhook", {"--synchub", synchub_binary(), "--rate", rate},
                       std::string("--rate: '") + rate + "'");
}

// The options the bench/ scripts pass reach the benchmark: each program run once, tiny.
TEST(BenchCli, TheOptionsTheScriptsPassDoWhatTheySay) {
  TempDir dir;
  const CommandResult bus =
      run_bench("synchub-bus-bench", {"--events", "300", "--batch", "7", "--fsync", "off", "--dir", dir.str()});
  EXPECT_EQ(bus.exit_code, 0) << bus.out << bus.err;
  EXPECT_NE(bus.out.find("embedded bus, 300 events of 1 KB, batch 7, fsync off"), std::string::npos) << bus.out;
  EXPECT_NE(bus.out.find("300 read"), std::string::npos) << bus.out;

  const CommandResult state = run_bench("synchub-state-bench", {"--records", "120", "--batch", "50", "--fsync", "on",
                                                                "--rounds", "1", "--dir", dir.str()});
  EXPECT_EQ(state.exit_code, 0) << state.out << state.err;
  EXPECT_NE(state.out.find("120 records, batches of 50, fsync on"), std::string::npos) << state.out;
  // Each run works in a folder of its own under --dir and leaves nothing behind.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));

  const CommandResult reprint =
      run_bench("synchub-bench-simdjson-reprint", {}, "{ \"a\": 1,  \"b\": [true, null] }\n\n{\"c\":\"d\"}\n");
  EXPECT_EQ(reprint.exit_code, 0) << reprint.err;
  EXPECT_EQ(reprint.out, "{\"a\":1,\"b\":[true,null]}\n{\"c\":\"d\"}\n");

  const CommandResult reconcile =
      run_bench("synchub-bench-reconcile", {"--orders", "10000", "--per-file", "2000", "--dir", dir.str()});
  EXPECT_EQ(reconcile.exit_code, 0) << reconcile.out << reconcile.err;
  EXPECT_NE(reconcile.out.find("RESULT n=10000 "), std::string::npos) << reconcile.out;
  // 10,010 ERP orders (10,000 less the missing, plus the extra, the duplicated and the re-read), 2,000 a file
  EXPECT_NE(reconcile.out.find("10010 ERP orders (outbox, 6 files"), std::string::npos) << reconcile.out;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));

  const CommandResult webhook =
      run_bench("synchub-bench-webhook", {"--synchub", synchub_binary(), "--orders", "20", "--rate", "200"});
  EXPECT_EQ(webhook.exit_code, 0) << webhook.out << webhook.err;
  EXPECT_NE(webhook.out.find("20 webhooks at 200/s"), std::string::npos) << webhook.out;
}

TEST(BenchCli, TheKafkaBenchPublishesAndConsumesOnTheTopicsNamed) {
  KafkaMock kafka;
  kafka.command("topic bench-publish 2 1");
  kafka.command("topic bench-consume 2 1");
  const CommandResult both =
      run_bench("synchub-kafka-bench", {"-b", kafka.bootstrap_servers(), "--publish-topic", "bench-publish",
                                        "--consume-topic", "bench-consume", "--events", "50", "--batch", "10"});
  EXPECT_EQ(both.exit_code, 0) << both.out << both.err;
  EXPECT_NE(both.out.find("publish: 50 events in"), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("batches of 10, delivery reports + cursor commit with fsync"), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("consume: 50 events in"), std::string::npos) << both.out;
  // Without --consume-topic: the publish measurement alone.
  const CommandResult publish = run_bench("synchub-kafka-bench", {"-b", kafka.bootstrap_servers(), "--publish-topic",
                                                                  "bench-publish", "--events", "30", "--fsync", "off"});
  EXPECT_EQ(publish.exit_code, 0) << publish.out << publish.err;
  EXPECT_NE(publish.out.find("publish: 30 events in"), std::string::npos) << publish.out;
  EXPECT_NE(publish.out.find("delivery reports + cursor commit)"), std::string::npos) << publish.out;  // no fsync
  EXPECT_EQ(publish.out.find("consume:"), std::string::npos) << publish.out;
}

}  // namespace
}  // namespace synchub::test
