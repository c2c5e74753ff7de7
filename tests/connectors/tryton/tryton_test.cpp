// The `tryton` connector against a real Tryton 6.0 server (tests/support/
// tryton_server.hpp, a fresh copy of the populated database per test): orders
// created, confirmed and invoiced with exact totals, once however often they
// are sent; invoices read incrementally; stock and credit levels emitted once
// per change; what changed after a committed cursor; a credit-limit refusal
// kept with Tryton's message; a lost session survived.
#include "tests/connectors/tryton/tryton_fixture.hpp"

namespace synchub::connectors {
namespace {

TEST_F(TrytonTest, AnOrderIsConfirmedAndInvoicedToTheCentAndCreatedOnceHoweverOftenItIsSent) {
  open("      orders: {entity: sale_orders, workflow: confirm}\n      invoices: {entity: invoices}\n");
  auto orders = sink("orders");
  // 2 x 12.50 + 1 x 99.90 = 124.90; VAT 13% = 16.237 -> 16.24; total 141.14.
  const Json crm_order = order("C0001", Json::array({{{"product", "SKU-001"}, {"quantity", 2}, {"unit_price", "12.50"}},
                                                     {{"product", "SKU-002"}, {"quantity", 1}}}));
  SinkResult first = push_one(*orders, "CRM-1001", crm_order);
  ASSERT_EQ(first.outcome(), Outcome::Created) << first.error;
  Json sales = sales_with_reference("CRM-1001");
  ASSERT_EQ(sales.size(), 1u);
  EXPECT_EQ(std::to_string(sales[0]["id"].get<int64_t>()), first.target_id);
  EXPECT_EQ(sales[0]["state"], "processing");  // confirm processes: shipment and draft invoice made
  EXPECT_EQ(sales[0]["total_amount"]["decimal"], "141.14");
  ASSERT_EQ(sales[0]["invoices"].size(), 1u);
  rpc().model("account.invoice", "post", {sales[0]["invoices"]});

  std::string cursor;
  std::vector<Json> invoices = drain(*source("invoices"), cursor);
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0]["state"], "posted");
  EXPECT_EQ(invoices[0]["untaxed_amount"], "124.90");
  EXPECT_EQ(invoices[0]["tax_amount"], "16.24");
  EXPECT_EQ(invoices[0]["total_amount"], "141.14");
  EXPECT_EQ(invoices[0]["party"], "C0001");
  EXPECT_EQ(invoices[0]["sales"][0]["reference"], "CRM-1001");
  ASSERT_EQ(invoices[0]["lines"].size(), 2u);
  EXPECT_EQ(invoices[0]["lines"][0]["unit_price"], "12.50");
  EXPECT_EQ(invoices[0]["lines"][1]["unit_price"], "99.90");  // the list price
  EXPECT_FALSE(invoices[0]["number"].is_null());

  // Sent again, with and without its target id (a lost ledger): the same sale, nothing new.
  for (const std::string& target : {first.target_id, std::string()}) {
    SinkResult again = push_one(*orders, "CRM-1001", crm_order, target);
    EXPECT_EQ(again.outcome(), Outcome::Unchanged) << again.error;
    EXPECT_EQ(again.target_id, first.target_id);
  }
  EXPECT_EQ(sales_with_reference("CRM-1001").size(), 1u);
  // A change to a processed order is refused, not lost.
  Json changed = crm_order;
  changed["lines"][0]["quantity"] = 3;
  SinkResult refused = push_one(*orders, "CRM-1001", changed);
  EXPECT_EQ(refused.failure(), Failure::Permanent);
  EXPECT_NE(refused.error.find("processing in Tryton"), std::string::npos) << refused.error;
}

