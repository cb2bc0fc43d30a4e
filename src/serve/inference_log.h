// InferenceLog: every prediction a model served (request id, version, time, feature rows,
// predictions), every shadow prediction of those rows (a challenger's answers, never
// returned) and every label joined to one, in append-only segment files, written in batches by
// a background thread. The request thread only copies its record into a buffer.
//
// On disk: DIR/NNNNNNNN.log segments (a new one past Options::segment_bytes), each a run of
//   [u32 payload length][u32 CRC-32 of the payload][payload]        (little-endian)
// payload: u8 kind, then
//   prediction (1): u64 first row id, i64 time (ms), i64 version, u32 rows, u32 width,
//                   u16 request id length, the id, rows*width f32 features, rows f32 predictions
//   label (2):      u64 row id, i64 time (ms), f32 label
//   shadow (3):     u64 first row id, i64 time (ms), i64 version, u32 rows, rows f32 predictions
// Every row of every prediction gets the next row id (a request of 3 rows takes 3), so a
// label names exactly one row. A shadow record (a challenger's answers in shadow, never
// served) names the rows of the prediction it shadows by that record's first row id and row
// count, and comes after it; it takes no row ids and is not a prediction (rows_logged(),
// ReplayReport::predictions). Logs written before shadow records existed hold kinds 1 and 2
// only and replay as they always did.
//
// Durability ("acknowledged"): every Options::index_interval the writer takes what was
// appended, fills in the CRCs and indexes it (joins, TakeEvents); every flush_interval (or
// sooner when a caller waits, or past flush_bytes) it writes what it indexed with one
// write() and fdatasync()s it. So:
//   - AddLabels() returns only after its label records, and everything appended before them
//     (the predictions they join), are fsynced: a 200 from the feedback endpoint is the
//     acknowledgement, and nothing acknowledged is lost, by a crash or by power loss;
//   - a prediction's own response is not an acknowledgement: its record is in the file
//     (fsynced) within flush_interval of the response; a crash loses at most the records of
//     that last interval; Flush() and Close() (SIGTERM) write and fsync everything appended.
// Open() replays the segments: a torn record at the end of the last segment (a crash during
// a write) is cut off and reported in replay_report(); a bad record anywhere else is
// DataLoss naming the file and byte.
//
// Joins: labels are joined by request id (and row, for batch requests) to the predictions
// still in the join window, the newest Options::join_window_rows rows (older ones are too
// late: reported per item). A request id seen twice joins its latest prediction. A shadow
// record joins the window's prediction it names (one that left the window is ignored), and a
// label of a shadowed row carries the shadow's version and prediction in its event — when
// the shadow record came before the label in the log, as it does when the shadow predicts
// before the response is sent (PredictionService).
//
// Thread-safety: AppendPrediction, AppendShadow, AddLabels, Flush and TakeEvents may be called
// from any threads at once; Close from one.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/status.h"
#include "serve/join_window.h"

namespace mlloop::serve {

// What the log hands to its consumer (the controller of `mlloop serve`), in log order: every
// predicted row, and every label with the row it joined (and the row's shadow prediction, if
// any). Shadow records have no events of their own.
struct LogEvents {
  enum class Kind : uint8_t { kPrediction, kLabel };
  struct Event {
    Kind kind;
    uint64_t row_id;
    int64_t time_ms;     // of the prediction (for a label too: the row's time)
    int64_t version;     // the version that predicted the row
    float prediction;
    float label;         // kLabel only
    int64_t shadow_version = 0;  // kLabel: the version that predicted this row in shadow (0: none)
    float shadow_prediction = 0;
  };
  size_t width = 0;
  std::vector<Event> events;
  std::vector<float> x;  // events.size() * width: the row's features, for both kinds

  void Clear() {
    events.clear();
    x.clear();
  }
};

// One label from the feedback endpoint.
struct LabelItem {
  std::string request_id;
  uint32_t row = 0;  // row of a batch request; 0 for single-row requests
  float label = 0;
};

// What happened to one LabelItem.
enum class JoinResult : uint8_t {
  kJoined,       // recorded, joined to its prediction
  kUnknownId,    // no prediction with this id in the join window
  kNoSuchRow,    // the request had fewer rows
  kAlreadyLabelled,
};
std::string_view JoinResultName(JoinResult r);

class InferenceLog {
 public:
  struct Options {
    size_t width = 0;  // features per row; REQUIRES: > 0
    std::chrono::milliseconds flush_interval{50};  // records are written and fsynced this often
    // ... and indexed (joinable, and handed to TakeEvents) this often, in small batches: the
    // writer's CPU comes in slices of a few records rather than one burst per flush, which
    // took a core from the request threads for milliseconds (docs/DECISIONS.md).
    std::chrono::milliseconds index_interval{5};
    size_t flush_bytes = 1 << 20;       // the writer wakes early past this much buffered
    size_t max_buffer_bytes = 64 << 20; // appenders wait past this (a stalled disk)
    uint64_t segment_bytes = 64 << 20;
    size_t join_window_rows = 1'000'000;
    // Keep LogEvents for TakeEvents(); when false nothing is queued. At most
    // max_queued_predictions prediction events wait (labels always queue); beyond that they
    // are dropped and counted, so a stalled consumer cannot exhaust memory.
    bool queue_events = false;
    size_t max_queued_predictions = 1'000'000;
  };

