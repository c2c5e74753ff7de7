// Every config error names file:line:col, the key path and what was expected.
#include <gtest/gtest.h>

#include <cstdlib>

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"
#include "tests/support/files.hpp"

namespace synchub::config {
namespace {

using test::TempDir;

class ConfigErrors : public ::testing::Test {
 protected:
  // Loads `yaml`; returns the error lines with the temp path replaced by "cfg.yaml".
  std::vector<std::string> errors_of(const std::string& yaml) {
    const std::string file = dir_.str("cfg.yaml");
    test::write_file(file, yaml);
    try {
      load_hub_config(file, connectors::builtin_registry().specs());
    } catch (const ConfigError& e) {
      std::vector<std::string> out;
      for (const auto& d : e.diagnostics()) {
        std::string line = d.str();
        if (line.rfind(file, 0) == 0) line = "cfg.yaml" + line.substr(file.size());
        out.push_back(line);
      }
      return out;
    }
    return {};
  }

  HubConfig load_ok(const std::string& yaml) {
    const std::string file = dir_.str("cfg.yaml");
    test::write_file(file, yaml);
    return load_hub_config(file, connectors::builtin_registry().specs());
  }

  TempDir dir_;
};

const std::string kValid = R"(hub:
  name: test
connectors:
  crm:
    type: file
    streams:
      orders:
        key: order_id
        inbox: in
  erp:
    type: file
    streams:
      sale_orders:
        outbox: out
flows:
  orders:
    from: crm.orders
    to: erp.sale_orders
)";

TEST_F(ConfigErrors, ValidConfigLoadsWithDefaults) {
  HubConfig c = load_ok(kValid);
  ASSERT_EQ(c.flows.size(), 1u);
  EXPECT_EQ(c.flows[0].from.str(), "crm.orders");
  EXPECT_EQ(c.flows[0].settings.integer("batch_size"), 500);
  EXPECT_EQ(c.flows[0].settings.duration("retry.max_backoff"), std::chrono::minutes(5));
  EXPECT_EQ(c.topic(c.flows[0].from), "crm.orders");
  EXPECT_EQ(c.bus.str("path"), dir_.str("data/bus.db"));
  EXPECT_EQ(c.connector("crm")->stream("orders")->settings.str("inbox"), dir_.str("in"));
  EXPECT_TRUE(c.connector("crm")->stream("orders")->roles.source);
  EXPECT_FALSE(c.connector("crm")->stream("orders")->roles.sink);
}

TEST_F(ConfigErrors, UnknownKeySuggestsTheClosestName) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("        key: order_id"), 21, "        kye: order_id");
  EXPECT_EQ(errors_of(yaml),
            std::vector<std::string>{
                "cfg.yaml:8:9: connectors.crm.streams.orders.kye: unknown key 'kye'; did you mean 'key'?"});
}

TEST_F(ConfigErrors, UnknownTopLevelSectionListsTheValidOnes) {
  EXPECT_EQ(errors_of(kValid + "flowz: {}\n"),
            std::vector<std::string>{"cfg.yaml:19:1: flowz: unknown section 'flowz'; did you mean 'flows'?"});
  EXPECT_EQ(errors_of(kValid + "plugins: {}\n"),
            std::vector<std::string>{"cfg.yaml:19:1: plugins: unknown section 'plugins'; expected one of: alerts, bus, "
                                     "connectors, flows, hub, reconciliations, state"});
}

TEST_F(ConfigErrors, WrongTypeSaysWhatWasExpected) {
  std::string yaml = kValid + "    batch_size: lots\n";
  EXPECT_EQ(errors_of(yaml), std::vector<std::string>{"cfg.yaml:19:17: flows.orders.batch_size: expected integer >= 1 "
                                                      "and <= 100000, got \"lots\""});
  yaml = kValid + "    retry:\n      max_backoff: soon\n";
  EXPECT_EQ(errors_of(yaml), std::vector<std::string>{"cfg.yaml:20:20: flows.orders.retry.max_backoff: expected "
                                                      "duration like \"30s\", \"5m\", \"250ms\", got \"soon\""});
  yaml = kValid + "    enabled: [1]\n";
  EXPECT_EQ(errors_of(yaml), std::vector<std::string>{
                                 "cfg.yaml:19:14: flows.orders.enabled: expected boolean (true/false), got a list"});
}

TEST_F(ConfigErrors, EnumValueOutsideTheOptions) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("        key: order_id"), 21, "        format: xml\n        key: order_id");
  EXPECT_EQ(errors_of(yaml), std::vector<std::string>{"cfg.yaml:8:17: connectors.crm.streams.orders.format: unknown "
                                                      "value \"xml\"; expected one of: csv, jsonl"});
}