TEST_F(TrytonTest, ADraftOrderIsRewrittenAndBadOrdersAreRefusedWithTheReason) {
  open("      orders: {entity: sale_orders, workflow: draft}\n");
  auto orders = sink("orders");
  SinkResult created =
      push_one(*orders, "CRM-2001", order("C0002", Json::array({{{"product", "SKU-003"}, {"quantity", 10}}})));
  ASSERT_EQ(created.outcome(), Outcome::Created) << created.error;
  SinkResult updated =
      push_one(*orders, "CRM-2001",
               order("C0002", Json::array({{{"product", "SKU-003"}, {"quantity", 5}, {"unit_price", 0.25}},
                                           {{"product", "SKU-001"}, {"quantity", 1}}})),
               created.target_id);
  ASSERT_EQ(updated.outcome(), Outcome::Updated) << updated.error;
  Json sales = sales_with_reference("CRM-2001");
  ASSERT_EQ(sales.size(), 1u);
  EXPECT_EQ(sales[0]["state"], "draft");
  EXPECT_EQ(sales[0]["total_amount"]["decimal"], "15.54");  // (1.25 + 12.50) * 1.13 = 15.5375

  const std::vector<std::pair<Json, std::string>> bad = {
      {order("C9999", Json::array({{{"product", "SKU-001"}, {"quantity", 1}}})), "party: no party with code C9999"},
      {order("C0001", Json::array({{{"product", "NOPE"}, {"quantity", 1}}})),
       "lines[0].product: no product with code NOPE"},
      {order("C0001", Json::array({{{"product", "SKU-001"}, {"quantity", 0}}})),
       "lines[0].quantity: must be more than 0"},
      {order("C0001", Json::array({{{"product", "SKU-001"}, {"quantity", 1}, {"unit_price", "abc"}}})),
       "not a decimal: \"abc\""},
      {order("C0001", Json::array()), "lines: an order needs at least one line"}};
  for (const auto& [value, reason] : bad) {
    SinkResult r = push_one(*orders, "CRM-BAD", value);
    EXPECT_EQ(r.failure(), Failure::Permanent) << value.dump();
    EXPECT_NE(r.error.find(reason), std::string::npos) << r.error;
  }
  EXPECT_EQ(sales_with_reference("CRM-BAD").size(), 0u);
}

TEST_F(TrytonTest, AConfirmOverTheCreditLimitIsAPermanentFailureWithTrytonsMessage) {
  open("      orders: {entity: sale_orders}\n");
  // Small Shop's limit is 1,000.00: 100 x 12.50 = 1,250.00 plus tax is over it.
  SinkResult r =
      push_one(*sink("orders"), "CRM-3001", order("C0003", Json::array({{{"product", "SKU-001"}, {"quantity", 100}}})));
  EXPECT_EQ(r.outcome(), Outcome::Failed);
  EXPECT_EQ(r.failure(), Failure::Permanent);
  EXPECT_NE(r.error.find("Tryton refused to confirm the sale of reference CRM-3001"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("credit limit"), std::string::npos) << r.error;
  Json sales = sales_with_reference("CRM-3001");
  ASSERT_EQ(sales.size(), 1u);
  EXPECT_EQ(sales[0]["state"], "quotation");  // waits for the limit to be raised; a replay then confirms it
}

TEST_F(TrytonTest, InvoicesArePulledIncrementallyAcrossPolls) {
  open("      orders: {entity: sale_orders}\n      invoices: {entity: invoices, states: [posted, paid]}\n");
  auto orders = sink("orders");
  auto invoices = source("invoices");
  auto post_invoice_of = [&](const std::string& reference) {
    Json sales = sales_with_reference(reference);
    rpc().model("account.invoice", "post", {sales.at(0)["invoices"]});
  };
  ASSERT_EQ(
      push_one(*orders, "CRM-4001", order("C0001", Json::array({{{"product", "SKU-001"}, {"quantity", 1}}}))).outcome(),
      Outcome::Created);
  ASSERT_EQ(
      push_one(*orders, "CRM-4002", order("C0002", Json::array({{{"product", "SKU-002"}, {"quantity", 2}}}))).outcome(),
      Outcome::Created);
  std::string cursor;
  EXPECT_TRUE(drain(*invoices, cursor).empty());  // drafts only: not in the states asked for
  post_invoice_of("CRM-4001");
  std::vector<Json> first = drain(*invoices, cursor);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0]["sales"][0]["reference"], "CRM-4001");
  EXPECT_EQ(first[0]["tax_amount"], "1.62");  // 12.50 x 13% = 1.625: Tryton rounds half to even
  EXPECT_EQ(first[0]["total_amount"], "14.12");
  EXPECT_TRUE(drain(*invoices, cursor).empty());
  post_invoice_of("CRM-4002");
  std::vector<Json> second = drain(*invoices, cursor);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0]["sales"][0]["reference"], "CRM-4002");
  EXPECT_EQ(second[0]["total_amount"], "225.77");  // 199.80 * 1.13 = 225.774
  EXPECT_TRUE(drain(*invoices, cursor).empty());

  // A late commit: an invoice whose change is stamped 2 s before the newest one read (its
  // transaction started first and committed after the last poll). The overlap re-read finds it,
  // once.
  ASSERT_EQ(push_one(*orders, "CRM-4003", order("C0001", Json::array({{{"product", "SKU-003"}, {"quantity", 30}}})))
                .outcome(),
            Outcome::Created);
  post_invoice_of("CRM-4003");
  const int64_t late_invoice = sales_with_reference("CRM-4003").at(0)["invoices"][0].get<int64_t>();
  {
    const std::string newest = cursor.substr(0, cursor.find('|'));  // 2026-11-27T08:01:02.345678Z
    std::string earlier = tryton::iso_from_micros(tryton::iso_micros(newest) - 2'000'000);
    earlier = earlier.substr(0, 10) + " " + earlier.substr(11, 15);  // Tryton's SQLite form
    runtime::Database db(tryton_.database_file(), false, runtime::Journal::Rollback);
    db.exec("UPDATE account_invoice SET write_date='" + earlier + "' WHERE id=" + std::to_string(late_invoice));
  }
  std::vector<Json> late = drain(*invoices, cursor);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0]["id"], late_invoice);
  EXPECT_EQ(late[0]["total_amount"], "3.39");  // 30 x 0.10 = 3.00 + 0.39 VAT
  EXPECT_TRUE(drain(*invoices, cursor).empty());
}

