// The file sink: atomic, idempotent batch files; CSV keeps exact numbers.
#include <gtest/gtest.h>

#include "connectors/file/connector.hpp"
#include "tests/connectors/file/file_test_support.hpp"

namespace synchub::connectors::file {
namespace {

using test::TempDir;

TEST(FileSink, WritesABatchFileAtomicallyAndReportsTargetIds) {
  TempDir dir;
  test::write_file(dir.str("out/.orders-p0-000000000007.jsonl.tmp"), "left over by a crash");
  FileSink sink(test::file_stream(dir, "        outbox: out\n"));
  EXPECT_FALSE(std::filesystem::exists(dir.str("out/.orders-p0-000000000007.jsonl.tmp"))) << "stale temp removed";
  Batch batch{"orders", "p0-000000000007", {{"A", R"({"id":"A"})", "", false}, {"B", R"({"id":"B"})", "x:1", true}}};
  auto results = sink.push(batch);
  EXPECT_TRUE(sink.in_flight()) << "with fsync, the file is flushed and renamed in the background";
  sink.settle();
  EXPECT_FALSE(sink.in_flight());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].outcome(), Outcome::Created);
  EXPECT_EQ(results[0].target_id, "orders-p0-000000000007.jsonl:1");
  EXPECT_EQ(results[1].outcome(), Outcome::Updated);
  EXPECT_EQ(results[1].target_id, "orders-p0-000000000007.jsonl:2");
  EXPECT_EQ(test::read_file(dir.str("out/orders-p0-000000000007.jsonl")), "{\"id\":\"A\"}\n{\"id\":\"B\"}\n");
  // The same batch again (after a crash) replaces the file: no duplicate lines.
  sink.push(batch);
  sink.settle();
  EXPECT_EQ(test::lines_in_dir(dir.str("out")).size(), 2u);
}

TEST(FileSink, AFileThatCannotBePutInPlaceFailsItsSettleAndLeavesNoTempFile) {
  TempDir dir;
  std::filesystem::create_directories(dir.str("out/f-p0-1.jsonl/occupied"));  // a directory where the file goes
  FileSink sink(test::file_stream(dir, "        outbox: out\n"));
  auto results = sink.push({"f", "p0-1", {{"1", R"({"id":"1"})", "", false}}});
  EXPECT_EQ(results[0].outcome(), Outcome::Created) << "holds only once settled";
  try {
    sink.settle();
    FAIL() << "the rename must fail";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot rename to " + dir.str("out/f-p0-1.jsonl")), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir.str("out/.f-p0-1.jsonl.tmp")));
  EXPECT_FALSE(sink.in_flight());
}

TEST(FileSink, WithoutFsyncTheFileIsInPlaceWhenPushReturns) {
  TempDir dir;
  FileSink sink(test::file_stream(dir, "        outbox: out\n        fsync: false\n"));
  sink.push({"f", "p0-1", {{"1", R"({"id":"1"})", "", false}}});
  EXPECT_FALSE(sink.in_flight());
  EXPECT_EQ(test::read_file(dir.str("out/f-p0-1.jsonl")), "{\"id\":\"1\"}\n");
}

TEST(FileSink, CsvKeepsNumberDigitsAndQuotesWhereNeeded) {
  TempDir dir;
  FileSink sink(test::file_stream(
      dir, "        format: csv\n        outbox: out\n        columns: [id, amount, note, lines, missing]\n"));
  Batch batch{"f",
              "p0-1",
              {{"1", R"({"id":"1","amount":12345678901234.56,"note":"a, \"b\"","lines":[1,2]})", "", false},
               {"2", R"({"id":"2","amount":0.10,"note":null})", "", false},
               {"3", R"(["not","an","object"])", "", false}}};
  auto results = sink.push(batch);
  sink.settle();
  EXPECT_EQ(results[0].outcome(), Outcome::Created);
  EXPECT_EQ(results[1].outcome(), Outcome::Created);
  EXPECT_EQ(results[2].outcome(), Outcome::Failed);
  EXPECT_EQ(results[2].failure(), Failure::Permanent);
  EXPECT_EQ(test::read_file(dir.str("out/f-p0-1.csv")),
            "id,amount,note,lines,missing\n"
            "1,12345678901234.56,\"a, \"\"b\"\"\",\"[1,2]\",\n"
            "2,0.10,,,\n");
}

TEST(FileSink, AnUnwritableOutboxIsATransientFailure) {
  TempDir dir;
  test::write_file(dir.str("blocker"), "a file where the outbox should be");
  FileSink sink(test::file_stream(dir, "        outbox: blocker/out\n"));
  auto results = sink.push({"f", "p0-1", {{"1", R"({"id":"1"})", "", false}}});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].outcome(), Outcome::Failed);
  EXPECT_EQ(results[0].failure(), Failure::Transient);
  EXPECT_NE(results[0].error.find("blocker/out"), std::string::npos) << results[0].error;
}

}  // namespace
}  // namespace synchub::connectors::file