TEST_F(ConfigErrors, ErrorRulesAsAListAreCheckedItemByItem) {
  const std::string head =
      "hub: {name: t}\nconnectors:\n  erp:\n    type: rest\n    base_url: http://127.0.0.1:1\n    errors:\n";
  const std::string tail = "    streams: {s: {path: /s}}\nflows: {}\n";
  EXPECT_EQ(
      errors_of(head + "      - {path: code, equals: [0], means: ok}\n      - {path: code, means: retry}\n" + tail),
      std::vector<std::string>{"cfg.yaml:8:29: connectors.erp.errors[1].means: unknown value \"retry\"; expected "
                               "one of: done, exists, ok, permanent, relogin, transient"});
  EXPECT_EQ(errors_of(head + "      - {equals: [0], means: ok}\n" + tail),
            std::vector<std::string>{"cfg.yaml:7:9: connectors.erp.errors[0]: missing required field 'path'"});
  EXPECT_EQ(errors_of(head + "      - {path: code, means: ok, code: x}\n" + tail),
            std::vector<std::string>{"cfg.yaml:7:33: connectors.erp.errors[0].code: unknown key 'code'; expected one "
                                     "of: equals, matches, means, message, path, request"});
  HubConfig ok = load_ok(head + "      - {path: code, equals: ['0'], means: ok}\n" + tail);
  EXPECT_EQ(ok.connector("erp")->settings.count("errors"), 1u);
  EXPECT_EQ(ok.connector("erp")->settings.str("errors.0.means"), "ok");
}

// Settings whose values have a meaning beyond their type are checked at load (`validate` and
// start alike), not first by the connector when it starts.
TEST_F(ConfigErrors, ValuesWithAMeaningAreCheckedWhereTheyAreWritten) {
  const std::string head = "hub: {name: t}\nconnectors:\n  crm:\n    type: rest\n    base_url: http://127.0.0.1:1\n";
  const std::string flows = "flows: {}\n";
  EXPECT_EQ(errors_of(head + "    streams:\n      s: {path: /s, cursor: {field: t, format: isoo}}\n" + flows),
            std::vector<std::string>{"cfg.yaml:7:48: connectors.crm.streams.s.cursor.format: expected text, iso, "
                                     "epoch_ms, epoch_s or a date pattern with % fields, got 'isoo'"});
  EXPECT_EQ(
      errors_of(head + "    streams:\n      s: {path: /s, cursor: {field: t, time_zone: Asia/Shanghia}}\n" + flows),
      std::vector<std::string>{"cfg.yaml:7:51: connectors.crm.streams.s.cursor.time_zone: unknown time zone "
                               "'Asia/Shanghia' (an IANA name, UTC or +08:00)"});
  const std::vector<std::string> bad_pattern = errors_of(
      head + "    errors:\n      - {path: msg, matches: '(unclosed', means: exists}\n    streams: {s: {path: /s}}\n" +
      flows);
  ASSERT_EQ(bad_pattern.size(), 1u);
  EXPECT_EQ(bad_pattern[0].rfind("cfg.yaml:7:30: connectors.crm.errors[0].matches: bad pattern '(unclosed': ", 0), 0u)
      << bad_pattern[0];
  load_ok(head +
          "    streams:\n      s: {path: /s, cursor: {field: t, format: '%Y-%m-%d %H:%M:%S', time_zone: "
          "Asia/Shanghai}}\n" +
          flows);
}

// Rules across fields are the loader's, with positions: `validate` says what `run` would.
TEST_F(ConfigErrors, RulesAcrossFieldsAreReportedAtValidateWithPositions) {
  const std::string head = "hub: {name: t}\nconnectors:\n  crm:\n    type: rest\n    base_url: http://127.0.0.1:1\n";
  EXPECT_EQ(errors_of(head + "    auth: {type: hmac, key_id: k}\n    streams: {s: {path: /s}}\nflows: {}\n"),
            std::vector<std::string>{"cfg.yaml:6:18: connectors.crm.auth.type: auth type hmac needs auth.secret (the "
                                     "signing secret)"});
  EXPECT_EQ(errors_of(head + "    streams:\n      s: {path: /s, detail: {path: /d}, cursor: {field: t, overlap: 5m}}\n"
                             "      w: {write: {path: /w, then: ['submit {id}']}}\nflows: {}\n"),
            (std::vector<std::string>{
                "cfg.yaml:7:36: connectors.crm.streams.s.detail.path: detail needs match (the detail field naming "
                "its master)",
                "cfg.yaml:7:69: connectors.crm.streams.s.cursor.overlap: cursor.overlap needs a time cursor.format "
                "(iso, epoch_ms, epoch_s or a pattern)",
                "cfg.yaml:8:35: connectors.crm.streams.w.write.then: expected \"METHOD path [body]\", got \"submit "
                "{id}\""}));
  EXPECT_EQ(errors_of("hub: {name: t, http: {tls: {cert: c.pem}}}\nflows: {}\n"),
            std::vector<std::string>{"cfg.yaml:1:35: hub.http.tls.cert: set http.tls.key too: HTTPS needs both "
                                     "files (PEM)"});
}

