// The file sink: atomic, idempotent batch files; CSV keeps exact numbers, is written in the
// encoding finance opens and keeps formulas inert.
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

std::vector<SinkResult> push_one(FileSink& sink, std::string_view value) {
  auto results = sink.push({"f", "p0-1", {{"1", value, "", false}}});
  sink.settle();
  return results;
}

TEST(FileSinkEncoding, Utf8BomStartsTheFileWithAByteOrderMarkForExcel) {
  TempDir dir;
  FileSink sink(test::file_stream(dir, "        format: csv\n        outbox: out\n        encoding: utf-8-bom\n"));
  push_one(sink, R"({"id":"1","name":"纷享销客"})");
  EXPECT_EQ(test::read_file(dir.str("out/f-p0-1.csv")), "\xEF\xBB\xBFid,name\n1,纷享销客\n");
}

TEST(FileSinkEncoding, Gb18030WritesTheBytesChineseExcelReads) {
  TempDir dir;
  FileSink sink(test::file_stream(dir, "        format: csv\n        outbox: out\n        encoding: gb18030\n"));
  auto results = push_one(sink, R"({"id":"1","客户":"纷享销客"})");
  EXPECT_EQ(results[0].outcome(), Outcome::Created);
  // 纷享销客 in GB18030 (Python: '纷享销客'.encode('gb18030')); the header is converted too.
  EXPECT_EQ(test::read_file(dir.str("out/f-p0-1.csv")),
            "id,\xBF\xCD\xBB\xA7\n"
            "1,\xB7\xD7\xCF\xED\xCF\xFA\xBF\xCD\n");
}

TEST(FileSinkEncoding, InvalidUtf8IsDeadLetteredWithAReasonAndTheRestIsWritten) {
  for (const std::string encoding : {"gb18030", "utf-8"}) {
    SCOPED_TRACE(encoding);
    TempDir dir;
    FileSink sink(
        test::file_stream(dir, "        format: csv\n        outbox: out\n        encoding: " + encoding + "\n"));
    const std::string bad = "{\"id\":\"2\",\"name\":\"\xFF\xFE\"}";
    auto results = sink.push({"f", "p0-1", {{"1", R"({"id":"1","name":"a"})", "", false}, {"2", bad, "", false}}});
    sink.settle();
    EXPECT_EQ(results[0].outcome(), Outcome::Created);
    ASSERT_EQ(results[1].outcome(), Outcome::Failed);
    EXPECT_EQ(results[1].failure(), Failure::Permanent);
    EXPECT_NE(results[1].error.find("UTF-8"), std::string::npos) << results[1].error;
    EXPECT_EQ(test::read_file(dir.str("out/f-p0-1.csv")), "id,name\n1,a\n");
  }
  TempDir dir;
  FileSink jsonl(test::file_stream(dir, "        outbox: out\n"));
  auto results = push_one(jsonl, "{\"id\":\"2\",\"name\":\"\xC3\"}");
  EXPECT_EQ(results[0].failure(), Failure::Permanent);
  EXPECT_NE(results[0].error.find("invalid UTF-8"), std::string::npos) << results[0].error;
}

TEST(FileSinkEncoding, JsonLinesAreUtf8Only) {
  TempDir dir;
  try {
    test::file_stream(dir, "        outbox: out\n        encoding: gb18030\n");
    FAIL() << "a JSON-lines stream in GB18030 must be refused";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("encoding must be utf-8"), std::string::npos) << e.what();
  }
}

TEST(FileSinkFormulas, TextThatASpreadsheetWouldRunIsMadeInertNumbersStayNumbers) {
  TempDir dir;
  FileSink sink(test::file_stream(dir, "        format: csv\n        outbox: out\n"));
  push_one(sink, R"j({"id":"1","link":"=HYPERLINK(\"x\")","amount":"-12.50","number":-12.50,"plus":"+3",)j"
                 R"j("at":"@SUM(A1)","minus":"-1+2","tab":"\tx","cr":"\rx","dash":"-","note":"a=b"})j");
  EXPECT_EQ(test::read_file(dir.str("out/f-p0-1.csv")),
            "id,link,amount,number,plus,at,minus,tab,cr,dash,note\n"
            "1,\"'=HYPERLINK(\"\"x\"\")\",-12.50,-12.50,+3,'@SUM(A1),'-1+2,'\tx,\"'\rx\",'-,a=b\n");
}

TEST(FileSinkFormulas, InertFormulasFalseWritesCellsAsTheyAre) {
  TempDir dir;
  FileSink sink(test::file_stream(dir, "        format: csv\n        outbox: out\n        inert_formulas: false\n"));
  push_one(sink, R"j({"id":"1","link":"=HYPERLINK(\"x\")"})j");
  EXPECT_EQ(test::read_file(dir.str("out/f-p0-1.csv")), "id,link\n1,\"=HYPERLINK(\"\"x\"\")\"\n");
}

}  // namespace
}  // namespace synchub::connectors::file
