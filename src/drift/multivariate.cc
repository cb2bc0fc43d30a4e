#include "drift/multivariate.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <unordered_map>
#include <utility>

#include "core/format.h"
#include "pipeline/xgb/xgb_model.h"
#include "stats/metrics.h"

namespace mlloop::drift {

namespace {

// Codes at or above this are not codes a reader produces (as in drift_report.cc).
constexpr float kMaxCategoryCode = 16777216.0f;  // 2^24
// PCA: a reference std below kStdFloorRelative * max(1, |mean|) is raised to it.
constexpr double kStdFloorRelative = 1e-3;
// PCA: eigenvalues below this share of the total variance are directions of no variance.
constexpr double kRankTolerance = 1e-10;

size_t RowsOf(const core::Dataset& d) { return d.n_features > 0 ? d.x.size() / d.n_features : 0; }

// Seeded draws that do not depend on the standard library's distributions (which differ
// between implementations): mt19937_64 is fully specified, and the modulo bias of a 64-bit
// draw over at most 2^32 values is below 2^-32.
size_t Below(std::mt19937_64* gen, size_t n) { return static_cast<size_t>((*gen)() % n); }

void Shuffle(std::vector<size_t>* v, std::mt19937_64* gen) {
  for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[Below(gen, i)]);
}

// `m` distinct indices of [0, n), ascending (so the sample keeps the table's order).
std::vector<size_t> Sample(size_t n, size_t m, std::mt19937_64* gen) {
  std::vector<size_t> all(n);
  std::iota(all.begin(), all.end(), 0);
  if (m < n) {
    for (size_t i = 0; i < m; ++i) std::swap(all[i], all[i + Below(gen, n - i)]);
    all.resize(m);
  }
  std::sort(all.begin(), all.end());
  return all;
}

bool ValidCode(float v) { return v >= 0 && v < kMaxCategoryCode && v == std::floor(v); }

std::string CodeText(const std::vector<std::string>* dictionary, core::FeatureType type,
                     size_t code) {
  if (dictionary && code < dictionary->size()) return (*dictionary)[code];
  if (type == core::FeatureType::kBoolean && code <= 1) return code == 1 ? "true" : "false";
  return std::to_string(code);
}

const std::vector<std::string>* Dictionary(const core::Dataset& d, size_t feature) {
  return feature < d.categories.size() ? &d.categories[feature] : nullptr;
}

// Maps the current table's codes of one categorical feature into the reference's coding by
// text; categories the reference never had get new codes after the reference's largest.
class Recoder {
 public:
  Recoder(const core::Dataset& reference, const core::Dataset& current, size_t feature,
          core::FeatureType type)
      : current_dictionary_(Dictionary(current, feature)), type_(type) {
    const auto* dictionary = Dictionary(reference, feature);
    const size_t rows = RowsOf(reference);
    float largest = -1;
    for (size_t i = 0; i < rows; ++i) {
      const float v = reference.At(i, feature);
      if (!ValidCode(v)) continue;
      largest = std::max(largest, v);
      reference_code_.try_emplace(CodeText(dictionary, type, static_cast<size_t>(v)), v);
    }
    next_code_ = largest + 1;
  }

  // The reference's code for a current value; NaN for a missing or invalid one.
  float Recode(float v) {
    if (!ValidCode(v)) return std::numeric_limits<float>::quiet_NaN();
    const auto code = static_cast<size_t>(v);
    if (auto it = cache_.find(code); it != cache_.end()) return it->second;
    const std::string text = CodeText(current_dictionary_, type_, code);
    auto [it, added] = reference_code_.try_emplace(text, next_code_);
    if (added) next_code_ += 1;
    cache_.emplace(code, it->second);
    return it->second;
  }

