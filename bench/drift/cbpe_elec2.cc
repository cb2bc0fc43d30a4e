// How close is CBPE's label-free estimate to the realised performance on Elec2? A plain
// program (not a Google Benchmark); its output is docs/benchmarks/cbpe.md.
//
//   cbpe_elec2 [--window ROWS] [--reference ROWS] [--train ROWS] [--csv FILE]
//
// The champion is XGBoost with examples/elec2/model.yaml's trainer (50 rounds, seed 42,
// max_depth 6, eta 0.3, the last 4,000 labelled rows). Two scenarios, both simulating
// "labels hidden until the window is over":
//  - frozen: train on rows [0, train), fit CBPE on the next `reference` rows (held out from
//    training), then estimate every following window of `window` rows (default 336 = one
//    week) to the end of the data with the same model; also reported for the first 30
//    windows alone (about seven months), before the model has aged beyond use;
//  - monthly: the loop's usual life. Every 4 weeks (1,344 rows) retrain on the `train` rows
//    that end `reference` rows before now, fit CBPE on those last `reference` rows (labelled
//    by now, not seen by the model), and estimate the next 4 weekly windows.
// For each window: CBPE's estimate and band, the naive estimate (the reference's realised
// value carried forward, with the same band width around it), and the realised value from
// the revealed labels. Per metric: mean absolute error, share of windows whose realised value
// lies inside the band, mean band half-width, and the correlation of estimated with realised
// values across windows. Several CBPE settings run on the same windows:
//  - cbpe       NannyML's defaults: calibration when its check says so, SEM band (3 se)
//  - cbpe-raw   never calibrate (XGBoost's probabilities read as they are)
//  - cbpe-chunk calibration as cbpe, reference-chunks band (chunks of one window)
//  - naive      reference value, SEM band; naive-chunk: reference value, chunk band
// Single thread (XGBoost nthread 1). Output: Markdown tables on stdout; --csv writes one row
// per window and method.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "drift/cbpe.h"
#include "io/csv_reader.h"
#include "pipeline/xgb/xgb_model.h"

