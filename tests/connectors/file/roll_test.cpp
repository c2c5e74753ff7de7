// The file sink with `roll`: batches appended to one file until a limit, then moved into place;
// a batch pushed again is never in the files twice, and a SIGKILL loses nothing written.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <thread>

#include "connectors/file/connector.hpp"
#include "tests/connectors/file/file_test_support.hpp"

namespace synchub::connectors::file {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

// A batch as the hub makes them: its id is its first record's bus position.
struct TestBatch {
  std::vector<std::string> keys, values;
  Batch batch;
};

TestBatch batch_of(int first, int count, const std::string& flow = "f") {
  TestBatch t;
  for (int i = first; i < first + count; ++i) {
    t.keys.push_back(std::to_string(i));
    t.values.push_back("{\"id\":\"" + std::to_string(i) + "\",\"name\":\"纷享销客 " + std::to_string(i) + "\"}");
  }
  char id[32];
  std::snprintf(id, sizeof id, "p0-%012d", first);
  t.batch = {flow, id, {}};
  for (size_t i = 0; i < t.keys.size(); ++i) t.batch.records.push_back({t.keys[i], t.values[i], "", false});
  return t;
}

std::vector<SinkResult> push(FileSink& sink, const TestBatch& t) {
  auto results = sink.push(t.batch);
  sink.settle();
  return results;
}

// Names in the outbox: visible (final files) or hidden (open files, journals).
std::vector<std::string> files_in(const TempDir& dir, bool hidden) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path() / "out")) {
    const std::string name = e.path().filename().string();
    if ((name[0] == '.') == hidden) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string opened(const TempDir& dir) {
  for (const auto& name : files_in(dir, true))
    if (name.ends_with(".open")) return name;
  return "";
}

TEST(FileSinkRoll, FilesRollByRecordCountAndBatchesAreAppendedUntilThen) {
  TempDir dir;
  {
    FileSink sink(test::file_stream(dir, "        outbox: out\n        roll: {max_records: 4}\n"));
    auto first = push(sink, batch_of(1, 2));
    EXPECT_EQ(first[1].target_id, "f-p0-000000000001.jsonl:2");
    EXPECT_TRUE(files_in(dir, false).empty()) << "the file is open: nobody sees it yet";
    EXPECT_EQ(opened(dir), ".f-p0-000000000001.jsonl.open");
    auto second = push(sink, batch_of(3, 2));
    EXPECT_EQ(second[0].target_id, "f-p0-000000000001.jsonl:3");
    EXPECT_EQ(files_in(dir, false), std::vector<std::string>{"f-p0-000000000001.jsonl"}) << "closed at 4 records";
    EXPECT_EQ(test::read_lines(dir.path() / "out/f-p0-000000000001.jsonl").size(), 4u);
    push(sink, batch_of(5, 3));
    push(sink, batch_of(8, 2));  // 3 + 2 > 4: the open file is closed first
    EXPECT_EQ(files_in(dir, false).size(), 2u);
    EXPECT_EQ(test::read_lines(dir.path() / "out/f-p0-000000000005.jsonl").size(), 3u);
  }  // a clean stop closes the open file
  EXPECT_EQ(files_in(dir, false).size(), 3u);
  EXPECT_EQ(opened(dir), "");
  EXPECT_EQ(test::lines_in_dir(dir.path() / "out").size(), 9u);
}

TEST(FileSinkRoll, AFileOlderThanMaxAgeIsClosedAtTheNextBatch) {
  TempDir dir;
  FileSink sink(test::file_stream(dir, "        outbox: out\n        roll: {max_age: 1s}\n"));
  push(sink, batch_of(1, 2));
  push(sink, batch_of(3, 2));
  EXPECT_TRUE(files_in(dir, false).empty());
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  push(sink, batch_of(5, 1));
  ASSERT_EQ(files_in(dir, false), std::vector<std::string>{"f-p0-000000000001.jsonl"});
  EXPECT_EQ(test::read_lines(dir.path() / "out/f-p0-000000000001.jsonl").size(), 4u);
  EXPECT_EQ(opened(dir), ".f-p0-000000000005.jsonl.open");
}

TEST(FileSinkRoll, CsvRolledFilesHaveOneHeaderAndTheirBom) {
  TempDir dir;
  {
    FileSink sink(test::file_stream(
        dir,
        "        format: csv\n        outbox: out\n        encoding: utf-8-bom\n        roll: {max_records: 100}\n"));
    auto results = push(sink, batch_of(1, 2));
    EXPECT_EQ(results[0].target_id, "f-p0-000000000001.csv:2");
    results = push(sink, batch_of(3, 1));
    EXPECT_EQ(results[0].target_id, "f-p0-000000000001.csv:4");
  }
  EXPECT_EQ(test::read_file(dir.path() / "out/f-p0-000000000001.csv"),
            "\xEF\xBB\xBFid,name\n1,纷享销客 1\n2,纷享销客 2\n3,纷享销客 3\n");
}

TEST(FileSinkRoll, ABatchPushedAgainIsWrittenAnewNotAppendedTwice) {
  TempDir dir;
  {
    FileSink sink(test::file_stream(dir, "        outbox: out\n        roll: {max_records: 100}\n"));
    push(sink, batch_of(1, 2));
    push(sink, batch_of(3, 4));
    // The hub had not recorded the batch (a crash, a failed flush): it comes again, here with
    // fewer records (a smaller batch_size after the restart).
    auto again = push(sink, batch_of(3, 2));
    EXPECT_EQ(again[1].target_id, "f-p0-000000000001.jsonl:4");
    push(sink, batch_of(5, 2));
  }
  std::vector<std::string> ids;
  for (const auto& line : test::lines_in_dir(dir.path() / "out")) ids.push_back(line.substr(7, 1));
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
}

TEST(FileSinkRoll, ABatchPushedAgainAfterItsFileWasClosedIsNotWrittenTwice) {
  TempDir dir;
  const auto stream = test::file_stream(dir, "        outbox: out\n        roll: {max_records: 100}\n");
  { FileSink(stream).push(batch_of(1, 2).batch); }  // written, then the hub stopped before recording it
  ASSERT_EQ(files_in(dir, false), std::vector<std::string>{"f-p0-000000000001.jsonl"});
  {
    FileSink sink(stream);
    auto again = push(sink, batch_of(1, 3));  // the same batch, one record longer
    ASSERT_EQ(again.size(), 3u);
    EXPECT_EQ(again[0].target_id, "f-p0-000000000001.jsonl:1") << "found where it was written";
    EXPECT_EQ(again[1].target_id, "f-p0-000000000001.jsonl:2");
    EXPECT_EQ(again[2].target_id, "f-p0-000000000001-2.jsonl:1");
  }
  EXPECT_EQ(test::lines_in_dir(dir.path() / "out").size(), 3u);
}

TEST(FileSinkRoll, ASecondWriterOfTheSameFlowIsRefusedNotInterleaved) {
  TempDir dir;
  const auto stream = test::file_stream(dir, "        outbox: out\n        roll: {max_records: 100}\n");
  FileSink first(stream), second(stream);
  push(first, batch_of(1, 1));
  auto refused = push(second, batch_of(2, 1));
  EXPECT_EQ(refused[0].failure(), Failure::Transient);
  EXPECT_NE(refused[0].error.find("another writer holds flow f's files"), std::string::npos) << refused[0].error;
  EXPECT_EQ(push(second, batch_of(2, 1, "g"))[0].outcome(), Outcome::Created) << "another flow is another file";
}

// Found by the hub's crash test: after a restart, the batch the hub had not recorded comes
// again only after a batch of another partition, which closed its (old) file first.
TEST(FileSinkRoll, ABatchNotRecordedBeforeACrashIsNotWrittenTwiceWhenItComesAgainLater) {
  TempDir dir;
  const auto stream =
      test::file_stream(dir, "        outbox: out\n        fsync: false\n        roll: {max_age: 500ms}\n");
  TestBatch a = batch_of(1, 2), b = batch_of(3, 2), c = batch_of(5, 2);
  b.batch.id = "p1-000000000003";
  if (const pid_t child = ::fork(); child == 0) {  // written, then killed: no clean stop
    FileSink sink(stream);
    push(sink, a);
    push(sink, b);
    ::_exit(0);
  } else {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  {
    FileSink sink(stream);
    push(sink, c);               // closes the file holding a and b: it is old
    auto again = push(sink, b);  // then b comes again, and once more with a smaller batch
    EXPECT_EQ(again[0].target_id, "f-p0-000000000001.jsonl:3");
    EXPECT_EQ(push(sink, batch_of(3, 1))[0].target_id, "f-p0-000000000001.jsonl:3");
  }
  std::vector<std::string> ids;
  for (const auto& line : test::lines_in_dir(dir.path() / "out")) ids.push_back(line.substr(7, 1));
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "3", "4", "5", "6"}));
}

