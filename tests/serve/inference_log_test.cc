// The inference log: records survive a reopen in order, labels join by request id and row,
// a torn tail is cut and reported, a bad record before the end is DataLoss, and a writer
// killed with SIGKILL loses nothing it acknowledged.
#include "serve/inference_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mlloop::serve {
namespace {

namespace fs = std::filesystem;

InferenceLog::Options TwoFeatures() {
  InferenceLog::Options options;
  options.width = 2;
  options.flush_interval = std::chrono::milliseconds(5);
  return options;
}

// Prediction i: features (i, -i), prediction i / 1000, request id "r<i>".
void Predict(InferenceLog& log, int i, int64_t version = 1) {
  const float x[2] = {static_cast<float>(i), static_cast<float>(-i)};
  const float p = static_cast<float>(i) / 1000;
  log.AppendPrediction("r" + std::to_string(i), version, x, 1, &p);
}

// Every event of a reopened log, in order.
LogEvents Replay(const std::string& dir, InferenceLog::Options options = TwoFeatures(),
                 InferenceLog::ReplayReport* report = nullptr) {
  LogEvents all;
  all.width = options.width;
  auto log = InferenceLog::Open(dir, options, [&](const LogEvents& chunk) {
    all.events.insert(all.events.end(), chunk.events.begin(), chunk.events.end());
    all.x.insert(all.x.end(), chunk.x.begin(), chunk.x.end());
  });
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  if (log.ok() && report != nullptr) *report = (*log)->replay_report();
  return all;
}

uint64_t FileSize(const std::string& path) { return fs::file_size(path); }

TEST(InferenceLogTest, ReplaysPredictionsAndLabelsInOrderAfterReopen) {
  testutil::TempDir dir;
  {
    auto log = InferenceLog::Open(dir.path(), TwoFeatures());
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    for (int i = 0; i < 5; ++i) Predict(**log, i, 7);
    const float batch_x[6] = {10, 11, 12, 13, 14, 15};
    const float batch_p[3] = {0.1f, 0.2f, 0.3f};
    (*log)->AppendPrediction("batch", 8, batch_x, 3, batch_p);
    auto joined = (*log)->AddLabels({{"r3", 0, 1.0f}, {"batch", 2, 0.0f}});
    ASSERT_TRUE(joined.ok()) << joined.status().ToString();
    EXPECT_EQ((*joined)[0], JoinResult::kJoined);
    EXPECT_EQ((*joined)[1], JoinResult::kJoined);
    ASSERT_TRUE((*log)->Close().ok());
    EXPECT_EQ((*log)->rows_logged(), 8u);
  }
  InferenceLog::ReplayReport report;
  LogEvents events = Replay(dir.path(), TwoFeatures(), &report);
  EXPECT_EQ(report.predictions, 6u);  // records: 5 single rows and one batch
  EXPECT_EQ(report.labels, 2u);
  EXPECT_TRUE(report.torn_message.empty());
  ASSERT_EQ(events.events.size(), 10u);  // 8 predicted rows, 2 labels
  for (int i = 0; i < 5; ++i) {
    const auto& e = events.events[static_cast<size_t>(i)];
    EXPECT_EQ(e.kind, LogEvents::Kind::kPrediction);
    EXPECT_EQ(e.row_id, static_cast<uint64_t>(i));
    EXPECT_EQ(e.version, 7);
    EXPECT_EQ(e.prediction, static_cast<float>(i) / 1000);
    EXPECT_EQ(events.x[2 * static_cast<size_t>(i) + 1], static_cast<float>(-i));
  }
  EXPECT_EQ(events.events[7].row_id, 7u);  // the batch's last row
  EXPECT_EQ(events.x[15], 15.0f);
  const auto& label = events.events[8];
  EXPECT_EQ(label.kind, LogEvents::Kind::kLabel);
  EXPECT_EQ(label.row_id, 3u);
  EXPECT_EQ(label.label, 1.0f);
  EXPECT_EQ(label.prediction, 0.003f);
  EXPECT_EQ(events.x[16], 3.0f);  // the labelled row's features come with the label
  EXPECT_EQ(events.events[9].row_id, 7u);
  EXPECT_EQ(events.events[9].prediction, 0.3f);
  EXPECT_EQ(events.x[18], 14.0f);
}

TEST(InferenceLogTest, ReportsEachLabelThatJoinsNothing) {
  testutil::TempDir dir;
  InferenceLog::Options options = TwoFeatures();
  options.join_window_rows = 3;
  auto log = InferenceLog::Open(dir.path(), options);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 5; ++i) Predict(**log, i);  // r0 and r1 leave the 3-row window
  auto joined = (*log)->AddLabels({{"r4", 0, 1.0f},
                                   {"r4", 0, 0.0f},
                                   {"r2", 1, 1.0f},
                                   {"nobody", 0, 1.0f},
                                   {"r0", 0, 1.0f},
                                   {"r2", 0, 0.0f}});
  ASSERT_TRUE(joined.ok()) << joined.status().ToString();
  EXPECT_EQ(*joined, (std::vector<JoinResult>{JoinResult::kJoined, JoinResult::kAlreadyLabelled,
                                              JoinResult::kNoSuchRow, JoinResult::kUnknownId,
                                              JoinResult::kUnknownId, JoinResult::kJoined}));
  // A label already on disk is still a duplicate after a restart.
  ASSERT_TRUE((*log)->Close().ok());
  auto reopened = InferenceLog::Open(dir.path(), options);
  ASSERT_TRUE(reopened.ok());
  auto again = (*reopened)->AddLabels({{"r4", 0, 1.0f}, {"r3", 0, 1.0f}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, (std::vector<JoinResult>{JoinResult::kAlreadyLabelled, JoinResult::kJoined}));
}

TEST(InferenceLogTest, QueuesEventsForItsConsumerAndJoinsTheLatestOfARepeatedId) {
  testutil::TempDir dir;
  InferenceLog::Options options = TwoFeatures();
  options.queue_events = true;
  auto log = InferenceLog::Open(dir.path(), options);
  ASSERT_TRUE(log.ok());
  const float x[2] = {1, 2}, y[2] = {3, 4};
  const float p = 0.5f, q = 0.25f;
  (*log)->AppendPrediction("same", 1, x, 1, &p);
  (*log)->AppendPrediction("same", 2, y, 1, &q);
  ASSERT_TRUE((*log)->AddLabels({{"same", 0, 1.0f}}).ok());
  LogEvents events;
  (*log)->TakeEvents(&events);
  ASSERT_EQ(events.events.size(), 3u);
  EXPECT_EQ(events.events[2].kind, LogEvents::Kind::kLabel);
  EXPECT_EQ(events.events[2].row_id, 1u);
  EXPECT_EQ(events.events[2].version, 2);
  EXPECT_EQ(events.x[4], 3.0f);
  (*log)->TakeEvents(&events);
  EXPECT_TRUE(events.events.empty());
}

TEST(InferenceLogTest, CutsATornTailAndKeepsAppendingAfterTheLastGoodRecord) {
  testutil::TempDir dir;
  {
    auto log = InferenceLog::Open(dir.path(), TwoFeatures());
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 3; ++i) Predict(**log, i);
    ASSERT_TRUE((*log)->Close().ok());
  }
  const std::string segment = dir.File("00000001.log");
  const uint64_t good = FileSize(segment);
  {
    // Half of a fourth record: its header promises more bytes than follow.
    std::ofstream out(segment, std::ios::binary | std::ios::app);
    const uint32_t length = 100, crc = 0;
    out.write(reinterpret_cast<const char*>(&length), 4);
    out.write(reinterpret_cast<const char*>(&crc), 4);
    out.write("partial", 7);
  }
  InferenceLog::ReplayReport report;
  {
    auto log = InferenceLog::Open(dir.path(), TwoFeatures());
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    report = (*log)->replay_report();
    EXPECT_EQ(FileSize(segment), good);  // cut at once, before anything is appended
    Predict(**log, 3);
    ASSERT_TRUE((*log)->Close().ok());
  }
  EXPECT_EQ(report.predictions, 3u);
  EXPECT_EQ(report.torn_bytes, 15u);
  EXPECT_NE(report.torn_message.find("00000001.log: dropped a torn record at byte " +
                                     std::to_string(good)),
            std::string::npos)
      << report.torn_message;
  LogEvents events = Replay(dir.path(), TwoFeatures(), &report);
  ASSERT_EQ(events.events.size(), 4u);
  EXPECT_EQ(events.events[3].row_id, 3u);
  EXPECT_TRUE(report.torn_message.empty());
}

