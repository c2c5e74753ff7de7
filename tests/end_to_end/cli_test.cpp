// The synchub command line: exit codes and what it prints.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "tests/end_to_end/e2e_support.hpp"

namespace synchub::test {
namespace {

TEST(Cli, VersionNamesTheLinkedConnectors) {
  CommandResult r = run_synchub({"version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "synchub 0.1.0 (connectors: file, rest, tryton, webhook)\n");
}

TEST(Cli, ValidateReportsOkOrEveryErrorWithItsPosition) {
  TempDir dir;
  const std::string config = write_file_to_file_config(dir);
  CommandResult ok = run_synchub({"validate", "-c", config});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("OK (2 connectors, 2 streams, 1 flow)"), std::string::npos) << ok.out;

  write_file(dir.str("bad.yaml"), "hub:\n  nmae: x\nflows:\n  f:\n    from: a.b\n    to: c.d\n");
  CommandResult bad = run_synchub({"validate", "-c", dir.str("bad.yaml")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find(dir.str("bad.yaml") + ":2:3: hub.nmae: unknown key 'nmae'; did you mean 'name'?"),
            std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find(dir.str("bad.yaml") + ":5:11: flows.f.from: unknown connector 'a'; none is defined"),
            std::string::npos)
      << bad.err;
  EXPECT_NE(bad.err.find("3 errors in"), std::string::npos) << bad.err;
}

TEST(Cli, SecretsNeverReachTheOutput) {
  TempDir dir;
  write_file(dir.str("pw.txt"), "s3cr3t-from-file");
  write_file(dir.str("bad.yaml"), "hub:\n  log_level: ${file:pw.txt}\n");
  CommandResult r = run_synchub({"validate", "-c", dir.str("bad.yaml")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ((r.out + r.err).find("s3cr3t"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("hub.log_level: unknown value <hidden>"), std::string::npos) << r.err;
}

TEST(Cli, SchemaIsJsonSchema) {
  CommandResult r = run_synchub({"schema"});
  ASSERT_EQ(r.exit_code, 0);
  auto schema = nlohmann::json::parse(r.out);
  EXPECT_EQ(schema["$schema"], "http://json-schema.org/draft-07/schema#");
  EXPECT_TRUE(schema["properties"].contains("flows"));
}

TEST(Cli, UnknownCommandsAndMissingArgumentsAreUsageErrors) {
  EXPECT_EQ(run_synchub({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(run_synchub({}).exit_code, 2);
  TempDir dir;
  const std::string config = write_file_to_file_config(dir);
  EXPECT_EQ(run_synchub({"dlq", "show", "-c", config}).exit_code, 2);
  CommandResult missing = run_synchub({"dlq", "show", "-c", config, "99"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "synchub dlq: no dead letter with id 99\n");
  EXPECT_EQ(run_synchub({"run", "-c", dir.str("nope.yaml")}).exit_code, 1);
}

// As POST /api/v1/dlq/replay?flow=: a name that is no flow (nor a flow's source
// stream, whose rejects it holds) is a mistake to say, not "0 queued".
TEST(Cli, DlqReplayOfAFlowThatDoesNotExistIsRefused) {
  TempDir dir;
  const std::string config = write_file_to_file_config(dir);
  CommandResult unknown = run_synchub({"dlq", "replay", "-c", config, "--all", "--flow", "nonexistent"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err, "synchub dlq: no flow or source stream 'nonexistent' in " + config + "\n");
  EXPECT_EQ(run_synchub({"dlq", "replay", "-c", config, "--all", "--flow", "orders"}).exit_code, 0);
  EXPECT_EQ(run_synchub({"dlq", "replay", "-c", config, "--all", "--flow", "crm.orders"}).exit_code, 0);
}

// `dlq list` shows what an admin works through, the pending entries, as GET /api/v1/dlq does;
// `--status all` every one. An edit (replay --input) and a discard name who did them.
TEST(Cli, DlqListShowsPendingEntriesUnlessAskedAndHistoryNamesTheCliUser) {
  TempDir dir;
  const std::string config = write_file_to_file_config(dir);
  write_file(dir.path() / "inbox/orders/a.jsonl",
             "{\"customer\":\"C-1\",\"total\":\"1.00\"}\n{\"customer\":\"C-2\",\"total\":\"2.00\"}\n{broken\n");
  ASSERT_EQ(run_synchub({"run", "-c", config, "--once"}).exit_code, 0);
  auto list = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"dlq", "list", "-c", config, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const CommandResult r = run_synchub(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, std::string> status_of;  // origin -> status
    for (const auto& e : nlohmann::json::parse(r.out)) status_of[e["origin"]] = e["status"];
    return status_of;
  };
  auto id_of = [&](const std::string& origin) {
    for (const auto& e : nlohmann::json::parse(run_synchub({"dlq", "list", "-c", config, "--json"}).out))
      if (e["origin"] == origin) return std::to_string(e["id"].get<int64_t>());
    return std::string("none");
  };
  ASSERT_EQ(list({}).size(), 3u);
  const std::string fixed_id = id_of("a.jsonl:1"), dropped_id = id_of("a.jsonl:2");

  ::setenv("USER", "dlq-tester", 1);
  write_file(dir.path() / "fixed.json", "{\"order_id\":\"SO-FIXED\",\"customer\":\"C-1\",\"total\":\"1.00\"}\n");
  const CommandResult replay = run_synchub({"dlq", "replay", "-c", config, fixed_id, "--input", dir.str("fixed.json")});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  ASSERT_EQ(run_synchub({"dlq", "discard", "-c", config, dropped_id}).exit_code, 0);
  ASSERT_EQ(run_synchub({"run", "-c", config, "--once"}).exit_code, 0);

  using Statuses = std::map<std::string, std::string>;
  EXPECT_EQ(list({}), (Statuses{{"a.jsonl:3", "pending"}})) << "pending entries only, by default";
  EXPECT_EQ(list({"--status", "all"}),
            (Statuses{{"a.jsonl:1", "replayed"}, {"a.jsonl:2", "discarded"}, {"a.jsonl:3", "pending"}}));
  EXPECT_EQ(list({"--status", "discarded"}), (Statuses{{"a.jsonl:2", "discarded"}}));
  const CommandResult table = run_synchub({"dlq", "list", "-c", config});
  EXPECT_EQ(std::count(table.out.begin(), table.out.end(), '\n'), 2) << "a header and one entry:\n" << table.out;

  const auto fixed = nlohmann::json::parse(run_synchub({"dlq", "show", "-c", config, fixed_id}).out);
  ASSERT_EQ(fixed["history"].size(), 3u) << fixed;  // failed, edited, replay_requested
  const auto& edit = fixed["history"][1];
  EXPECT_EQ(edit["kind"], "edited");
  EXPECT_EQ(edit["by"], "cli:dlq-tester");
  EXPECT_EQ(edit["input_before"], "{\"customer\":\"C-1\",\"total\":\"1.00\"}");
  EXPECT_EQ(edit["input"], "{\"order_id\":\"SO-FIXED\",\"customer\":\"C-1\",\"total\":\"1.00\"}");
  EXPECT_EQ(fixed["history"][2]["kind"], "replay_requested");
  EXPECT_EQ(fixed["history"][2]["by"], "cli:dlq-tester");
  const auto dropped = nlohmann::json::parse(run_synchub({"dlq", "show", "-c", config, dropped_id}).out);
  EXPECT_EQ(dropped["history"].back()["kind"], "discarded");
  EXPECT_EQ(dropped["history"].back()["by"], "cli:dlq-tester");
}

std::string tool(const std::string& name) {
  return std::string(SYNCHUB_TOOLS_DIR) + "/" + name;
}

// A tool run under timeout(1): a program that starts serving instead of printing its help ends
// after 10 s (exit 124) rather than hanging the test.
CommandResult run_tool(const std::string& name, const std::vector<std::string>& args) {
  std::vector<std::string> with_timeout = {"10", tool(name)};
  with_timeout.insert(with_timeout.end(), args.begin(), args.end());
  return run_program("/usr/bin/timeout", with_timeout);
}

// Help is there for every command and sub-command, on stdout with exit 0, without a config being
// read (there is no synchub.yaml here) or anything started.
TEST(Cli, EveryCommandHasHelp) {
  const std::vector<std::vector<std::string>> commands = {{},
                                                          {"run"},
                                                          {"validate"},
                                                          {"schema"},
                                                          {"docs"},
                                                          {"map"},
                                                          {"test"},
                                                          {"dlq"},
                                                          {"dlq", "list"},
                                                          {"dlq", "show"},
                                                          {"dlq", "replay"},
                                                          {"dlq", "discard"},
                                                          {"status"},
                                                          {"backfill"},
                                                          {"bus"},
                                                          {"bus", "reset-offsets"},
                                                          {"reconcile"},
                                                          {"trace"},
                                                          {"version"}};
  for (const auto& command : commands) {
    std::vector<std::string> args = command;
    args.push_back("--help");
    const CommandResult r = run_synchub(args);
    std::string path = "synchub";
    for (const auto& c : command) path += " " + c;
    EXPECT_EQ(r.exit_code, 0) << path << ": " << r.err;
    EXPECT_EQ(r.err, "") << path;
    EXPECT_NE(r.out.find("Usage: " + path), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("--help"), std::string::npos) << r.out;
  }
  const CommandResult top = run_synchub({"--help"});
  for (const char* command : {"run", "validate", "dlq", "status", "backfill", "trace", "reconcile", "map", "test"})
    EXPECT_NE(top.out.find(std::string("\n  ") + command + " "), std::string::npos) << command << "\n" << top.out;
  // `synchub help dlq list` is `synchub dlq list --help`.
  const CommandResult help = run_synchub({"help", "dlq", "list"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_EQ(help.out, run_synchub({"dlq", "list", "--help"}).out);
  // Help for a command that does not exist is a usage error, as running it is.
  for (const std::vector<std::string>& wrong : {std::vector<std::string>{"help", "nosuch"}, {"help", "dlq", "lst"}}) {
    const CommandResult r = run_synchub(wrong);
    EXPECT_EQ(r.exit_code, 2) << wrong.back() << ": " << r.out;
    EXPECT_NE(r.err.find("no command '" + wrong.back() + "'"), std::string::npos) << r.err;
  }
  const CommandResult validate = run_synchub({"validate", "--help"});
  EXPECT_NE(validate.out.find("--no-env"), std::string::npos) << validate.out;
  EXPECT_NE(run_synchub({"status", "--help"}).out.find("-c,--config"), std::string::npos);
  EXPECT_EQ(run_synchub({"--version"}).out, run_synchub({"version"}).out);
}

TEST(Cli, EveryToolHasHelp) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> tools = {{"synchub-sim", {}},
                                                                               {"synchub-sim", {"crm"}},
                                                                               {"synchub-sim", {"erp"}},
                                                                               {"synchub-sim", {"fxiaoke"}},
                                                                               {"synchub-sim", {"k3cloud"}},
                                                                               {"synchub-gen-orders", {}},
                                                                               {"synchub-gen-crm-orders", {}},
                                                                               {"synchub-kafka-mock", {}}};
  for (const auto& [name, command] : tools) {
    std::vector<std::string> args = command;
    args.push_back("--help");
    const CommandResult r = run_tool(name, args);
    std::string path = name;
    for (const auto& c : command) path += " " + c;
    EXPECT_EQ(r.exit_code, 0) << path << ": " << r.err;
    EXPECT_NE(r.out.find("Usage: " + path), std::string::npos) << path << ": " << r.out;
  }
  EXPECT_NE(run_tool("synchub-sim", {"crm", "--help"}).out.find("--trickle-ms"), std::string::npos);
  EXPECT_NE(run_tool("synchub-sim", {"erp", "--help"}).out.find("--error-rate"), std::string::npos);
  // What they did before is still what they do.
  const CommandResult orders = run_tool("synchub-gen-orders", {"3", "7", "10"});
  EXPECT_EQ(orders.exit_code, 0) << orders.err;
  EXPECT_EQ(std::count(orders.out.begin(), orders.out.end(), '\n'), 3) << orders.out;
  EXPECT_NE(orders.out.find("SO-00000010"), std::string::npos) << orders.out;
  EXPECT_EQ(run_tool("synchub-gen-crm-orders", {"--customers"}).exit_code, 0);
  EXPECT_EQ(run_tool("synchub-gen-crm-orders", {"2", "1"}).exit_code, 0);
  // A negative count is a usage error (it wrapped to 2^64 - 5 and never stopped).
  for (const auto& [tool, args] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{{"synchub-gen-orders", {"-5"}},
                                                                     {"synchub-gen-orders", {"3", "-1"}},
                                                                     {"synchub-gen-crm-orders", {"-3", "1"}}}) {
    const CommandResult r = run_tool(tool, args);
    EXPECT_EQ(r.exit_code, 2) << tool << " " << args[0] << ": " << r.err;
    EXPECT_EQ(r.out, "") << tool;
  }
}

TEST(Cli, UnknownOptionsAreRefused) {
  TempDir dir;
  const std::string config = write_file_to_file_config(dir);
  const std::vector<std::vector<std::string>> lines = {
      {"run", "-c", config, "--once", "--bogus"},
      {"validate", "-c", config, "--bogus"},
      {"dlq", "list", "-c", config, "--bogus"},
      {"dlq", "show", "-c", config, "1", "--bogus"},
      {"status", "--bogus"},
      {"trace", "-c", config, "SO-1", "--bogus"},
      {"backfill", "orders", "-c", config, "--since", "2024-01-01", "--bogus"},
      {"reconcile", "-c", config, "--bogus"},
      {"map", "-m", config, "--bogus"},
      {"test", "--bogus"},
      {"schema", "--bogus"},
      {"docs", "--bogus"},
      {"bus", "reset-offsets", "-c", config, "--bogus"}};
  for (const auto& line : lines) {
    const CommandResult r = run_synchub(line);
    EXPECT_EQ(r.exit_code, 2) << line[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("--bogus"), std::string::npos) << line[0] << ": " << r.err;
    EXPECT_NE(r.err.find("--help"), std::string::npos) << line[0] << ": " << r.err;
  }
  EXPECT_EQ(run_synchub({"dlq", "list", "-c", config, "--limit", "many"}).exit_code, 2);
  EXPECT_EQ(run_synchub({"dlq", "list", "-c", config, "--status", "lost"}).exit_code, 2);
  EXPECT_EQ(run_synchub({"trace", "-c", config, "SO-1", "--depth", "11"}).exit_code, 2);
  const CommandResult typo = run_synchub({"valdate", "-c", config});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("unknown command 'valdate'; did you mean 'validate'?"), std::string::npos) << typo.err;
  for (const auto& [name, args] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"synchub-sim", {"crm", "--port", "0", "--bogus", "1"}},
           {"synchub-sim", {"erp", "--orders", "5"}},  // the ERP has no orders to generate
           {"synchub-gen-orders", {"3", "--bogus"}},
           {"synchub-gen-orders", {"many"}},
           {"synchub-gen-crm-orders", {"3"}},
           {"synchub-kafka-mock", {"--bogus"}}}) {
    const CommandResult r = run_tool(name, args);
    EXPECT_EQ(r.exit_code, 2) << name << " " << args[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("--help"), std::string::npos) << name << ": " << r.err;
  }
}

TEST(Cli, TheConfigMayBeGivenAsTheArgument) {
  TempDir dir;
  const std::string config = write_file_to_file_config(dir);
  for (const auto& line : std::vector<std::vector<std::string>>{{"validate", config}, {"validate", "-c", config}}) {
    const CommandResult r = run_synchub(line);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find(config + ": OK (2 connectors, 2 streams, 1 flow)"), 0u) << r.out;
  }
  write_file(dir.str("bad.yaml"), "hub:\n  nmae: x\n");
  const CommandResult bad = run_synchub({"validate", dir.str("bad.yaml")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find(dir.str("bad.yaml") + ":2:3: hub.nmae: unknown key"), std::string::npos) << bad.err;
  // Both at once is a mistake, not a choice made silently.
  EXPECT_EQ(run_synchub({"validate", "-c", config, dir.str("bad.yaml")}).exit_code, 2);
  const CommandResult run = run_synchub({"run", config, "--once"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(fs::exists(dir.path() / "data" / "state.db"));
  EXPECT_EQ(run_synchub({"bus", "reset-offsets", config}).exit_code, 0);
}

TEST(Cli, AMappingFileGivenAsTheConfigIsNamedAsOne) {
  const std::string mapping =
      std::string(SYNCHUB_SOURCE_DIR) + "/examples/quickstart/mappings/crm-customer-to-erp.yaml";
  for (const auto& line : std::vector<std::vector<std::string>>{{"validate", "-c", mapping}, {"validate", mapping}}) {
    const CommandResult r = run_synchub(line);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(mapping + " is a mapping file"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("synchub test " + mapping), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("unknown section"), std::string::npos) << r.err;
  }
}

// A config whose CRM connector takes its URL and password from the environment, which the
// commands that only read the state store do not need.
std::string write_config_with_secrets(const TempDir& dir, const std::string& data_dir = "data") {
  const std::string path = dir.str("synchub.yaml");
  write_file(path, R"(hub:
  name: cli
  log_level: warn
  data_dir: )" + data_dir +
                       R"(
  http: {port: 1}
connectors:
  crm:
    type: rest
    base_url: ${CLI_TEST_CRM_URL}
    auth: {type: basic, username: synchub, password: "${CLI_TEST_CRM_PASSWORD}"}
    streams:
      orders: {path: /orders, key: id}
  files:
    type: file
    streams:
      inbox: {key: order_id, inbox: inbox}
      outbox: {outbox: outbox}
flows:
  orders: {from: crm.orders, to: files.outbox}
  from_files:
    from: files.inbox
    to: files.outbox
)");
  return path;
}

TEST(Cli, StateCommandsNeedNoConnectorSecrets) {
  ::unsetenv("CLI_TEST_CRM_URL");
  ::unsetenv("CLI_TEST_CRM_PASSWORD");
  TempDir dir;
  const std::string config = write_config_with_secrets(dir);
  const CommandResult list = run_synchub({"dlq", "list", "-c", config});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.find("ID "), 0u) << list.out;
  const CommandResult json = run_synchub({"dlq", "list", "-c", config, "--json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(nlohmann::json::parse(json.out), nlohmann::json::array());
  EXPECT_EQ(run_synchub({"dlq", "replay", "-c", config, "--all", "--flow", "orders"}).exit_code, 0);
  const CommandResult show = run_synchub({"dlq", "show", "-c", config, "7"});
  EXPECT_EQ(show.err, "synchub dlq: no dead letter with id 7\n");
  const CommandResult trace = run_synchub({"trace", "-c", config, "SO-1"});
  EXPECT_EQ(trace.exit_code, 1);
  EXPECT_EQ(trace.err.find("CLI_TEST"), std::string::npos) << trace.err;
  // status -c asks the hub of that config (hub.http.port 1: nobody there).
  const CommandResult status = run_synchub({"status", "-c", config});
  EXPECT_EQ(status.exit_code, 2);
  EXPECT_NE(status.err.find("cannot ask http://127.0.0.1:1 "), std::string::npos) << status.err;
  // backfill opens the source's connector only: the file source is reached (and has no time cursor)...
  const CommandResult files = run_synchub({"backfill", "from_files", "-c", config, "--since", "2024-01-01"});
  EXPECT_EQ(files.exit_code, 1);
  EXPECT_NE(files.err.find("files.inbox cannot backfill: its cursor is not a time"), std::string::npos) << files.err;
  // ...the CRM source needs its own secrets, and says which.
  const CommandResult crm = run_synchub({"backfill", "orders", "-c", config, "--since", "2024-01-01"});
  EXPECT_EQ(crm.exit_code, 1);
  EXPECT_NE(crm.err.find("connectors.crm.base_url: needs ${CLI_TEST_CRM_URL}, which is not set here"),
            std::string::npos)
      << crm.err;
  EXPECT_NE(crm.err.find("needs ${CLI_TEST_CRM_PASSWORD}"), std::string::npos) << crm.err;
  // What the state store itself needs must be set.
  TempDir other;
  const std::string unset_dir = write_config_with_secrets(other, "${CLI_TEST_DATA_DIR}/data");
  const CommandResult no_dir = run_synchub({"dlq", "list", "-c", unset_dir});
  EXPECT_EQ(no_dir.exit_code, 1);
  EXPECT_NE(no_dir.err.find("hub.data_dir: needs ${CLI_TEST_DATA_DIR}"), std::string::npos) << no_dir.err;
  // run still needs every one.
  const CommandResult run = run_synchub({"run", "-c", config, "--once"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("environment variable 'CLI_TEST_CRM_URL' is not set"), std::string::npos) << run.err;
}

TEST(Cli, ValidateNoEnvListsReferencesAndStillFindsErrors) {
  TempDir dir;
  const std::string config = write_config_with_secrets(dir);
  ::unsetenv("CLI_TEST_CRM_URL");
  ::setenv("CLI_TEST_CRM_PASSWORD", "pa55-from-env", 1);  // --no-env does not read it
  const CommandResult without = run_synchub({"validate", "-c", config});
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_NE(without.err.find("environment variable 'CLI_TEST_CRM_URL' is not set"), std::string::npos);
  const CommandResult ok = run_synchub({"validate", "--no-env", "-c", config});
  ::unsetenv("CLI_TEST_CRM_PASSWORD");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find(": OK (2 connectors, 3 streams, 2 flows)"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("2 values left as references"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find(config + ":9:15: connectors.crm.base_url: ${CLI_TEST_CRM_URL}"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("connectors.crm.auth.password: ${CLI_TEST_CRM_PASSWORD}"), std::string::npos) << ok.out;
  EXPECT_EQ((ok.out + ok.err).find("pa55"), std::string::npos);
  // Everything else is still checked.
  write_file(config, read_file(config) + "    batch_size: many\n");
  const CommandResult bad = run_synchub({"validate", "--no-env", "-c", config});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("flows.from_files.batch_size"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace synchub::test