// Reconciliation: whether a record, as read now, changed after the hub's committed cursor.
// After the cursor's (time, id) it is on its way; within the overlap before it, so is what
// the cursor did not see emitted (a late commit the next poll emits).
TEST_F(TrytonTest, ChangedAfterTheCursorFollowsTheWriteDateTheIdAndTheOverlap) {
  open(
      "      strict: {entity: customers, overlap: 0s}\n      customers: {entity: customers}\n"
      "      stock: {entity: stock}\n");
  auto pull_all = [](SourceStream& source, std::string& cursor) {
    std::vector<SourceRecord> records;
    for (int guard = 0; guard < 50; ++guard) {
      PullResult r = source.pull(cursor, 100);
      for (auto& record : r.records) records.push_back(std::move(record));
      cursor = r.next_cursor;
      if (!r.more) break;
    }
    return records;
  };
  auto record = [](int64_t id, const std::string& updated_at) {
    return SourceRecord{std::to_string(id), Json{{"id", id}, {"updated_at", updated_at}}.dump(), "test"};
  };
  auto id_of = [](const SourceRecord& r) { return Json::parse(r.value)["id"].get<int64_t>(); };
  auto strict = source("strict");
  std::string committed;
  const std::vector<SourceRecord> read = pull_all(*strict, committed);
  ASSERT_GE(read.size(), 2u);
  for (const auto& r : read) EXPECT_EQ(strict->changed_after(r, committed), false) << r.value;
  const std::string time = committed.substr(0, committed.find('|'));
  const int64_t last = std::stoll(committed.substr(committed.find('|') + 1));
  EXPECT_EQ(strict->changed_after(record(last, time), committed), false) << "the last one read";
  EXPECT_EQ(strict->changed_after(record(last - 1, time), committed), false) << "a tie before it";
  EXPECT_EQ(strict->changed_after(record(last + 1, time), committed), true) << "a tie after it";
  EXPECT_EQ(strict->changed_after({"1", R"({"id":1})", "test"}, committed), std::nullopt) << "no time";
  EXPECT_EQ(source("stock")->changed_after(record(1, time), committed), std::nullopt) << "levels: no change date";

  // A party renamed after the poll is, as read now, on its way; the others are not.
  const int64_t renamed = id_of(read.front());
  rpc().model("party.party", "write", {Json::array({renamed}), {{"name", "Renamed"}}});
  std::string from_start;
  for (const auto& r : pull_all(*strict, from_start))
    EXPECT_EQ(strict->changed_after(r, committed), id_of(r) == renamed) << r.value;

  // With the overlap (10 s by default): a change stamped 2 s before the newest one read,
  // committed after the poll, is on its way until the next poll emits it.
  auto customers = source("customers");
  std::string cursor;
  pull_all(*customers, cursor);
  const int64_t late = id_of(read.back()) != renamed ? id_of(read.back()) : id_of(read.at(1));
  {
    std::string earlier = tryton::iso_from_micros(tryton::iso_micros(cursor.substr(0, cursor.find('|'))) - 2'000'000);
    earlier = earlier.substr(0, 10) + " " + earlier.substr(11, 15);  // Tryton's SQLite form
    runtime::Database db(tryton_.database_file(), false, runtime::Journal::Rollback);
    db.exec("UPDATE party_party SET write_date='" + earlier + "' WHERE id=" + std::to_string(late));
  }
  from_start.clear();
  const std::vector<SourceRecord> now = pull_all(*customers, from_start);
  for (const auto& r : now) EXPECT_EQ(customers->changed_after(r, cursor), id_of(r) == late) << r.value;
  std::vector<SourceRecord> next_poll = pull_all(*customers, cursor);
  ASSERT_EQ(next_poll.size(), 1u);
  EXPECT_EQ(id_of(next_poll[0]), late);
  for (const auto& r : now) EXPECT_EQ(customers->changed_after(r, cursor), false) << r.value;
}

