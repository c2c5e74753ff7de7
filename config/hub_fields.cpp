// The declared sections of synchub.yaml (fields, defaults, descriptions): read by the loader,
// the JSON Schema and the reference docs alike.
#include "config/hub_config.hpp"

namespace synchub::config {

const std::vector<FieldSpec>& hub_fields() {
  static const std::vector<FieldSpec> fields = {
      {.name = "name",
       .description = "Name of this hub; tags the events it publishes (origin) and its logs.",
       .default_value = "synchub"},
      {.name = "data_dir",
       .type = FieldType::Path,
       .description = "Folder for the embedded bus and state files (relative to the config file).",
       .default_value = "data"},
      {.name = "worker_id",
       .description = "This worker's name in source leases (default: host name and data_dir, so a worker "
                      "restarted after a crash takes its streams back at once; two workers need different ones)."},
      {.name = "topic_prefix",
       .description = "Prefix of every topic name: <prefix><connector>.<stream>.",
       .default_value = ""},
      {.name = "log_level",
       .type = FieldType::Enum,
       .description = "Least severe log level written.",
       .default_value = "info",
       .options = {"debug", "info", "warn", "error"}},
      {.name = "shutdown_timeout",
       .type = FieldType::Duration,
       .description = "How long `synchub run` waits, once asked to stop, for the batches in flight; then it exits "
                      "without confirming them (delivered again at the next start). A second signal exits at once.",
       .default_value = "30s"},
      {.name = "log_format",
       .type = FieldType::Enum,
       .description = "json: one JSON object a line; text: for people; auto: text on a terminal, else json.",
       .default_value = "auto",
       .options = {"auto", "json", "text"}},
      {.name = "http",
       .type = FieldType::Section,
       .description = "synchub's HTTP server (webhooks and the admin API; started when either is used).",
       .fields =
           {
               {.name = "address",
                .description = "Address to listen on (loopback by default).",
                .default_value = "127.0.0.1"},
               {.name = "port",
                .type = FieldType::Int,
                .description = "Port.",
                .default_value = "8088",
                .min = 0,
                .max = 65535},
               {.name = "max_body",
                .type = FieldType::Size,
                .description = "Largest request body accepted.",
                .default_value = "1MiB"},
               {.name = "tls",
                .type = FieldType::Section,
                .description = "Serve HTTPS only (both files in PEM).",
                .fields =
                    {
                        {.name = "cert", .type = FieldType::Path, .description = "Certificate chain file."},
                        {.name = "key", .type = FieldType::Path, .description = "Private key file."},
                    }},
           }},
      {.name = "admin",
       .type = FieldType::Section,
       .description = "The admin API (/api/v1, /metrics, /healthz, /readyz) on the HTTP server.",
       .fields =
           {
               {.name = "enabled", .type = FieldType::Bool, .description = "Serve it.", .default_value = "false"},
               {.name = "viewer_tokens",
                .type = FieldType::StringList,
                .description = "Bearer tokens that may read (GET).",
                .secret = true},
               {.name = "operator_tokens",
                .type = FieldType::StringList,
                .description = "Bearer tokens that may also pause, resume, trigger, replay and discard.",
                .secret = true},
           }},
  };
  return fields;
}

const std::vector<FieldSpec>& bus_fields() {
  static const std::vector<FieldSpec> fields = {
      {.name = "type",
       .type = FieldType::Enum,
       .description = "Event bus implementation.",
       .default_value = "embedded",
       .options = {"embedded", "kafka"}},
      {.name = "kafka",
       .type = FieldType::Section,
       .description = "The Kafka cluster, for type kafka (`bus: kafka` is short for type kafka).",
       .fields =
           {
               {.name = "bootstrap_servers",
                .description = "Brokers to start from, host:port,host:port.",
                .default_value = "127.0.0.1:9092"},
               {.name = "create_topics",
                .type = FieldType::Bool,
                .description = "Create missing topics (partitions, replication_factor); off where an admin "
                               "creates them.",
                .default_value = "true"},
               {.name = "partitions",
                .type = FieldType::Int,
                .description = "Partitions of a created topic (events are partitioned by key: per-key order).",
                .default_value = "6",
                .min = 1},
               {.name = "replication_factor",
                .type = FieldType::Int,
                .description = "Replicas of a created topic.",
                .default_value = "3",
                .min = 1},
               {.name = "delivery_timeout",
                .type = FieldType::Duration,
                .description = "A publish fails (and is retried) when the cluster has not acknowledged it by then.",
                .default_value = "30s"},
               {.name = "properties",
                .type = FieldType::StringMap,
                .description = "librdkafka settings passed through: security.protocol, sasl.mechanisms, "
                               "sasl.username, sasl.password, ssl.ca.location, compression.type, linger.ms...",
                .secret = true,  // SASL passwords
                .example = "{security.protocol: SASL_SSL, sasl.mechanisms: SCRAM-SHA-512, sasl.username: synchub, "
                           "sasl.password: ${KAFKA_PASSWORD}}"},
           }},
      {.name = "path",
       .type = FieldType::Path,
       .description = "Embedded bus database file (default: <data_dir>/bus.db)."},
      {.name = "partitions",
       .type = FieldType::Int,
       .description = "Partitions of each new topic; events are partitioned by key, so per-key order holds.",
       .default_value = "1",
       .min = 1,
       .max = 256},
      {.name = "fsync",
       .type = FieldType::Bool,
       .description = "Flush every commit to disk (survives power loss, not only process crashes).",
       .default_value = "true"},
      {.name = "compression",
       .type = FieldType::Enum,
       .description = "How record batches are stored (as Kafka's compression.type); a log holds either.",
       .default_value = "lz4",
       .options = {"lz4", "none"}},
      {.name = "retention",
       .type = FieldType::Section,
       .description = "When old events are deleted.",
       .fields =
           {
               {.name = "max_age",
                .type = FieldType::Duration,
                .description = "Delete events older than this.",
                .default_value = "7d"},
               {.name = "max_bytes",
                .type = FieldType::Size,
                .description = "Per topic, delete the oldest events above this size.",
                .default_value = "1GiB"},
           }},
  };
  return fields;
}

const std::vector<FieldSpec>& state_fields() {
  static const std::vector<FieldSpec> fields = {
      {.name = "type",
       .type = FieldType::Enum,
       .description = "State store implementation.",
       .default_value = "sqlite",
       .options = {"sqlite", "postgresql"}},
      {.name = "path",
       .type = FieldType::Path,
       .description = "SQLite state file: cursors, ledger, xref, dead letters, runs, lineage (default: "
                      "<data_dir>/state.db)."},
      {.name = "url",
       .description = "PostgreSQL connection URL, shared by every worker (`state: postgresql://...` is short for "
                      "type postgresql with this url).",
       .secret = true,  // holds the password
       .example = "postgresql://synchub:${PG_PASSWORD}@db.internal:5432/synchub"},
      {.name = "lease_ttl",
       .type = FieldType::Duration,
       .description = "A worker polls a source stream only while it holds the stream's lease; another worker "
                      "takes over this long after the holder stops renewing it.",
       .default_value = "15s"},
      {.name = "lineage_retention",
       .type = FieldType::Duration,
       .description = "How long the lineage history (`synchub trace`: each record's events, writes, retries and "
                      "dead letters in each flow) is kept; older rows are deleted every few minutes.",
       .default_value = "30d"},
  };
  return fields;
}

const std::vector<FieldSpec>& alert_fields() {
  static const std::vector<FieldSpec> fields = {
      {.name = "webhook",
       .type = FieldType::Section,
       .description = "Where alerts are posted (on when url is set).",
       .fields =
           {
               {.name = "url",
                .description = "Receiver URL: an HTTP endpoint or a DingTalk/WeCom/Feishu group robot.",
                .secret = true,  // robot URLs carry their access token
                .example = "https://oapi.dingtalk.com/robot/send?access_token=${DINGTALK_TOKEN}"},
               {.name = "format",
                .type = FieldType::Enum,
                .description = "generic: synchub's JSON; dingtalk, wecom, feishu: those robots' text messages.",
                .default_value = "generic",
                .options = {"generic", "dingtalk", "wecom", "feishu"}},
               {.name = "secret",
                .description = "Signing secret of a DingTalk or Feishu robot with signature checks on.",
                .secret = true},
               {.name = "timeout", .type = FieldType::Duration, .description = "Per post.", .default_value = "10s"},
           }},
      {.name = "failing_for",
       .type = FieldType::Duration,
       .description =
           "Alert when a flow has kept failing (backing off), or a source failing to be read, this long; 0s: never.",
       .default_value = "5m"},
      {.name = "lag_events",
       .type = FieldType::Int,
       .description = "Alert when more events than this wait on a flow's topic; 0: never.",
       .default_value = "0",
       .min = 0},
      {.name = "lag_age",
       .type = FieldType::Duration,
       .description = "Alert when the oldest waiting event is older than this; 0s: never.",
       .default_value = "15m"},
      {.name = "dead_letters",
       .type = FieldType::Int,
       .description = "Alert when a flow has more pending dead letters than this; 0: never.",
       .default_value = "0",
       .min = 0},
      {.name = "repeat",
       .type = FieldType::Duration,
       .description = "Remind while an alert lasts, this often; 0s: one message per outage (and one on recovery).",
       .default_value = "4h"},
      {.name = "check_every",
       .type = FieldType::Duration,
       .description = "How often the conditions are checked.",
       .default_value = "15s"},
  };
  return fields;
}

const std::vector<FieldSpec>& flow_fields() {
  static const std::vector<FieldSpec> fields = {
      {.name = "from",
       .description = "Source stream whose topic this flow consumes, as connector.stream.",
       .required = true,
       .example = "crm.orders"},
      {.name = "to",
       .description = "Sink stream this flow writes to, as connector.stream.",
       .required = true,
       .example = "erp.sale_orders"},
      {.name = "enabled", .type = FieldType::Bool, .description = "Run this flow.", .default_value = "true"},
      {.name = "mapping",
       .type = FieldType::Path,
       .description = "Mapping file (YAML field-mapping rules) applied to each record; without one records pass "
                      "through unchanged.",
       .example = "mappings/crm-order-to-erp.yaml"},
      {.name = "batch_size",
       .type = FieldType::Int,
       .description = "Most events handled per sink push.",
       .default_value = "500",
       .min = 1,
       .max = 100000},
      {.name = "xref",
       .type = FieldType::Section,
       .description = "Fill the cross-reference table from this flow: each record's key in the source system "
                      "is the target id the sink returned (mappings look it up with `lookup: {xref: ...}`).",
       .fields =
           {
               {.name = "entity", .description = "Entity name, e.g. customer.", .example = "customer"},
               {.name = "from", .description = "System of the record keys (default: the source connector)."},
               {.name = "to", .description = "System of the target ids (default: the sink connector)."},
           }},
      {.name = "lineage",
       .type = FieldType::StringMap,
       .description = "Fields of the source record that name a document another flow wrote, each with that flow: "
                      "its value is that flow's key for the document (its source key) or the target id it was "
                      "written under. Recorded with every record, so that `synchub trace` follows a document "
                      "to the documents it led to (an order to its invoices). A field is a name or a dotted path.",
       .example = "{order_no: orders_to_erp}"},
      {.name = "retry",
       .type = FieldType::Section,
       .description = "Backoff for transient failures: sink errors, and cross-references not there yet (the "
                      "master data may still be on its way).",
       .fields =
           {
               {.name = "initial_backoff",
                .type = FieldType::Duration,
                .description = "First wait.",
                .default_value = "1s"},
               {.name = "max_backoff",
                .type = FieldType::Duration,
                .description = "Longest wait.",
                .default_value = "5m"},
               {.name = "max_attempts",
                .type = FieldType::Int,
                .description = "Attempts before a record the target failed to take (timeouts, 5xx, a refused "
                               "connection) is dead-lettered; 0 waits for the target until it answers.",
                .default_value = "0",
                .min = 0},
               {.name = "reference_attempts",
                .type = FieldType::Int,
                .description = "Attempts before a record whose cross-reference is still missing is "
                               "dead-lettered, counted once no flow that fills cross-references has work "
                               "left (its master data is not coming); 0 waits forever.",
                .default_value = "10",
                .min = 0},
           }},
  };
  return fields;
}

namespace {

// One side of a reconciliation: where its records are read and what is taken from each.
std::vector<FieldSpec> side_fields(const std::string& side, const std::string& stream_example,
                                   const std::string& key_example) {
  return {
      {.name = "stream",
       .description = "The " + side +
                      "'s records, read whole and live through its connector, as connector.stream (a source "
                      "stream, or a file sink's outbox).",
       .required = true,
       .example = stream_example},
      {.name = "key",
       .description = "Expression: what pairs a record with its partner on the other side.",
       .required = true,
       .example = key_example},
      {.name = "filter",
       .description = "Expression: the records in scope (others are not expected to have a partner).",
       .example = "status != 'cancelled'"},
      {.name = "time",
       .description = "Expression: the record's business time (a date or date-time), for `window` and the "
                      "`day`/`month` groups."},
      {.name = "mapping",
       .type = FieldType::Path,
       .description = "A mapping file applied to each record first (totals over lines...); its filter applies "
                      "too. `key`, `time` and `fields` then read the mapped record."},
      {.name = "fields",
       .type = FieldType::StringMap,
       .description = "Expressions for the names in measures, compare and group_by (a name not listed here is "
                      "read as a path of that name).",
       .example = "{amount: total, customer: customer.id}"},
      {.name = "waiting",
       .type = FieldType::Section,
       .description = "Records in a state that is on its way (held for an approval): a pair with one is shown "
                      "as in flight with the reason, not as a difference.",
       .fields =
           {
               {.name = "when", .description = "Expression: true for a waiting record."},
               {.name = "reason",
                .description = "Expression: the text shown as the reason.",
                .default_value = "'waiting'"},
           }},
  };
}

}  // namespace

const std::vector<FieldSpec>& reconciliation_fields() {
  static const std::vector<FieldSpec> fields = {
      {.name = "description", .description = "What is compared, in words (shown in reports)."},
      {.name = "source",
       .type = FieldType::Section,
       .description = "What should be there: every in-scope record is expected once on the target side.",
       .required = true,
       .fields = side_fields("source", "crm.orders", "order_no")},
      {.name = "target",
       .type = FieldType::Section,
       .description = "What is there.",
       .required = true,
       .fields = side_fields("target", "erp.sales_orders", "external_no")},
      {.name = "match",
       .type = FieldType::Section,
       .description = "How a source key becomes a target key when the two systems use different ids.",
       .fields =
           {
               {.name = "by",
                .type = FieldType::Enum,
                .description = "key: the keys are equal; xref: through the cross-reference table (entity); "
                               "ledger: the target id the flow wrote the record as.",
                .default_value = "key",
                .options = {"key", "xref", "ledger"}},
               {.name = "entity", .description = "by xref: the entity (as in a flow's xref)", .example = "customer"},
               {.name = "from", .description = "by xref: the source's system (default: its connector)."},
               {.name = "to", .description = "by xref: the target's system (default: its connector)."},
           }},
      {.name = "flow",
       .description = "The flow that carries source records to the target: what is still on its topic, in "
                      "its retries or its dead letters is shown as in flight (default: the one flow from "
                      "the source stream to a stream of the target's connector)."},
      {.name = "measures",
       .type = FieldType::StringList,
       .description = "Amounts summed per group (exact decimals) and compared per document.",
       .example = "[amount]"},
      {.name = "compare",
       .type = FieldType::StringList,
       .description = "Fields compared per document (numbers as decimals: 100.10 equals 100.1).",
       .example = "[customer, currency]"},
      {.name = "group_by",
       .type = FieldType::StringList,
       .description = "Totals per group: day or month (of `time`, in time_zone), or field names (default: day "
                      "when both sides have a time, else one group of everything).",
       .example = "[day, currency]"},
      {.name = "time_zone",
       .description = "Where a business day begins and ends (IANA name).",
       .default_value = "UTC",
       .example = "Asia/Shanghai"},
      {.name = "window",
       .type = FieldType::Duration,
       .description = "Compare the last N of business time (30d); without it, every record read. A pair is in "
                      "the window when either side's time is."},
      {.name = "since",
       .description = "Compare from this business time on: a date (2024-03-01, in time_zone) or an ISO-8601 "
                      "time; `--since` overrides it.",
       .example = "2024-01-01"},
      {.name = "until",
       .description = "Compare up to this business time: a date (included) or an ISO-8601 time; `--until` "
                      "overrides it.",
       .example = "2024-12-31"},
      {.name = "every",
       .type = FieldType::Duration,
       .description = "Run inside `synchub run` this often (one period after the last run kept; never run or "
                      "overdue: 30s after start), keep each result, alert when a run differs or fails and again "
                      "when one is clean; without it, only on demand (`synchub reconcile`, POST "
                      "/api/v1/reconciliation/NAME/run, the dashboard)."},
      {.name = "max_documents",
       .type = FieldType::Int,
       .description = "Differing documents kept per run (the counts stay exact).",
       .default_value = "10000",
       .min = 1},
  };
  return fields;
}

const std::vector<SectionSpec>& hub_sections() {
  using Kind = SectionSpec::Kind;
  static const std::vector<SectionSpec> sections = {
      {"hub", "This hub's identity, data folder, logging, HTTP server and admin API.", Kind::Fields, &hub_fields()},
      {"bus",
       "The event bus carrying change events between sources and flows (`bus: kafka` for short).",
       Kind::Fields,
       &bus_fields(),
       "",
       {.types = {"embedded", "kafka"}, .url_prefixes = {}, .url_type = ""}},
      {"state",
       "Where cursors, ledger, xref, dead letters, runs and lineage are kept (`state: sqlite`, or `state: "
       "postgresql://...` "
       "for short).",
       Kind::Fields,
       &state_fields(),
       "",
       {.types = {"sqlite"}, .url_prefixes = {"postgresql://", "postgres://"}, .url_type = "postgresql"}},
      {"alerts", "When to tell people a flow needs attention, and where.", Kind::Fields, &alert_fields()},
      {"connectors", "Connections to systems, by name.", Kind::Connectors},
      {"flows", "Flows, by name.", Kind::Named, &flow_fields(),
       "Consumes one source stream's topic and writes to one sink stream."},
      {"reconciliations", "Checks that two systems agree, document by document, by name.", Kind::Named,
       &reconciliation_fields(), "Reads two streams live and reports every document that differs."},
  };
  return sections;
}

}  // namespace synchub::config
