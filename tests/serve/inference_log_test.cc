// The inference log: records survive a reopen in order, labels join by request id and row
// (and carry the row's shadow prediction), a log written before shadow records replays as
// it did, a torn tail is cut and reported, a bad record before the end is DataLoss, and a
// writer killed with SIGKILL loses nothing it acknowledged.
#include "serve/inference_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
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

// The label events of `events`, in order.
std::vector<LogEvents::Event> Labels(const LogEvents& events) {
  std::vector<LogEvents::Event> labels;
  for (const auto& e : events.events) {
    if (e.kind == LogEvents::Kind::kLabel) labels.push_back(e);
  }
  return labels;
}

// Every field of event `i`.
void ExpectEvent(const LogEvents::Event& got, const LogEvents::Event& want, size_t i) {
  EXPECT_EQ(got.kind, want.kind) << i;
  EXPECT_EQ(got.row_id, want.row_id) << i;
  EXPECT_EQ(got.time_ms, want.time_ms) << i;
  EXPECT_EQ(got.version, want.version) << i;
  EXPECT_EQ(got.prediction, want.prediction) << i;
  EXPECT_EQ(got.label, want.label) << i;
  EXPECT_EQ(got.shadow_version, want.shadow_version) << i;
  EXPECT_EQ(got.shadow_prediction, want.shadow_prediction) << i;
}

// Little-endian bytes of `v`, as the format comment of inference_log.h lays them out.
template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

// One record as the format comment describes it: length, zlib's CRC-32, payload.
std::string Record(const std::string& payload) {
  std::string record;
  Put(&record, static_cast<uint32_t>(payload.size()));
  Put(&record, static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(payload.data()),
                                           static_cast<uInt>(payload.size()))));
  return record + payload;
}

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

