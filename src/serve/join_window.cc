#include "serve/join_window.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <new>

namespace mlloop::serve {
namespace {

// Anonymous memory with its pages already mapped (and zeroed): one system call instead of a
// page fault per 4 KiB as the window fills.
void* MapPopulated(size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}

uint64_t HashId(std::string_view id) { return std::hash<std::string_view>()(id); }

constexpr size_t kFirstSlots = size_t{1} << 12;
// Request-id bytes a chunk keeps in its own mapping per row: the ids `mlloop serve` makes are
// about 20 bytes; longer ones (a UUID is 36) may spill into the chunk's `overflow`.
constexpr size_t kIdBytesPerRow = 32;

}  // namespace

struct JoinWindow::Chunk {
  explicit Chunk(size_t width)
      : bytes(kChunkRows * (sizeof(Row) + 4 * width + kIdBytesPerRow)),
        base(MapPopulated(bytes)),
        rows(static_cast<Row*>(base)),
        x(reinterpret_cast<float*>(rows + kChunkRows)),
        ids(reinterpret_cast<char*>(x + kChunkRows * width)) {}
  ~Chunk() { ::munmap(base, bytes); }
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;

  // Keeps `id` and returns where: an offset into `ids`, or past kIdCapacity into `overflow`.
  uint32_t AddId(std::string_view id) {
    if (overflow.empty() && ids_used + id.size() <= kIdCapacity) {
      std::memcpy(ids + ids_used, id.data(), id.size());
      ids_used += id.size();
      return static_cast<uint32_t>(ids_used - id.size());
    }
    const size_t at = kIdCapacity + overflow.size();
    overflow.append(id);
    return static_cast<uint32_t>(at);
  }
  std::string_view Id(uint32_t at, uint16_t size) const {
    if (at < kIdCapacity) return {ids + at, size};
    return {overflow.data() + (at - kIdCapacity), size};
  }
  void Reset() {
    ids_used = 0;
    overflow.clear();
  }

