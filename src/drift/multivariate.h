// Multivariate drift: changes that no single feature shows. Per-feature tests compare
// marginals; when x2 follows x1 in the reference and -x1 in the current, every marginal is
// unchanged and every per-feature test passes. Two detectors look at the joint distribution:
//
//  - Domain classifier: can a model tell the tables apart? Reference rows are labelled 0,
//    current rows 1, and XGBoost is cross-validated on them; an out-of-fold ROC AUC near 0.5
//    means "indistinguishable", near 1 means the tables differ, and the features the trees
//    split on most say where.
//  - PCA reconstruction error: a linear model of the reference's correlation structure. The
//    principal components of the (standardised) reference reconstruct reference rows well;
//    rows whose features relate differently reconstruct worse.
//
// NannyML ships both ("Domain Classifier" with LightGBM and stratified 5-fold CV; "Data
// Reconstruction with PCA"); Evidently's domain classifier is used for text drift. Our rules
// are in MultivariateOptions and in ComputeMultivariateDrift's comment.
//
// Thread-safety: pure functions over immutable inputs (XGBoost runs with nthread 1).
//
// Example:
//   MultivariateOptions options;
//   MLLOOP_ASSIGN_OR_RETURN(MultivariateDrift m,
//                           ComputeMultivariateDrift(reference, current, schema, options));
//   if (m.drift()) std::cout << "AUC " << *m.domain_classifier.auc << "\n";
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/schema.h"
#include "core/status.h"

namespace mlloop::drift {

struct MultivariateOptions {
  // Either side with fewer rows than this: both detectors are not computable.
  size_t min_rows = 50;
  uint64_t seed = 42;  // subsampling, folds, PCA split and XGBoost

  // Domain classifier. The tables are balanced by subsampling each side, without
  // replacement, to min(reference rows, current rows, max_rows_per_side): a balanced problem
  // keeps AUC's 0.5 meaning "no signal" and the training cost bounded.
  size_t max_rows_per_side = 20000;
  int folds = 5;  // stratified: each fold holds the same share of both tables
  // Folds are made of blocks of consecutive rows (rows are in time order), blocks_per_fold
  // blocks a fold and side, dealt at random (seeded); 0 deals single rows. Neighbouring rows
  // of production data are near-duplicates (the same day, the same customer session), and
  // with row-wise folds the trees learn "which day" and score held-out rows by their
  // neighbours' side: on Elec2, even against odd days of one period (no drift) gives AUC
  // 0.58 with row-wise folds and 0.50 with blocks.
  size_t blocks_per_fold = 4;
  int rounds = 50;  // XGBoost: depth 4, eta 0.1, nthread 1
  int max_depth = 4;
  double eta = 0.1;
  // Drift when the mean out-of-fold AUC >= max(auc_threshold, 0.5 + 3 * its standard error
  // under "no difference"). 0.55 is the effect-size floor: on big tables an AUC of 0.52 is
  // significant yet too weak to act on. The
  // standard-error term is our version of Evidently's "beat the random classifier's
  // percentile" (text drift: the 95th percentile of a random classifier's AUC): instead of
  // bootstrapping we use the exact null variance of the Mann-Whitney AUC,
  // (n0 + n1 + 1) / (12 n0 n1) per fold (Hanley & McNeil 1982), averaged over the k folds,
  // at 3 standard errors (one-sided 0.13%) rather than the 95th percentile. It only matters
  // on small tables: with 50 rows a side the threshold is 0.67, from ~600 rows a side it is
  // 0.55.
  double auc_threshold = 0.55;
  double auc_null_standard_errors = 3;
  size_t top_features = 5;  // separating features reported