// Found by the SIGKILL test: a batch cut off to be written anew, then killed before it was
// journaled again, is not a suspect any more (its rows are gone).
TEST(FileSinkRoll, ABatchCutOffAndKilledBeforeItWasWrittenAgainIsWrittenAtTheNextPush) {
  TempDir dir;
  const auto stream =
      test::file_stream(dir, "        outbox: out\n        fsync: false\n        roll: {max_records: 100}\n");
  const TestBatch a = batch_of(1, 2), b = batch_of(3, 2);
  auto run_killed = [&](const std::function<void(FileSink&)>& work) {
    if (const pid_t child = ::fork(); child == 0) {
      FileSink sink(stream);
      work(sink);
      ::_exit(0);  // no clean stop
    } else {
      int status = 0;
      ASSERT_EQ(::waitpid(child, &status, 0), child);
    }
  };
  run_killed([&](FileSink& sink) { push(sink, a), push(sink, b); });
  run_killed([&](FileSink& sink) { push(sink, b); });  // b not recorded: pushed again, cut off, rewritten
  // ... and killed before its journal line was written.
  std::string journal = test::read_file(dir.path() / "out/.f.roll");
  journal.erase(journal.rfind('\n', journal.size() - 2) + 1);
  test::write_file(dir.path() / "out/.f.roll", journal);
  {
    FileSink sink(stream);
    EXPECT_EQ(push(sink, b)[1].target_id, "f-p0-000000000001.jsonl:4");
  }
  std::vector<std::string> ids;
  for (const auto& line : test::lines_in_dir(dir.path() / "out")) ids.push_back(line.substr(7, 1));
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "3", "4"}));
}