namespace {

using mlloop::drift::BandMethod;
using mlloop::drift::CalibrationMode;
using mlloop::drift::CbpeEstimator;
using mlloop::drift::CbpeMetric;
using mlloop::drift::CbpeOptions;

constexpr size_t kMonth = 4 * 336;

mlloop::core::Schema Elec2Schema() {
  mlloop::core::Schema schema;
  schema.features.push_back({"day", mlloop::core::FeatureType::kCategorical, {}});
  for (const char* name :
       {"period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"}) {
    schema.features.push_back({name, mlloop::core::FeatureType::kNumeric, {}});
  }
  schema.label.name = "class";
  schema.label.positive = "UP";
  schema.label.negative = "DOWN";
  schema.timestamp.source = mlloop::core::TimestampSpec::Source::kRowIndex;
  schema.timestamp.start = 831427200;  // 1996-05-07T00:00:00Z
  schema.timestamp.step = 1800;
  return schema;
}

template <typename T>
T OrDie(mlloop::Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

struct Method {
  std::string name;
  // Per metric accumulators over windows.
  struct Acc {
    double abs_error = 0, half_width = 0;
    size_t inside = 0, n = 0;
    std::vector<double> est, real;
  };
  std::map<CbpeMetric, Acc> acc;
  void Add(CbpeMetric m, double estimate, double lower, double upper, double realised) {
    Acc& a = acc[m];
    a.abs_error += std::abs(estimate - realised);
    a.half_width += (upper - lower) / 2;
    a.inside += realised >= lower && realised <= upper;
    ++a.n;
    a.est.push_back(estimate);
    a.real.push_back(realised);
  }
};

double Correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

struct Scenario {
  std::string name;
  std::vector<Method> methods;
  size_t windows = 0;
  size_t calibrated_fits = 0, fits = 0;
  size_t undefined = 0;  // (window, metric) pairs skipped: undefined estimate or realised value
  double estimate_seconds = 0;
  size_t estimate_calls = 0;
};

constexpr CbpeMetric kReported[] = {CbpeMetric::kAccuracy, CbpeMetric::kF1, CbpeMetric::kRocAuc,
                                    CbpeMetric::kPrecision, CbpeMetric::kRecall};

struct Settings {
  size_t window = 336;
  size_t reference = 1344;
  size_t train = 4000;
  std::string csv;
};

// Estimates windows [first, last) (window starts) with CBPE fitted on reference rows.
void EvaluateWindows(const std::vector<float>& scores, const std::vector<float>& labels,
                     size_t ref_begin, size_t ref_end, size_t first, size_t last, size_t row_offset,
                     const Settings& s, Scenario* scenario, std::ofstream* csv) {
  const std::span<const float> all_scores(scores), all_labels(labels);
  const auto ref_scores = all_scores.subspan(ref_begin, ref_end - ref_begin);
  const auto ref_labels = all_labels.subspan(ref_begin, ref_end - ref_begin);
  CbpeOptions base;
  CbpeOptions raw = base;
  raw.calibration = CalibrationMode::kNever;
  CbpeOptions chunk = base;
  chunk.band = BandMethod::kReferenceChunks;
  chunk.reference_chunk_size = s.window;
  const CbpeEstimator cbpe = OrDie(CbpeEstimator::Fit(ref_scores, ref_labels, base), "fit");
  const CbpeEstimator cbpe_raw = OrDie(CbpeEstimator::Fit(ref_scores, ref_labels, raw), "fit");
  const CbpeEstimator cbpe_chunk = OrDie(CbpeEstimator::Fit(ref_scores, ref_labels, chunk), "fit");
  ++scenario->fits;
  scenario->calibrated_fits += cbpe.calibrated();

  for (size_t begin = first; begin + s.window <= last; begin += s.window) {
    const auto w_scores = all_scores.subspan(begin, s.window);
    const auto w_labels = all_labels.subspan(begin, s.window);
    const auto t0 = std::chrono::steady_clock::now();
    const auto est = OrDie(cbpe.Estimate(w_scores), "estimate");
    scenario->estimate_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++scenario->estimate_calls;
    const auto est_raw = OrDie(cbpe_raw.Estimate(w_scores), "estimate");
    const auto est_chunk = OrDie(cbpe_chunk.Estimate(w_scores), "estimate");
    const auto realised = OrDie(
        mlloop::drift::ComputeRealizedMetrics(w_scores, w_labels, base.threshold), "realised");
    ++scenario->windows;
    for (CbpeMetric m : kReported) {
      if (!realised[m] || !est[m].defined || !est_raw[m].defined || !est_chunk[m].defined) {
        ++scenario->undefined;
        continue;
      }
      const double truth = *realised[m];
      const double ref = cbpe.reference_value(m);
      const double se = cbpe.StandardError(m, s.window);
      const double se_chunk = cbpe_chunk.StandardError(m, s.window);
      struct Row {
        const char* name;
        double value, lower, upper;
      };
      const Row rows[] = {
          {"cbpe", est[m].value, est[m].lower, est[m].upper},
          {"cbpe-raw", est_raw[m].value, est_raw[m].lower, est_raw[m].upper},
          {"cbpe-chunk", est_chunk[m].value, est_chunk[m].lower, est_chunk[m].upper},
          {"naive", ref, std::max(0.0, ref - 3 * se), std::min(1.0, ref + 3 * se)},
          {"naive-chunk", ref, std::max(0.0, ref - 3 * se_chunk),
           std::min(1.0, ref + 3 * se_chunk)},
      };
      for (size_t k = 0; k < std::size(rows); ++k) {
        scenario->methods[k].Add(m, rows[k].value, rows[k].lower, rows[k].upper, truth);
        if (csv) {
          *csv << scenario->name << ',' << row_offset + begin << ',' << CbpeMetricName(m) << ','
               << rows[k].name << ',' << rows[k].value << ',' << rows[k].lower << ','
               << rows[k].upper << ',' << truth << '\n';
        }
      }
    }
  }
}

Scenario NewScenario(const std::string& name) {
  Scenario s;
  s.name = name;
  for (const char* m : {"cbpe", "cbpe-raw", "cbpe-chunk", "naive", "naive-chunk"}) {
    s.methods.push_back(Method{m, {}});
  }
  return s;
}

void Print(const Scenario& s, size_t window) {
  std::printf("\n### %s: %zu windows, %zu CBPE fits (%zu calibrated by NannyML's check)\n\n",
              s.name.c_str(), s.windows, s.fits, s.calibrated_fits);
  std::printf("| metric | method | MAE | inside band | mean half-width | corr(est, real) |\n");
  std::printf("|---|---|---:|---:|---:|---:|\n");
  for (CbpeMetric m : kReported) {
    for (const Method& method : s.methods) {
      const auto it = method.acc.find(m);
      if (it == method.acc.end() || it->second.n == 0) continue;
      const auto& a = it->second;
      const double n = static_cast<double>(a.n);
      std::printf("| %s | %s | %.4f | %.1f%% | %.4f | %.2f |\n",
                  std::string(CbpeMetricName(m)).c_str(), method.name.c_str(), a.abs_error / n,
                  100.0 * static_cast<double>(a.inside) / n, a.half_width / n,
                  Correlation(a.est, a.real));
    }
  }
  if (s.undefined > 0) {
    std::printf("\n%zu (window, metric) pairs skipped: a metric undefined in the window.\n",
                s.undefined);
  }
  std::printf("\nEstimate() of one %zu-row window (all five metrics): %.1f us on average.\n",
              window, 1e6 * s.estimate_seconds / static_cast<double>(s.estimate_calls));
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--window") {
      s.window = std::strtoul(argv[i + 1], nullptr, 10);
    } else if (flag == "--reference") {
      s.reference = std::strtoul(argv[i + 1], nullptr, 10);
    } else if (flag == "--train") {
      s.train = std::strtoul(argv[i + 1], nullptr, 10);
    } else if (flag == "--csv") {
      s.csv = argv[i + 1];
    } else {
      std::fprintf(stderr,
                   "usage: cbpe_elec2 [--window N] [--reference N] [--train N] [--csv FILE]\n");
      return 2;
    }
  }
  if (s.window < 2 || s.reference < 2 * s.window || s.train < 100) {
    std::fprintf(stderr, "need --window >= 2, --reference >= 2 windows, --train >= 100\n");
    return 2;
  }
  const mlloop::core::Dataset data = OrDie(
      mlloop::io::ReadCsv(std::string(MLLOOP_SOURCE_DIR) + "/examples/elec2/electricity.csv.gz",
                          Elec2Schema()),
      "reading Elec2");
  mlloop::pipeline::TrainOptions train;
  train.rounds = 50;
  train.seed = 42;
  train.params = {{"max_depth", "6"}, {"eta", "0.3"}};
  std::ofstream csv_file;
  std::ofstream* csv = nullptr;
  if (!s.csv.empty()) {
    csv_file.open(s.csv);
    csv_file << "scenario,window_start,metric,method,estimate,lower,upper,realised\n";
    csv = &csv_file;
  }
  std::printf(
      "Elec2 (%zu rows), windows of %zu rows, CBPE reference %zu rows, training window "
      "%zu rows, XGBoost %s (50 rounds, max_depth 6, eta 0.3, seed 42)\n",
      data.rows(), s.window, s.reference, s.train, mlloop::pipeline::XgboostVersion().c_str());

