#include "serve/inference_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace mlloop::serve {
namespace {

namespace fs = std::filesystem;

constexpr size_t kHeader = 8;  // u32 length, u32 CRC
constexpr uint8_t kPrediction = 1, kLabel = 2, kShadow = 3;
// Fixed parts of the payloads (the kind byte included).
constexpr size_t kPredictionFixed = 1 + 8 + 8 + 8 + 4 + 4 + 2;
constexpr size_t kLabelPayload = 1 + 8 + 8 + 4;
constexpr size_t kShadowFixed = 1 + 8 + 8 + 8 + 4;
// No record is this large (a request is at most a few MiB); a length past it is a torn or
// corrupt header, not a record to read.
constexpr uint32_t kMaxPayload = 1u << 30;
// Events handed to a replay callback at a time.
constexpr size_t kReplayChunk = 1 << 16;

template <typename T>
void Put(std::string* out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));  // the formats are little-endian; so is every target
  out->append(bytes, sizeof(T));
}
template <typename T>
T Get(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// The request id of a prediction record's payload (after the fixed part; its u16 length at
// byte 33).
std::string_view PredictionId(const char* payload) {
  return {payload + kPredictionFixed, Get<uint16_t>(payload + 33)};
}

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string SegmentName(uint64_t number) {
  char name[32];
  std::snprintf(name, sizeof(name), "%08llu.log", static_cast<unsigned long long>(number));
  return name;
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Unavailable(Errno("inference log: opening " + dir));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::Unavailable(Errno("inference log: syncing " + dir));
  return Status::Ok();
}

// The CRC-32 of zlib's crc32() (the same polynomial and bits, so logs written before are
// read unchanged), through libdeflate: 8 ns for an Elec2 record of 92 bytes against zlib's
// 90 ns, on the writer thread for every record.
uint32_t Crc(const char* p, size_t n) { return libdeflate_crc32(0, p, n); }

}  // namespace

std::string_view JoinResultName(JoinResult r) {
  switch (r) {
    case JoinResult::kJoined: return "joined";
    case JoinResult::kUnknownId: return "unknown_id";
    case JoinResult::kNoSuchRow: return "no_such_row";
    case JoinResult::kAlreadyLabelled: return "already_labelled";
  }
  return "?";
}

InferenceLog::InferenceLog(std::string dir, const Options& options)
    : dir_(std::move(dir)), options_(options), window_(options.width, options.join_window_rows) {
  queue_.width = options_.width;
  queue_events_ = options_.queue_events;
}

Result<std::unique_ptr<InferenceLog>> InferenceLog::Open(
    const std::string& dir, const Options& options,
    const std::function<void(const LogEvents&)>& replay) {
  if (options.width == 0) return Status::InvalidArgument("inference log: width must be > 0");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Unavailable("inference log: creating " + dir + ": " + ec.message());
  std::unique_ptr<InferenceLog> log(new InferenceLog(dir, options));
  log->buffer_.reserve(options.flush_bytes);
  MLLOOP_RETURN_IF_ERROR(log->Replay(replay));
  log->writer_ = std::thread([raw = log.get()] { raw->WriterLoop(); });
  return log;
}

InferenceLog::~InferenceLog() { Close().IgnoreError(); }

