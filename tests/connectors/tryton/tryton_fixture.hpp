// The fixture of the `tryton` connector's tests: a real Tryton 6.0 server
// (tests/support/tryton_server.hpp, a fresh copy of the populated database per
// test), the connector opened on it from a config, and the test's own
// JSON-RPC client to set up and check.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>

#include "config/hub_config.hpp"
#include "connectors/registry.hpp"
#include "connectors/tryton/rpc.hpp"
#include "connectors/tryton/values.hpp"
#include "runtime/base/sqlite.hpp"
#include "tests/support/tryton_server.hpp"

namespace synchub::connectors {

using tryton::Json;

class TrytonTest : public ::testing::Test {
 protected:
  void open(const std::string& streams_yaml, const std::string& login = "") {
    open_connector(tryton_.connector_yaml(streams_yaml, login));
  }
  // A connector block of its own (tryton_.connector_yaml() changed), named `erp`.
  void open_connector(const std::string& connector_yaml) {
    test::write_file(dir_.path() / "synchub.yaml", "hub: {name: t}\nconnectors:\n" + connector_yaml + "flows: {}\n");
    config_ = config::load_hub_config(dir_.str("synchub.yaml"), builtin_registry().specs());
    connector_ = builtin_registry().get("tryton").create(*config_->connector("erp"), Context{"t"});
  }
  const config::Settings& stream_settings(const std::string& name) {
    return config_->connector("erp")->stream(name)->settings;
  }
  std::unique_ptr<SinkStream> sink(const std::string& name) {
    return connector_->open_sink(*config_->connector("erp")->stream(name));
  }
  std::unique_ptr<SourceStream> source(const std::string& name) {
    return connector_->open_source(*config_->connector("erp")->stream(name));
  }
  // The test's own JSON-RPC client (the connector's, on its own login) to set up and check.
  tryton::Rpc& rpc() {
    if (!rpc_) {
      tryton::ServerOptions options{tryton_.url, tryton_.database, tryton_.user, tryton_.password};
      options.context = {{"company", 1}};
      rpc_.emplace(std::make_shared<tryton::Session>(options));
    }
    return *rpc_;
  }
  // `text` with its (one) `from` replaced by `to`.
  static std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    if (at == std::string::npos) throw std::logic_error("no \"" + from + "\" in " + text);
    return text.replace(at, from.size(), to);
  }
  // The failed logins of `login` Tryton holds against it (each delays the user's next logins).
  int64_t failed_logins(const std::string& login) {
    runtime::Database db(tryton_.database_file(), false, runtime::Journal::Rollback);
    runtime::Statement count = db.prepare("SELECT count(*) FROM res_user_login_attempt WHERE login = ?");
    count.bind(1, login);
    count.step();
    return count.column_int(0);
  }
  static SinkResult push_one(SinkStream& sink, const std::string& key, const Json& value, std::string target_id = "") {
    const std::string text = value.dump();
    Batch batch{"t", "b", {SinkRecord{key, text, target_id, !target_id.empty()}}};
    std::vector<SinkResult> results = sink.push(batch);
    EXPECT_EQ(results.size(), 1u);
    return results.at(0);
  }
  // Everything the source has now, pulled until it says there is no more.
  static std::vector<Json> drain(SourceStream& source, std::string& cursor) {
    std::vector<Json> records;
    for (int guard = 0; guard < 50; ++guard) {
      PullResult r = source.pull(cursor, 100);
      for (const auto& record : r.records) records.push_back(Json::parse(record.value));
      cursor = r.next_cursor;
      if (!r.more) break;
    }
    return records;
  }
  Json sales_with_reference(const std::string& reference) {
    return rpc().model("sale.sale", "search_read",
                       {Json::array({Json::array({"reference", "=", reference})}), 0, nullptr, nullptr,
                        Json::array({"state", "number", "total_amount", "invoices", "shipments"})});
  }
  void ship(int64_t sale) {
    const Json shipments =
        rpc().model("sale.sale", "read", {Json::array({sale}), Json::array({"shipments"})})[0]["shipments"];
    for (const char* step : {"assign_try", "pick", "pack", "done"})
      rpc().model("stock.shipment.out", step, {shipments});
  }

  test::TrytonServer tryton_;
  test::TempDir dir_;
  std::optional<config::HubConfig> config_;
  std::unique_ptr<Connector> connector_;
  std::optional<tryton::Rpc> rpc_;
};

inline Json order(const std::string& party, Json lines) {
  return {{"party", party}, {"sale_date", "2026-11-27"}, {"lines", lines}};
}

}  // namespace synchub::connectors
