#include "validate/gates.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "pipeline/elec2_fixture.h"
#include "pipeline/xgb/xgb_model.h"
#include "stats/bootstrap.h"
#include "stats/delong.h"
#include "stats/fairness.h"
#include "stats/mcnemar.h"
#include "stats/metrics.h"
#include "validate/holdout_gate.h"
#include "core/format.h"

namespace mlloop::validate {
namespace {

using Kind = config::GateConfig::Kind;

// Elec2's `day` column (1..7) is feature 0; as a segment its codes are day - 1.
const std::vector<std::string> kDays = {"1", "2", "3", "4", "5", "6", "7"};

pipeline::TrainOptions Options() {
  pipeline::TrainOptions o;
  o.rounds = 30;
  o.params = {{"max_depth", "5"}, {"eta", "0.3"}};
  return o;
}

// Real Elec2 models scored on a real holdout: rows [kHoldoutBegin, kHoldoutEnd).
constexpr size_t kHoldoutBegin = 12000, kHoldoutEnd = 14000;

struct Holdout {
  const core::Dataset* data = nullptr;
  std::vector<float> y, candidate, champion;
  std::vector<uint32_t> day;

  EvaluationInput Input() const {
    EvaluationInput in;
    in.labels = y;
    in.candidate = candidate;
    in.champion = champion;
    in.segments.push_back({"day", kDays, day});
    in.features = data->Row(kHoldoutBegin);
    in.n_features = data->n_features;
    return in;
  }
};

Holdout Score(const core::Dataset& data, const pipeline::XgbModel& candidate,
              const pipeline::XgbModel& champion) {
  Holdout h;
  h.data = &data;
  const size_t n = kHoldoutEnd - kHoldoutBegin;
  h.y.assign(data.y.begin() + kHoldoutBegin, data.y.begin() + kHoldoutEnd);
  EXPECT_TRUE(candidate.Predict(data.Row(kHoldoutBegin), n, data.n_features, &h.candidate).ok());
  EXPECT_TRUE(champion.Predict(data.Row(kHoldoutBegin), n, data.n_features, &h.champion).ok());
  for (size_t i = kHoldoutBegin; i < kHoldoutEnd; ++i) {
    h.day.push_back(static_cast<uint32_t>(data.At(i, 0)) - 1);
  }
  return h;
}

// Two models of the same market a few months apart: the champion learned from rows
// [4000, 8000), the candidate from the 4,000 rows just before the holdout. The candidate is
// better on the holdout as a whole but worse on Thursdays (day 4), a real instance of the
// average hiding a segment.
struct Models {
  std::unique_ptr<pipeline::XgbModel> champion, candidate;
};

const Models& TrainedModels() {
  static const Models* models = [] {
    const core::Dataset& data = testutil::Elec2();
    auto* m = new Models;
    m->champion = std::move(pipeline::XgbModel::Train(data, 4000, 8000, Options())).value();
    m->candidate =
        std::move(pipeline::XgbModel::Train(data, kHoldoutBegin - 4000, kHoldoutBegin, Options()))
            .value();
    return m;
  }();
  return *models;
}

config::GateConfig Gate(Kind kind, std::string metric = "accuracy") {
  config::GateConfig g;
  g.kind = kind;
  g.name = std::string(config::GateKindName(kind)) + "_" + metric;
  g.metric = std::move(metric);
  return g;
}

config::ValidationConfig WithGates(std::vector<config::GateConfig> gates) {
  config::ValidationConfig c;
  c.metric = "accuracy";
  c.min_rows = 50;
  c.gates = std::move(gates);
  return c;
}

bool Passes(const config::GateConfig& gate, const EvaluationInput& in) {
  auto ev = Evaluate(WithGates({gate}), in);
  EXPECT_TRUE(ev.ok()) << ev.status().ToString();
  return ev.ok() && ev->passed;
}

double AccuracyOn(const std::vector<float>& y, const std::vector<float>& p,
                  const std::vector<uint32_t>& day, uint32_t code) {
  std::vector<float> ys, ps;
  for (size_t i = 0; i < y.size(); ++i) {
    if (day[i] == code) {
      ys.push_back(y[i]);
      ps.push_back(p[i]);
    }
  }
  return stats::Accuracy(ys.data(), ps.data(), ys.size());
}

// The test the issue asks for: better on average, worse on one segment -> rejected, and the
// rejection names that segment.
TEST(SegmentsGateTest, RejectsACandidateBetterOnAverageButWorseOnOneSegment) {
  const Models& m = TrainedModels();
  const Holdout h = Score(testutil::Elec2(), *m.candidate, *m.champion);
  const double cand = stats::Accuracy(h.y.data(), h.candidate.data(), h.y.size());
  const double champ = stats::Accuracy(h.y.data(), h.champion.data(), h.y.size());
  const double cand_thursday = AccuracyOn(h.y, h.candidate, h.day, 3);
  const double champ_thursday = AccuracyOn(h.y, h.champion, h.day, 3);
  // The premise, measured rather than assumed.
  ASSERT_GT(cand, champ) << "the candidate should be better on average";
  ASSERT_GT(champ_thursday - cand_thursday, 0.03) << "and worse on Thursdays";

  config::GateConfig margin = Gate(Kind::kMargin);
  margin.name = "margin";
  margin.max_loss = 0.0;
  config::GateConfig segments = Gate(Kind::kSegments);
  segments.columns = {"day"};
  segments.min_rows = 100;
  segments.max_loss = 0.03;
  auto ev = Evaluate(WithGates({margin, segments}), h.Input());
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  ASSERT_EQ(ev->gates.size(), 2u);
  EXPECT_TRUE(ev->gates[0].passed) << ev->gates[0].reason;  // better on average
  EXPECT_FALSE(ev->gates[1].passed);
  EXPECT_FALSE(ev->passed);
  EXPECT_EQ(ev->FirstFailure(), &ev->gates[1]);
  const std::string expected_start = "rejected: segment day=4 accuracy " +
                                     core::FormatFixed(cand_thursday, 4) + " vs champion " +
                                     core::FormatFixed(champ_thursday, 4);
  EXPECT_EQ(ev->gates[1].reason.substr(0, expected_start.size()), expected_start)
      << ev->gates[1].reason;
  EXPECT_NE(ev->Summary().find("gate segments_accuracy rejected: segment day=4"),
            std::string::npos)
      << ev->Summary();
  // Every day is reported; only Thursday failed (the others lost less than 0.03, if anything).
  ASSERT_EQ(ev->gates[1].segments.size(), 7u);
  for (const SegmentMetric& s : ev->gates[1].segments) {
    EXPECT_TRUE(s.judged) << s.value;
    EXPECT_EQ(s.failed, s.value == "4") << s.value;
    const uint32_t code = static_cast<uint32_t>(std::stoi(s.value) - 1);
    EXPECT_DOUBLE_EQ(*s.candidate, AccuracyOn(h.y, h.candidate, h.day, code));
    EXPECT_DOUBLE_EQ(*s.champion, AccuracyOn(h.y, h.champion, h.day, code));
  }

  // With a loose enough margin the same candidate passes; a gap limit below its best-worst
  // gap fails it again.
  segments.max_loss = champ_thursday - cand_thursday + 0.01;
  EXPECT_TRUE(SegmentsGate(segments, h.Input())->passed);
  segments.max_gap = 0.01;
  auto gap = SegmentsGate(segments, h.Input());
  EXPECT_FALSE(gap->passed);
  EXPECT_NE(gap->reason.find("day gap between best and worst segment"), std::string::npos);
}

TEST(SegmentsGateTest, SmallSegmentsAreReportedButNotJudged) {
  const Models& m = TrainedModels();
  const Holdout h = Score(testutil::Elec2(), *m.candidate, *m.champion);
  config::GateConfig segments = Gate(Kind::kSegments);
  segments.columns = {"day"};
  segments.min_rows = 1000;  // no day has that many of the 2,000 rows
  segments.max_loss = 0.0;
  auto r = SegmentsGate(segments, h.Input());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->passed) << r->reason;
  EXPECT_EQ(r->segments.size(), 7u);
  for (const SegmentMetric& s : r->segments) EXPECT_FALSE(s.judged);
}

TEST(SegmentsGateTest, UnknownColumnIsTheCallersError) {
  const Models& m = TrainedModels();
  const Holdout h = Score(testutil::Elec2(), *m.candidate, *m.champion);
  config::GateConfig segments = Gate(Kind::kSegments);
  segments.columns = {"region"};
  segments.max_loss = 0.0;
  auto r = Evaluate(WithGates({segments}), h.Input());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "gate segments_accuracy: gate segments_accuracy: segment column 'region' is not in "
            "the data (segment columns: day)");
}