TEST(InferenceLogTest, ABadRecordBeforeTheLastSegmentIsDataLossNamingFileAndByte) {
  testutil::TempDir dir;
  InferenceLog::Options options = TwoFeatures();
  options.segment_bytes = 64;  // a new segment for every batch past 64 bytes
  {
    auto log = InferenceLog::Open(dir.path(), options);
    ASSERT_TRUE(log.ok());
    for (int i = 0; i < 4; ++i) {
      Predict(**log, i);
      ASSERT_TRUE((*log)->Flush().ok());
    }
    ASSERT_TRUE((*log)->Close().ok());
  }
  ASSERT_TRUE(fs::exists(dir.File("00000002.log")));
  {
    std::fstream f(dir.File("00000001.log"), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(20);
    f.put('\x7f');  // inside the first record's payload: its CRC no longer matches
  }
  auto log = InferenceLog::Open(dir.path(), options);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(log.status().message().find("00000001.log byte 0: a record whose CRC does not match"),
            std::string::npos)
      << log.status().message();
}

TEST(InferenceLogTest, RefusesALogOfAnotherWidth) {
  testutil::TempDir dir;
  {
    auto log = InferenceLog::Open(dir.path(), TwoFeatures());
    ASSERT_TRUE(log.ok());
    Predict(**log, 0);
  }
  InferenceLog::Options three = TwoFeatures();
  three.width = 3;
  auto log = InferenceLog::Open(dir.path(), three);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(log.status().message().find("rows of 2 features, but the model has 3"),
            std::string::npos)
      << log.status().message();
}

// A child process predicts and labels as fast as it can and reports each acknowledged
// label batch on a pipe; it is killed with SIGKILL mid-stream. Every acknowledged label and
// the prediction it joined must be in the reopened log.
TEST(InferenceLogTest, AWriterKilledWithSigkillLosesNothingItAcknowledged) {
  testutil::TempDir dir;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    InferenceLog::Options options = TwoFeatures();
    options.flush_interval = std::chrono::milliseconds(2);
    auto log = InferenceLog::Open(dir.path(), options);
    if (!log.ok()) _exit(2);
    for (int i = 0;; ++i) {
      Predict(**log, i);
      if (i % 10 == 9) {  // labels of the last ten, acknowledged together
        std::vector<LabelItem> items;
        for (int k = i - 9; k <= i; ++k) items.push_back({"r" + std::to_string(k), 0, 1.0f});
        auto joined = (*log)->AddLabels(items);
        if (!joined.ok()) _exit(3);
        const int32_t acked = i;
        if (write(fds[1], &acked, sizeof(acked)) != sizeof(acked)) _exit(4);
      }
    }
  }
  close(fds[1]);
  int32_t acked = -1, value = 0;
  for (int reads = 0; reads < 30 && read(fds[0], &value, sizeof(value)) == sizeof(value); ++reads) {
    acked = value;
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended by itself: " << status;
  ASSERT_GE(acked, 9);

  InferenceLog::ReplayReport report;
  LogEvents events = Replay(dir.path(), TwoFeatures(), &report);
  std::vector<bool> labelled(static_cast<size_t>(acked) + 1, false);
  uint64_t predictions = 0;
  for (const auto& e : events.events) {
    if (e.kind == LogEvents::Kind::kPrediction) {
      EXPECT_EQ(e.row_id, predictions++);  // no gap, no reordering
    } else if (e.row_id <= static_cast<uint64_t>(acked)) {
      labelled[e.row_id] = true;
    }
  }
  EXPECT_GT(predictions, static_cast<uint64_t>(acked));
  for (int32_t i = 0; i <= acked; ++i) EXPECT_TRUE(labelled[static_cast<size_t>(i)]) << "label " << i;
  // Whatever was cut (a write in flight when the kill came) was reported, never silent.
  EXPECT_EQ(report.torn_bytes > 0, !report.torn_message.empty());
}

}  // namespace
}  // namespace mlloop::serve
