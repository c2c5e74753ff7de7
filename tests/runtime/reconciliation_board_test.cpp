// The hand-over between the admin API and the hub's reconciliation thread: requests are taken
// in order, one per reconciliation at a time (409 for a second), wake the waiting thread at
// once, and are refused while no thread takes them.
#include "runtime/admin/reconciliation_board.hpp"

#include <gtest/gtest.h>

#include <future>

namespace synchub::runtime {
namespace {

using Asked = ReconciliationBoard::Asked;
using namespace std::chrono_literals;

ReconciliationBoard board() {
  return ReconciliationBoard({{.name = "orders"}, {.name = "invoices", .every = "1h", .every_ms = 3600s}});
}

TEST(ReconciliationBoard, RequestsAreTakenInOrderOnePerReconciliation) {
  ReconciliationBoard b = board();
  EXPECT_EQ(b.ask("orders"), Asked::NotRunning) << "no thread takes it yet";
  b.open();
  EXPECT_EQ(b.ask("nothing"), Asked::Unknown);
  EXPECT_EQ(b.ask("orders"), Asked::Started);
  EXPECT_EQ(b.ask("orders"), Asked::AlreadyAsked);
  EXPECT_EQ(b.ask("invoices"), Asked::Queued);
  EXPECT_EQ(b.activity().asked, (std::vector<std::string>{"orders", "invoices"}));

  std::string name;
  ASSERT_TRUE(b.next(std::chrono::steady_clock::now(), name));
  EXPECT_EQ(name, "orders");
  EXPECT_EQ(b.activity().running, "orders");
  EXPECT_GT(b.activity().running_since_ms, 0);
  EXPECT_EQ(b.ask("orders"), Asked::AlreadyAsked) << "it is running";
  const ReconciliationOutcome done{"orders", 7, 1, 2, 3, false, "orders: 1 matched, 3 missing"};
  b.end(&done);
  EXPECT_EQ(b.activity().running, "");
  ASSERT_EQ(b.outcomes().size(), 1u);
  EXPECT_EQ(b.outcomes()[0].run_id, 7);

  ASSERT_TRUE(b.next(std::chrono::steady_clock::now(), name));
  EXPECT_EQ(name, "invoices");
  b.end(nullptr);  // stopped: nothing to judge
  EXPECT_EQ(b.outcomes().size(), 1u);
  ASSERT_TRUE(b.next(std::chrono::steady_clock::now(), name));
  EXPECT_EQ(name, "") << "nothing asked: the deadline came";
}

TEST(ReconciliationBoard, AScheduledRunAnswersARequestWaitingForIt) {
  ReconciliationBoard b = board();
  b.open();
  EXPECT_EQ(b.ask("invoices"), Asked::Started);
  b.begin("invoices", 1000);
  EXPECT_TRUE(b.activity().asked.empty());
  EXPECT_EQ(b.activity().running, "invoices");
  b.set_next_due("invoices", 5000);
  EXPECT_EQ(b.activity().next_due.at("invoices"), 5000);
}

TEST(ReconciliationBoard, ARequestOrACloseWakesTheThreadAtOnce) {
  ReconciliationBoard b = board();
  b.open();
  const auto far = std::chrono::steady_clock::now() + 1h;
  auto taken = std::async(std::launch::async, [&] {
    std::string name;
    return b.next(far, name) ? name : "closed";
  });
  EXPECT_EQ(b.ask("orders"), Asked::Started);
  ASSERT_EQ(taken.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(taken.get(), "orders");
  b.end(nullptr);

  auto closed = std::async(std::launch::async, [&] {
    std::string name;
    return b.next(far, name) ? name : "closed";
  });
  EXPECT_EQ(b.ask("invoices"), Asked::Started);  // taken, or dropped by the close below
  b.close();
  ASSERT_EQ(closed.wait_for(10s), std::future_status::ready);
  const std::string got = closed.get();
  EXPECT_TRUE(got == "invoices" || got == "closed") << got;
  std::string name;
  EXPECT_FALSE(b.next(far, name)) << "closed: returns at once";
  EXPECT_EQ(b.ask("orders"), Asked::NotRunning);
  EXPECT_TRUE(b.activity().asked.empty());
}

}  // namespace
}  // namespace synchub::runtime