TEST(ValueGateTest, BoundsOnTheCandidatesMetric) {
  const Models& m = TrainedModels();
  const Holdout h = Score(testutil::Elec2(), *m.candidate, *m.champion);
  const double auc = stats::RocAuc(h.y.data(), h.candidate.data(), h.y.size());
  config::GateConfig g = Gate(Kind::kValue, "auc");
  g.at_least = auc - 0.01;
  auto pass = Evaluate(WithGates({g}), h.Input());
  ASSERT_TRUE(pass.ok());
  EXPECT_TRUE(pass->passed) << pass->Summary();
  EXPECT_DOUBLE_EQ(*pass->gates[0].candidate_value, auc);
  g.at_least = auc + 0.01;
  auto fail = Evaluate(WithGates({g}), h.Input());
  EXPECT_FALSE(fail->passed);
  EXPECT_NE(fail->gates[0].reason.find("candidate auc " + core::FormatFixed(auc, 4)),
            std::string::npos);
  g.at_least.reset();
  g.metric = "log_loss";
  const double ll = stats::LogLoss(h.y.data(), h.candidate.data(), h.y.size());
  g.at_most = ll + 1e-6;
  EXPECT_TRUE(Evaluate(WithGates({g}), h.Input())->passed);
  g.at_most = ll - 1e-6;
  EXPECT_FALSE(Evaluate(WithGates({g}), h.Input())->passed);
}