TEST_F(TrytonTest, StockLevelsAreEmittedOncePerChangeAfterAnOrderShips) {
  open("      orders: {entity: sale_orders}\n      stock: {entity: stock}\n");
  auto stock = source("stock");
  std::string cursor;
  std::map<std::string, Json> levels;
  for (const Json& level : drain(*stock, cursor)) levels[level["product"]] = level;
  ASSERT_EQ(levels.size(), 3u);
  EXPECT_EQ(levels["SKU-001"]["quantity"], 100.0);
  EXPECT_EQ(levels["SKU-002"]["quantity"], 50.0);
  EXPECT_EQ(levels["SKU-003"]["forecast_quantity"], 1000.0);
  EXPECT_EQ(levels["SKU-001"]["warehouse"], "WH");
  EXPECT_TRUE(drain(*stock, cursor).empty());  // nothing changed: nothing emitted

  SinkResult sold =
      push_one(*sink("orders"), "CRM-5001", order("C0001", Json::array({{{"product", "SKU-002"}, {"quantity", 3}}})));
  ASSERT_EQ(sold.outcome(), Outcome::Created) << sold.error;
  std::vector<Json> planned = drain(*stock, cursor);  // confirmed: the forecast drops, the stock is still there
  ASSERT_EQ(planned.size(), 1u);
  EXPECT_EQ(planned[0]["product"], "SKU-002");
  EXPECT_EQ(planned[0]["quantity"], 50.0);
  EXPECT_EQ(planned[0]["forecast_quantity"], 47.0);
  ship(std::stoll(sold.target_id));
  std::vector<Json> shipped = drain(*stock, cursor);
  ASSERT_EQ(shipped.size(), 1u);
  EXPECT_EQ(shipped[0]["quantity"], 47.0);
  EXPECT_TRUE(drain(*stock, cursor).empty());
  // The sale's state changes come out of the sale_orders source, the last one last.
  std::string sales_cursor;
  std::vector<Json> changes = drain(*source("orders"), sales_cursor);
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes.back()["reference"], "CRM-5001");
  EXPECT_EQ(changes.back()["state"], "processing");
  EXPECT_EQ(changes.back()["shipment_state"], "sent");
  EXPECT_EQ(changes.back()["total_amount"], "338.66");  // 3 x 99.90 = 299.70 + 38.96 VAT
  EXPECT_TRUE(drain(*source("orders"), sales_cursor).empty());
}

