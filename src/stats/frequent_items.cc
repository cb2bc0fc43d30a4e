#include "stats/frequent_items.h"

#include <algorithm>

#include "stats/moments.h"

namespace mlloop::stats {

namespace {
constexpr std::string_view kMagic = "MLFI";
constexpr uint8_t kVersion = 1;
}  // namespace

FrequentItems::FrequentItems(uint32_t capacity) : capacity_(capacity) {
  MLLOOP_CHECK(capacity >= 1 && capacity <= kFrequentItemsMaxCapacity,
               "frequent items capacity must be in [1, 2^20]");
}

void FrequentItems::Update(std::string_view item, uint64_t count) {
  if (count == 0) return;
  n_ += count;
  if (auto it = counters_.find(item); it != counters_.end()) {
    it->second += count;
    return;
  }
  counters_.emplace(std::string(item), count);
  if (counters_.size() > capacity_) Purge();
}

void FrequentItems::Purge() {
  // Subtract the (m+1)-th largest counter from all; at most m stay positive.
  std::vector<uint64_t> values;
  values.reserve(counters_.size());
  for (const auto& [item, c] : counters_) values.push_back(c);
  std::nth_element(values.begin(), values.begin() + capacity_, values.end(),
                   std::greater<uint64_t>());
  const uint64_t c = values[capacity_];
  max_error_ += c;
  for (auto it = counters_.begin(); it != counters_.end();) {
    if (it->second <= c) {
      it = counters_.erase(it);
    } else {
      it->second -= c;
      ++it;
    }
  }
}

void FrequentItems::Merge(const FrequentItems& other) {
  n_ += other.n_;
  max_error_ += other.max_error_;
  for (const auto& [item, c] : other.counters_) counters_[item] += c;
  if (counters_.size() > capacity_) Purge();
}

uint64_t FrequentItems::tracked_total() const {
  uint64_t total = 0;
  for (const auto& [item, c] : counters_) total += c;
  return total;
}

uint64_t FrequentItems::LowerBound(std::string_view item) const {
  const auto it = counters_.find(item);
  return it == counters_.end() ? 0 : it->second;
}

uint64_t FrequentItems::UpperBound(std::string_view item) const {
  return LowerBound(item) + max_error_;
}

std::vector<FrequentItems::Item> FrequentItems::TopItems(size_t limit) const {
  std::vector<Item> items;
  items.reserve(counters_.size());
  for (const auto& [item, c] : counters_) items.push_back({item, c, c + max_error_});
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    return a.lower != b.lower ? a.lower > b.lower : a.item < b.item;
  });
  if (items.size() > limit) items.resize(limit);
  return items;
}

std::string FrequentItems::Serialize() const {
  std::vector<std::pair<std::string_view, uint64_t>> sorted(counters_.begin(), counters_.end());
  std::sort(sorted.begin(), sorted.end());
  wire::Writer w;
  w.Raw(kMagic);
  w.U8(kVersion);
  w.U32(capacity_);
  w.U64(n_);
  w.U64(max_error_);
  w.U32(static_cast<uint32_t>(sorted.size()));
  for (const auto& [item, c] : sorted) {
    w.Bytes(item);
    w.U64(c);
  }
  return w.Take();
}

Result<FrequentItems> FrequentItems::Deserialize(std::string_view bytes) {
  wire::Reader r(bytes);
  MLLOOP_RETURN_IF_ERROR(r.Header(kMagic, kVersion, "frequent items"));
  uint32_t capacity = 0, size = 0;
  uint64_t n = 0, max_error = 0;
  (void)r.U32(&capacity);
  (void)r.U64(&n);
  (void)r.U64(&max_error);
  (void)r.U32(&size);
  if (!r.ok()) return Status::DataLoss("frequent items: truncated header");
  if (capacity < 1 || capacity > kFrequentItemsMaxCapacity) {
    return Status::DataLoss("frequent items: bad capacity " + std::to_string(capacity));
  }
  // Each item takes at least 12 bytes (length + counter).
  if (size > capacity || size > r.remaining() / 12) {
    return Status::DataLoss("frequent items: bad item count " + std::to_string(size));
  }
  if (max_error > n) return Status::DataLoss("frequent items: max error exceeds n");
  FrequentItems fi(capacity);
  fi.n_ = n;
  fi.max_error_ = max_error;
  uint64_t total = 0;
  std::string_view previous;
  for (uint32_t i = 0; i < size; ++i) {
    std::string_view item;
    uint64_t c = 0;
    (void)r.Bytes(&item);
    (void)r.U64(&c);
    if (!r.ok()) return Status::DataLoss("frequent items: truncated item");
    if (c == 0 || c > n - total) {
      return Status::DataLoss("frequent items: counters inconsistent with n");
    }
    // Serialize writes items strictly ascending; anything else (a duplicate included) is
    // corrupt, and the check keeps the bytes canonical.
    if (i > 0 && !(previous < item)) {
      return Status::DataLoss("frequent items: items not strictly ascending");
    }
    previous = item;
    total += c;
    fi.counters_.emplace(std::string(item), c);
  }
  if (!r.at_end()) return Status::DataLoss("frequent items: trailing bytes");
  return fi;
}

}  // namespace mlloop::stats