TEST(ChangeGateTest, LossAndGainFollowTheMetricsDirection) {
  const Models& m = TrainedModels();
  const Holdout h = Score(testutil::Elec2(), *m.candidate, *m.champion);
  const double cand = stats::LogLoss(h.y.data(), h.candidate.data(), h.y.size());
  const double champ = stats::LogLoss(h.y.data(), h.champion.data(), h.y.size());
  // log loss: lower is better, so the gain is champion - candidate.
  const double gain = champ - cand;
  config::GateConfig g = Gate(Kind::kChange, "log_loss");
  g.min_gain = gain - 1e-9;
  EXPECT_TRUE(Passes(g, h.Input()));
  g.min_gain = gain + 1e-9;
  EXPECT_FALSE(Passes(g, h.Input()));
  g.min_gain.reset();
  g.min_relative_gain = gain / champ - 1e-9;
  EXPECT_TRUE(Passes(g, h.Input()));
  g.min_relative_gain = gain / champ + 1e-9;
  EXPECT_FALSE(Passes(g, h.Input()));
  // The champion against the candidate: the loss is -gain.
  EvaluationInput swapped = h.Input();
  std::swap(swapped.candidate, swapped.champion);
  g.min_relative_gain.reset();
  g.max_loss = gain + 1e-9;
  EXPECT_TRUE(Passes(g, swapped));
  g.max_loss = gain - 1e-9;
  EXPECT_FALSE(Passes(g, swapped));
  g.max_loss.reset();
  g.max_relative_loss = gain / cand - 1e-9;  // relative to the (swapped) champion's value
  EXPECT_FALSE(Passes(g, swapped));
}