TEST_F(TrytonTest, CreditLevelsFollowOpenOrdersToTheCent) {
  open("      orders: {entity: sale_orders}\n      credit: {entity: credit}\n");
  auto credit = source("credit");
  std::string cursor;
  std::map<std::string, Json> parties;
  for (const Json& party : drain(*credit, cursor))
    parties[party["code"].is_null() ? "" : party["code"].get<std::string>()] = party;
  ASSERT_TRUE(parties.count("C0002"));
  EXPECT_EQ(parties["C0002"]["credit_limit"], "50000.00");
  EXPECT_EQ(parties["C0002"]["name"], "恒通贸易有限公司");
  EXPECT_TRUE(drain(*credit, cursor).empty());
  ASSERT_EQ(
      push_one(*sink("orders"), "CRM-6001", order("C0002", Json::array({{{"product", "SKU-002"}, {"quantity", 10}}})))
          .outcome(),
      Outcome::Created);
  std::vector<Json> changed = drain(*credit, cursor);
  ASSERT_EQ(changed.size(), 1u);
  EXPECT_EQ(changed[0]["code"], "C0002");
  EXPECT_EQ(changed[0]["credit_used"], "999.00");         // Tryton counts open orders untaxed: 10 x 99.90
  EXPECT_EQ(changed[0]["credit_available"], "49001.00");  // exact: 50000.00 - 999.00

  // The limit set from outside (as a user in Tryton's credit-limit group), then read back.
  open("      orders: {entity: sale_orders}\n      credit: {entity: credit}\n", tryton_.credit_user);
  auto limits = sink("credit");
  SinkResult raised = push_one(*limits, "C0003", {{"credit_limit", "2500.50"}});
  EXPECT_EQ(raised.outcome(), Outcome::Updated) << raised.error;
  EXPECT_EQ(push_one(*limits, "C0003", {{"credit_limit", 2500.5}}).outcome(), Outcome::Unchanged);
  std::vector<Json> raised_levels = drain(*credit, cursor);
  ASSERT_EQ(raised_levels.size(), 1u);
  EXPECT_EQ(raised_levels[0]["code"], "C0003");
  EXPECT_EQ(raised_levels[0]["credit_limit"], "2500.50");
  SinkResult unknown = push_one(*limits, "C9999", {{"credit_limit", "1"}});
  EXPECT_EQ(unknown.failure(), Failure::Permanent);
  EXPECT_NE(unknown.error.find("no party with code C9999"), std::string::npos) << unknown.error;
}

