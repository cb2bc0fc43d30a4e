// ReferenceProfile: what a drift check needs to know of a reference table (the training
// data), without its rows. Computed once (`mlloop drift --save-profile`), kept beside the
// model, and compared with each new current table (`--reference-profile`): the usual case,
// where re-reading and re-sorting the training data for every check would be most of the
// work. Profiles of parts merge into the profile of the whole.
//
// Per feature (and the label when the schema has one), a stats::ColumnProfile: numeric ->
// exact count, missing, moments, min and max plus a KLL quantile sketch; categorical ->
// exact count and missing, frequent items (exact counts while the column has at most
// `frequent_items_capacity` categories, 1024 by default here) and a distinct count. A
// numeric column of at most `exact_values` non-missing values also keeps them all, sorted,
// so small references (where the default methods are p-value tests) lose nothing.
//
// How drift against a profile differs from drift against the rows (ComputeDriftAgainstProfile
// in drift_report.h says it per method): exact for categorical columns within capacity and
// for numeric columns that kept their values; otherwise the reference's CDF is the sketch's,
// within its rank error eps (about 0.002 at this profile's k = 2000): |D - D_exact| <= eps; Wasserstein
// within eps * (max - min) (in practice <= 0.025 std, see stats/column_profile.h); binned
// methods count the reference's bins from the sketch.
//
// Thread-safety: immutable after Build/Deserialize; Merge needs exclusive access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"
#include "stats/column_profile.h"

namespace mlloop::drift {

struct ReferenceProfileOptions {
  // A reference profile is built once and kept, so it can afford a sketch ten times finer
  // than a replica's window profile: k = 2000 gives a rank error of about 0.2% (k = 200:
  // 1.65%) for about 25 KB per numeric column.
  stats::ProfileOptions column = [] {
    stats::ProfileOptions o;
    o.kll_k = 2000;
    o.frequent_items_capacity = 1024;
    return o;
  }();
  // Numeric columns with at most this many non-missing values keep them (exact tests).
  uint32_t exact_values = 1000;
  int threads = 0;  // columns profiled in parallel; 0 = the hardware's

  Status Validate() const;
};

class ReferenceProfile {
 public:
  struct Column {
    std::string name;
    core::FeatureType type = core::FeatureType::kNumeric;
    stats::ColumnProfile profile;
    bool has_values = false;    // `values` holds every non-missing finite value
    std::vector<float> values;  // sorted ascending
  };

  // Profiles every feature of `data` (read under `schema`) and its label when the schema
  // names one (binary -> categorical over {negative, positive}; regression -> numeric).
  // InvalidArgument for invalid options or a table that does not fit the schema.
  static Result<ReferenceProfile> Build(const core::Dataset& data, const core::Schema& schema,
                                        const ReferenceProfileOptions& options = {});

  // Becomes the profile of both tables. InvalidArgument (this one unchanged) when the
  // features (names, types, order) or options differ.
  Status Merge(const ReferenceProfile& other);

  // Versioned bytes ("MLRP", version 1). Deserialize: DataLoss for truncated, trailing or
  // inconsistent bytes, FailedPrecondition for another format version; never crashes.
  std::string Serialize() const;
  static Result<ReferenceProfile> Deserialize(std::string_view bytes);

  uint64_t rows() const { return rows_; }
  const std::vector<Column>& features() const { return features_; }
  const std::optional<Column>& target() const { return target_; }
  // The label as profiled: name empty when there is none.
  const core::LabelSpec& label() const { return label_; }
  const ReferenceProfileOptions& options() const { return options_; }

 private:
  ReferenceProfileOptions options_;
  uint64_t rows_ = 0;
  std::vector<Column> features_;
  std::optional<Column> target_;
  core::LabelSpec label_;
};

}  // namespace mlloop::drift
