// The `tryton` connector: Tryton ERP (6.0) over JSON-RPC. One login shared by
// the streams; each stream is one entity (sale_orders, invoices, stock,
// credit, customers, products) on its own connection.
#include "connectors/tryton/fields.hpp"
#include "connectors/tryton/streams.hpp"

namespace synchub::connectors::tryton {
namespace {

ServerOptions server_options(const config::Settings& s) {
  ServerOptions o;
  o.url = s.str(field::kUrl);
  o.database = s.str(field::kDatabase);
  o.username = s.str(field::kUsername);
  o.password = s.str(field::kPassword);
  o.language = s.str(field::kLanguage);
  o.context = {{"company", s.integer(field::kCompany)}, {"language", o.language}};
  for (const auto& [name, text] : s.map(field::kContext)) {
    Json value = Json::parse(text, nullptr, false);  // numbers, lists, true...; else the text
    o.context[name] = value.is_discarded() ? Json(text) : value;
  }
  o.http.timeout = s.duration(field::kTimeout);
  o.http.connect_timeout = s.duration(field::kConnectTimeout);
  return o;
}

class TrytonConnector final : public Connector {
 public:
  explicit TrytonConnector(const config::ConnectorConfig& config)
      : shared_{std::make_shared<Session>(server_options(config.settings)), config.settings.str(field::kWarehouse)} {}

  std::unique_ptr<SourceStream> open_source(const config::StreamConfig& stream) override {
    const std::string& entity = stream.settings.str(field::kEntity);
    if (entity == "stock" || entity == "credit") return open_levels_source(shared_, entity, stream.settings);
    return open_changes_source(shared_, entity, stream.settings);
  }

  std::unique_ptr<SinkStream> open_sink(const config::StreamConfig& stream) override {
    const std::string& entity = stream.settings.str(field::kEntity);
    if (entity == "sale_orders") return open_sale_sink(shared_, stream.settings);
    return open_master_sink(shared_, entity, stream.settings);
  }

 private:
  Shared shared_;
};

}  // namespace

std::unique_ptr<Connector> open_connector(const config::ConnectorConfig& config) {
  return std::make_unique<TrytonConnector>(config);
}

int64_t warehouse_id(Rpc& rpc, const std::string& code) {
  const Json found =
      rpc.model("stock.location", "search",
                {Json::array({Json::array({"code", "=", code}), Json::array({"type", "=", "warehouse"})}), 0, 1});
  if (found.empty())
    throw RpcError(ErrorKind::Configuration, "config",
                   "Tryton has no warehouse with code \"" + code + "\": check the connector's `warehouse`");
  return found[0].get<int64_t>();
}

void check_company(Rpc& rpc) {
  const Json company = rpc.options().context.value("company", Json());
  if (!company.is_number_integer()) return;  // none configured: Tryton's default
  const Json found = rpc.model("company.company", "search", {Json::array({Json::array({"id", "=", company})}), 0, 1});
  if (found.empty())
    throw RpcError(ErrorKind::Configuration, "config",
                   "Tryton has no company with id " + company.dump() + ": check the connector's `company`");
}

}  // namespace synchub::connectors::tryton