// A child process pushes batches as the hub does and reports each batch once settle() returned
// (the hub records it then); it is killed with SIGKILL at random moments, and each restart
// pushes again from the first batch not reported. At the end every record is in the final
// files exactly once.
TEST(FileSinkRoll, SigkillMidRollLosesNothingAndDuplicatesNothing) {
  TempDir dir;
  const auto stream = test::file_stream(
      dir, "        format: csv\n        outbox: out\n        encoding: gb18030\n        roll: {max_records: 700}\n");
  constexpr int kRecords = 8000, kBatch = 50;
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("kill schedule seed " + std::to_string(seed));
  int next = 1;  // the first record not reported written
  int kills_mid_file = 0;
  // Short lives (20-200 ms: an idle machine writes about 1,000 records in 200 ms), so that
  // several kills land while a file is open however fast the machine is.
  for (int run = 0; run < 12 && next <= kRecords; ++run) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      FileSink sink(stream);
      for (int first = next; first <= kRecords; first += kBatch) {
        push(sink, batch_of(first, std::min(kBatch, kRecords - first + 1)));
        if (::write(fds[1], &first, sizeof first) != sizeof first) ::_exit(3);
      }
      ::_exit(0);
    }
    ::close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(20, 200)(rng)));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    for (int first; ::read(fds[0], &first, sizeof first) == sizeof first;) next = first + kBatch;
    ::close(fds[0]);
    kills_mid_file += opened(dir).empty() ? 0 : 1;
    std::printf("run %d: %d records reported written, open file: %s\n", run + 1, next - 1, opened(dir).c_str());
  }
  EXPECT_GE(kills_mid_file, 3) << "the kills must hit a file while it is open";
  {
    FileSink sink(stream);  // the last run, stopped cleanly
    for (int first = next; first <= kRecords; first += kBatch)
      for (const auto& r : push(sink, batch_of(first, std::min(kBatch, kRecords - first + 1))))
        ASSERT_TRUE(r.ok()) << r.error;
  }
  EXPECT_EQ(opened(dir), "");
  std::map<std::string, int> seen;
  auto source = FileConnector().open_reader(stream);
  for (std::string cursor;;) {
    PullResult page = source->pull(cursor, 1000);
    ASSERT_TRUE(page.rejects.empty()) << page.rejects[0].reason;
    for (const auto& r : page.records) {
      const auto at = r.value.find("\"id\":\"") + 6;
      const std::string id = r.value.substr(at, r.value.find('"', at) - at);
      EXPECT_EQ(r.value, "{\"id\":\"" + id + "\",\"name\":\"纷享销客 " + id + "\"}");
      ++seen[id];
    }
    if (!page.more) break;
    cursor = page.next_cursor;
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRecords)) << "lost " << kRecords - static_cast<int>(seen.size());
  int duplicated = 0;
  for (const auto& [id, n] : seen) duplicated += n > 1 ? 1 : 0;
  EXPECT_EQ(duplicated, 0);
  for (const auto& name : files_in(dir, false)) {
    EXPECT_LE(test::read_lines(dir.path() / "out" / name).size(), 701u) << name << ": 700 records and a header";
  }
}

}  // namespace
}  // namespace synchub::connectors::file