 private:
  const std::vector<std::string>* current_dictionary_;
  core::FeatureType type_;
  std::unordered_map<std::string, float> reference_code_;
  std::unordered_map<size_t, float> cache_;
  float next_code_ = 0;
};

// Row `i` of a table as the classifier sees it: reference codes kept (invalid ones
// missing), current codes recoded.
void AppendClassifierRow(const core::Dataset& d, size_t i, const core::Schema& schema,
                         std::vector<std::unique_ptr<Recoder>>* recoders, bool is_current,
                         std::vector<float>* x) {
  for (size_t j = 0; j < d.n_features; ++j) {
    float v = d.At(i, j);
    if (schema.features[j].type != core::FeatureType::kNumeric) {
      v = is_current ? (*recoders)[j]->Recode(v)
                     : (ValidCode(v) ? v : std::numeric_limits<float>::quiet_NaN());
    }
    x->push_back(v);
  }
}

double Mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Sample standard deviation (n - 1); 0 for fewer than two values.
double SampleStd(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  const double mean = Mean(v);
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

Status Validate(const MultivariateOptions& o) {
  const std::string prefix = "multivariate drift options: ";
  if (o.min_rows < 2) return Status::InvalidArgument(prefix + "min_rows must be >= 2");
  if (o.folds < 2) return Status::InvalidArgument(prefix + "folds must be >= 2");
  if (o.rounds < 1) return Status::InvalidArgument(prefix + "rounds must be >= 1");
  if (o.max_depth < 1) return Status::InvalidArgument(prefix + "max_depth must be >= 1");
  if (!(o.eta > 0 && o.eta <= 1)) return Status::InvalidArgument(prefix + "eta must be in (0, 1]");
  if (o.max_rows_per_side < 2) {
    return Status::InvalidArgument(prefix + "max_rows_per_side must be >= 2");
  }
  if (!(o.auc_threshold >= 0.5 && o.auc_threshold <= 1)) {
    return Status::InvalidArgument(prefix + "auc_threshold must be in [0.5, 1]");
  }
  if (!(o.auc_null_standard_errors >= 0 && std::isfinite(o.auc_null_standard_errors))) {
    return Status::InvalidArgument(prefix + "auc_null_standard_errors must be >= 0");
  }
  if (!(o.pca_variance > 0 && o.pca_variance <= 1)) {
    return Status::InvalidArgument(prefix + "pca_variance must be in (0, 1]");
  }
  if (!(o.pca_standard_errors >= 0 && std::isfinite(o.pca_standard_errors))) {
    return Status::InvalidArgument(prefix + "pca_standard_errors must be >= 0");
  }
  if (!(o.pca_min_ratio >= 1 && std::isfinite(o.pca_min_ratio))) {
    return Status::InvalidArgument(prefix + "pca_min_ratio must be >= 1");
  }
  return Status::Ok();
}

std::string TooFewRows(size_t reference_rows, size_t current_rows, size_t min_rows) {
  return "needs at least " + std::to_string(min_rows) + " rows on each side (reference " +
         std::to_string(reference_rows) + ", current " + std::to_string(current_rows) + ")";
}

Result<DomainClassifierDrift> DomainClassifier(const core::Dataset& reference,
                                               const core::Dataset& current,
                                               const core::Schema& schema,
                                               const MultivariateOptions& options) {
  DomainClassifierDrift dc;
  dc.threshold = options.auc_threshold;
  const size_t n_ref = RowsOf(reference), n_cur = RowsOf(current);
  const auto k = static_cast<size_t>(options.folds);
  const size_t min_rows = std::max(options.min_rows, k);
  if (schema.features.empty()) {
    dc.note = "no feature to classify on";
    return dc;
  }
  if (n_ref < min_rows || n_cur < min_rows) {
    dc.note = TooFewRows(n_ref, n_cur, min_rows);
    return dc;
  }
  const size_t n = schema.features.size();
  const size_t m = std::min({n_ref, n_cur, options.max_rows_per_side});
  std::mt19937_64 gen(options.seed);
  const std::vector<size_t> ref_rows = Sample(n_ref, m, &gen);
  const std::vector<size_t> cur_rows = Sample(n_cur, m, &gen);

  std::vector<std::unique_ptr<Recoder>> recoders(n);
  for (size_t j = 0; j < n; ++j) {
    if (schema.features[j].type != core::FeatureType::kNumeric) {
      recoders[j] = std::make_unique<Recoder>(reference, current, j, schema.features[j].type);
    }
  }
  // Side s (0 reference, 1 current) of the balanced sample, m rows each, row-major.
  std::vector<float> x[2];
  for (int s = 0; s < 2; ++s) {
    const core::Dataset& d = s == 0 ? reference : current;
    const std::vector<size_t>& rows = s == 0 ? ref_rows : cur_rows;
    x[s].reserve(m * n);
    for (size_t i : rows) AppendClassifierRow(d, i, schema, &recoders, s == 1, &x[s]);
  }
  // Stratified folds: each side is cut into the same number of blocks of consecutive rows
  // (time order), and block b of either side goes to the same fold: when the two tables
  // interleave one period, block b of each covers the same days, and a fold holding one
  // side's days while training on the other side's same days would learn the days with the
  // opposite label (measured: AUC 0.23 on Elec2's alternate days). blocks_per_fold 0 deals
  // single rows.
  const size_t blocks = options.blocks_per_fold == 0 ? m : std::min(m, k * options.blocks_per_fold);
  std::vector<size_t> block_order(blocks);
  std::iota(block_order.begin(), block_order.end(), 0);
  Shuffle(&block_order, &gen);
  std::vector<size_t> fold_of_block(blocks);
  for (size_t q = 0; q < blocks; ++q) fold_of_block[block_order[q]] = q % k;
  std::vector<size_t> fold(m);
  for (size_t p = 0; p < m; ++p) fold[p] = fold_of_block[p * blocks / m];

  pipeline::TrainOptions train_options;
  train_options.task = core::Task::kBinaryClassification;
  train_options.rounds = options.rounds;
  train_options.seed = options.seed;
  train_options.params["max_depth"] = std::to_string(options.max_depth);
  train_options.params["eta"] = core::FormatShortest(options.eta);
  train_options.params["nthread"] = "1";

  std::vector<double> gain_share(n, 0.0);
  double null_variance = 0;  // of the mean fold AUC under "no difference"
  for (size_t f = 0; f < k; ++f) {
    core::Dataset train;
    train.n_features = n;
    train.x.reserve(2 * m * n);
    std::vector<float> test_x, test_y;
    double test_n[2] = {0, 0};
    for (int s = 0; s < 2; ++s) {
      for (size_t i = 0; i < m; ++i) {
        const float* row = x[s].data() + i * n;
        if (fold[i] == f) {
          test_x.insert(test_x.end(), row, row + n);
          test_y.push_back(static_cast<float>(s));
          test_n[s] += 1;
        } else {
          train.x.insert(train.x.end(), row, row + n);
          train.y.push_back(static_cast<float>(s));
        }
      }
    }
    auto trained = pipeline::XgbModel::Train(train, 0, train.rows(), train_options);
    if (!trained.ok()) {
      return trained.status().WithContext("domain classifier, fold " + std::to_string(f + 1));
    }
    const std::unique_ptr<pipeline::XgbModel> model = std::move(trained).value();
    std::vector<float> pred;
    MLLOOP_RETURN_IF_ERROR(model->Predict(test_x.data(), test_y.size(), n, &pred));
    dc.fold_auc.push_back(stats::RocAuc(test_y.data(), pred.data(), test_y.size()));
    null_variance += (test_n[0] + test_n[1] + 1) / (12 * test_n[0] * test_n[1]);
    MLLOOP_ASSIGN_OR_RETURN(std::vector<double> gain, model->FeatureGain());
    const double total = std::accumulate(gain.begin(), gain.end(), 0.0);
    if (total > 0) {
      for (size_t j = 0; j < n; ++j) gain_share[j] += gain[j] / total / static_cast<double>(k);
    }
  }
  const double kd = static_cast<double>(k);
  null_variance /= kd * kd;
  dc.computable = true;
  dc.rows_per_side = m;
  dc.folds = options.folds;
  dc.auc = Mean(dc.fold_auc);
  dc.auc_std = SampleStd(dc.fold_auc);
  dc.threshold = std::max(options.auc_threshold,
                          0.5 + options.auc_null_standard_errors * std::sqrt(null_variance));
  dc.drift = *dc.auc >= dc.threshold;
  if (dc.threshold > options.auc_threshold) {
    dc.note = "threshold raised from " + core::FormatShortest(options.auc_threshold) + " to " +
              core::FormatShortest(std::round(dc.threshold * 1e4) / 1e4) + ": with " + std::to_string(m) +
              " rows a side, a random classifier's AUC varies that much";
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return gain_share[a] > gain_share[b]; });
  for (size_t j : order) {
    if (dc.top_features.size() >= options.top_features || !(gain_share[j] > 0)) break;
    dc.top_features.push_back({schema.features[j].name, gain_share[j]});
  }
  return dc;
}

// A numeric column's standardisation, fitted on the reference's fit half.
struct Standardiser {
  size_t feature = 0;
  double mean = 0, std = 1;
};

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

RowMatrix Standardise(const core::Dataset& d, const std::vector<size_t>& rows,
                      const std::vector<Standardiser>& columns) {
  RowMatrix z(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(columns.size()));
  for (size_t r = 0; r < rows.size(); ++r) {
    for (size_t c = 0; c < columns.size(); ++c) {
      const double v = d.At(rows[r], columns[c].feature);
      // Missing and infinite values are imputed with the reference mean: 0 once standardised.
      z(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) =
          std::isfinite(v) ? (v - columns[c].mean) / columns[c].std : 0.0;
    }
  }
  return z;
}

// Each row's distance to its projection on the components.
std::vector<double> ReconstructionErrors(const RowMatrix& z, const Eigen::MatrixXd& components) {
  const RowMatrix residual = z - (z * components) * components.transpose();
  std::vector<double> errors(static_cast<size_t>(z.rows()));
  for (Eigen::Index r = 0; r < z.rows(); ++r) {
    errors[static_cast<size_t>(r)] = residual.row(r).norm();
  }
  return errors;
}

std::vector<size_t> AllRows(size_t n) {
  std::vector<size_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

PcaDrift PcaReconstruction(const core::Dataset& reference, const core::Dataset& current,
                           const core::Schema& schema, const MultivariateOptions& options) {
  PcaDrift pca;
  const size_t n_ref = RowsOf(reference), n_cur = RowsOf(current);
  std::vector<size_t> numeric;
  std::string left_out;
  for (size_t j = 0; j < schema.features.size(); ++j) {
    if (schema.features[j].type == core::FeatureType::kNumeric) {
      numeric.push_back(j);
    } else {
      left_out += (left_out.empty() ? "" : ", ") + schema.features[j].name;
    }
  }
  if (!left_out.empty()) pca.note = "categorical and boolean features left out: " + left_out;
  auto not_computable = [&](const std::string& why) {
    pca.note = pca.note.empty() ? why : why + "; " + pca.note;
    return pca;
  };
  if (n_ref < options.min_rows || n_cur < options.min_rows) {
    return not_computable(TooFewRows(n_ref, n_cur, options.min_rows));
  }
  if (numeric.size() < 2) {
    return not_computable("PCA needs at least two numeric features, there are " +
                          std::to_string(numeric.size()));
  }

  // Fit on one half of the reference, calibrate on the other.
  std::mt19937_64 gen(options.seed);
  std::vector<size_t> shuffled = AllRows(n_ref);
  Shuffle(&shuffled, &gen);
  const size_t n_fit = (n_ref + 1) / 2;
  std::vector<size_t> fit(shuffled.begin(), shuffled.begin() + static_cast<std::ptrdiff_t>(n_fit));
  std::vector<size_t> calibration(shuffled.begin() + static_cast<std::ptrdiff_t>(n_fit),
                                  shuffled.end());
  std::sort(fit.begin(), fit.end());
  std::sort(calibration.begin(), calibration.end());

  std::vector<Standardiser> columns;
  std::string all_missing;
  for (size_t j : numeric) {
    double sum = 0;
    size_t count = 0;
    for (size_t i : fit) {
      const double v = reference.At(i, j);
      if (std::isfinite(v)) sum += v, ++count;
    }
    if (count == 0) {
      all_missing += (all_missing.empty() ? "" : ", ") + schema.features[j].name;
      continue;
    }
    const double mean = sum / static_cast<double>(count);
    double ss = 0;
    for (size_t i : fit) {
      const double v = reference.At(i, j);
      if (std::isfinite(v)) ss += (v - mean) * (v - mean);
    }
    const double std = count > 1 ? std::sqrt(ss / static_cast<double>(count - 1)) : 0;
    columns.push_back({j, mean, std::max(std, kStdFloorRelative * std::max(1.0, std::fabs(mean)))});
    pca.features.push_back(schema.features[j].name);
  }
  if (!all_missing.empty()) {
    pca.note +=
        (pca.note.empty() ? "" : "; ") + ("no value in the reference, left out: " + all_missing);
  }
  if (columns.size() < 2) {
    pca.features.clear();
    return not_computable("PCA needs at least two numeric features with values in the reference");
  }

  const RowMatrix z_fit = Standardise(reference, fit, columns);
  const Eigen::MatrixXd covariance =
      (z_fit.transpose() * z_fit) / static_cast<double>(std::max<size_t>(n_fit - 1, 1));
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(covariance);
  if (eigen.info() != Eigen::Success)
    return not_computable("PCA: the eigensolver did not converge");
  const Eigen::VectorXd& values = eigen.eigenvalues();  // ascending
  const auto d = static_cast<Eigen::Index>(columns.size());
  double total = 0;
  for (Eigen::Index i = 0; i < d; ++i) total += std::max(0.0, values(i));
  // Directions with (numerically) no variance: constant columns and exact linear relations.
  Eigen::Index rank = 0;
  for (Eigen::Index i = 0; i < d; ++i) rank += values(i) > kRankTolerance * total;
  if (!(total > 0) || rank < 2) {
    return not_computable(
        "PCA: fewer than two directions of variance in the reference (constant or duplicate "
        "numeric features)");
  }
  // At most rank - 1 components: keeping every direction the reference varies in would
  // reconstruct its rows exactly, and any error ratio would be noise over rounding.
  Eigen::Index keep = 0;
  double explained = 0;
  while (keep < rank - 1 && explained < options.pca_variance * total * (1 - 1e-12)) {
    explained += std::max(0.0, values(d - 1 - keep));
    ++keep;
  }
  const Eigen::MatrixXd components = eigen.eigenvectors().rightCols(keep);
  pca.components = static_cast<size_t>(keep);
  pca.explained_variance = explained / total;

  const std::vector<double> reference_errors =
      ReconstructionErrors(Standardise(reference, calibration, columns), components);
  const std::vector<double> current_errors =
      ReconstructionErrors(Standardise(current, AllRows(n_cur), columns), components);
  pca.computable = true;
  pca.reference_rows = reference_errors.size();
  pca.current_rows = current_errors.size();
  pca.reference_mean = Mean(reference_errors);
  pca.reference_std = SampleStd(reference_errors);
  pca.current_mean = Mean(current_errors);
  pca.current_std = SampleStd(current_errors);
  const double se = std::sqrt(
      *pca.reference_std * *pca.reference_std / static_cast<double>(reference_errors.size()) +
      *pca.current_std * *pca.current_std / static_cast<double>(current_errors.size()));
  pca.standard_error = se;
  if (*pca.reference_mean > 0) pca.ratio = *pca.current_mean / *pca.reference_mean;
  pca.drift = *pca.current_mean > *pca.reference_mean + options.pca_standard_errors * se &&
              *pca.current_mean > options.pca_min_ratio * *pca.reference_mean;
  return pca;
}

}  // namespace

Result<MultivariateDrift> ComputeMultivariateDrift(const core::Dataset& reference,
                                                   const core::Dataset& current,
                                                   const core::Schema& schema,
                                                   const MultivariateOptions& options) {
  MLLOOP_RETURN_IF_ERROR(Validate(options));
  if (reference.n_features != schema.features.size() ||
      current.n_features != schema.features.size()) {
    return Status::InvalidArgument(
        "multivariate drift: the tables and the schema disagree on "
        "the number of features");
  }
  MultivariateDrift result;
  MLLOOP_ASSIGN_OR_RETURN(result.domain_classifier,
                          DomainClassifier(reference, current, schema, options));
  result.pca = PcaReconstruction(reference, current, schema, options);
  return result;
}

}  // namespace mlloop::drift
