#include "stats/column_profile.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "stats/psi.h"

namespace mlloop::stats {

namespace {

constexpr std::string_view kMagic = "MLCP";
constexpr uint8_t kVersion = 1;

bool SameShape(const ProfileOptions& a, const ProfileOptions& b) {
  return a.kll_k == b.kll_k && a.frequent_items_capacity == b.frequent_items_capacity &&
         a.hll_precision == b.hll_precision;
}

Status CheckNumeric(const ColumnProfile& p, std::string_view what) {
  if (p.kind() != ColumnKind::kNumeric) {
    return Status::InvalidArgument(std::string(what) + " profile is not numeric");
  }
  if (p.kll().empty()) {
    return Status::InvalidArgument(std::string(what) + " profile has no non-missing values");
  }
  return Status::Ok();
}

Status CheckCategorical(const ColumnProfile& p, std::string_view what) {
  if (p.kind() != ColumnKind::kCategorical) {
    return Status::InvalidArgument(std::string(what) + " profile is not categorical");
  }
  if (p.frequent_items().n() == 0) {
    return Status::InvalidArgument(std::string(what) + " profile has no non-missing values");
  }
  return Status::Ok();
}

Status CheckFinite(const ColumnProfile& p, std::string_view what) {
  if (p.moments().infinite_count() > 0) {
    return Status::InvalidArgument(std::string(what) + " profile saw +-inf values");
  }
  return Status::Ok();
}

}  // namespace

Status ProfileOptions::Validate() const {
  if (kll_k < kKllMinK) {
    return Status::InvalidArgument("kll_k must be >= 8, got " + std::to_string(kll_k));
  }
  if (frequent_items_capacity < 1 || frequent_items_capacity > kFrequentItemsMaxCapacity) {
    return Status::InvalidArgument("frequent_items_capacity must be in [1, 2^20], got " +
                                   std::to_string(frequent_items_capacity));
  }
  if (hll_precision < kHllMinPrecision || hll_precision > kHllMaxPrecision) {
    return Status::InvalidArgument("hll_precision must be in [4, 18], got " +
                                   std::to_string(hll_precision));
  }
  return Status::Ok();
}

ColumnProfile::ColumnProfile(ColumnKind kind, const ProfileOptions& options)
    : kind_(kind), options_(options) {
  if (kind == ColumnKind::kNumeric) {
    moments_.emplace();
    kll_.emplace(options.kll_k, options.seed);
  } else {
    frequent_.emplace(options.frequent_items_capacity);
    distinct_.emplace(options.hll_precision);
  }
}

Result<ColumnProfile> ColumnProfile::Create(ColumnKind kind, const ProfileOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  if (kind != ColumnKind::kNumeric && kind != ColumnKind::kCategorical) {
    return Status::InvalidArgument("unknown column kind");
  }
  return ColumnProfile(kind, options);
}

Result<ColumnProfile> ColumnProfile::FromNumeric(std::span<const float> values,
                                                 const ProfileOptions& options) {
  MLLOOP_ASSIGN_OR_RETURN(ColumnProfile profile, Create(ColumnKind::kNumeric, options));
  for (float v : values) profile.AddNumeric(v);
  return profile;
}

Result<ColumnProfile> ColumnProfile::FromCategories(std::span<const std::string> values,
                                                    const ProfileOptions& options) {
  MLLOOP_ASSIGN_OR_RETURN(ColumnProfile profile, Create(ColumnKind::kCategorical, options));
  for (const std::string& v : values) profile.AddCategory(v);
  return profile;
}

Result<ColumnProfile> ColumnProfile::FromCodes(std::span<const float> codes,
                                               const std::vector<std::string>& dictionary,
                                               const ProfileOptions& options) {
  MLLOOP_ASSIGN_OR_RETURN(ColumnProfile profile, Create(ColumnKind::kCategorical, options));
  for (size_t i = 0; i < codes.size(); ++i) {
    const float code = codes[i];
    if (std::isnan(code)) {
      profile.AddMissing();
      continue;
    }
    if (!(code >= 0) || code != std::floor(code) ||
        static_cast<double>(code) >= static_cast<double>(dictionary.size())) {
      return Status::InvalidArgument("category code " + std::to_string(code) + " at row " +
                                     std::to_string(i) + " is not in the dictionary of " +
                                     std::to_string(dictionary.size()));
    }
    profile.AddCategory(dictionary[static_cast<size_t>(code)]);
  }
  return profile;
}

void ColumnProfile::AddNumeric(float value) {
  MLLOOP_CHECK(kind_ == ColumnKind::kNumeric, "AddNumeric on a categorical profile");
  moments_->Add(value);
  kll_->Update(value);  // ignores NaN
}

void ColumnProfile::AddCategory(std::string_view value, uint64_t count) {
  MLLOOP_CHECK(kind_ == ColumnKind::kCategorical, "AddCategory on a numeric profile");
  if (count == 0) return;
  frequent_->Update(value, count);
  distinct_->Update(value);
}

void ColumnProfile::AddMissing(uint64_t count) {
  if (kind_ == ColumnKind::kNumeric) {
    for (uint64_t i = 0; i < count; ++i) moments_->AddMissing();
  } else {
    categorical_missing_ += count;
  }
}

Status ColumnProfile::Merge(const ColumnProfile& other) {
  if (other.kind_ != kind_) return Status::InvalidArgument("profile merge: kinds differ");
  if (!SameShape(options_, other.options_)) {
    return Status::InvalidArgument("profile merge: sketch options differ");
  }
  if (kind_ == ColumnKind::kNumeric) {
    MLLOOP_RETURN_IF_ERROR(kll_->Merge(*other.kll_));  // cannot fail: same k
    moments_->Merge(*other.moments_);
  } else {
    MLLOOP_RETURN_IF_ERROR(distinct_->Merge(*other.distinct_));  // same precision
    frequent_->Merge(*other.frequent_);
    categorical_missing_ += other.categorical_missing_;
  }
  return Status::Ok();
}

uint64_t ColumnProfile::count() const {
  return kind_ == ColumnKind::kNumeric ? kll_->n() : frequent_->n();
}

uint64_t ColumnProfile::missing_count() const {
  return kind_ == ColumnKind::kNumeric ? moments_->missing_count() : categorical_missing_;
}

const Moments& ColumnProfile::moments() const {
  MLLOOP_CHECK(moments_.has_value(), "moments() of a categorical profile");
  return *moments_;
}
const KllSketch& ColumnProfile::kll() const {
  MLLOOP_CHECK(kll_.has_value(), "kll() of a categorical profile");
  return *kll_;
}
const FrequentItems& ColumnProfile::frequent_items() const {
  MLLOOP_CHECK(frequent_.has_value(), "frequent_items() of a numeric profile");
  return *frequent_;
}
const HyperLogLog& ColumnProfile::distinct() const {
  MLLOOP_CHECK(distinct_.has_value(), "distinct() of a numeric profile");
  return *distinct_;
}

std::string ColumnProfile::Serialize() const {
  wire::Writer w;
  w.Raw(kMagic);
  w.U8(kVersion);
  w.U8(static_cast<uint8_t>(kind_));
  w.U16(options_.kll_k);
  w.U32(options_.frequent_items_capacity);
  w.U8(static_cast<uint8_t>(options_.hll_precision));
  w.U64(options_.seed);
  if (kind_ == ColumnKind::kNumeric) {
    moments_->SerializeTo(&w);
    w.Bytes(kll_->Serialize());
  } else {
    w.U64(categorical_missing_);
    w.Bytes(frequent_->Serialize());
    w.Bytes(distinct_->Serialize());
  }
  return w.Take();
}

Result<ColumnProfile> ColumnProfile::Deserialize(std::string_view bytes) {
  wire::Reader r(bytes);
  MLLOOP_RETURN_IF_ERROR(r.Header(kMagic, kVersion, "column profile"));
  uint8_t kind = 0, precision = 0;
  ProfileOptions options;
  (void)r.U8(&kind);
  (void)r.U16(&options.kll_k);
  (void)r.U32(&options.frequent_items_capacity);
  (void)r.U8(&precision);
  (void)r.U64(&options.seed);
  options.hll_precision = precision;
  if (!r.ok()) return Status::DataLoss("column profile: truncated header");
  if (Status s = options.Validate(); !s.ok()) {
    return Status::DataLoss("column profile: " + s.message());
  }
  if (kind != static_cast<uint8_t>(ColumnKind::kNumeric) &&
      kind != static_cast<uint8_t>(ColumnKind::kCategorical)) {
    return Status::DataLoss("column profile: unknown kind " + std::to_string(kind));
  }
  ColumnProfile profile(static_cast<ColumnKind>(kind), options);
  if (profile.kind_ == ColumnKind::kNumeric) {
    MLLOOP_ASSIGN_OR_RETURN(Moments moments, Moments::ParseFrom(&r));
    std::string_view kll_bytes;
    if (!r.Bytes(&kll_bytes)) return Status::DataLoss("column profile: truncated sketch");
    auto kll = KllSketch::Deserialize(kll_bytes);
    if (!kll.ok()) return kll.status().WithContext("column profile");
    if (kll->k() != options.kll_k) return Status::DataLoss("column profile: KLL k mismatch");
    if (kll->n() != moments.count() + moments.infinite_count()) {
      return Status::DataLoss("column profile: sketch and moments disagree on the count");
    }
    profile.moments_ = moments;
    profile.kll_ = std::move(kll).value();
  } else {
    std::string_view fi_bytes, hll_bytes;
    (void)r.U64(&profile.categorical_missing_);
    (void)r.Bytes(&fi_bytes);
    (void)r.Bytes(&hll_bytes);
    if (!r.ok()) return Status::DataLoss("column profile: truncated sketches");
    auto fi = FrequentItems::Deserialize(fi_bytes);
    if (!fi.ok()) return fi.status().WithContext("column profile");
    auto hll = HyperLogLog::Deserialize(hll_bytes);
    if (!hll.ok()) return hll.status().WithContext("column profile");
    if (fi->capacity() != options.frequent_items_capacity ||
        hll->precision() != options.hll_precision) {
      return Status::DataLoss("column profile: sketch options mismatch");
    }
    profile.frequent_ = std::move(fi).value();
    profile.distinct_ = std::move(hll).value();
  }
  if (!r.at_end()) return Status::DataLoss("column profile: trailing bytes");
  return profile;
}

// ---------------------------------------------------------------------------------------
// Drift from profiles.

Result<double> ProfileKsStatistic(const ColumnProfile& reference, const ColumnProfile& current) {
  MLLOOP_RETURN_IF_ERROR(CheckNumeric(reference, "reference"));
  MLLOOP_RETURN_IF_ERROR(CheckNumeric(current, "current"));
  return KllKsStatistic(reference.kll().SortedView(), current.kll().SortedView());
}

Result<double> ProfileKsErrorBound(const ColumnProfile& reference,
                                   const ColumnProfile& current) {
  MLLOOP_RETURN_IF_ERROR(CheckNumeric(reference, "reference"));
  MLLOOP_RETURN_IF_ERROR(CheckNumeric(current, "current"));
  return reference.kll().rank_error() + current.kll().rank_error();
}

Result<std::vector<double>> ProfilePsiEdges(const ColumnProfile& reference, int bins) {
  MLLOOP_RETURN_IF_ERROR(CheckNumeric(reference, "reference"));
  if (bins < 2) return Status::InvalidArgument("PSI needs bins >= 2");
  const KllSortedView view = reference.kll().SortedView();
  std::vector<double> edges;
  for (int i = 1; i < bins; ++i) {
    const double e = view.Quantile(static_cast<double>(i) / bins);
    if (edges.empty() || e > edges.back()) edges.push_back(e);
  }
  return edges;
}

Result<double> ProfilePsi(const ColumnProfile& reference, const ColumnProfile& current,
                          int bins) {
  MLLOOP_ASSIGN_OR_RETURN(std::vector<double> edges, ProfilePsiEdges(reference, bins));
  MLLOOP_RETURN_IF_ERROR(CheckNumeric(current, "current"));
  // Shares of the value bins (-inf, e1], ..., (e_last, inf) then the missing bin, over all
  // rows, as PsiReference; floored as psi.h.
  auto shares = [&edges](const ColumnProfile& p) {
    const KllSortedView view = p.kll().SortedView();
    const double total = static_cast<double>(p.total_count());
    const double present = static_cast<double>(p.count()) / total;
    std::vector<double> s;
    double previous = 0;
    for (double e : edges) {
      const double rank = view.Rank(e);
      s.push_back((rank - previous) * present);
      previous = rank;
    }
    s.push_back((1.0 - previous) * present);
    s.push_back(static_cast<double>(p.missing_count()) / total);
    for (double& x : s) x = std::max(x, kPsiShareFloor);
    return s;
  };
  const std::vector<double> r = shares(reference), c = shares(current);
  double psi = 0;
  for (size_t i = 0; i < r.size(); ++i) psi += (c[i] - r[i]) * std::log(c[i] / r[i]);
  return psi;
}

Result<double> ProfileWasserstein(const ColumnProfile& reference, const ColumnProfile& current) {
  MLLOOP_RETURN_IF_ERROR(CheckNumeric(reference, "reference"));
  MLLOOP_RETURN_IF_ERROR(CheckNumeric(current, "current"));
  MLLOOP_RETURN_IF_ERROR(CheckFinite(reference, "reference"));
  MLLOOP_RETURN_IF_ERROR(CheckFinite(current, "current"));
  return KllWasserstein(reference.kll().SortedView(), current.kll().SortedView());
}

Result<double> ProfileWassersteinNormalized(const ColumnProfile& reference,
                                            const ColumnProfile& current) {
  MLLOOP_ASSIGN_OR_RETURN(double w, ProfileWasserstein(reference, current));
  return w / std::max(reference.moments().population_stddev(), kWassersteinStdFloor);
}

Result<ProfileCategoryCounts> AlignProfileCategories(const ColumnProfile& reference,
                                                     const ColumnProfile& current) {
  MLLOOP_RETURN_IF_ERROR(CheckCategorical(reference, "reference"));
  MLLOOP_RETURN_IF_ERROR(CheckCategorical(current, "current"));
  const FrequentItems& fr = reference.frequent_items();
  const FrequentItems& fc = current.frequent_items();
  std::map<std::string, std::pair<double, double>> merged;
  for (const auto& item : fr.TopItems()) merged[item.item].first = static_cast<double>(item.lower);
  for (const auto& item : fc.TopItems()) merged[item.item].second = static_cast<double>(item.lower);
  ProfileCategoryCounts out;
  for (auto& [item, counts] : merged) {
    out.items.push_back(item);
    out.reference.push_back(counts.first);
    out.current.push_back(counts.second);
  }
  out.reference.push_back(static_cast<double>(fr.n() - fr.tracked_total()));
  out.current.push_back(static_cast<double>(fc.n() - fc.tracked_total()));
  return out;
}

Result<double> ProfileJensenShannon(const ColumnProfile& reference, const ColumnProfile& current,
                                    LogBase base) {
  MLLOOP_ASSIGN_OR_RETURN(ProfileCategoryCounts counts,
                          AlignProfileCategories(reference, current));
  return JensenShannonDistance(counts.reference, counts.current, base);
}

Result<ChiSquaredResult> ProfileChiSquared(const ColumnProfile& reference,
                                           const ColumnProfile& current) {
  MLLOOP_ASSIGN_OR_RETURN(ProfileCategoryCounts counts,
                          AlignProfileCategories(reference, current));
  std::vector<size_t> r(counts.reference.begin(), counts.reference.end());
  std::vector<size_t> c(counts.current.begin(), counts.current.end());
  return ChiSquaredIndependence(r, c);
}

}  // namespace mlloop::stats
