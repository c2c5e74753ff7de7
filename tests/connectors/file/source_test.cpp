// The file source on real folders: order, cursors, half-written files,
// CSV quoting, bad records, archiving.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <thread>

#include "connectors/file/connector.hpp"
#include "tests/connectors/file/file_test_support.hpp"

namespace synchub::connectors::file {
namespace {

using test::TempDir;
using test::write_file;

std::unique_ptr<SourceStream> jsonl_source(const TempDir& dir, const std::string& extra = "") {
  return std::make_unique<FileSource>(
      test::file_stream(dir, "        key: id\n        inbox: in\n        settle: 0s\n" + extra));
}

TEST(FileSource, ReadsFilesInNameOrderAndArchivesThemAfterCommit) {
  TempDir dir;
  write_file(dir.str("in/b.jsonl"), "{\"id\":\"3\"}\n");
  write_file(dir.str("in/a.jsonl"), "{\"id\":\"1\"}\n{\"id\":2}\n");
  auto source = jsonl_source(dir);
  PullResult first = source->pull("", 100);
  ASSERT_EQ(first.records.size(), 2u);
  EXPECT_EQ(first.records[0].key, "1");
  EXPECT_EQ(first.records[1].key, "2");
  EXPECT_EQ(first.records[1].value, "{\"id\":2}");
  EXPECT_EQ(first.records[0].position, "a.jsonl:1");
  EXPECT_EQ(first.records[1].position, "a.jsonl:2");
  EXPECT_TRUE(first.more);
  EXPECT_TRUE(std::filesystem::exists(dir.str("in/a.jsonl"))) << "not archived before the cursor is committed";

  // Not committed: the same cursor reads the same records again.
  PullResult again = source->pull("", 100);
  ASSERT_EQ(again.records.size(), 2u);
  EXPECT_EQ(again.records[0].key, "1");

  PullResult second = source->pull(first.next_cursor, 100);  // committed: a.jsonl is archived
  ASSERT_EQ(second.records.size(), 1u);
  EXPECT_EQ(second.records[0].key, "3");
  EXPECT_FALSE(std::filesystem::exists(dir.str("in/a.jsonl")));
  EXPECT_TRUE(std::filesystem::exists(dir.str("in/archive/a.jsonl")));
  PullResult third = source->pull(second.next_cursor, 100);
  EXPECT_TRUE(third.records.empty());
  EXPECT_TRUE(std::filesystem::exists(dir.str("in/archive/b.jsonl")));
  EXPECT_EQ(third.next_cursor, "");
}

TEST(FileSource, ResumesMidFileFromTheCursor) {
  TempDir dir;
  std::string content;
  for (int i = 0; i < 10; ++i) content += "{\"id\":\"" + std::to_string(i) + "\"}\n";
  write_file(dir.str("in/a.jsonl"), content);
  auto source = jsonl_source(dir);
  PullResult first = source->pull("", 4);
  ASSERT_EQ(first.records.size(), 4u);
  EXPECT_TRUE(first.more);
  auto fresh = jsonl_source(dir);  // as after a restart
  PullResult second = fresh->pull(first.next_cursor, 100);
  ASSERT_EQ(second.records.size(), 6u);
  EXPECT_EQ(second.records[0].key, "4");
  EXPECT_EQ(second.records[0].position, "a.jsonl:5");
}

TEST(FileSource, NeverReadsHalfWrittenFiles) {
  TempDir dir;
  write_file(dir.str("in/.a.jsonl"), "{\"id\":\"hidden\"}\n");
  write_file(dir.str("in/b.jsonl.tmp"), "{\"id\":\"tmp\"}\n");
  write_file(dir.str("in/c.jsonl.part"), "{\"id\":\"part\"}\n");
  // A file still being written: its last line has no newline yet.
  auto source = std::make_unique<FileSource>(
      test::file_stream(dir, "        key: id\n        inbox: in\n        settle: 300ms\n"));
  write_file(dir.str("in/d.jsonl"), "{\"id\":\"1\"}\n{\"id\":\"2\"}");
  PullResult first = source->pull("", 100);
  ASSERT_EQ(first.records.size(), 1u);
  EXPECT_EQ(first.records[0].key, "1");
  EXPECT_TRUE(first.waiting);
  EXPECT_FALSE(first.more);
  PullResult not_yet = source->pull(first.next_cursor, 100);
  EXPECT_TRUE(not_yet.records.empty());
  EXPECT_TRUE(std::filesystem::exists(dir.str("in/d.jsonl")));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  PullResult settled = source->pull(first.next_cursor, 100);  // unchanged for `settle`: the tail is a record
  ASSERT_EQ(settled.records.size(), 1u);
  EXPECT_EQ(settled.records[0].key, "2");
}

TEST(FileSource, BadRecordsAreRejectedWithTheirReasonAndTheRestIsRead) {
  TempDir dir;
  std::string big(2 * 1024 * 1024, 'x');
  write_file(dir.str("in/a.jsonl"),
             "{\"id\":\"ok-1\"}\n"
             "{\"id\": \"broken\"\n"
             "[1,2,3]\n"
             "{\"name\":\"no key\"}\n"
             "{\"id\":{\"nested\":true}}\n"
             "{\"id\":\"bad-\xff\xfe\"}\n"
             "{\"id\":\"big\",\"blob\":\"" +
                 big +
                 "\"}\n"
                 "\n"
                 "{\"id\":\"ok-2\"}\n");
  auto source = jsonl_source(dir);
  PullResult r = source->pull("", 100);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].key, "ok-1");
  EXPECT_EQ(r.records[1].key, "ok-2");
  EXPECT_EQ(r.records[1].position, "a.jsonl:9");
  ASSERT_EQ(r.rejects.size(), 6u);
  EXPECT_EQ(r.rejects[0].position, "a.jsonl:2");
  EXPECT_EQ(r.rejects[0].input, "{\"id\": \"broken\"");
  EXPECT_NE(r.rejects[0].reason.find("malformed JSON"), std::string::npos) << r.rejects[0].reason;
  EXPECT_EQ(r.rejects[1].reason, "expected a JSON object");
  EXPECT_EQ(r.rejects[2].reason, "missing key 'id'");
  EXPECT_EQ(r.rejects[3].reason, "key 'id' must be a string or an integer");
  EXPECT_EQ(r.rejects[4].reason, "invalid UTF-8");
  EXPECT_EQ(r.rejects[5].reason, "record is 2097174 bytes, over max_record_size (1048576)");
  EXPECT_EQ(r.rejects[5].input.size(), 2097174u) << "the whole record is kept for the dead letter";
}