  // Frozen champion.
  Scenario frozen = NewScenario("frozen (trained once on rows 0-" + std::to_string(s.train - 1) +
                                "), every window to the end");
  Scenario frozen_early = NewScenario("frozen, the first 30 windows only");
  {
    auto model = OrDie(mlloop::pipeline::XgbModel::Train(data, 0, s.train, train), "training");
    std::vector<float> scores;
    if (!model->Predict(data.x.data(), data.rows(), data.n_features, &scores).ok()) return 1;
    const size_t first = s.train + s.reference;
    EvaluateWindows(scores, data.y, s.train, first, first, data.rows(), 0, s, &frozen, csv);
    EvaluateWindows(scores, data.y, s.train, first, first,
                    std::min(data.rows(), first + 30 * s.window), 0, s, &frozen_early, nullptr);
  }
  // Monthly retraining.
  Scenario monthly = NewScenario("monthly (retrained every 4 weeks)");
  for (size_t now = s.train + s.reference; now + s.window <= data.rows(); now += kMonth) {
    const size_t train_end = now - s.reference;
    auto model = OrDie(
        mlloop::pipeline::XgbModel::Train(data, train_end - s.train, train_end, train), "training");
    const size_t end = std::min(now + kMonth, data.rows());
    std::vector<float> scores;
    const size_t begin = now - s.reference;
    if (!model->Predict(data.Row(begin), end - begin, data.n_features, &scores).ok()) return 1;
    std::vector<float> labels(data.y.begin() + static_cast<std::ptrdiff_t>(begin),
                              data.y.begin() + static_cast<std::ptrdiff_t>(end));
    EvaluateWindows(scores, labels, 0, s.reference, s.reference, end - begin, begin, s, &monthly,
                    csv);
  }
  Print(frozen, s.window);
  Print(frozen_early, s.window);
  Print(monthly, s.window);
  return 0;
}