TEST_F(TrytonTest, AnExpiredSessionIsRenewedAStaleWriteIsTransientABadPasswordIsNotPrinted) {
  tryton::ServerOptions options{tryton_.url, tryton_.database, tryton_.user, tryton_.password};
  options.context = {{"company", 1}};
  auto session = std::make_shared<tryton::Session>(options);
  tryton::Rpc a(session), b(session);
  EXPECT_EQ(a.model("party.party", "search_count", {Json::array({Json::array({"code", "=", "C0001"})})}), 1);
  EXPECT_EQ(session->logins(), 1);
  {  // The server forgets every session (as after its idle timeout).
    runtime::Database db(tryton_.database_file(), false, runtime::Journal::Rollback);
    db.exec("DELETE FROM ir_session");
  }
  EXPECT_EQ(a.model("party.party", "search_count", {Json::array()}).get<int>(), 4);
  EXPECT_EQ(b.model("party.party", "search_count", {Json::array()}).get<int>(), 4);  // the renewed session, shared
  EXPECT_EQ(session->logins(), 2);

  // A write based on a stale read (someone changed the record since) is refused as a concurrent
  // change: transient, read again and retry.
  const Json party = a.model("party.party", "search", {Json::array({Json::array({"code", "=", "C0001"})})});
  const Json stamp = a.model("party.party", "read", {party, Json::array({"_timestamp"})}).at(0)["_timestamp"];
  b.model("party.party", "write", {party, {{"name", "Acme Trading Ltd. (renamed)"}}});
  const Json stale = {{"_timestamp", {{"party.party," + std::to_string(party[0].get<int64_t>()), stamp}}}};
  try {
    a.model("party.party", "write", {party, {{"name", "Acme Trading Ltd. (stale)"}}}, stale);
    FAIL() << "a stale write was accepted";
  } catch (const tryton::RpcError& e) {
    EXPECT_TRUE(e.transient());
    EXPECT_EQ(e.type(), "ConcurrencyException") << e.what();
  }

  options.password = "wrong-" + tryton_.password;
  tryton::Rpc refused(std::make_shared<tryton::Session>(options));
  try {
    refused.model("party.party", "search_count", {Json::array()});
    FAIL() << "a bad password was accepted";
  } catch (const tryton::RpcError& e) {
    EXPECT_TRUE(e.configuration());  // not any record's fault: the flow stops, nothing is dead-lettered
    EXPECT_NE(std::string(e.what()).find("refused the login of 'synchub'"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(options.password), std::string::npos);
  }
  try {
    a.model("nope.nope", "search", {Json::array()});
    FAIL() << "an unknown model was accepted";
  } catch (const tryton::RpcError& e) {
    EXPECT_FALSE(e.transient());
    EXPECT_NE(std::string(e.what()).find("nope.nope"), std::string::npos) << e.what();
  }
}

TEST_F(TrytonTest, CustomersAndProductsAreCreatedAndUpdatedByCode) {
  open("      customers: {entity: customers}\n      products: {entity: products}\n");
  auto customers = sink("customers");
  auto products = sink("products");
  const Json customer = {{"code", "C0100"},
                         {"name", "新客户 New Customer"},
                         {"address", {{"street", "1 Main St"}, {"city", "Shanghai"}, {"zip", "200000"}}}};
  SinkResult made = push_one(*customers, "crm-100", customer);
  ASSERT_EQ(made.outcome(), Outcome::Created) << made.error;
  SinkResult same = push_one(*customers, "crm-100", customer);
  EXPECT_EQ(same.outcome(), Outcome::Unchanged) << same.error;
  Json renamed = customer;
  renamed["address"]["city"] = "Beijing";
  EXPECT_EQ(push_one(*customers, "crm-100", renamed).outcome(), Outcome::Updated);
  const Json party = rpc().model(
      "party.party", "search_read",
      {Json::array({Json::array({"code", "=", "C0100"})}), 0, 1, nullptr, Json::array({"name", "addresses.city"})});
  ASSERT_EQ(party.size(), 1u);
  EXPECT_EQ(std::to_string(party[0]["id"].get<int64_t>()), made.target_id);

  const Json product = {{"code", "SKU-100"}, {"name", "Sprocket"}, {"list_price", "7.35"}, {"category", "Goods"}};
  SinkResult created = push_one(*products, "SKU-100", product);
  ASSERT_EQ(created.outcome(), Outcome::Created) << created.error;
  EXPECT_EQ(push_one(*products, "SKU-100", product).outcome(), Outcome::Unchanged);
  Json repriced = product;
  repriced["list_price"] = "7.40";
  EXPECT_EQ(push_one(*products, "SKU-100", repriced).outcome(), Outcome::Updated);
  const Json row = rpc().model("product.product", "read",
                               {Json::array({std::stoll(created.target_id)}), Json::array({"code", "list_price"})});
  EXPECT_EQ(row[0]["code"], "SKU-100");
  EXPECT_EQ(row[0]["list_price"]["decimal"], "7.40");

  // A batch is created in one call; when Tryton refuses it (here: a code twice), record by record.
  const std::string a = Json{{"code", "C0201"}, {"name", "A"}}.dump(),
                    b = Json{{"code", "C0202"}, {"name", "B"}}.dump(),
                    twice = Json{{"code", "C0201"}, {"name", "A again"}}.dump();
  std::vector<SinkResult> batch = customers->push(Batch{
      "t", "b2", {SinkRecord{"a", a, "", false}, SinkRecord{"b", b, "", false}, SinkRecord{"c", twice, "", false}}});
  ASSERT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch[0].outcome(), Outcome::Created) << batch[0].error;
  EXPECT_EQ(batch[1].outcome(), Outcome::Created) << batch[1].error;
  EXPECT_EQ(batch[2].failure(), Failure::Permanent);
  EXPECT_NE(batch[2].error.find("unique"), std::string::npos) << batch[2].error;
  const std::string fine = Json{{"code", "SKU-201"}, {"name", "Fine"}}.dump(),
                    lost = Json{{"code", "SKU-202"}, {"name", "Lost"}, {"category", "Nope"}}.dump();
  batch = products->push(Batch{"t", "b3", {SinkRecord{"f", fine, "", false}, SinkRecord{"l", lost, "", false}}});
  EXPECT_EQ(batch[0].outcome(), Outcome::Created) << batch[0].error;
  EXPECT_NE(batch[1].error.find("category: no product.category with name \"Nope\""), std::string::npos)
      << batch[1].error;

  // And both come back out of the sources, the customer's code and the product's price exact.
  open("      customers: {entity: customers}\n      products: {entity: products}\n");
  std::string cursor;
  std::vector<Json> parties = drain(*source("customers"), cursor);
  EXPECT_TRUE(std::any_of(parties.begin(), parties.end(), [](const Json& p) { return p["code"] == "C0100"; }));
  cursor.clear();
  std::vector<Json> items = drain(*source("products"), cursor);
  ASSERT_FALSE(items.empty());
  auto sprocket = std::find_if(items.begin(), items.end(), [](const Json& p) { return p["code"] == "SKU-100"; });
  ASSERT_NE(sprocket, items.end());
  EXPECT_EQ((*sprocket)["list_price"], "7.40");
  EXPECT_EQ(items.back()["code"], "SKU-201");  // the newest change comes last
}

}  // namespace
}  // namespace synchub::connectors
