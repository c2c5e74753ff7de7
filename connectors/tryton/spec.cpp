// Registration and config spec of the `tryton` connector.
#include "config/spec.hpp"

#include "connectors/registry.hpp"
#include "connectors/tryton/fields.hpp"
#include "connectors/tryton/streams.hpp"

namespace synchub::connectors {

void register_tryton(Registry& registry) {
  using config::FieldType;
  config::ConnectorSpec spec{
      .type = "tryton",
      .description =
          "Tryton ERP (6.0) over JSON-RPC: sale orders in and out, customer invoices, stock, credit and "
          "master data.",
      .status = "beta",
      .since = "0.4.0",
      .fields =
          {
              {.name = tryton::field::kUrl,
               .description = "Root of the Tryton server.",
               .required = true,
               .example = "http://127.0.0.1:8000"},
              {.name = tryton::field::kDatabase, .description = "Tryton database name.", .required = true},
              {.name = tryton::field::kUsername,
               .description = "Tryton user the connector logs in as.",
               .required = true},
              {.name = tryton::field::kPassword,
               .description = "That user's password.",
               .required = true,
               .secret = true},
              {.name = tryton::field::kLanguage,
               .description = "Language of Tryton's messages and names.",
               .default_value = "en"},
              {.name = tryton::field::kCompany,
               .type = FieldType::Int,
               .description = "Company id (the context's company).",
               .default_value = "1",
               .min = 1},
              {.name = tryton::field::kWarehouse,
               .description = "Code of the warehouse (stock.location) orders ship from and stock is read in.",
               .default_value = "WH"},
              {.name = tryton::field::kContext,
               .type = FieldType::StringMap,
               .description = "More context sent with every call (values as JSON, else text)."},
              {.name = tryton::field::kTimeout,
               .type = FieldType::Duration,
               .description = "Whole-call timeout.",
               .default_value = "60s"},
              {.name = tryton::field::kConnectTimeout,
               .type = FieldType::Duration,
               .description = "Connection timeout.",
               .default_value = "5s"},
          },
      .stream_fields =
          {
              {.name = tryton::field::kEntity,
               .type = FieldType::Enum,
               .description = "What the stream moves. sale_orders: sink (create, workflow) and source (state "
                              "changes); invoices: source (customer invoices); stock: source (levels in the "
                              "warehouse); credit: source (limit and use) and sink (limit); customers, products: "
                              "source and sink.",
               .required = true,
               .options = {"sale_orders", "invoices", "stock", "credit", "customers", "products"}},
              {.name = tryton::field::kWorkflow,
               .type = FieldType::Enum,
               .description = "sale_orders sink: how far a new order goes (draft, quote, confirm, process).",
               .default_value = "confirm",
               .options = {"draft", "quote", "confirm", "process"}},
              {.name = tryton::field::kAdopt,
               .type = FieldType::Bool,
               .description = "sale_orders sink: also take over (rewrite, confirm) a sale with the order's "
                              "reference that synchub did not create, e.g. one keyed in by hand. Without it such "
                              "a sale is left alone and the order refused with the reason. synchub's own sales "
                              "are the ones its ledger knows, or created by the connector's user with synchub's "
                              "note in their comment.",
               .default_value = "false"},
              {.name = tryton::field::kStates,
               .type = FieldType::StringList,
               .description = "sale_orders, invoices source: only records in these states.",
               .example = "[posted, paid]"},
              {.name = tryton::field::kOverlap,
               .type = FieldType::Duration,
               .description = "sale_orders, invoices, customers, products source: each poll also reads this far "
                              "back from the cursor and emits what it had not seen there (Tryton stamps a change "
                              "when its transaction starts: a slow one commits after later ones); 0s to read "
                              "strictly after the cursor.",
               .default_value = "10s"},
              {.name = tryton::field::kPageSize,
               .type = FieldType::Int,
               .description = "Source: records per call.",
               .default_value = "100",
               .min = 1,
               .max = 10000},
              {.name = tryton::field::kPollInterval,
               .type = FieldType::Duration,
               .description = "Source: time between polls once caught up.",
               .default_value = "30s"},
          },
      .stream_roles =
          [](const config::Settings& s) {
            const std::string entity = s.has(tryton::field::kEntity) ? s.str(tryton::field::kEntity) : "";
            return config::StreamRoles{
                .source = !entity.empty(),
                .sink = entity == "sale_orders" || entity == "credit" || entity == "customers" || entity == "products"};
          },
  };
  registry.add(
      {std::move(spec), [](const config::ConnectorConfig& c, const Context&) { return tryton::open_connector(c); }});
}

}  // namespace synchub::connectors