TEST(FileSource, CsvWithHeaderQuotingNewlinesAndUtf8) {
  TempDir dir;
  write_file(dir.str("in/a.csv"),
             "\xEF\xBB\xBForder_id,customer,note,amount\r\n"
             "SO-1,\"Acme, Inc.\",\"line one\nline two\",100.10\r\n"
             "SO-2,上海华联,\"say \"\"hi\"\"\",12345678901234.56\r\n"
             "SO-3,too,few\r\n"
             "SO-4,x,\"unterminated,1\r\n");
  auto source = std::make_unique<FileSource>(
      test::file_stream(dir, "        format: csv\n        key: order_id\n        inbox: in\n        settle: 0s\n"));
  PullResult r = source->pull("", 100);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].key, "SO-1");
  EXPECT_EQ(r.records[0].value,
            R"({"order_id":"SO-1","customer":"Acme, Inc.","note":"line one\nline two","amount":"100.10"})");
  EXPECT_EQ(r.records[0].position, "a.csv:2");
  EXPECT_EQ(r.records[1].value,
            R"({"order_id":"SO-2","customer":"上海华联","note":"say \"hi\"","amount":"12345678901234.56"})");
  EXPECT_EQ(r.records[1].position, "a.csv:4");
  ASSERT_EQ(r.rejects.size(), 2u);
  EXPECT_EQ(r.rejects[0].reason, "expected 4 fields (as the header), got 3");
  EXPECT_EQ(r.rejects[0].position, "a.csv:5");
  EXPECT_EQ(r.rejects[1].reason,
            "unterminated quote: a quoted field opened on line 6 is never closed; the row is read as that line alone");

  // Resuming mid-file still knows the header.
  auto fresh = std::make_unique<FileSource>(
      test::file_stream(dir, "        format: csv\n        key: order_id\n        inbox: in\n        settle: 0s\n"));
  write_file(dir.str("in/b.csv"), "order_id,qty\nSO-7,1\nSO-8,2\n");
  PullResult part = fresh->pull(R"({"file":"b.csv","offset":20,"line":3})", 10);
  ASSERT_EQ(part.records.size(), 1u);
  EXPECT_EQ(part.records[0].value, R"({"order_id":"SO-8","qty":"2"})");
}

// A quote never closed in the middle of a file: that row alone is refused with the reason (it used
// to swallow every row after it into one dead letter that said "invalid UTF-8").
TEST(FileSource, AnUnterminatedQuoteLosesNoRowAfterIt) {
  TempDir dir;
  std::string text = "order_id,note\nSO-1,ok\nSO-2,\"never closed\n";
  for (int i = 3; i <= 500; ++i) text += "SO-" + std::to_string(i) + ",\"row " + std::to_string(i) + "\"\n";
  write_file(dir.str("in/a.csv"), text);
  auto source = std::make_unique<FileSource>(
      test::file_stream(dir, "        format: csv\n        key: order_id\n        inbox: in\n        settle: 0s\n"));
  PullResult r = source->pull("", 1000);
  ASSERT_EQ(r.rejects.size(), 1u);
  EXPECT_EQ(r.rejects[0].position, "a.csv:3");
  EXPECT_EQ(r.rejects[0].input, "SO-2,\"never closed");
  EXPECT_NE(r.rejects[0].reason.find("unterminated quote"), std::string::npos) << r.rejects[0].reason;
  ASSERT_EQ(r.records.size(), 499u);
  EXPECT_EQ(r.records[0].key, "SO-1");
  EXPECT_EQ(r.records[1].key, "SO-3");
  EXPECT_EQ(r.records[1].position, "a.csv:4");
  EXPECT_EQ(r.records.back().key, "SO-500");
}