TEST(SignificanceGateTest, DeLongIntervalIsTheStatsModulesAndDecides) {
  const Models& m = TrainedModels();
  const Holdout h = Score(testutil::Elec2(), *m.candidate, *m.champion);
  auto reference = stats::DeLongTest(h.y, h.champion, h.candidate, 0.95);
  ASSERT_TRUE(reference.ok());
  config::GateConfig g = Gate(Kind::kSignificance, "auc");
  g.test = "delong";
  auto r = SignificanceGate(g, h.Input());
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(*r->difference, reference->difference);
  EXPECT_DOUBLE_EQ(r->interval->lower, reference->lower);
  EXPECT_DOUBLE_EQ(r->interval->upper, reference->upper);
  EXPECT_DOUBLE_EQ(*r->p_value, reference->p_value);
  EXPECT_EQ(r->passed, reference->lower > 0) << r->reason;
  // A min_gain just below / above the lower bound flips the verdict.
  g.min_gain = reference->lower - 1e-9;
  EXPECT_TRUE(SignificanceGate(g, h.Input())->passed);
  g.min_gain = reference->lower + 1e-9;
  EXPECT_FALSE(SignificanceGate(g, h.Input())->passed);
}

TEST(SignificanceGateTest, BootstrapIsSeededAndReportsItsInterval) {
  const Models& m = TrainedModels();
  const Holdout h = Score(testutil::Elec2(), *m.candidate, *m.champion);
  config::GateConfig g = Gate(Kind::kSignificance, "brier");
  g.test = "bootstrap";
  g.resamples = 300;
  g.seed = 7;
  auto a = SignificanceGate(g, h.Input());
  auto b = SignificanceGate(g, h.Input());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->reason, b->reason);
  stats::BootstrapOptions options;
  options.resamples = 300;
  options.seed = 7;
  auto ref = stats::PairedBootstrap(
      h.y, h.champion, h.candidate,
      [](std::span<const float> y, std::span<const float> p) {
        return stats::Brier(y.data(), p.data(), y.size());
      },
      stats::Better::kLower, options, stats::BootstrapSampling::kStratifiedByLabel);
  ASSERT_TRUE(ref.ok());
  EXPECT_DOUBLE_EQ(a->interval->lower, ref->lower);
  EXPECT_DOUBLE_EQ(a->interval->upper, ref->upper);
  // Brier: lower is better, so the gain's lower bound is -upper.
  EXPECT_EQ(a->passed, -ref->upper > 0);
  g.seed = 8;
  EXPECT_NE(SignificanceGate(g, h.Input())->interval->lower, ref->lower);
}

TEST(SignificanceGateTest, McNemarNeedsTheCandidateAheadAndSignificant) {
  const Models& m = TrainedModels();
  const Holdout h = Score(testutil::Elec2(), *m.candidate, *m.champion);
  config::GateConfig g = Gate(Kind::kSignificance, "accuracy");
  g.test = "mcnemar";
  std::vector<uint8_t> champ_right, cand_right;
  for (size_t i = 0; i < h.y.size(); ++i) {
    champ_right.push_back((h.champion[i] >= 0.5f) == (h.y[i] >= 0.5f));
    cand_right.push_back((h.candidate[i] >= 0.5f) == (h.y[i] >= 0.5f));
  }
  auto table = stats::CountPairedCorrectness(champ_right, cand_right);
  auto test = stats::McNemarTest(*table);
  auto r = SignificanceGate(g, h.Input());
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(*r->p_value, test->p_value);
  EXPECT_EQ(r->passed, table->only_candidate_right > table->only_champion_right &&
                           test->p_value < 0.05);
  // The other way round the candidate is behind: never significant as an improvement.
  EvaluationInput swapped = h.Input();
  std::swap(swapped.candidate, swapped.champion);
  EXPECT_FALSE(SignificanceGate(g, swapped)->passed);
}

TEST(SignificanceGateTest, NotComputableFailsWithTheReason) {
  std::vector<float> y = {1, 0, 0, 0}, a = {.9f, .2f, .1f, .3f}, b = {.8f, .1f, .2f, .4f};
  EvaluationInput in;
  in.labels = y;
  in.candidate = a;
  in.champion = b;
  config::GateConfig g = Gate(Kind::kSignificance, "auc");
  g.test = "delong";
  auto r = SignificanceGate(g, in);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->passed);
  EXPECT_NE(r->reason.find("delong test not computable on 4 rows"), std::string::npos)
      << r->reason;
}