  static constexpr size_t kIdCapacity = kChunkRows * kIdBytesPerRow;
  const size_t bytes;
  void* const base;
  Row* const rows;
  float* const x;
  char* const ids;
  size_t ids_used = 0;
  std::string overflow;  // ids past kIdCapacity (long ids); kept, like the chunk, for reuse
};

JoinWindow::JoinWindow(size_t width, size_t max_rows)
    : width_(width),
      max_rows_(max_rows),
      table_(static_cast<Slot*>(MapPopulated(kFirstSlots * sizeof(Slot)))),
      slots_(kFirstSlots) {}

JoinWindow::~JoinWindow() { ::munmap(table_, slots_ * sizeof(Slot)); }

JoinWindow::Chunk& JoinWindow::ChunkOf(uint64_t row_id) const {
  return *chunks_[static_cast<size_t>(row_id / kChunkRows - first_chunk_)];
}

JoinWindow::Row* JoinWindow::Find(uint64_t row_id) {
  if (row_id < begin_ || row_id >= end_) return nullptr;
  return &ChunkOf(row_id).rows[row_id % kChunkRows];
}

const float* JoinWindow::Features(uint64_t row_id) const {
  return ChunkOf(row_id).x + (row_id % kChunkRows) * width_;
}

std::string_view JoinWindow::IdOf(uint64_t first_row) const {
  const Chunk& chunk = ChunkOf(first_row);
  const Row& row = chunk.rows[first_row % kChunkRows];
  return chunk.Id(row.id_at, row.id_size);
}

JoinWindow::Slot* JoinWindow::Lookup(uint64_t hash, std::string_view id) const {
  for (size_t i = SlotOf(hash);; i = (i + 1) & (slots_ - 1)) {
    Slot& slot = table_[i];
    if (slot.row_plus_one == 0) return nullptr;
    if (slot.hash == hash && IdOf(slot.row_plus_one - 1) == id) return &slot;
  }
}

void JoinWindow::Prefetch(std::string_view id) const { PrefetchSlot(HashId(KeyOf(id))); }

void JoinWindow::PrefetchSlot(uint64_t hash) const {
  __builtin_prefetch(&table_[SlotOf(hash)], /*write=*/1);
}

bool JoinWindow::FirstRowOf(std::string_view id, uint64_t* first_row) const {
  const std::string_view key = KeyOf(id);
  const Slot* slot = Lookup(HashId(key), key);
  if (slot == nullptr) return false;
  *first_row = slot->row_plus_one - 1;
  return true;
}

JoinWindow::Chunk& JoinWindow::ChunkFor(uint64_t row_id) {
  while (row_id / kChunkRows - first_chunk_ >= chunks_.size()) {
    if (spare_.empty()) {
      chunks_.push_back(std::make_unique<Chunk>(width_));
    } else {
      chunks_.push_back(std::move(spare_.back()));
      spare_.pop_back();
      chunks_.back()->Reset();
    }
  }
  return ChunkOf(row_id);
}

void JoinWindow::Add(uint64_t first_row, int64_t time_ms, int64_t version, std::string_view id,
                     uint32_t rows, const float* x, const float* predictions) {
  if (rows == 0) return;
  const std::string_view key = KeyOf(id);
  if (first_row != end_ || begin_ == end_) {
    Clear();
    begin_ = end_ = first_row;
    first_chunk_ = first_row / kChunkRows;
  }
  for (uint32_t r = 0; r < rows; ++r) {
    const uint64_t row_id = first_row + r;
    Chunk& chunk = ChunkFor(row_id);
    Row& row = chunk.rows[row_id % kChunkRows];
    row = Row{time_ms, version, 0, r, rows, predictions[r], 0.0f, 0, 0, false};
    std::memcpy(chunk.x + (row_id % kChunkRows) * width_, x + r * width_, 4 * width_);
    if (r == 0) {
      row.id_size = static_cast<uint16_t>(key.size());
      row.id_at = chunk.AddId(key);
    }
  }
  end_ = first_row + rows;
  ++requests_;
  // A repeated id names its newest request; the older one stays in the window unnamed.
  const uint64_t hash = HashId(key);
  if (Slot* named = Lookup(hash, key)) {
    named->row_plus_one = first_row + 1;
  } else {
    Insert(hash, first_row);
  }
  while (end_ - begin_ > max_rows_ && requests_ > 1) DropOldest();
}

void JoinWindow::DropOldest() {
  // The table slot of a request a little further along is wanted soon by a later drop:
  // start loading it now (a full window drops one request for every one added).
  constexpr uint64_t kAhead = 8;
  if (end_ - begin_ > kAhead) {
    const uint64_t ahead = begin_ + kAhead;
    if (ChunkOf(ahead).rows[ahead % kChunkRows].index == 0) {
      PrefetchSlot(HashId(IdOf(ahead)));
    }
  }
  const Row& oldest = ChunkOf(begin_).rows[begin_ % kChunkRows];
  Erase(HashId(IdOf(begin_)), begin_);
  begin_ += oldest.rows;
  --requests_;
  while (!chunks_.empty() && (first_chunk_ + 1) * kChunkRows <= begin_) {
    spare_.push_back(std::move(chunks_.front()));
    chunks_.pop_front();
    ++first_chunk_;
  }
}

void JoinWindow::Clear() {
  while (!chunks_.empty()) {
    spare_.push_back(std::move(chunks_.front()));
    chunks_.pop_front();
  }
  if (used_ > 0) std::memset(static_cast<void*>(table_), 0, slots_ * sizeof(Slot));
  used_ = 0;
  requests_ = 0;
  begin_ = end_ = 0;
}

void JoinWindow::Insert(uint64_t hash, uint64_t first_row) {
  if (2 * (used_ + 1) > slots_) Grow();
  Place(Slot{hash, first_row + 1});
  ++used_;
}

void JoinWindow::Place(const Slot& slot) {
  size_t i = SlotOf(slot.hash);
  while (table_[i].row_plus_one != 0) i = (i + 1) & (slots_ - 1);
  table_[i] = slot;
}

void JoinWindow::Erase(uint64_t hash, uint64_t first_row) {
  const size_t mask = slots_ - 1;
  size_t i = SlotOf(hash);
  while (true) {
    if (table_[i].row_plus_one == 0) return;  // a later request of the same id took the name
    if (table_[i].row_plus_one == first_row + 1) break;
    i = (i + 1) & mask;
  }
  // Backward shift: move each later entry of the probe run whose home slot is not between
  // the hole and itself into the hole, so that no lookup meets an empty slot too early.
  for (size_t j = (i + 1) & mask; table_[j].row_plus_one != 0; j = (j + 1) & mask) {
    const size_t home = SlotOf(table_[j].hash);
    if (((j - home) & mask) >= ((j - i) & mask)) {
      table_[i] = table_[j];
      i = j;
    }
  }
  table_[i] = Slot{0, 0};
  --used_;
}

void JoinWindow::Grow() {
  Slot* old = table_;
  const size_t old_slots = slots_;
  slots_ *= 2;
  table_ = static_cast<Slot*>(MapPopulated(slots_ * sizeof(Slot)));
  for (size_t k = 0; k < old_slots; ++k) {
    if (old[k].row_plus_one != 0) Place(old[k]);
  }
  ::munmap(old, old_slots * sizeof(Slot));
}

}  // namespace mlloop::serve