TEST(FileSource, AcceptChecksACorrectedRecord) {
  TempDir dir;
  auto source = jsonl_source(dir);
  SourceRecord record;
  EXPECT_EQ(source->accept("{\"id\":\"fixed\"}", record), "");
  EXPECT_EQ(record.key, "fixed");
  EXPECT_EQ(source->accept("{\"nope\":1}", record), "missing key 'id'");
}

TEST(FileSource, ReadsCsvWithABomAndInGb18030) {
  TempDir dir;
  write_file(dir.str("bom/a.csv"), "\xEF\xBB\xBFid,name\n1,纷享销客\n");
  write_file(dir.str("gb/a.csv"), "id,\xBF\xCD\xBB\xA7\n1,\xB7\xD7\xCF\xED\xCF\xFA\xBF\xCD\n2,\x81\n");
  auto bom = std::make_unique<FileSource>(test::file_stream(
      dir, "        format: csv\n        inbox: bom\n        settle: 0s\n        encoding: utf-8-bom\n"));
  PullResult r = bom->pull("", 10);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].value, R"({"id":"1","name":"纷享销客"})");
  auto gb = std::make_unique<FileSource>(test::file_stream(
      dir, "        format: csv\n        inbox: gb\n        settle: 0s\n        encoding: gb18030\n"));
  r = gb->pull("", 10);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].value, R"({"id":"1","客户":"纷享销客"})");
  ASSERT_EQ(r.rejects.size(), 1u) << "a byte sequence GB18030 does not have";
  EXPECT_EQ(r.rejects[0].position, "a.csv:3");
  EXPECT_EQ(r.rejects[0].reason, "invalid GB18030");
}

// Reading a folder whole (reconciliation) reads on from one file into the next within a pull,
// and its cursor says exactly where it stopped.
TEST(FileSource, ReadingWholeFillsAPullFromSeveralFiles) {
  TempDir dir;
  for (int f = 0; f < 10; ++f) {
    std::string text;
    for (int i = 0; i < 5; ++i) text += "{\"id\":\"" + std::to_string(f * 5 + i) + "\"}\n";
    write_file(dir.str("out/f" + std::to_string(f) + ".jsonl"), text);
  }
  auto reader = FileConnector().open_reader(test::file_stream(dir, "        outbox: out\n"));
  PullResult first = reader->pull("", 23);
  ASSERT_EQ(first.records.size(), 23u) << "five files and three records of the sixth";
  EXPECT_TRUE(first.more);
  EXPECT_EQ(first.records[22].position, "f4.jsonl:3");
  EXPECT_EQ(first.next_cursor, R"({"file":"f4.jsonl","line":4,"offset":36})");
  // The cursor of the first pull read again gives the same records; the rest follow.
  PullResult second = reader->pull(first.next_cursor, 100);
  ASSERT_EQ(second.records.size(), 27u);
  EXPECT_EQ(second.records[0].key, "23");
  EXPECT_FALSE(second.more);
  // A file that comes after the reader reached the end is read by the next pull.
  write_file(dir.str("out/f9z.jsonl"), "{\"id\":\"late\"}\n");
  PullResult third = reader->pull(second.next_cursor, 100);
  ASSERT_EQ(third.records.size(), 1u);
  EXPECT_EQ(third.records[0].key, "late");
}

TEST(FileSource, ANewFileIsSeenAtTheNextPollWhileTheListingIsKept) {
  TempDir dir;
  write_file(dir.str("in/b.jsonl"), "{\"id\":\"b\"}\n");
  auto source = jsonl_source(dir);
  PullResult r = source->pull("", 100);
  ASSERT_EQ(r.records.size(), 1u);
  write_file(dir.str("in/a.jsonl"), "{\"id\":\"a\"}\n");  // sorts first, comes late
  r = source->pull(r.next_cursor, 100);                   // b archived; the poll goes on
  std::string cursor = r.next_cursor;
  std::vector<std::string> keys;
  for (int i = 0; i < 4; ++i, cursor = r.next_cursor) {
    for (const auto& rec : r.records) keys.push_back(rec.key);
    r = source->pull(cursor, 100);
  }
  EXPECT_EQ(keys, std::vector<std::string>{"a"});
  EXPECT_TRUE(std::filesystem::exists(dir.str("in/archive/a.jsonl")));
}

}  // namespace
}  // namespace synchub::connectors::file
