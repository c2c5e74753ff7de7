// What the README shows is what the binary does: every config snippet of it, completed onto the
// quick start's config where it is a part of one (tests/support/readme_snippets.py), passes
// `synchub validate`, and its mapping example passes its own `tests:` with `synchub test`.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/test_support.hpp"

namespace synchub::test {
namespace {

TEST(Readme, EveryConfigSnippetValidatesAndTheMappingExamplePassesItsTests) {
  TempDir dir;
  std::filesystem::create_directory_symlink(SYNCHUB_SOURCE_DIR "/examples/quickstart/mappings",
                                            dir.path() / "mappings");
  const std::string command = "/usr/bin/python3 " SYNCHUB_SOURCE_DIR
                              "/tests/support/readme_snippets.py " SYNCHUB_SOURCE_DIR "/README.md " SYNCHUB_SOURCE_DIR
                              "/examples/quickstart/synchub.yaml " +
                              dir.str() + " > " + dir.str("snippets.txt");
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::istringstream lines(read_file(dir.path() / "snippets.txt"));
  int configs = 0, mappings = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string kind, at, path;
    words >> kind >> at >> path;
    ASSERT_NE(kind, "unknown") << "README.md:" << at << ": a yaml block that is neither a config nor a mapping";
    for (std::string variable; words >> variable;)  // secrets and addresses the snippet refers to
      ::setenv(variable.c_str(),
               variable == "DEMO_DIR"     ? dir.str().c_str()
               : variable == "ADMIN_PORT" ? "0"
                                          : "set-by-the-test",
               1);
    const CommandResult result = run_synchub(kind == "config" ? std::vector<std::string>{"validate", "-c", path}
                                                              : std::vector<std::string>{"test", path});
    EXPECT_EQ(result.exit_code, 0) << "README.md:" << at << " (" << path << ")\n" << result.out << result.err;
    ++(kind == "config" ? configs : mappings);
  }
  EXPECT_GE(configs, 7) << "the README's config snippets were found";
  EXPECT_EQ(mappings, 1) << "the README's mapping example was found";
}

}  // namespace
}  // namespace synchub::test

namespace synchub::test {
namespace {

// The options the README's command reference shows (the ```sh block that starts "synchub run").
std::set<std::string> documented_options() {
  const std::string readme = read_file(SYNCHUB_SOURCE_DIR "/README.md");
  const size_t start = readme.find("```sh\nsynchub run");
  const size_t end = readme.find("```", start + 5);
  if (start == std::string::npos || end == std::string::npos) return {};
  const std::string block = readme.substr(start, end - start);
  std::set<std::string> options;
  const std::regex option(R"((^|[\s\[|])(--?[a-z][a-z-]*))");
  for (auto it = std::sregex_iterator(block.begin(), block.end(), option); it != std::sregex_iterator(); ++it)
    options.insert((*it)[2]);
  return options;
}

// Each command of the README's reference, run as a user would with every option it shows, against
// a hub that has run once (a dead letter, a ledger, a reconciliation to read): none is a usage error.
TEST(Readme, EveryCommandAndOptionOfTheReferenceIsAcceptedByTheBinary) {
  TempDir dir;
  write_file(dir.path() / "in" / "a.jsonl", R"({"id":"SO1","date":"2024-03-01","total":"1.00"})"
                                            "\n{not json\n");
  write_file(dir.path() / "mapping.yaml", "key: id\nfields:\n  id: id\n  total: total\n");
  write_file(dir.path() / "orders.jsonl", R"({"id":"SO2","total":"2.00"})"
                                          "\n");
  write_file(dir.path() / "corrected.json", R"({"id":"SO3","date":"2024-03-02","total":"3.00"})");
  const std::string config = dir.str("synchub.yaml");
  write_file(config, R"(hub: {name: readme, data_dir: data}
connectors:
  crm_files: {type: file, streams: {orders: {inbox: in, key: id}}}
  erp_files: {type: file, streams: {sale_orders: {outbox: out, key: id}}}
flows:
  orders_to_erp: {from: crm_files.orders, to: erp_files.sale_orders, mapping: mapping.yaml}
reconciliations:
  orders_in_erp:
    source: {stream: crm_files.orders, key: id, time: date}
    target: {stream: erp_files.sale_orders, key: id}
    measures: [total]
)");
  ASSERT_EQ(run_synchub({"run", "-c", config, "--once"}).exit_code, 0);
  const std::string F = "orders_to_erp", out = dir.str("out.jsonl");
  const std::vector<std::vector<std::string>> commands = {
      {"validate", config, "--no-env"},
      {"validate", "-c", config},
      {"schema"},
      {"docs", "-o", dir.str("docs")},
      {"dlq", "list", "-c", config, "--flow", F, "--status", "pending", "--limit", "10", "--json"},
      {"dlq", "show", "-c", config, "1"},
      {"dlq", "replay", "-c", config, "1", "--input", dir.str("corrected.json")},
      {"dlq", "replay", "-c", config, "--all", "--flow", F},
      {"dlq", "discard", "-c", config, "1"},
      {"status", "-c", config, "--token", "T", "--json"},
      {"status", "--url", "http://127.0.0.1:1", "--ca", dir.str("mapping.yaml")},
      {"backfill", "-c", config, F, "--since", "2024-03-01"},
      {"bus", "reset-offsets", config},
      {"reconcile", "-c", config, "orders_in_erp", "--since", "2024-01-01", "--until", "2024-12-31", "--json", "--csv",
       dir.str("r.csv"), "--xlsx", dir.str("r.xlsx")},
      {"trace", "-c", config, "SO1", "--depth", "2", "--json"},
      {"map", "-m", dir.str("mapping.yaml"), "-i", dir.str("orders.jsonl"), "-o", out, "--state",
       dir.str("data/state.db")},
      {"map", "-m", dir.str("mapping.yaml"), "-i", dir.str("orders.jsonl"), "--xref", dir.str("xref.yaml")},
      {"test", dir.str("mapping.yaml")},
      {"version"},
      {"--version"},
      {"run", config, "--once", "--new-state"},
  };
  write_file(dir.path() / "xref.yaml", "[]\n");
  std::set<std::string> used;
  for (const auto& command : commands) {
    std::string shown = "synchub";
    for (const auto& word : command) {
      shown += " " + word;
      if (word.starts_with("-")) used.insert(word);
    }
    const CommandResult r = run_synchub(command);
    const bool usage_error = r.exit_code == 2 && r.err.find("--help") != std::string::npos;
    EXPECT_FALSE(usage_error) << shown << "\n" << r.err;
    EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 2) << shown << " exited " << r.exit_code;
  }
  const std::set<std::string> documented = documented_options();
  EXPECT_GE(documented.size(), 20u) << "the README's command reference was found";
  for (const auto& option : documented) EXPECT_TRUE(used.count(option)) << option << " is documented but not run here";
}

}  // namespace
}  // namespace synchub::test
