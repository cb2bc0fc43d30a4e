// JoinWindow: the inference log's newest predicted rows, by row id and by request id, so that
// a label can be joined to the row it names. One is fed by the log's writer thread for every
// record the server appends, so at full load it takes tens of thousands of requests a
// second; it is built to do that without touching the allocator:
//   - Rows live in fixed-size chunks of kChunkRows rows (each row's features, prediction,
//     shadow prediction and request fields, and its request id's bytes), one chunk per
//     allocation, mapped with their pages already present. A chunk whose rows all left the
//     window is kept and reused, so a full window allocates nothing.
//   - Row ids are consecutive (the log numbers them in append order), so a row is found by
//     arithmetic, not a search.
//   - Request ids are found through an open-addressing hash table (linear probing, deletion
//     by backward shift) of (hash, first row) pairs; the id's bytes stay in the chunk of its
//     request's first row.
// Before it, every prediction was an object of its own (an id string, a vector of floats, a
// hash-map node, a deque slot): thousands of page faults a second while the window filled,
// which on this project's machines cost the request threads over 1 ms at p99
// (docs/BENCHMARKS.md, "Serving").
//
// The window holds the newest `max_rows` rows, in whole requests; the newest request always
// stays, however many rows it has. Not thread-safe: the inference log guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mlloop::serve {

class JoinWindow {
 public:
  // One row and the fields of the request it came in.
  struct Row {
    int64_t time_ms;
    int64_t version;
    int64_t shadow_version;  // 0: no shadow predicted this row
    uint32_t index;          // its place in its request (0 for the first row)
    uint32_t rows;           // its request's row count
    float prediction;
    float shadow_prediction;
    uint32_t id_at;          // first row only: where the request id starts in its chunk
    uint16_t id_size;        // first row only
    bool labelled;
  };

  static constexpr size_t kChunkRows = size_t{1} << 13;

  JoinWindow(size_t width, size_t max_rows);
  ~JoinWindow();
  JoinWindow(const JoinWindow&) = delete;
  JoinWindow& operator=(const JoinWindow&) = delete;

  // Adds a request of `rows` rows (`x`: rows*width features, `predictions`: rows values)
  // whose first row id is `first_row`, and drops the oldest requests past max_rows. A
  // request id seen before now names this request. A `first_row` that does not follow the
  // newest row (a log written before row ids were handed out under one lock) starts the
  // window afresh. A request of no rows is not kept.
  void Add(uint64_t first_row, int64_t time_ms, int64_t version, std::string_view id,
           uint32_t rows, const float* x, const float* predictions);

  // Asks the CPU to start loading the table slot where Add() will look `id` up, so that a
  // caller adding a batch of requests can overlap that cache miss with the requests before
  // it. Only a hint: nothing changes.
  void Prefetch(std::string_view id) const;
  // The row `row_id`, or null when it is not in the window.
  Row* Find(uint64_t row_id);
  const float* Features(uint64_t row_id) const;  // REQUIRES: Find(row_id) != null

  // The first row id of the newest request named `id` in the window, or false. Ids are
  // compared by their first 65,535 bytes, as Add() keeps them.
  bool FirstRowOf(std::string_view id, uint64_t* first_row) const;

  size_t rows() const { return static_cast<size_t>(end_ - begin_); }
  size_t requests() const { return requests_; }

 private:
  struct Chunk;
  struct Slot {
    uint64_t hash;
    uint64_t row_plus_one;  // 0: empty
  };

  Chunk& ChunkOf(uint64_t row_id) const;
  std::string_view IdOf(uint64_t first_row) const;
  // Moves every chunk to spare_ and empties the table; the next row starts the window.
  void Clear();
  void DropOldest();
  size_t SlotOf(uint64_t hash) const { return static_cast<size_t>(hash) & (slots_ - 1); }
  // What the window keeps of a request id: its first 65,535 bytes (a row holds a u16 size).
  static std::string_view KeyOf(std::string_view id) { return id.substr(0, 0xffff); }
  void PrefetchSlot(uint64_t hash) const;
  // The slot naming `id` (whose hash is `hash`), or null.
  Slot* Lookup(uint64_t hash, std::string_view id) const;
  // Puts `slot` in the first empty slot of its probe run. REQUIRES: table_ has room.
  void Place(const Slot& slot);
  // The chunk that holds `row_id`, taken from spare_ (or mapped) when the window reaches it.
  Chunk& ChunkFor(uint64_t row_id);
  void Insert(uint64_t hash, uint64_t first_row);
  void Erase(uint64_t hash, uint64_t first_row);
  void Grow();

  const size_t width_;
  const size_t max_rows_;
  uint64_t begin_ = 0, end_ = 0;   // rows [begin_, end_) are in the window
  size_t requests_ = 0;            // in the window (a repeated id counts each time)
  // chunks_[i] holds rows [(first_chunk_ + i) * kChunkRows, ...); spare_ are reused first.
  std::deque<std::unique_ptr<Chunk>> chunks_;
  uint64_t first_chunk_ = 0;
  std::vector<std::unique_ptr<Chunk>> spare_;
  Slot* table_ = nullptr;
  size_t slots_ = 0;               // a power of two
  size_t used_ = 0;                // slots in use; at most half of slots_
};

}  // namespace mlloop::serve
