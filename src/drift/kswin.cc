#include "drift/kswin.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <unordered_set>

#include "stats/ks_test.h"

namespace mlloop::drift {

namespace {
constexpr int kMaxWindow = 100000;
}  // namespace

Status KswinOptions::Validate() const {
  if (!(alpha >= 0 && alpha <= 1)) return Status::InvalidArgument("kswin: alpha must be in [0, 1]");
  if (window_size < 2 || window_size > kMaxWindow) {
    return Status::InvalidArgument("kswin: window_size must be in [2, 100000]");
  }
  if (stat_size < 1 || 2 * stat_size > window_size) {
    return Status::InvalidArgument(
        "kswin: stat_size must be >= 1 and at most window_size / 2 (W is sampled without "
        "replacement from the window_size - stat_size older values)");
  }
  return Status::Ok();
}

namespace internal {

// MT19937 as in CPython's _randommodule.c (itself Matsumoto and Nishimura's mt19937ar.c).
void PythonRandom::Seed(uint64_t seed) {
  // init_genrand(19650218)
  mt_[0] = 19650218U;
  for (int i = 1; i < kN; ++i) {
    mt_[i] = 1812433253U * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
  // init_by_array(key): the seed's 32-bit words, least significant first; at least one.
  uint32_t key[2] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  const int key_length = (seed >> 32) != 0 ? 2 : 1;
  int i = 1, j = 0;
  for (int k = std::max(kN, key_length); k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525U)) + key[j] +
             static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (j >= key_length) j = 0;
  }
  for (int k = kN - 1; k > 0; --k) {
    mt_[i] =
        (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941U)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000U;
  index_ = kN;
}

uint32_t PythonRandom::Next() {
  constexpr int kM = 397;
  constexpr uint32_t kUpper = 0x80000000U, kLower = 0x7fffffffU, kMatrixA = 0x9908b0dfU;
  if (index_ >= kN) {
    int k = 0;
    for (; k < kN - kM; ++k) {
      const uint32_t y = (mt_[k] & kUpper) | (mt_[k + 1] & kLower);
      mt_[k] = mt_[k + kM] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
    }
    for (; k < kN - 1; ++k) {
      const uint32_t y = (mt_[k] & kUpper) | (mt_[k + 1] & kLower);
      mt_[k] = mt_[k + (kM - kN)] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
    }
    const uint32_t y = (mt_[kN - 1] & kUpper) | (mt_[0] & kLower);
    mt_[kN - 1] = mt_[kM - 1] ^ (y >> 1) ^ ((y & 1U) ? kMatrixA : 0U);
    index_ = 0;
  }
  uint32_t y = mt_[index_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= (y >> 18);
  return y;
}

uint32_t PythonRandom::GetRandBits(int k) { return Next() >> (32 - k); }

uint32_t PythonRandom::RandBelow(uint32_t n) {
  // Lib/random.py _randbelow_with_getrandbits: k = n.bit_length(), not (n - 1)'s.
  const int k = std::bit_width(n);
  uint32_t r = GetRandBits(k);
  while (r >= n) r = GetRandBits(k);
  return r;
}

std::vector<uint32_t> PythonRandom::SampleRange(uint32_t n, uint32_t k) {
  std::vector<uint32_t> result, pool;
  SampleRange(n, k, &result, &pool);
  return result;
}

void PythonRandom::SampleRange(uint32_t n, uint32_t k, std::vector<uint32_t>* out,
                               std::vector<uint32_t>* pool_buffer) {
  std::vector<uint32_t>& result = *out;
  result.resize(k);
  // Lib/random.py sample(): a list pool when it is smaller than a set of k, else rejection
  // against the set of indices already drawn. The branch changes which draws are made.
  uint64_t setsize = 21;
  if (k > 5) {
    const double exponent = std::ceil(std::log(static_cast<double>(k) * 3) / std::log(4.0));
    setsize += uint64_t{1} << (2 * static_cast<int>(exponent));
  }
  if (n <= setsize) {
    std::vector<uint32_t>& pool = *pool_buffer;
    pool.resize(n);
    for (uint32_t i = 0; i < n; ++i) pool[i] = i;
    for (uint32_t i = 0; i < k; ++i) {
      const uint32_t j = RandBelow(n - i);
      result[i] = pool[j];
      pool[j] = pool[n - i - 1];
    }
  } else {
    std::unordered_set<uint32_t> selected;
    for (uint32_t i = 0; i < k; ++i) {
      uint32_t j = RandBelow(n);
      while (selected.count(j) != 0) j = RandBelow(n);
      selected.insert(j);
      result[i] = j;
    }
  }
}

void PythonRandom::Save(stats::wire::Writer* w) const {
  for (uint32_t word : mt_) w->U32(word);
  w->U32(index_);
}

bool PythonRandom::Load(stats::wire::Reader* r) {
  std::array<uint32_t, kN> mt;
  uint32_t index = 0;
  for (uint32_t& word : mt) r->U32(&word);
  r->U32(&index);
  if (!r->ok() || index > static_cast<uint32_t>(kN)) return false;
  mt_ = mt;
  index_ = index;
  return true;
}

}  // namespace internal

Result<std::unique_ptr<Kswin>> Kswin::Create(const KswinOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  uint64_t seed = static_cast<uint64_t>(options.seed);
  if (options.seed < 0) {
    std::random_device device;
    seed = (static_cast<uint64_t>(device()) << 32) | device();
  }
  return std::unique_ptr<Kswin>(new Kswin(options, seed));
}

Kswin::Kswin(const KswinOptions& options, uint64_t seed) : options_(options), seed_(seed) {
  ResetAlgorithm();
}

void Kswin::ResetAlgorithm() {
  rng_.Seed(seed_);
  window_.assign(static_cast<size_t>(options_.window_size), 0.0);
  positions_.assign(window_.size(), 0);
  window_head_ = window_length_ = 0;
  recent_sorted_.clear();
  ranks_valid_ = false;
  p_value_ = 0;
  statistic_ = 0;
  change_start_ = 0;
}

Verdict Kswin::Step(double x, uint64_t position) {
  const size_t window_size = window_.size();
  const size_t stat_size = static_cast<size_t>(options_.stat_size);
  const size_t older = window_size - stat_size;
  // The value that leaves the recent stat_size (into the older part, or out of the window).
  if (window_length_ >= stat_size) {
    const auto leaving = static_cast<float>(At(window_length_ - stat_size));
    recent_sorted_.erase(std::lower_bound(recent_sorted_.begin(), recent_sorted_.end(), leaving));
  }
  const auto entering = static_cast<float>(x);
  recent_sorted_.insert(std::upper_bound(recent_sorted_.begin(), recent_sorted_.end(), entering),
                        entering);
  if (window_length_ == window_size) {
    if (ranks_valid_) SlideRanks(window_head_, (window_head_ + older) % window_size);
    window_head_ = (window_head_ + 1) % window_size;
    --window_length_;
  }
  const size_t slot = (window_head_ + window_length_) % window_size;
  window_[slot] = x;
  positions_[slot] = position;
  ++window_length_;
  if (window_length_ < window_size) return Verdict::kStable;

  rng_.SampleRange(static_cast<uint32_t>(older), static_cast<uint32_t>(stat_size), &sample_index_,
                   &sample_pool_);
  SortedSample();
  // The same D and p-value stats::KsTwoSample gives (kswin_test checks River's indices).
  statistic_ = stats::KsStatisticSorted(sampled_, recent_sorted_);
  const auto k = static_cast<size_t>(std::lround(statistic_ * static_cast<double>(stat_size)));
  if (p_of_k_.size() != stat_size + 1) {
    p_of_k_.assign(stat_size + 1, std::numeric_limits<double>::quiet_NaN());
  }
  if (std::isnan(p_of_k_[k])) {
    const auto n = static_cast<int64_t>(stat_size);
    auto ks = stats::KsFromStatistic(n, n, statistic_, stats::KsMethod::kAuto);
    // Unreachable with stat_size >= 1 and D in [0, 1]; keep the stream going regardless.
    p_of_k_[k] = ks.ok() ? ks->p_value : 1.0;
  }
  p_value_ = p_of_k_[k];
  if (p_value_ <= options_.alpha && statistic_ > 0.1) {
    change_start_ = positions_[(window_head_ + older) % window_size];
    return Verdict::kDrift;
  }
  return Verdict::kStable;
}

void Kswin::BuildRanks() {
  const size_t older = window_.size() - static_cast<size_t>(options_.stat_size);
  std::vector<size_t> slots(older);
  for (size_t i = 0; i < older; ++i) slots[i] = (window_head_ + i) % window_.size();
  std::sort(slots.begin(), slots.end(), [&](size_t a, size_t b) {
    return window_[a] != window_[b] ? window_[a] < window_[b] : positions_[a] < positions_[b];
  });
  rank_.assign(window_.size(), 0);
  by_rank_.resize(older);
  for (size_t r = 0; r < older; ++r) {
    rank_[slots[r]] = static_cast<uint16_t>(r);
    by_rank_[r] = window_[slots[r]];
  }
  ranks_valid_ = true;
}

void Kswin::SlideRanks(size_t leaving, size_t entering) {
  const size_t size = window_.size();
  const size_t older = size - static_cast<size_t>(options_.stat_size);
  const double v = window_[entering];
  const uint16_t out = rank_[leaving];
  // The entering value's rank among the older values that stay: it is the newest of them,
  // so it goes after every value equal to it; the leaving one (the oldest) does not count.
  const auto at_most = static_cast<size_t>(std::upper_bound(by_rank_.begin(), by_rank_.end(), v) -
                                           by_rank_.begin());
  const auto in = static_cast<uint16_t>(at_most - (window_[leaving] <= v ? 1 : 0));
  for (size_t i = 1, slot = leaving + 1; i < older; ++i, ++slot) {
    if (slot == size) slot = 0;
    uint16_t r = rank_[slot];
    r = static_cast<uint16_t>(r - (r > out));
    r = static_cast<uint16_t>(r + (r >= in));
    rank_[slot] = r;
    by_rank_[r] = window_[slot];
  }
  rank_[entering] = in;
  by_rank_[in] = v;
}

void Kswin::SortedSample() {
  const size_t stat_size = static_cast<size_t>(options_.stat_size);
  const size_t older = window_.size() - stat_size;
  sampled_.resize(stat_size);
  if (older > kRankedOlder) {
    for (size_t i = 0; i < stat_size; ++i) sampled_[i] = static_cast<float>(At(sample_index_[i]));
    std::sort(sampled_.begin(), sampled_.end());
    return;
  }
  if (!ranks_valid_) BuildRanks();
  uint64_t bits[kRankedOlder / 64] = {};
  for (uint32_t i : sample_index_) {
    size_t slot = window_head_ + i;
    if (slot >= window_.size()) slot -= window_.size();
    const uint16_t r = rank_[slot];
    bits[r / 64] |= uint64_t{1} << (r % 64);
  }
  size_t n = 0;
  for (size_t w = 0; w < kRankedOlder / 64; ++w) {
    for (uint64_t word = bits[w]; word != 0; word &= word - 1) {
      sampled_[n++] = static_cast<float>(by_rank_[w * 64 + static_cast<size_t>(std::countr_zero(word))]);
    }
  }
}

void Kswin::SaveAlgorithm(stats::wire::Writer* w) const {
  w->F64(options_.alpha);
  w->U32(static_cast<uint32_t>(options_.window_size));
  w->U32(static_cast<uint32_t>(options_.stat_size));
  w->U64(static_cast<uint64_t>(options_.seed));
  w->U64(seed_);
  rng_.Save(w);
  w->U32(static_cast<uint32_t>(window_length_));
  for (size_t i = 0; i < window_length_; ++i) {
    const size_t slot = (window_head_ + i) % window_.size();
    w->F64(window_[slot]);
    w->U64(positions_[slot]);
  }
  w->F64(p_value_);
  w->F64(statistic_);
  w->U64(change_start_);
}

Status Kswin::RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) {
  double alpha = 0;
  uint32_t window_size = 0, stat_size = 0;
  uint64_t seed_option = 0, seed = 0;
  r->F64(&alpha);
  r->U32(&window_size);
  r->U32(&stat_size);
  r->U64(&seed_option);
  if (!r->ok()) return EndOfState(*r);
  MLLOOP_RETURN_IF_ERROR(CheckOption("alpha", alpha, options_.alpha));
  MLLOOP_RETURN_IF_ERROR(CheckOption("window_size", window_size, options_.window_size));
  MLLOOP_RETURN_IF_ERROR(CheckOption("stat_size", stat_size, options_.stat_size));
  if (static_cast<int64_t>(seed_option) != options_.seed) {
    return Status::FailedPrecondition(
        "kswin state: saved with seed = " + std::to_string(static_cast<int64_t>(seed_option)) +
        ", this detector has " + std::to_string(options_.seed));
  }
  r->U64(&seed);
  internal::PythonRandom rng;
  const bool rng_ok = rng.Load(r);
  uint32_t length = 0;
  r->U32(&length);
  if (!r->ok()) return EndOfState(*r);
  if (!rng_ok) return Inconsistent("random generator");
  if (length > window_size) return Inconsistent("window length");
  std::deque<double> window;
  std::deque<uint64_t> positions;
  for (uint32_t i = 0; i < length; ++i) {
    double x = 0;
    uint64_t p = 0;
    r->F64(&x);
    r->U64(&p);
    if (!r->ok()) return EndOfState(*r);
    if (!std::isfinite(x) || p >= updates || (!positions.empty() && p <= positions.back())) {
      return Inconsistent("window");
    }
    window.push_back(x);
    positions.push_back(p);
  }
  double p_value = 0, statistic = 0;
  uint64_t change_start = 0;
  r->F64(&p_value);
  r->F64(&statistic);
  r->U64(&change_start);
  MLLOOP_RETURN_IF_ERROR(EndOfState(*r));
  if (change_start > updates) return Inconsistent("change start");
  seed_ = seed;
  rng_ = rng;
  window_.assign(window_size, 0.0);
  positions_.assign(window_size, 0);
  std::copy(window.begin(), window.end(), window_.begin());
  std::copy(positions.begin(), positions.end(), positions_.begin());
  window_head_ = 0;
  window_length_ = window.size();
  ranks_valid_ = false;
  const size_t recent = std::min(window_length_, static_cast<size_t>(options_.stat_size));
  recent_sorted_.clear();
  for (size_t i = window_length_ - recent; i < window_length_; ++i) {
    recent_sorted_.push_back(static_cast<float>(window_[i]));
  }
  std::sort(recent_sorted_.begin(), recent_sorted_.end());
  p_value_ = p_value;
  statistic_ = statistic;
  change_start_ = change_start;
  return Status::Ok();
}

}  // namespace mlloop::drift