TEST_F(ConfigErrors, StringOfTheWrongLength) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("        key: order_id"), 21, "        delimiter: ';;'\n        key: order_id");
  EXPECT_EQ(errors_of(yaml), std::vector<std::string>{"cfg.yaml:8:20: connectors.crm.streams.orders.delimiter: "
                                                      "expected exactly 1 character(s), got \";;\""});
}

TEST_F(ConfigErrors, MissingRequiredField) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("    to: erp.sale_orders\n"), 24, "");
  EXPECT_EQ(errors_of(yaml), std::vector<std::string>{"cfg.yaml:16:3: flows.orders: missing required field 'to'"});
  yaml = kValid;
  yaml.replace(yaml.find("    type: file\n    streams:\n      orders"), 15, "");
  const std::vector<std::string> expected = {
      "cfg.yaml:4:3: connectors.crm: missing required field 'type'",
      "cfg.yaml:16:11: flows.orders.from: unknown connector 'crm'; expected one of: erp"};
  EXPECT_EQ(errors_of(yaml), expected);
}

TEST_F(ConfigErrors, UnknownConnectorTypeListsTheAvailableOnes) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("type: file"), 10, "type: fiel");
  auto errors = errors_of(yaml);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0],
            "cfg.yaml:5:11: connectors.crm.type: unknown connector type 'fiel'; did you mean 'file'?; "
            "available: file, rest, tryton, webhook");
}

TEST_F(ConfigErrors, FlowNamingAStreamThatDoesNotExist) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("from: crm.orders"), 16, "from: crm.order");
  EXPECT_EQ(errors_of(yaml),
            std::vector<std::string>{"cfg.yaml:17:11: flows.orders.from: connector 'crm' has no stream "
                                     "'order'; did you mean 'orders'?"});
  yaml = kValid;
  yaml.replace(yaml.find("from: crm.orders"), 16, "from: erp.sale_orders");
  EXPECT_EQ(errors_of(yaml),
            std::vector<std::string>{"cfg.yaml:17:11: flows.orders.from: stream 'erp.sale_orders' cannot be read from "
                                     "(it is not configured as a source)"});
  yaml = kValid;
  yaml.replace(yaml.find("from: crm.orders"), 16, "from: orders");
  EXPECT_EQ(errors_of(yaml),
            std::vector<std::string>{"cfg.yaml:17:11: flows.orders.from: expected connector.stream, got \"orders\""});
}

TEST_F(ConfigErrors, FlowsFormingACycle) {
  std::string yaml = R"(connectors:
  a:
    type: file
    streams:
      s: {inbox: a-in, outbox: a-out}
  b:
    type: file
    streams:
      s: {inbox: b-in, outbox: b-out}
flows:
  there:
    from: a.s
    to: b.s
  back:
    from: b.s
    to: a.s
)";
  EXPECT_EQ(errors_of(yaml),
            std::vector<std::string>{"cfg.yaml:13:9: flows.there.to: flows form a cycle: a.s -> b.s -> "
                                     "a.s (records would circle for ever)"});
}

TEST_F(ConfigErrors, LineageNamesAFlowOfTheConfig) {
  EXPECT_EQ(load_ok(kValid + "    lineage: {quote_no: orders}\n").flows[0].settings.map("lineage"),
            (std::vector<std::pair<std::string, std::string>>{{"quote_no", "orders"}}));
  EXPECT_EQ(errors_of(kValid + "    lineage: {quote_no: order}\n"),
            std::vector<std::string>{"cfg.yaml:19:14: flows.orders.lineage.quote_no: unknown flow 'order'; did you "
                                     "mean 'orders'?"});
}

// `synchub trace` reads the state alone: what else is wrong or unset (a connector's secret) does
// not stop it; a problem with the state's own settings does.
TEST_F(ConfigErrors, TheStateAloneLoadsWithoutTheConnectorsSecrets) {
  ::unsetenv("SYNCHUB_TEST_UNSET_DIR");
  std::string yaml = kValid;
  yaml.replace(yaml.find("inbox: in"), 9, "inbox: ${SYNCHUB_TEST_UNSET_DIR}/in");
  yaml.replace(yaml.find("  name: test"), 12, "  name: test\n  data_dir: data");
  const std::string file = dir_.str("cfg.yaml");
  test::write_file(file, yaml + "state: {lineage_retention: 7d}\n");
  HubConfig config = load_state_config(file);
  EXPECT_EQ(config.state.str("path"), dir_.str("data/state.db")) << "relative to the config";
  EXPECT_EQ(config.state.duration("lineage_retention"), std::chrono::hours(24 * 7));
  EXPECT_TRUE(config.flows.empty());
  test::write_file(file, yaml + "state: {lineage_retention: a week}\n");
  EXPECT_THROW(load_state_config(file), ConfigError);
}