  // What Open() found in the existing segments.
  struct ReplayReport {
    size_t segments = 0;
    uint64_t predictions = 0;  // rows
    uint64_t labels = 0;
    uint64_t shadows = 0;      // shadow records (not counted in `predictions`)
    uint64_t torn_bytes = 0;   // cut off the end of the last segment
    std::string torn_message;  // empty when nothing was cut
  };

  // Opens (creating) the log in `dir`, replays its segments — rebuilding the join window and,
  // when `replay` is given, handing it every event in log order, in chunks — and starts the
  // writer. Unavailable naming the path when the directory or a file cannot be used;
  // DataLoss naming the file and byte for a bad record before the end of the log.
  static Result<std::unique_ptr<InferenceLog>> Open(
      const std::string& dir, const Options& options,
      const std::function<void(const LogEvents&)>& replay = nullptr);

  ~InferenceLog();  // Close()
  InferenceLog(const InferenceLog&) = delete;
  InferenceLog& operator=(const InferenceLog&) = delete;

  // The hot path: copies one request's record into the buffer and returns the row id of its
  // first row (its rows are that id and the next rows-1); the writer does the rest. `x` is
  // rows*width features, `predictions` rows values. Waits only when max_buffer_bytes are
  // already buffered. A request id longer than 65,535 bytes is cut.
  uint64_t AppendPrediction(std::string_view request_id, int64_t version, const float* x,
                            size_t rows, const float* predictions);

  // Records `version`'s shadow predictions (`rows` values, never returned) of the rows that
  // AppendPrediction returned `first_row` for; copies into the buffer as AppendPrediction
  // does. REQUIRES: after that AppendPrediction, with its row count; only for a shadow that
  // succeeded (a failed one logs nothing).
  void AppendShadow(uint64_t first_row, int64_t version, size_t rows, const float* predictions);

  // Joins each item to its prediction, appends the label records and returns once they are
  // fsynced (see the file comment), with one result per item. Unavailable when the log
  // cannot be written (nothing of the batch is acknowledged then).
  Result<std::vector<JoinResult>> AddLabels(const std::vector<LabelItem>& items);

  // Writes and fsyncs everything appended so far. Unavailable after a write error.
  Status Flush();

  // Moves the queued events into *out (cleared first). Options::queue_events only.
  void TakeEvents(LogEvents* out);
  // Stops queueing events and drops those queued (the consumer has gone).
  void StopEvents();

  // Flushes and stops the writer. Idempotent. Returns the writer's first error, if any.
  Status Close();

  const ReplayReport& replay_report() const { return replay_report_; }
  const std::string& dir() const { return dir_; }
  // Counters for /metrics and tests.
  uint64_t rows_logged() const;
  uint64_t bytes_written() const;
  uint64_t dropped_events() const;

 private:
  InferenceLog(std::string dir, const Options& options);
  Status Replay(const std::function<void(const LogEvents&)>& replay);
  Status OpenSegment(uint64_t number, bool truncate_to, uint64_t size);
  void WriterLoop();
  // Indexes the records of `batch` (and queues their events); fills in their CRCs.
  // Index*: one record's payload into the join window, its events into `events` (the
  // replay's batch, the consumer's queue_, or null). REQUIRES: index_mu_ held.
  void ProcessBatch(std::string* batch);
  void IndexPrediction(const char* p, size_t n, LogEvents* events);
  void IndexLabel(const char* p, size_t n, LogEvents* events);
  void IndexShadow(const char* p, size_t n);
  Status WriteBatch(const std::string& batch);
  // Waits until everything appended before the call is indexed (and fsynced when `durable`).
  Status WaitFor(bool durable);
  // Waits while max_buffer_bytes are buffered (a stalled disk). REQUIRES: `lock` holds mu_.
  void WaitForRoom(std::unique_lock<std::mutex>& lock);

  const std::string dir_;
  const Options options_;
  ReplayReport replay_report_;

  // The append buffer.
  std::mutex mu_;
  std::condition_variable wake_writer_;   // with mu_
  std::condition_variable progress_;      // with mu_: indexed_/durable_ moved, or space freed
  std::string buffer_;                    // guarded by mu_
  uint64_t next_row_id_ = 0;              // guarded by mu_
  uint64_t appended_ = 0;                 // batches' end marks: bytes ever appended; mu_
  uint64_t indexed_ = 0;                  // bytes indexed (mu_)
  uint64_t durable_ = 0;                  // bytes fsynced (mu_)
  size_t waiters_ = 0;                    // callers waiting for the writer (mu_)
  bool stop_ = false;                     // mu_
  bool writer_done_ = false;              // mu_: the writer has exited
  Status write_error_;                    // the writer's first failure (mu_)

  // The join window and the event queue.
  mutable std::mutex index_mu_;
  JoinWindow window_;                                    // index_mu_
  std::vector<float> rows_scratch_;                      // a record's floats; index_mu_
  std::vector<size_t> batch_records_;                    // ProcessBatch's offsets; writer
  LogEvents queue_;                                      // index_mu_
  bool queue_events_ = false;                            // index_mu_
  size_t queued_predictions_ = 0;                        // index_mu_
  uint64_t dropped_events_ = 0;                          // index_mu_

  // The writer's own state.
  int fd_ = -1;
  uint64_t segment_number_ = 0;
  uint64_t segment_size_ = 0;
  std::atomic<uint64_t> bytes_written_{0};
  std::atomic<uint64_t> rows_logged_{0};
  std::thread writer_;
  bool closed_ = false;
};

}  // namespace mlloop::serve