TEST(BiasGateTest, GapsAreTheFairnessModulesWithTheirIntervals) {
  const Models& m = TrainedModels();
  const Holdout h = Score(testutil::Elec2(), *m.candidate, *m.champion);
  config::GateConfig g;
  g.kind = Kind::kBias;
  g.name = "bias_day";
  g.column = "day";
  g.resamples = 200;
  g.max_parity_difference = 1.0;
  g.min_impact_ratio = 0.0;
  g.max_opportunity_difference = 1.0;
  auto r = BiasGate(g, h.Input());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->passed) << r->reason;
  ASSERT_EQ(r->fairness.size(), 3u);
  std::vector<float> decisions;
  for (float p : h.candidate) decisions.push_back(p >= 0.5f ? 1.0f : 0.0f);
  std::vector<int32_t> groups(h.day.begin(), h.day.end());
  stats::FairnessOptions options;
  options.bootstrap.resamples = 200;
  auto dp = stats::DemographicParityDifference(decisions, groups, options);
  auto di = stats::DisparateImpactRatio(decisions, groups, options);
  auto eo = stats::EqualOpportunityDifference(h.y, decisions, groups, options);
  ASSERT_TRUE(dp.ok() && di.ok() && eo.ok());
  EXPECT_DOUBLE_EQ(r->fairness[0].candidate, dp->value);
  EXPECT_DOUBLE_EQ(r->fairness[0].interval.lower, dp->lower);
  EXPECT_DOUBLE_EQ(r->fairness[1].candidate, di->value);
  EXPECT_DOUBLE_EQ(r->fairness[1].interval.upper, di->upper);
  EXPECT_DOUBLE_EQ(r->fairness[2].candidate, eo->value);
  EXPECT_TRUE(r->fairness[2].champion.has_value());

  // Limits just inside and just outside each value.
  g.max_parity_difference = dp->value - 1e-9;
  auto dp_fail = BiasGate(g, h.Input());
  EXPECT_FALSE(dp_fail->passed);
  EXPECT_TRUE(dp_fail->fairness[0].failed);
  EXPECT_FALSE(dp_fail->fairness[1].failed);
  g.max_parity_difference = 1.0;
  g.min_impact_ratio = di->value + 1e-9;
  auto di_fail = BiasGate(g, h.Input());
  EXPECT_FALSE(di_fail->passed);
  EXPECT_NE(di_fail->reason.find("impact_ratio " + core::FormatFixed(di->value, 4) +
                                 " < min_impact_ratio"),
            std::string::npos)
      << di_fail->reason;
}

TEST(LatencyGateTest, BudgetsAndTheChampionsTime) {
  const Models& m = TrainedModels();
  const core::Dataset& data = testutil::Elec2();
  const Holdout h = Score(data, *m.candidate, *m.champion);
  const size_t nf = data.n_features;
  std::vector<float> buffer;
  // The serving path (the flat forest) and XGBoost's C API (~30x slower per call).
  PredictOne flat = [&](const float* row, float* out) {
    Status s = m.candidate->Predict(row, 1, nf, &buffer);
    *out = buffer[0];
    return s;
  };
  PredictOne xgboost = [&](const float* row, float* out) {
    Status s = m.candidate->PredictWithXgboost(row, 1, nf, &buffer);
    *out = buffer[0];
    return s;
  };
  ASSERT_TRUE(m.candidate->flat_forest_status().ok());
  config::GateConfig g;
  g.kind = Kind::kLatency;
  g.name = "latency";
  g.samples = 300;
  g.p99_us = 1e6;  // a second: always met
  EvaluationInput in = h.Input();
  in.predict_candidate = flat;
  in.predict_champion = xgboost;
  auto ok = LatencyGate(g, in);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->passed) << ok->reason;
  EXPECT_EQ(ok->candidate_latency->samples, 300);
  EXPECT_FALSE(ok->champion_latency.has_value());  // no ratio asked for
  EXPECT_LE(ok->candidate_latency->p50_us, ok->candidate_latency->p99_us);
  g.p50_us = 1e-3;  // a nanosecond: never met
  auto over = LatencyGate(g, in);
  EXPECT_FALSE(over->passed);
  EXPECT_NE(over->reason.find("p50 "), std::string::npos);

  // Against the champion: XGBoost's C API as the candidate is far slower than the flat path.
  g.p50_us.reset();
  g.max_ratio = 2;
  auto faster = LatencyGate(g, in);
  ASSERT_TRUE(faster->champion_latency.has_value());
  EXPECT_TRUE(faster->passed) << faster->reason;
  std::swap(in.predict_candidate, in.predict_champion);
  auto slower = LatencyGate(g, in);
  EXPECT_FALSE(slower->passed) << slower->reason;
  EXPECT_NE(slower->reason.find("the champion's > max_ratio 2"), std::string::npos);
}