TEST_F(ConfigErrors, MissingEnvironmentVariableIsNamed) {
  ::unsetenv("SYNCHUB_TEST_UNSET_DIR");
  std::string yaml = kValid;
  yaml.replace(yaml.find("inbox: in"), 9, "inbox: ${SYNCHUB_TEST_UNSET_DIR}/in");
  EXPECT_EQ(errors_of(yaml), std::vector<std::string>{"cfg.yaml:9:16: connectors.crm.streams.orders.inbox: environment "
                                                      "variable 'SYNCHUB_TEST_UNSET_DIR' is not set"});
}

TEST_F(ConfigErrors, SubstitutedValuesAreNeverEchoed) {
  ::setenv("SYNCHUB_TEST_SECRET", "hunter2-very-secret", 1);
  test::write_file(dir_.str("token.txt"), "file-secret-value\n");
  std::string yaml =
      kValid + "    batch_size: ${SYNCHUB_TEST_SECRET}\n    retry:\n      max_backoff: ${file:token.txt}\n";
  auto errors = errors_of(yaml);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "cfg.yaml:19:17: flows.orders.batch_size: expected integer >= 1 and <= 100000, got <hidden>");
  EXPECT_EQ(errors[1],
            "cfg.yaml:21:20: flows.orders.retry.max_backoff: expected duration like \"30s\", \"5m\", \"250ms\", got "
            "<hidden>");
  for (const auto& e : errors) {
    EXPECT_EQ(e.find("hunter2"), std::string::npos);
    EXPECT_EQ(e.find("file-secret"), std::string::npos);
  }
}

TEST_F(ConfigErrors, SubstitutionFillsValues) {
  ::setenv("SYNCHUB_TEST_BATCH", "42", 1);
  test::write_file(dir_.str("name.txt"), "from-file\n");
  std::string yaml = kValid + "    batch_size: ${SYNCHUB_TEST_BATCH}\n";
  yaml.replace(yaml.find("name: test"), 10, "name: ${file:name.txt}-$${literal}");
  HubConfig c = load_ok(yaml);
  EXPECT_EQ(c.flows[0].settings.integer("batch_size"), 42);
  EXPECT_EQ(c.hub.str("name"), "from-file-${literal}");
  // ${NAME:-default}: the default when NAME is unset or empty.
  ::unsetenv("SYNCHUB_TEST_UNSET");
  ::setenv("SYNCHUB_TEST_EMPTY", "", 1);
  EXPECT_EQ(load_ok(kValid + "    batch_size: ${SYNCHUB_TEST_UNSET:-7}\n").flows[0].settings.integer("batch_size"), 7);
  EXPECT_EQ(load_ok(kValid + "    batch_size: ${SYNCHUB_TEST_EMPTY:-8}\n").flows[0].settings.integer("batch_size"), 8);
  EXPECT_EQ(load_ok(kValid + "    batch_size: ${SYNCHUB_TEST_BATCH:-9}\n").flows[0].settings.integer("batch_size"), 42);
}

TEST_F(ConfigErrors, YamlSyntaxErrorHasItsPosition) {
  EXPECT_EQ(errors_of("hub:\n  name: [unclosed\n"),
            std::vector<std::string>{"cfg.yaml:3:1: YAML syntax error: end of sequence flow not found"});
}

TEST_F(ConfigErrors, DuplicateKeyIsAnError) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("        key: order_id"), 21, "        key: order_id\n        key: id");
  EXPECT_EQ(errors_of(yaml),
            std::vector<std::string>{"cfg.yaml:9:9: connectors.crm.streams.orders.key: duplicate key"});
}

TEST_F(ConfigErrors, AllErrorsAreReportedAtOnce) {
  std::string yaml = kValid + "    batch_size: 0\n    colour: red\n";
  yaml.replace(yaml.find("name: test"), 10, "nmae: test");
  EXPECT_EQ(errors_of(yaml).size(), 3u);
}

TEST_F(ConfigErrors, InvalidNamesAreRejected) {
  std::string yaml = kValid;
  yaml.replace(yaml.find("  crm:"), 6, "  CRM Files:");
  yaml.replace(yaml.find("from: crm.orders"), 16, "from: CRM Files.orders");
  auto errors = errors_of(yaml);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0],
            "cfg.yaml:4:3: connectors.CRM Files: invalid connector name 'CRM Files': use lower-case "
            "letters, digits, '_' and '-', starting with a letter");
}

}  // namespace
}  // namespace synchub::config
