// The synchub command line: exit codes and what it prints.
#include <gtest/gtest.h>

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
  EXPECT_NE(ok.out.find("OK (2 connectors, 2 streams, 1 flows)"), std::string::npos) << ok.out;

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

}  // namespace
}  // namespace synchub::test