Status InferenceLog::Replay(const std::function<void(const LogEvents&)>& replay) {
  std::vector<uint64_t> numbers;
  for (const auto& entry : fs::directory_iterator(dir_)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 12 && name.ends_with(".log") &&
        std::all_of(name.begin(), name.begin() + 8, [](char c) { return c >= '0' && c <= '9'; })) {
      numbers.push_back(std::stoull(name.substr(0, 8)));
    }
  }
  std::sort(numbers.begin(), numbers.end());
  replay_report_.segments = numbers.size();
  LogEvents events;
  events.width = options_.width;
  LogEvents* sink = replay ? &events : nullptr;
  uint64_t last_size = 0;
  for (size_t s = 0; s < numbers.size(); ++s) {
    const std::string path = dir_ + "/" + SegmentName(numbers[s]);
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::Unavailable(Errno("inference log: reading " + path));
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const bool last = s + 1 == numbers.size();
    size_t at = 0;
    std::string problem;
    while (at < bytes.size()) {
      if (bytes.size() - at < kHeader) {
        problem = "a record header cut short (" + std::to_string(bytes.size() - at) + " of 8 bytes)";
        break;
      }
      const uint32_t length = Get<uint32_t>(bytes.data() + at);
      const uint32_t crc = Get<uint32_t>(bytes.data() + at + 4);
      if (length == 0 || length > kMaxPayload || length > bytes.size() - at - kHeader) {
        problem = "a record of " + std::to_string(length) + " bytes with " +
                  std::to_string(bytes.size() - at - kHeader) + " left in the file";
        break;
      }
      const char* payload = bytes.data() + at + kHeader;
      if (Crc(payload, length) != crc) {
        problem = "a record whose CRC does not match its bytes";
        break;
      }
      const uint8_t kind = static_cast<uint8_t>(payload[0]);
      const bool well_formed =
          (kind == kLabel && length == kLabelPayload) ||
          (kind == kShadow && length >= kShadowFixed &&
           length == kShadowFixed + 4ull * Get<uint32_t>(payload + 25)) ||
          (kind == kPrediction && length >= kPredictionFixed &&
           [&] {
             const uint32_t rows = Get<uint32_t>(payload + 25);
             const uint32_t width = Get<uint32_t>(payload + 29);
             const uint16_t id_len = Get<uint16_t>(payload + 33);
             return width == options_.width &&
                    length == kPredictionFixed + id_len + 4ull * (uint64_t{rows} * width + rows);
           }());
      if (!well_formed) {
        if (kind == kPrediction && length >= kPredictionFixed &&
            Get<uint32_t>(payload + 29) != options_.width) {
          return Status::FailedPrecondition(
              "inference log " + path + " byte " + std::to_string(at) + ": rows of " +
              std::to_string(Get<uint32_t>(payload + 29)) + " features, but the model has " +
              std::to_string(options_.width) + "; give this model its own log directory");
        }
        return Status::DataLoss("inference log " + path + " byte " + std::to_string(at) +
                                ": a record with a valid CRC but an impossible layout (kind " +
                                std::to_string(kind) + ", " + std::to_string(length) + " bytes)");
      }
      {
        std::lock_guard lock(index_mu_);
        if (kind == kPrediction) {
          IndexPrediction(payload, length, sink);
          // New rows are numbered after the replayed ones. Only here: live, the request
          // threads number rows under mu_, which the indexing thread does not hold.
          next_row_id_ = std::max(next_row_id_, Get<uint64_t>(payload + 1) +
                                                    Get<uint32_t>(payload + 25));
          ++replay_report_.predictions;
        } else if (kind == kLabel) {
          IndexLabel(payload, length, sink);
          ++replay_report_.labels;
        } else {
          IndexShadow(payload, length);
          ++replay_report_.shadows;
        }
      }
      if (sink && events.events.size() >= kReplayChunk) {
        replay(events);
        events.Clear();
      }
      at += kHeader + length;
    }
    if (!problem.empty()) {
      if (!last) {
        return Status::DataLoss("inference log " + path + " byte " + std::to_string(at) + ": " +
                                problem + ", and later segments follow; move the log aside " +
                                "or cut it at that byte to serve again");
      }
      replay_report_.torn_bytes = bytes.size() - at;
      replay_report_.torn_message =
          "inference log " + path + ": dropped a torn record at byte " + std::to_string(at) +
          " (" + problem + "; " + std::to_string(replay_report_.torn_bytes) +
          " bytes cut): a write cut short by a crash, never acknowledged";
    }
    last_size = at;
  }
  if (sink && !events.events.empty()) replay(events);
  if (numbers.empty()) return OpenSegment(1, false, 0);
  return OpenSegment(numbers.back(), replay_report_.torn_bytes > 0, last_size);
}