TEST(SanityGateTest, NaNCollapseAndSize) {
  std::vector<float> y = {1, 0, 1, 0}, good = {.9f, .2f, .7f, .1f};
  std::vector<float> nan = {.9f, NAN, .7f, .1f}, flat = {.5f, .5f, .5f, .5f};
  config::GateConfig g;
  g.kind = Kind::kSanity;
  g.name = "sanity";
  g.max_model_bytes = 1000;
  config::ValidationConfig c = WithGates({g});
  c.min_rows = 1;
  EvaluationInput in;
  in.labels = y;
  in.candidate = good;
  in.candidate_model_bytes = 999;
  EXPECT_TRUE(Evaluate(c, in)->passed) << Evaluate(c, in)->Summary();
  in.candidate_model_bytes = 1001;
  EXPECT_NE(Evaluate(c, in)->Summary().find("model 1001 bytes > max_model_size 1000"),
            std::string::npos);
  in.candidate_model_bytes = 10;
  in.candidate = nan;
  EXPECT_NE(Evaluate(c, in)->Summary().find("1 NaN or infinite predictions"), std::string::npos);
  in.candidate = flat;
  EXPECT_NE(Evaluate(c, in)->Summary().find("predictions collapsed"), std::string::npos);
}

TEST(EvaluateTest, TooFewRowsRunsNoGate) {
  std::vector<float> y = {1, 0}, p = {.9f, .1f};
  config::ValidationConfig c;
  c.metric = "accuracy";
  c.min_rows = 3;
  EvaluationInput in;
  in.labels = y;
  in.candidate = p;
  auto ev = Evaluate(c, in);
  ASSERT_TRUE(ev.ok());
  EXPECT_FALSE(ev->passed);
  ASSERT_EQ(ev->gates.size(), 1u);
  EXPECT_EQ(ev->gates[0].name, "holdout");
  EXPECT_EQ(ev->Summary(),
            "gate holdout not enough clean holdout rows: 2 < 3 (rows that neither model trained "
            "on)");
}

TEST(EvaluateTest, WithoutGatesTheMarginGateRunsAsBefore) {
  const Models& m = TrainedModels();
  const Holdout h = Score(testutil::Elec2(), *m.candidate, *m.champion);
  config::ValidationConfig c;
  c.metric = "accuracy";
  c.margin = 0.01;
  auto ev = Evaluate(c, h.Input());
  ASSERT_TRUE(ev.ok());
  HoldoutScores scores{h.y.data(), h.candidate.data(), h.champion.data(), h.y.size()};
  auto v1 = HoldoutGate(scores, "accuracy", 0.01, c.min_rows);
  ASSERT_EQ(ev->gates.size(), 1u);
  EXPECT_EQ(ev->gates[0].name, "margin");
  EXPECT_EQ(ev->gates[0].reason, v1->reason);
  EXPECT_EQ(ev->passed, v1->passed);
  const auto json = nlohmann::json::parse(ev->ToJson());
  EXPECT_EQ(json["gates"][0]["reason"], v1->reason);
  EXPECT_EQ(json["rows"], 2000);
  EXPECT_EQ(json["summary"], ev->Summary());
}

}  // namespace
}  // namespace mlloop::validate
