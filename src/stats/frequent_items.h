// Frequent items (heavy hitters) of a categorical column: the Misra-Gries summary (Misra and
// Gries 1982) with the mergeable-summaries merge of Agarwal, Cormode, Huang, Phillips, Wei
// and Yi ("Mergeable Summaries", PODS 2012). Keeps at most `capacity` (m) counters.
//
// Counting: a tracked item's counter goes up; an untracked one gets a counter. When there
// are more than m counters (after an update or a merge), the (m+1)-th largest counter value
// c is subtracted from every counter and counters at or below 0 are dropped. The sum of all
// such c is max_error(), and for every item (tracked or not)
//   LowerBound(x) = counter(x) <= true count(x) <= counter(x) + max_error() = UpperBound(x),
// with max_error() <= (n - sum of counters) / (m + 1) <= n / (m + 1) when every sketch in a
// merge tree has the same capacity (Agarwal et al., Theorem 1). A column with at most m
// distinct values is counted exactly: max_error() stays 0.
//
// Items are strings (category values, not codes: codes depend on each replica's dictionary
// order, strings do not). Counts are 64-bit.
//
// Thread-safety: none; an instance belongs to one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace mlloop::stats {

inline constexpr uint32_t kFrequentItemsDefaultCapacity = 128;
inline constexpr uint32_t kFrequentItemsMaxCapacity = 1u << 20;

class FrequentItems {
 public:
  struct Item {
    std::string item;
    uint64_t lower = 0;  // the counter: a guaranteed lower bound on the true count
    uint64_t upper = 0;  // lower + max_error(): a guaranteed upper bound
  };

  // REQUIRES: 1 <= capacity <= kFrequentItemsMaxCapacity (aborts otherwise).
  explicit FrequentItems(uint32_t capacity = kFrequentItemsDefaultCapacity);

  // Adds `count` occurrences of `item`. Amortised O(1), O(m) when a purge is needed.
  void Update(std::string_view item, uint64_t count = 1);

  // Becomes the summary of the union. Works across capacities (the result keeps this one's);
  // the bound above then uses the smallest capacity in the merge tree.
  void Merge(const FrequentItems& other);

  uint32_t capacity() const { return capacity_; }
  uint64_t n() const { return n_; }  // exact total of all updates
  uint64_t max_error() const { return max_error_; }
  size_t num_tracked() const { return counters_.size(); }
  // Sum of tracked counters; n() - tracked_total() is what an "other" bucket holds.
  uint64_t tracked_total() const;

  uint64_t LowerBound(std::string_view item) const;
  uint64_t UpperBound(std::string_view item) const;

  // Tracked items by descending counter, ties by item ascending; at most `limit` of them.
  std::vector<Item> TopItems(size_t limit = SIZE_MAX) const;

  // Versioned bytes ("MLFI", version 1), items sorted so equal summaries give equal bytes.
  // Deserialize: DataLoss on truncated, trailing or inconsistent bytes (items out of order
  // or duplicated, zero counters, counters summing past n, more items than capacity); never crashes.
  std::string Serialize() const;
  static Result<FrequentItems> Deserialize(std::string_view bytes);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void Purge();

  uint32_t capacity_;
  uint64_t n_ = 0;
  uint64_t max_error_ = 0;
  std::unordered_map<std::string, uint64_t, Hash, std::equal_to<>> counters_;
};

}  // namespace mlloop::stats