TEST(InferenceLogTest, IndexesEveryIndexIntervalAndWritesEveryFlushInterval) {
  // Predictions become joinable (and reach the consumer) within the index interval, in
  // small batches, while the write and fsync wait for the flush interval.
  testutil::TempDir dir;
  InferenceLog::Options options = TwoFeatures();
  options.queue_events = true;
  options.index_interval = std::chrono::milliseconds(5);
  options.flush_interval = std::chrono::milliseconds(1500);
  auto log = InferenceLog::Open(dir.path(), options);
  ASSERT_TRUE(log.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the writer idle meanwhile
  Predict(**log, 0);
  Predict(**log, 1);
  const auto start = std::chrono::steady_clock::now();
  LogEvents events;
  while ((*log)->rows_logged() < 2 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ((*log)->rows_logged(), 2u) << "indexed within the index interval";
  (*log)->TakeEvents(&events);
  EXPECT_EQ(events.events.size(), 2u);
  EXPECT_EQ((*log)->bytes_written(), 0u) << "written only at the flush interval";
  // A caller that needs the records on disk does not wait for the interval.
  ASSERT_TRUE((*log)->Flush().ok());
  EXPECT_GT((*log)->bytes_written(), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  ASSERT_TRUE((*log)->Close().ok());
  EXPECT_EQ(Replay(dir.path()).events.size(), 2u);
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

TEST(InferenceLogTest, LabelsOfShadowedRowsCarryTheShadowLiveAndAfterReopen) {
  testutil::TempDir dir;
  InferenceLog::Options options = TwoFeatures();
  options.queue_events = true;
  std::vector<LogEvents::Event> live;
  {
    auto log = InferenceLog::Open(dir.path(), options);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    Predict(**log, 0);  // row 0, never shadowed
    const float batch_x[6] = {10, 11, 12, 13, 14, 15};
    const float batch_p[3] = {0.1f, 0.2f, 0.3f};
    const uint64_t batch = (*log)->AppendPrediction("batch", 1, batch_x, 3, batch_p);
    EXPECT_EQ(batch, 1u);  // rows 1, 2, 3
    const float shadow_p[3] = {0.7f, 0.8f, 0.9f};
    (*log)->AppendShadow(batch, 5, 3, shadow_p);
    const float x[2] = {4, -4}, p = 0.004f, q = 0.5f;
    const uint64_t single = (*log)->AppendPrediction("r4", 1, x, 1, &p);
    EXPECT_EQ(single, 4u);
    (*log)->AppendShadow(single, 6, 1, &q);
    auto joined = (*log)->AddLabels({{"batch", 2, 1.0f}, {"r0", 0, 0.0f}, {"r4", 0, 1.0f}});
    ASSERT_TRUE(joined.ok()) << joined.status().ToString();
    EXPECT_EQ(*joined, std::vector<JoinResult>(3, JoinResult::kJoined));
    LogEvents events;
    (*log)->TakeEvents(&events);
    ASSERT_EQ(events.events.size(), 8u);  // 5 predicted rows and 3 labels: no shadow events
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(events.events[i].kind, LogEvents::Kind::kPrediction);
      EXPECT_EQ(events.events[i].version, 1);
      EXPECT_EQ(events.events[i].shadow_version, 0) << "shadows ride on labels only";
    }
    EXPECT_EQ(events.events[3].prediction, 0.3f);  // the champion's, not the shadow's
    live = Labels(events);
    EXPECT_EQ(events.x[10], 14.0f);  // the labelled batch row's features
    ASSERT_TRUE((*log)->Close().ok());
    EXPECT_EQ((*log)->rows_logged(), 5u) << "shadow rows are not logged predictions";
  }
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(live[0].row_id, 3u);
  EXPECT_EQ(live[0].version, 1);
  EXPECT_EQ(live[0].prediction, 0.3f);
  EXPECT_EQ(live[0].shadow_version, 5);
  EXPECT_EQ(live[0].shadow_prediction, 0.9f);
  EXPECT_EQ(live[1].row_id, 0u);
  EXPECT_EQ(live[1].shadow_version, 0);
  EXPECT_EQ(live[1].shadow_prediction, 0.0f);
  EXPECT_EQ(live[2].row_id, 4u);
  EXPECT_EQ(live[2].shadow_version, 6);
  EXPECT_EQ(live[2].shadow_prediction, 0.5f);

  InferenceLog::ReplayReport report;
  LogEvents replayed = Replay(dir.path(), TwoFeatures(), &report);
  EXPECT_EQ(report.predictions, 3u);
  EXPECT_EQ(report.shadows, 2u);
  EXPECT_EQ(report.labels, 3u);
  EXPECT_TRUE(report.torn_message.empty());
  ASSERT_EQ(replayed.events.size(), 8u);
  const std::vector<LogEvents::Event> labels = Labels(replayed);
  ASSERT_EQ(labels.size(), live.size());
  for (size_t i = 0; i < live.size(); ++i) ExpectEvent(labels[i], live[i], i);
  EXPECT_EQ(replayed.x[10], 14.0f);
}

TEST(InferenceLogTest, AShadowOfARowThatLeftTheJoinWindowIsKeptButJoinsNothing) {
  testutil::TempDir dir;
  InferenceLog::Options options = TwoFeatures();
  options.join_window_rows = 1;
  {
    auto log = InferenceLog::Open(dir.path(), options);
    ASSERT_TRUE(log.ok());
    Predict(**log, 0);
    Predict(**log, 1);  // r0 leaves the one-row window
    const float q = 0.5f;
    (*log)->AppendShadow(0, 5, 1, &q);
    (*log)->AppendShadow(1, 5, 1, &q);
    auto joined = (*log)->AddLabels({{"r1", 0, 1.0f}});
    ASSERT_TRUE(joined.ok());
    EXPECT_EQ((*joined)[0], JoinResult::kJoined);
  }
  InferenceLog::ReplayReport report;
  LogEvents events = Replay(dir.path(), options, &report);
  EXPECT_EQ(report.shadows, 2u);
  const std::vector<LogEvents::Event> labels = Labels(events);
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].row_id, 1u);
  EXPECT_EQ(labels[0].shadow_version, 5);
}

// A log as the code before shadow records wrote it (kinds 1 and 2 only), byte by byte from
// the format comment: it replays to the same events, with no shadow on its labels, and the
// current code writes a log without shadows in exactly that form.
TEST(InferenceLogTest, ALogWithoutShadowRecordsReplaysAsBefore) {
  auto prediction = [](uint64_t first_row, int64_t time_ms, int64_t version,
                       const std::string& id, std::vector<float> x, std::vector<float> p) {
    std::string payload;
    Put(&payload, uint8_t{1});
    Put(&payload, first_row);
    Put(&payload, time_ms);
    Put(&payload, version);
    Put(&payload, static_cast<uint32_t>(p.size()));
    Put(&payload, uint32_t{2});
    Put(&payload, static_cast<uint16_t>(id.size()));
    payload += id;
    for (float v : x) Put(&payload, v);
    for (float v : p) Put(&payload, v);
    return Record(payload);
  };
  auto label = [](uint64_t row_id, int64_t time_ms, float value) {
    std::string payload;
    Put(&payload, uint8_t{2});
    Put(&payload, row_id);
    Put(&payload, time_ms);
    Put(&payload, value);
    return Record(payload);
  };
  const std::string old_log = prediction(0, 1700000000000, 3, "a", {1, 2}, {0.25f}) +
                              prediction(1, 1700000000001, 3, "b", {3, 4, 5, 6}, {0.5f, 0.75f}) +
                              label(2, 1700000000002, 1.0f) + label(0, 1700000000003, 0.0f);
  testutil::TempDir dir;
  {
    std::ofstream out(dir.File("00000001.log"), std::ios::binary);
    out << old_log;
  }
  InferenceLog::ReplayReport report;
  LogEvents events = Replay(dir.path(), TwoFeatures(), &report);
  EXPECT_EQ(report.predictions, 2u);
  EXPECT_EQ(report.labels, 2u);
  EXPECT_EQ(report.shadows, 0u);
  EXPECT_TRUE(report.torn_message.empty()) << report.torn_message;
  EXPECT_EQ(FileSize(dir.File("00000001.log")), old_log.size());
  using Kind = LogEvents::Kind;
  const LogEvents::Event expected[] = {{Kind::kPrediction, 0, 1700000000000, 3, 0.25f, 0},
                                       {Kind::kPrediction, 1, 1700000000001, 3, 0.5f, 0},
                                       {Kind::kPrediction, 2, 1700000000001, 3, 0.75f, 0},
                                       {Kind::kLabel, 2, 1700000000001, 3, 0.75f, 1},
                                       {Kind::kLabel, 0, 1700000000000, 3, 0.25f, 0}};
  ASSERT_EQ(events.events.size(), std::size(expected));
  for (size_t i = 0; i < std::size(expected); ++i) ExpectEvent(events.events[i], expected[i], i);
  EXPECT_EQ(events.x, (std::vector<float>{1, 2, 3, 4, 5, 6, 5, 6, 1, 2}));

  // The current code, without shadows, writes the same bytes but for the times it stamps.
  testutil::TempDir again;
  {
    auto log = InferenceLog::Open(again.path(), TwoFeatures());
    ASSERT_TRUE(log.ok());
    const float a[2] = {1, 2}, b[4] = {3, 4, 5, 6}, pa = 0.25f, pb[2] = {0.5f, 0.75f};
    EXPECT_EQ((*log)->AppendPrediction("a", 3, a, 1, &pa), 0u);
    EXPECT_EQ((*log)->AppendPrediction("b", 3, b, 2, pb), 1u);
    ASSERT_TRUE((*log)->AddLabels({{"b", 1, 1.0f}}).ok());
    ASSERT_TRUE((*log)->AddLabels({{"a", 0, 0.0f}}).ok());
  }
  std::ifstream in(again.File("00000001.log"), std::ios::binary);
  std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_EQ(written.size(), old_log.size());
  // Times sit at payload offset 9 of each record: blank them in both, CRCs with them.
  auto without_times = [](std::string bytes) {
    for (size_t at = 0; at < bytes.size();) {
      uint32_t length = 0;
      std::memcpy(&length, bytes.data() + at, 4);
      std::memset(bytes.data() + at + 4, 0, 4);
      std::memset(bytes.data() + at + 8 + 9, 0, 8);
      at += 8 + length;
    }
    return bytes;
  };
  EXPECT_EQ(without_times(written), without_times(old_log));
}

TEST(InferenceLogTest, CutsATornShadowRecordLikeAnyOther) {
  testutil::TempDir dir;
  const std::string segment = dir.File("00000001.log");
  uint64_t good = 0;
  {
    auto log = InferenceLog::Open(dir.path(), TwoFeatures());
    ASSERT_TRUE(log.ok());
    Predict(**log, 0);
    ASSERT_TRUE((*log)->Flush().ok());
    good = FileSize(segment);
    const float q[1] = {0.5f};
    (*log)->AppendShadow(0, 5, 1, q);
    ASSERT_TRUE((*log)->Close().ok());
  }
  const uint64_t whole = FileSize(segment);
  ASSERT_EQ(whole - good, 8u + 29u + 4u);  // header, fixed part, one prediction
  fs::resize_file(segment, whole - 3);  // a crash in the middle of the shadow's write
  InferenceLog::ReplayReport report;
  {
    auto log = InferenceLog::Open(dir.path(), TwoFeatures());
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    report = (*log)->replay_report();
    EXPECT_EQ(FileSize(segment), good);
    ASSERT_TRUE((*log)->AddLabels({{"r0", 0, 1.0f}}).ok());
  }
  EXPECT_EQ(report.predictions, 1u);
  EXPECT_EQ(report.shadows, 0u);
  EXPECT_EQ(report.torn_bytes, whole - 3 - good);
  EXPECT_NE(report.torn_message.find("dropped a torn record at byte " + std::to_string(good)),
            std::string::npos)
      << report.torn_message;
  LogEvents events = Replay(dir.path(), TwoFeatures(), &report);
  const std::vector<LogEvents::Event> labels = Labels(events);
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0].shadow_version, 0) << "the torn shadow is gone";
  EXPECT_TRUE(report.torn_message.empty());
}

TEST(InferenceLogTest, AShadowRecordWhoseLengthDisagreesWithItsRowsIsDataLoss) {
  testutil::TempDir dir;
  {
    auto log = InferenceLog::Open(dir.path(), TwoFeatures());
    ASSERT_TRUE(log.ok());
    Predict(**log, 0);
  }
  std::string payload;
  Put(&payload, uint8_t{3});
  Put(&payload, uint64_t{0});
  Put(&payload, int64_t{1700000000000});
  Put(&payload, int64_t{5});
  Put(&payload, uint32_t{2});  // two rows, one prediction follows
  Put(&payload, 0.5f);
  const uint64_t at = FileSize(dir.File("00000001.log"));
  {
    std::ofstream out(dir.File("00000001.log"), std::ios::binary | std::ios::app);
    out << Record(payload);
  }
  auto log = InferenceLog::Open(dir.path(), TwoFeatures());
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(log.status().message().find("byte " + std::to_string(at) +
                                        ": a record with a valid CRC but an impossible layout "
                                        "(kind 3, 33 bytes)"),
            std::string::npos)
      << log.status().message();
}

}  // namespace
}  // namespace mlloop::serve