Status InferenceLog::OpenSegment(uint64_t number, bool truncate, uint64_t size) {
  const std::string path = dir_ + "/" + SegmentName(number);
  const bool created = !fs::exists(path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Unavailable(Errno("inference log: opening " + path));
  if (truncate && (::ftruncate(fd, static_cast<off_t>(size)) != 0 || ::fdatasync(fd) != 0)) {
    ::close(fd);
    return Status::Unavailable(Errno("inference log: cutting the torn tail of " + path));
  }
  if (created) {
    Status synced = SyncDirectory(dir_);
    if (!synced.ok()) {
      ::close(fd);
      return synced;
    }
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  segment_number_ = number;
  segment_size_ = size;
  return Status::Ok();
}

void InferenceLog::WaitForRoom(std::unique_lock<std::mutex>& lock) {
  if (buffer_.size() < options_.max_buffer_bytes || stop_) return;
  // The disk is not keeping up: wait for the writer rather than lose a record.
  ++waiters_;
  wake_writer_.notify_one();
  progress_.wait(lock, [&] { return buffer_.size() < options_.max_buffer_bytes || stop_; });
  --waiters_;
}

uint64_t InferenceLog::AppendPrediction(std::string_view request_id, int64_t version,
                                        const float* x, size_t rows, const float* predictions) {
  const size_t width = options_.width;
  const uint16_t id_len = static_cast<uint16_t>(std::min<size_t>(request_id.size(), 0xffff));
  const size_t payload = kPredictionFixed + id_len + 4 * (rows * width + rows);
  const int64_t now = NowMillis();
  std::unique_lock lock(mu_);
  WaitForRoom(lock);
  // Appended piece by piece: no zero-filling, and the buffer keeps its capacity between
  // batches (the writer hands back the one it wrote), so the common case is a few memcpys.
  char head[kHeader + kPredictionFixed];
  char* p = head;
  auto put = [&p](const void* v, size_t n) {
    std::memcpy(p, v, n);
    p += n;
  };
  const uint32_t length = static_cast<uint32_t>(payload), crc = 0;  // the writer sets the CRC
  const uint8_t kind = kPrediction;
  const uint32_t rows32 = static_cast<uint32_t>(rows), width32 = static_cast<uint32_t>(width);
  put(&length, 4);
  put(&crc, 4);
  put(&kind, 1);
  put(&next_row_id_, 8);
  put(&now, 8);
  put(&version, 8);
  put(&rows32, 4);
  put(&width32, 4);
  put(&id_len, 2);
  buffer_.append(head, sizeof(head));
  buffer_.append(request_id.data(), id_len);
  buffer_.append(reinterpret_cast<const char*>(x), 4 * rows * width);
  buffer_.append(reinterpret_cast<const char*>(predictions), 4 * rows);
  const uint64_t first_row = next_row_id_;
  next_row_id_ += rows;
  appended_ += kHeader + payload;
  if (buffer_.size() >= options_.flush_bytes) wake_writer_.notify_one();
  return first_row;
}

void InferenceLog::AppendShadow(uint64_t first_row, int64_t version, size_t rows,
                                const float* predictions) {
  const size_t payload = kShadowFixed + 4 * rows;
  const int64_t now = NowMillis();
  std::unique_lock lock(mu_);
  WaitForRoom(lock);
  Put(&buffer_, static_cast<uint32_t>(payload));
  Put(&buffer_, uint32_t{0});  // the writer sets the CRC
  Put(&buffer_, kShadow);
  Put(&buffer_, first_row);
  Put(&buffer_, now);
  Put(&buffer_, version);
  Put(&buffer_, static_cast<uint32_t>(rows));
  buffer_.append(reinterpret_cast<const char*>(predictions), 4 * rows);
  appended_ += kHeader + payload;
  if (buffer_.size() >= options_.flush_bytes) wake_writer_.notify_one();
}

void InferenceLog::IndexPrediction(const char* p, size_t n, LogEvents* events) {
  (void)n;
  const uint64_t first_row = Get<uint64_t>(p + 1);
  const int64_t time_ms = Get<int64_t>(p + 9);
  const int64_t version = Get<int64_t>(p + 17);
  const uint32_t rows = Get<uint32_t>(p + 25);
  const size_t width = options_.width;
  const std::string_view id = PredictionId(p);
  // The record's floats may be unaligned in the batch: copy them out once.
  const char* floats = id.data() + id.size();
  rows_scratch_.resize(size_t{rows} * (width + 1));
  std::memcpy(rows_scratch_.data(), floats, 4 * rows_scratch_.size());
  const float* x = rows_scratch_.data();
  const float* preds = x + size_t{rows} * width;
  // `events` is the replay's batch, the consumer's queue (live), or null.
  if (events != nullptr) {
    for (uint32_t r = 0; r < rows; ++r) {
      if (events == &queue_ && queued_predictions_ >= options_.max_queued_predictions) {
        ++dropped_events_;
        continue;
      }
      if (events == &queue_) ++queued_predictions_;
      events->events.push_back({LogEvents::Kind::kPrediction, first_row + r, time_ms, version,
                                preds[r], 0.0f});
      events->x.insert(events->x.end(), x + r * width, x + (r + 1) * width);
    }
  }
  window_.Add(first_row, time_ms, version, id, rows, x, preds);
}

void InferenceLog::IndexShadow(const char* p, size_t n) {
  (void)n;
  const uint64_t first_row = Get<uint64_t>(p + 1);
  const int64_t version = Get<int64_t>(p + 17);
  const uint32_t rows = Get<uint32_t>(p + 25);
  JoinWindow::Row* first = window_.Find(first_row);
  // Its prediction left the join window (or the record names no prediction's rows): there
  // is no label left to carry it.
  if (first == nullptr || first->index != 0 || rows != first->rows) return;
  for (uint32_t r = 0; r < rows; ++r) {
    JoinWindow::Row* row = window_.Find(first_row + r);
    row->shadow_version = version;
    row->shadow_prediction = Get<float>(p + kShadowFixed + 4 * size_t{r});
  }
}

void InferenceLog::IndexLabel(const char* p, size_t n, LogEvents* events) {
  (void)n;
  const uint64_t row_id = Get<uint64_t>(p + 1);
  const float label = Get<float>(p + 17);
  JoinWindow::Row* row = window_.Find(row_id);
  if (row == nullptr) {
    ++dropped_events_;  // its prediction left the join window before the label was indexed
    return;
  }
  row->labelled = true;
  if (events == nullptr) return;
  const float* x = window_.Features(row_id);
  events->events.push_back({LogEvents::Kind::kLabel, row_id, row->time_ms, row->version,
                            row->prediction, label, row->shadow_version,
                            row->shadow_prediction});
  events->x.insert(events->x.end(), x, x + options_.width);
}

void InferenceLog::ProcessBatch(std::string* batch) {
  // Each prediction's request id lands on a random slot of the join window's table, which
  // at a million rows is far out of cache: a miss of a few hundred nanoseconds per record,
  // most of the writer's time (docs/BENCHMARKS.md, "Serving"). Walking the batch with the
  // slot of a record a few places ahead already requested overlaps those misses.
  constexpr size_t kAhead = 8;
  batch_records_.clear();
  for (size_t at = 0; at < batch->size(); at += kHeader + Get<uint32_t>(batch->data() + at)) {
    batch_records_.push_back(at);
  }
  std::lock_guard lock(index_mu_);
  LogEvents* events = queue_events_ ? &queue_ : nullptr;
  for (size_t i = 0; i < batch_records_.size(); ++i) {
    if (i + kAhead < batch_records_.size()) {
      const char* ahead = batch->data() + batch_records_[i + kAhead] + kHeader;
      if (static_cast<uint8_t>(ahead[0]) == kPrediction) {
        window_.Prefetch(PredictionId(ahead));
      }
    }
    char* record = batch->data() + batch_records_[i];
    const uint32_t length = Get<uint32_t>(record);
    const char* payload = record + kHeader;
    const uint32_t crc = Crc(payload, length);
    std::memcpy(record + 4, &crc, 4);
    const uint8_t kind = static_cast<uint8_t>(payload[0]);
    if (kind == kPrediction) {
      IndexPrediction(payload, length, events);
      rows_logged_.fetch_add(Get<uint32_t>(payload + 25), std::memory_order_relaxed);
    } else if (kind == kLabel) {
      IndexLabel(payload, length, events);
    } else {
      IndexShadow(payload, length);
    }
  }
}

Status InferenceLog::WriteBatch(const std::string& batch) {
  if (segment_size_ >= options_.segment_bytes) {
    MLLOOP_RETURN_IF_ERROR(OpenSegment(segment_number_ + 1, false, 0));
  }
  const char* p = batch.data();
  size_t left = batch.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Status::Unavailable(Errno("inference log: writing " + dir_ + "/" +
                                       SegmentName(segment_number_)));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) {
    return Status::Unavailable(Errno("inference log: syncing " + dir_ + "/" +
                                     SegmentName(segment_number_)));
  }
  segment_size_ += batch.size();
  bytes_written_.fetch_add(batch.size(), std::memory_order_relaxed);
  return Status::Ok();
}

void InferenceLog::WriterLoop() {
  std::string batch;  // taken from the buffer, being indexed
  batch.reserve(options_.flush_bytes);
  std::string pending;  // indexed (CRCs filled in), not yet written
  uint64_t pending_end = 0;
  auto last_write = std::chrono::steady_clock::now();
  const auto tick = std::min(options_.index_interval, options_.flush_interval);
  std::unique_lock lock(mu_);
  while (true) {
    // A waiter is satisfied once everything it waits for is indexed and written: with the
    // buffer and `pending` empty it already is, so only then is there nothing to wake for.
    // Appenders do not wake it for every record: it looks in every index interval.
    wake_writer_.wait_for(lock, tick, [&] {
      return stop_ || buffer_.size() >= options_.flush_bytes ||
             (waiters_ > 0 && (!buffer_.empty() || !pending.empty()));
    });
    if (!buffer_.empty()) {
      batch.clear();
      batch.swap(buffer_);
      const uint64_t end = appended_;
      progress_.notify_all();  // room in the buffer again
      lock.unlock();
      ProcessBatch(&batch);
      if (pending.empty()) {
        pending.swap(batch);
      } else {
        pending.append(batch);
      }
      lock.lock();
      indexed_ = pending_end = end;
      progress_.notify_all();
    }
    const auto now = std::chrono::steady_clock::now();
    const bool due = stop_ || waiters_ > 0 || pending.size() >= options_.flush_bytes ||
                     now - last_write >= options_.flush_interval;
    if (due && !pending.empty()) {
      lock.unlock();
      Status written = write_error_.ok() ? WriteBatch(pending) : write_error_;
      lock.lock();
      if (!written.ok() && write_error_.ok()) write_error_ = written;
      if (written.ok()) durable_ = pending_end;
      progress_.notify_all();
      pending.clear();
      last_write = now;
    }
    if (stop_ && buffer_.empty() && pending.empty()) {
      writer_done_ = true;
      progress_.notify_all();
      return;
    }
    if (batch.capacity() > 4 * options_.flush_bytes) std::string().swap(batch);
    if (pending.capacity() > 4 * options_.flush_bytes) std::string().swap(pending);
  }
}

Status InferenceLog::WaitFor(bool durable) {
  std::unique_lock lock(mu_);
  const uint64_t target = appended_;
  ++waiters_;
  wake_writer_.notify_one();
  progress_.wait(lock, [&] {
    return (durable ? durable_ : indexed_) >= target || !write_error_.ok() || writer_done_;
  });
  --waiters_;
  if (durable && durable_ < target) {
    return write_error_.ok() ? Status::Unavailable("inference log " + dir_ + " is closed")
                             : write_error_;
  }
  return Status::Ok();
}

Status InferenceLog::Flush() { return WaitFor(/*durable=*/true); }

Result<std::vector<JoinResult>> InferenceLog::AddLabels(const std::vector<LabelItem>& items) {
  {
    std::lock_guard lock(mu_);
    if (stop_) return Status::Unavailable("inference log " + dir_ + " is closed");
  }
  // Predictions answered before this call may still be in the buffer: index them first.
  MLLOOP_RETURN_IF_ERROR(WaitFor(/*durable=*/false));
  std::vector<JoinResult> results(items.size(), JoinResult::kUnknownId);
  const int64_t now = NowMillis();
  {
    std::lock_guard index_lock(index_mu_);
    std::lock_guard lock(mu_);  // order: index_mu_, then mu_ (the writer never holds both)
    for (size_t i = 0; i < items.size(); ++i) {
      const LabelItem& item = items[i];
      uint64_t first_row = 0;
      if (!window_.FirstRowOf(item.request_id, &first_row)) continue;
      JoinWindow::Row* row = window_.Find(first_row);
      if (item.row >= row->rows) {
        results[i] = JoinResult::kNoSuchRow;
        continue;
      }
      row = window_.Find(first_row + item.row);
      if (row->labelled) {
        results[i] = JoinResult::kAlreadyLabelled;
        continue;
      }
      row->labelled = true;
      results[i] = JoinResult::kJoined;
      const uint32_t length = kLabelPayload, crc = 0;
      Put(&buffer_, length);
      Put(&buffer_, crc);
      Put(&buffer_, kLabel);
      Put(&buffer_, first_row + item.row);
      Put(&buffer_, now);
      Put(&buffer_, item.label);
      appended_ += kHeader + kLabelPayload;
    }
  }
  MLLOOP_RETURN_IF_ERROR(WaitFor(/*durable=*/true));
  return results;
}

void InferenceLog::TakeEvents(LogEvents* out) {
  out->Clear();
  out->width = options_.width;
  std::lock_guard lock(index_mu_);
  std::swap(out->events, queue_.events);
  std::swap(out->x, queue_.x);
  queued_predictions_ = 0;
}

void InferenceLog::StopEvents() {
  std::lock_guard lock(index_mu_);
  queue_events_ = false;
  queue_.Clear();
  queued_predictions_ = 0;
}

Status InferenceLog::Close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return write_error_;
    closed_ = true;
    stop_ = true;
    wake_writer_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  std::lock_guard lock(mu_);
  progress_.notify_all();
  return write_error_;
}

uint64_t InferenceLog::rows_logged() const { return rows_logged_.load(std::memory_order_relaxed); }
uint64_t InferenceLog::bytes_written() const {
  return bytes_written_.load(std::memory_order_relaxed);
}
uint64_t InferenceLog::dropped_events() const {
  std::lock_guard lock(index_mu_);
  return dropped_events_;
}

}  // namespace mlloop::serve