  // PCA reconstruction error (numeric features only).
  double pca_variance = 0.95;      // components kept: the fewest explaining this share
  double pca_standard_errors = 3;  // drift: current mean > reference mean + this many SE
  double pca_min_ratio = 1.1;      //        and current mean > this times reference mean
};

// A feature that separates the tables: its share of the classifier's total gain, averaged
// over the folds' models (shares sum to 1 over all features).
struct SeparatingFeature {
  std::string name;
  double gain_share = 0;
};

struct DomainClassifierDrift {
  bool computable = false;
  std::string note;               // why not computable, or a caveat
  std::optional<double> auc;      // mean out-of-fold ROC AUC
  std::optional<double> auc_std;  // its standard deviation across the folds (n - 1)
  std::vector<double> fold_auc;
  double threshold = 0.55;   // effective threshold (see MultivariateOptions)
  bool drift = false;        // auc >= threshold
  size_t rows_per_side = 0;  // after balancing
  int folds = 0;
  std::vector<SeparatingFeature> top_features;  // largest gain share first; only shares > 0
};

struct PcaDrift {
  bool computable = false;
  std::string note;                   // why not, or what was left out
  std::vector<std::string> features;  // the numeric features used
  size_t components = 0;
  std::optional<double> explained_variance;  // share of the reference's variance kept
  // Per-row reconstruction error (Euclidean distance in standardised units): reference rows
  // held out of the fit, and current rows.
  size_t reference_rows = 0, current_rows = 0;
  std::optional<double> reference_mean, reference_std;
  std::optional<double> current_mean, current_std;
  std::optional<double> ratio;           // current_mean / reference_mean
  std::optional<double> standard_error;  // of current_mean - reference_mean (Welch)
  bool drift = false;
};

struct MultivariateDrift {
  DomainClassifierDrift domain_classifier;
  PcaDrift pca;
  // Either detector flagged drift.
  bool drift() const { return domain_classifier.drift || pca.drift; }
};

// Compares `current` with `reference` (both read under `schema`; categorical codes matched
// by their text through Dataset::categories, as ComputeDrift does) on all features jointly.
// The label and time play no part. REQUIRES: both tables have schema.features.size()
// features and whole rows (ComputeDrift checks this before calling).
//
// Domain classifier: every feature, categorical codes as ordinal values in the reference's
// coding (current-only categories get new codes), missing values left to XGBoost. Each side
// is subsampled (seeded) to m = min(n_ref, n_cur, max_rows_per_side) rows; each side's rows
// are cut into blocks of consecutive rows, dealt at random into `folds` folds (see
// blocks_per_fold); for each fold a model trained on the others scores it, and
// stats::RocAuc gives that fold's AUC.
//
// PCA: numeric features only (categorical and boolean ones are left out and the note says
// so; the classifier covers them). The reference rows are shuffled (seeded) and split in
// halves: the first half fits, the second calibrates, so the reference's errors come from
// rows the PCA has not seen, exactly like the current's (in-sample errors would be biased low
// by about components / rows). Fit: each feature's mean and std over its non-missing finite
// values, the std floored at 1e-3 * max(1, |mean|) (the 0.001 of the normalised Wasserstein
// on unit-scale data, scaled with the magnitude) so a constant reference column does not
// divide by 0 — a current that varies there then reconstructs very badly, which is drift;
// missing and infinite values imputed with the fit mean (standardised 0); the covariance's
// eigenvectors (Eigen's SelfAdjointEigenSolver) keeping the fewest components that explain
// pca_variance of the variance, at most rank - 1 (see below). Drift: current mean > reference mean
// + pca_standard_errors * SE, SE = sqrt(ref_var / n_ref + cur_var / n_cur) (Welch), AND current
// mean > pca_min_ratio * reference mean: both significant and big enough to matter.
//
// Not computable (computable = false and a note; never NaN): fewer than min_rows rows on a
// side (both detectors); no feature (classifier); fewer than two numeric features, or a
// reference with fewer than two directions of variance among its numeric features (PCA).
// Components are capped at that rank - 1 (not just features - 1): constant columns add
// directions with no variance, and keeping all the rest would reconstruct every reference
// row exactly.
// Returns InvalidArgument for invalid options (folds < 2, rounds < 1, thresholds outside
// their range); Internal when XGBoost fails.
// Cost: `folds` XGBoost trainings on 2m(k-1)/k rows (0.15 s in all for m = 10,000 and 7
// features on one core) plus O(n d^2 + d^3) for PCA.
Result<MultivariateDrift> ComputeMultivariateDrift(const core::Dataset& reference,
                                                   const core::Dataset& current,
                                                   const core::Schema& schema,
                                                   const MultivariateOptions& options);

}  // namespace mlloop::drift
