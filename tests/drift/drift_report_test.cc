#include "drift/drift_report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "io/csv_reader.h"
#include "stats/chi_squared.h"
#include "stats/ks_test.h"
#include "drift/elec2_data.h"
#include "testutil/testutil.h"

namespace mlloop::drift {
namespace {

// ---------------------------------------------------------------------------------------
// Helpers


// Rows begin, begin + step, ... below end, as one table.
core::Dataset EveryNth(const core::Dataset& d, size_t begin, size_t end, size_t step) {
  core::Dataset out = d.Slice(0, 0);
  for (size_t i = begin; i < end; i += step) {
    out.x.insert(out.x.end(), d.Row(i), d.Row(i) + d.n_features);
    out.y.push_back(d.y[i]);
    out.time.push_back(d.time[i]);
    out.row.push_back(d.row[i]);
  }
  return out;
}

core::Dataset Parse(std::string_view csv, const core::Schema& schema) {
  auto parsed = io::ParseCsv(csv, "inline", schema);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? std::move(parsed).value() : core::Dataset{};
}

const FeatureDrift& Feature(const DriftReport& report, const std::string& name) {
  for (const auto& f : report.features) {
    if (f.name == name) return f;
  }
  ADD_FAILURE() << "no feature " << name;
  static const FeatureDrift none;
  return none;
}

std::vector<float> NonMissing(const core::Dataset& d, size_t feature) {
  std::vector<float> out;
  for (size_t i = 0; i < d.rows(); ++i) {
    if (!core::IsMissing(d.At(i, feature))) out.push_back(d.At(i, feature));
  }
  return out;
}

bool HasFinding(const DriftReport& report, const std::string& column, const std::string& kind) {
  return std::any_of(report.quality.begin(), report.quality.end(),
                     [&](const QualityFinding& q) { return q.column == column && q.kind == kind; });
}

// Every number in a feature's JSON is finite or null; no "NaN" token anywhere.
void ExpectNoNan(const std::string& json) {
  EXPECT_EQ(json.find("NaN"), std::string::npos) << json;
  EXPECT_EQ(json.find("nan"), std::string::npos) << json;
  EXPECT_EQ(json.find("inf"), std::string::npos) << json;
  EXPECT_TRUE(nlohmann::json::accept(json));
}

// ---------------------------------------------------------------------------------------
// Names, thresholds, the automatic choice

TEST(DriftMethodTest, NamesRoundTrip) {
  for (Method m : {Method::kAuto, Method::kKs, Method::kChiSquared, Method::kZTest,
                   Method::kWasserstein, Method::kJensenShannon, Method::kPsi, Method::kHellinger,
                   Method::kLInfinity, Method::kAndersonDarling, Method::kCramerVonMises}) {
    auto parsed = ParseMethod(MethodName(m));
    ASSERT_TRUE(parsed.ok()) << MethodName(m);
    EXPECT_EQ(*parsed, m);
  }
  EXPECT_EQ(MethodName(Method::kChiSquared), "chisquare");
  EXPECT_EQ(MethodName(Method::kLInfinity), "linf");
}

TEST(DriftMethodTest, UnknownNameListsTheValidOnes) {
  auto parsed = ParseMethod("kolmogorov");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("kolmogorov"), std::string::npos);
  EXPECT_NE(parsed.status().message().find("wasserstein"), std::string::npos);
  EXPECT_NE(parsed.status().message().find("cvm"), std::string::npos);
}

TEST(DriftMethodTest, DefaultThresholds) {
  EXPECT_EQ(DefaultThreshold(Method::kWasserstein), 0.1);
  EXPECT_EQ(DefaultThreshold(Method::kPsi), 0.1);
  EXPECT_EQ(DefaultThreshold(Method::kHellinger), 0.1);
  EXPECT_EQ(DefaultThreshold(Method::kLInfinity), 0.1);
  // Evidently's 0.1 in natural-log units, converted to our base 2: 0.1 / sqrt(ln 2).
  EXPECT_NEAR(DefaultThreshold(Method::kJensenShannon), 0.12011224087864498, 1e-15);
  EXPECT_EQ(DefaultThreshold(Method::kKs), 0.05);
}

TEST(DriftMethodTest, ChoosesAsEvidently) {
  using core::FeatureType;
  EXPECT_EQ(ChooseMethod(FeatureType::kNumeric, 1000, 50, 1000), Method::kKs);
  EXPECT_EQ(ChooseMethod(FeatureType::kNumeric, 1001, 50, 1000), Method::kWasserstein);
  EXPECT_EQ(ChooseMethod(FeatureType::kNumeric, 500, 5, 1000), Method::kChiSquared);
  EXPECT_EQ(ChooseMethod(FeatureType::kNumeric, 500, 6, 1000), Method::kKs);
  EXPECT_EQ(ChooseMethod(FeatureType::kNumeric, 500, 2, 1000), Method::kZTest);
  EXPECT_EQ(ChooseMethod(FeatureType::kNumeric, 5000, 5, 1000), Method::kJensenShannon);
  EXPECT_EQ(ChooseMethod(FeatureType::kCategorical, 500, 7, 1000), Method::kChiSquared);
  EXPECT_EQ(ChooseMethod(FeatureType::kCategorical, 500, 2, 1000), Method::kZTest);
  EXPECT_EQ(ChooseMethod(FeatureType::kBoolean, 500, 2, 1000), Method::kZTest);
  EXPECT_EQ(ChooseMethod(FeatureType::kCategorical, 5000, 2, 1000), Method::kJensenShannon);
  EXPECT_EQ(ChooseMethod(FeatureType::kCategorical, 5000, 40, 1000), Method::kJensenShannon);
}

// ---------------------------------------------------------------------------------------
// Elec2

// Rows 0..17423 against 17424..34847: the Victorian columns were an imputed constant in
// the reference and vary afterwards (SOURCE.md), so they drift, and wildly: normalised
// Wasserstein divides by the 0.001 std floor. NSW price and demand move with the seasons
// too; day and period (calendar) do not.
TEST(DriftReportElec2Test, VictorianColumnsDriftAfterRow17424) {
  const auto& d = Elec2();
  ASSERT_EQ(d.rows(), 45312u);
  const core::Dataset reference = d.Slice(0, 17424), current = d.Slice(17424, 34848);
  auto report = ComputeDrift(reference, current, Elec2Schema(), {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const char* name : {"vicprice", "vicdemand", "transfer"}) {
    const auto& f = Feature(*report, name);
    EXPECT_TRUE(f.computable) << name;
    EXPECT_EQ(f.method, "wasserstein") << name;  // 17424 reference rows, thousands of values
    EXPECT_TRUE(f.drift) << name;
    EXPECT_GT(*f.statistic, 1.0) << name;
    EXPECT_NE(f.note.find("constant"), std::string::npos) << name;
    // Data quality: a constant reference means nearly every current value is outside it.
    // It is not "became_constant": that is the opposite direction.
    EXPECT_TRUE(HasFinding(*report, name, "out_of_range")) << name;
    EXPECT_FALSE(HasFinding(*report, name, "became_constant")) << name;
  }
  EXPECT_FALSE(Feature(*report, "day").drift);
  EXPECT_EQ(Feature(*report, "day").method, "jensenshannon");
  EXPECT_FALSE(Feature(*report, "period").drift);
  EXPECT_EQ(*Feature(*report, "period").statistic, 0.0);  // 363 whole days on each side
  EXPECT_TRUE(Feature(*report, "nswprice").drift);
  EXPECT_EQ(report->features_computable, 7u);
  EXPECT_EQ(report->features_drifted, 5u);
  EXPECT_TRUE(report->dataset_drift);
  EXPECT_NEAR(report->drift_share, 5.0 / 7.0, 1e-12);
  // Three of the five drifted features have out-of-range findings: by our rule the report
  // is mostly data quality, which is the right reading here: the jump is the end of an
  // imputation, a pipeline fact, more than a change of the market.
  EXPECT_TRUE(report->mostly_data_quality);
  ASSERT_TRUE(report->target.has_value());
  EXPECT_EQ(report->target->name, "class");
  EXPECT_EQ(report->target->type, core::FeatureType::kCategorical);
  EXPECT_EQ(report->target->method, "jensenshannon");
  EXPECT_TRUE(report->target->computable);
  ExpectNoNan(report->ToJson());
}

// Even and odd rows of 20000..29999 interleave one period: nothing drifts.
TEST(DriftReportElec2Test, SamePeriodHasNoDrift) {
  const auto& d = Elec2();
  ASSERT_EQ(d.rows(), 45312u);
  const core::Dataset reference = EveryNth(d, 20000, 30000, 2);
  const core::Dataset current = EveryNth(d, 20001, 30000, 2);
  auto report = ComputeDrift(reference, current, Elec2Schema(), {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->features_computable, 7u);
  EXPECT_EQ(report->features_drifted, 0u);
  EXPECT_FALSE(report->dataset_drift);
  EXPECT_FALSE(report->mostly_data_quality);
  for (const auto& f : report->features) {
    EXPECT_FALSE(f.drift) << f.name << " " << *f.statistic;
    EXPECT_LT(*f.statistic, f.threshold) << f.name;
  }
  EXPECT_FALSE(report->target->drift);
  // One true finding, and no drift: 48 slots a day is even, so even rows hold only the even
  // half-hour slots (period up to 46/47) and odd rows the odd ones; the last slot, 47/47 = 1,
  // is outside everything the reference saw (1 row in 24 of the current, 4.2%).
  ASSERT_EQ(report->quality.size(), 1u);
  EXPECT_EQ(report->quality[0].column, "period");
  EXPECT_EQ(report->quality[0].kind, "out_of_range");
  EXPECT_NEAR(report->quality[0].value, 209.0 / 5000, 1e-12);
}

// 500 against 500 rows: tests, not distances, and the same numbers as stats/ gives on the
// same values (the report sorts once and calls the *Sorted form).
TEST(DriftReportElec2Test, SmallSampleUsesTestsThatAgreeWithStats) {
  const auto& d = Elec2();
  ASSERT_EQ(d.rows(), 45312u);
  const core::Dataset reference = d.Slice(30000, 30500), current = d.Slice(30500, 31000);
  const auto schema = Elec2Schema();
  auto report = ComputeDrift(reference, current, schema, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (size_t j = 1; j < schema.features.size(); ++j) {
    const auto& f = report->features[j];
    ASSERT_EQ(f.method, "ks") << f.name;
    auto want = stats::KsTwoSample(NonMissing(reference, j), NonMissing(current, j));
    ASSERT_TRUE(want.ok());
    EXPECT_EQ(*f.statistic, want->statistic) << f.name;
    EXPECT_EQ(*f.p_value, want->p_value) << f.name;
    EXPECT_EQ(f.threshold, 0.05);
    EXPECT_EQ(f.drift, want->p_value < 0.05) << f.name;
  }
  // Day, 7 categories: chi-squared on the counts per day.
  const auto& day = report->features[0];
  ASSERT_EQ(day.method, "chisquare");
  std::vector<size_t> ref_counts(7), cur_counts(7);
  for (size_t i = 0; i < 500; ++i) {
    ++ref_counts[std::stoi(reference.categories[0][static_cast<size_t>(reference.At(i, 0))]) - 1];
    ++cur_counts[std::stoi(current.categories[0][static_cast<size_t>(current.At(i, 0))]) - 1];
  }
  auto chi = stats::ChiSquaredIndependence(ref_counts, cur_counts);
  ASSERT_TRUE(chi.ok());
  EXPECT_NEAR(*day.statistic, chi->statistic, 1e-12 * chi->statistic);
  EXPECT_NEAR(*day.p_value, chi->p_value, 1e-12);
  // The binary target: the two-proportion Z-test.
  EXPECT_EQ(report->target->method, "z");
  // Period cycles through its 48 slots on both sides: no drift.
  EXPECT_FALSE(report->features[1].drift);
}

// ---------------------------------------------------------------------------------------
// Forced methods

TEST(DriftReportTest, ForcedMethodsAndFallbacks) {
  const auto& d = Elec2();
  ASSERT_EQ(d.rows(), 45312u);
  const core::Dataset reference = d.Slice(30000, 32000), current = d.Slice(32000, 34000);
  DriftOptions options;
  options.method = Method::kPsi;
  options.per_feature["day"] = Method::kKs;  // numeric-only on a category
  options.per_feature["period"] = Method::kCramerVonMises;
  options.per_feature["nswprice"] = Method::kAndersonDarling;
  options.per_feature["nswdemand"] = Method::kZTest;      // z on thousands of values
  options.per_feature["vicprice"] = Method::kChiSquared;  // chi-squared on numeric: bins
  options.per_feature_threshold["vicdemand"] = 10.0;      // psi can never reach it here
  auto report = ComputeDrift(reference, current, Elec2Schema(), options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();

  const auto& day = Feature(*report, "day");
  EXPECT_EQ(day.method, "chisquare");
  EXPECT_NE(day.note.find("ks applies to numeric features only"), std::string::npos) << day.note;
  EXPECT_TRUE(day.computable);

  const auto& period = Feature(*report, "period");
  EXPECT_EQ(period.method, "cvm");
  EXPECT_TRUE(period.p_value.has_value());
  EXPECT_FALSE(period.drift);

  const auto& price = Feature(*report, "nswprice");
  EXPECT_EQ(price.method, "anderson");
  EXPECT_GE(*price.p_value, 0.001);
  EXPECT_LE(*price.p_value, 0.25);

  const auto& demand = Feature(*report, "nswdemand");
  EXPECT_EQ(demand.method, "z");
  EXPECT_FALSE(demand.computable);
  EXPECT_FALSE(demand.statistic.has_value());
  EXPECT_NE(demand.note.find("at most two values"), std::string::npos);

  const auto& vicprice = Feature(*report, "vicprice");
  EXPECT_EQ(vicprice.method, "chisquare");
  EXPECT_NE(vicprice.note.find("10 shared equal-width bins"), std::string::npos);
  EXPECT_TRUE(vicprice.computable);

  const auto& vicdemand = Feature(*report, "vicdemand");
  EXPECT_EQ(vicdemand.method, "psi");
  EXPECT_EQ(vicdemand.threshold, 10.0);
  EXPECT_FALSE(vicdemand.drift);

  const auto& transfer = Feature(*report, "transfer");
  EXPECT_EQ(transfer.method, "psi");
  EXPECT_EQ(transfer.threshold, 0.1);
  EXPECT_FALSE(transfer.p_value.has_value());
  EXPECT_EQ(transfer.drift, *transfer.statistic >= 0.1);

  // One feature not computable: the share is over the six that are.
  EXPECT_EQ(report->features_computable, 6u);
}

TEST(DriftReportTest, DistanceThresholdOptionAppliesToEveryDistance) {
  core::Schema schema;
  schema.features.push_back({"x", core::FeatureType::kNumeric, {}});
  std::string ref = "x\n", cur = "x\n";
  for (int i = 0; i < 2000; ++i) {
    ref += std::to_string(i % 100) + "\n";
    cur += std::to_string(i % 100 + 3) + "\n";  // shifted by 3 / std 28.9 = 0.104
  }
  DriftOptions options;
  auto plain = ComputeDrift(Parse(ref, schema), Parse(cur, schema), schema, options);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->features[0].method, "wasserstein");
  EXPECT_NEAR(*plain->features[0].statistic, 3.0 / std::sqrt((100.0 * 100.0 - 1) / 12), 1e-6);
  EXPECT_TRUE(plain->features[0].drift);
  options.distance_threshold = 0.2;
  auto relaxed = ComputeDrift(Parse(ref, schema), Parse(cur, schema), schema, options);
  ASSERT_TRUE(relaxed.ok());
  EXPECT_EQ(relaxed->features[0].threshold, 0.2);
  EXPECT_FALSE(relaxed->features[0].drift);
}

// ---------------------------------------------------------------------------------------
// Categories matched by text

constexpr char kColorsReference[] =
    "color,flag,y\n"
    "red,true,0\nred,true,0\nblue,false,1\nred,true,0\ngreen,false,1\nblue,true,0\n"
    "red,false,1\nblue,true,0\ngreen,false,1\nred,true,0\n";
// Same counts per color and flag, first appearances in another order.
constexpr char kColorsCurrent[] =
    "color,flag,y\n"
    "green,false,1\nblue,false,1\nred,true,0\nred,true,0\nblue,true,0\ngreen,false,0\n"
    "red,true,1\nred,false,0\nblue,true,0\nred,true,0\n";

core::Schema ColorSchema() {
  core::Schema schema;
  schema.features.push_back({"color", core::FeatureType::kCategorical, {}});
  schema.features.push_back({"flag", core::FeatureType::kBoolean, {}});
  schema.label.name = "y";
  return schema;
}

TEST(DriftReportTest, CategoriesAlignByTextNotCode) {
  const auto schema = ColorSchema();
  const auto reference = Parse(kColorsReference, schema);
  const auto current = Parse(kColorsCurrent, schema);
  ASSERT_EQ(reference.categories[0], (std::vector<std::string>{"red", "blue", "green"}));
  ASSERT_EQ(current.categories[0], (std::vector<std::string>{"green", "blue", "red"}));
  auto report = ComputeDrift(reference, current, schema, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& color = report->features[0];
  EXPECT_EQ(color.method, "chisquare");
  EXPECT_EQ(*color.statistic, 0.0);
  EXPECT_EQ(*color.p_value, 1.0);
  EXPECT_FALSE(color.drift);
  // Chart shares per category by text: red 5, blue 3, green 2 of 10 on both sides.
  EXPECT_EQ(color.distribution.labels, (std::vector<std::string>{"red", "blue", "green"}));
  EXPECT_EQ(color.distribution.reference, (std::vector<double>{0.5, 0.3, 0.2}));
  EXPECT_EQ(color.distribution.current, (std::vector<double>{0.5, 0.3, 0.2}));
  const auto& flag = report->features[1];
  EXPECT_EQ(flag.method, "z");
  EXPECT_EQ(*flag.statistic, 0.0);
  EXPECT_FALSE(flag.drift);
  EXPECT_FALSE(report->dataset_drift);
  EXPECT_TRUE(report->quality.empty());

  // Forcing JS (the large-sample choice) gives exactly 0 as well.
  DriftOptions options;
  options.method = Method::kJensenShannon;
  auto js = ComputeDrift(reference, current, schema, options);
  ASSERT_TRUE(js.ok());
  EXPECT_EQ(*js->features[0].statistic, 0.0);
}

TEST(DriftReportTest, SwappedCategoryFrequenciesDrift) {
  core::Schema schema;
  schema.features.push_back({"color", core::FeatureType::kCategorical, {}});
  std::string ref = "color\n", cur = "color\n";
  for (int i = 0; i < 60; ++i) {
    ref += i < 50 ? "red\n" : "blue\n";
    cur += i < 10 ? "blue\n" : (i < 20 ? "red\n" : "blue\n");  // 10 red, 50 blue
  }
  auto report = ComputeDrift(Parse(ref, schema), Parse(cur, schema), schema, {});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->features[0].method, "z");
  EXPECT_TRUE(report->features[0].drift);
  EXPECT_LT(*report->features[0].p_value, 1e-6);
}

TEST(DriftReportTest, ManyCategoriesChartKeepsTwentyAndOther) {
  core::Schema schema;
  schema.features.push_back({"city", core::FeatureType::kCategorical, {}});
  std::string csv = "city\n";
  for (int i = 0; i < 30; ++i) {
    for (int k = 0; k <= i; ++k) csv += "c" + std::to_string(i) + "\n";  // c29 most frequent
  }
  const auto d = Parse(csv, schema);
  auto report = ComputeDrift(d, d, schema, {});
  ASSERT_TRUE(report.ok());
  const auto& dist = report->features[0].distribution;
  ASSERT_EQ(dist.labels.size(), 21u);
  EXPECT_EQ(dist.labels.front(), "c29");
  EXPECT_EQ(dist.labels.back(), "other");
  double sum = 0;
  for (double s : dist.reference) sum += s;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_NEAR(dist.reference.back(), (1.0 + 10.0) * 10 / 2 / 465.0, 1e-12);  // c0..c9
}

TEST(DriftReportTest, NumericChartUsesSharedBinsWithRangeLabels) {
  core::Schema schema;
  schema.features.push_back({"x", core::FeatureType::kNumeric, {}});
  std::string ref = "x\n", cur = "x\n";
  for (int i = 0; i <= 100; ++i) ref += std::to_string(i / 100.0) + "\n";  // 0.00 .. 1.00
  for (int i = 0; i < 50; ++i) cur += std::to_string(0.5 + i / 100.0) + "\n";
  auto report = ComputeDrift(Parse(ref, schema), Parse(cur, schema), schema, {});
  ASSERT_TRUE(report.ok());
  const auto& dist = report->features[0].distribution;
  ASSERT_EQ(dist.labels.size(), 10u);
  EXPECT_EQ(dist.labels[0], "[0.00, 0.10)");
  EXPECT_EQ(dist.labels[1], "[0.10, 0.20)");
  EXPECT_EQ(dist.labels[9], "[0.90, 1.00]");
  double ref_sum = 0, cur_sum = 0;
  for (size_t k = 0; k < 10; ++k) {
    ref_sum += dist.reference[k];
    cur_sum += dist.current[k];
  }
  EXPECT_NEAR(ref_sum, 1.0, 1e-12);
  EXPECT_NEAR(cur_sum, 1.0, 1e-12);
  EXPECT_EQ(dist.current[0], 0.0);
  EXPECT_EQ(report->features[0].method, "ks");
}

// A numeric column with few values is compared and drawn per value.
TEST(DriftReportTest, NumericWithFewValuesIsCategorical) {
  core::Schema schema;
  schema.features.push_back({"rooms", core::FeatureType::kNumeric, {}});
  std::string ref = "rooms\n", cur = "rooms\n";
  for (int i = 0; i < 300; ++i) {
    ref += std::to_string(1 + i % 3) + "\n";
    cur += std::to_string(1 + (i * 7) % 3) + "\n";
  }
  auto report = ComputeDrift(Parse(ref, schema), Parse(cur, schema), schema, {});
  ASSERT_TRUE(report.ok());
  const auto& f = report->features[0];
  EXPECT_EQ(f.method, "chisquare");
  EXPECT_FALSE(f.drift);
  EXPECT_EQ(f.distribution.labels, (std::vector<std::string>{"1", "2", "3"}));
}

// A regression label is compared as a number.
TEST(DriftReportTest, RegressionTargetIsNumeric) {
  core::Schema schema;
  schema.features.push_back({"x", core::FeatureType::kNumeric, {}});
  schema.label.name = "y";
  schema.label.task = core::Task::kRegression;
  std::string ref = "x,y\n", cur = "x,y\n";
  for (int i = 0; i < 200; ++i) {
    ref += std::to_string(i) + "," + std::to_string(i % 50) + "\n";
    cur += std::to_string(i) + "," + std::to_string(i % 50 + 40) + "\n";
  }
  auto report = ComputeDrift(Parse(ref, schema), Parse(cur, schema), schema, {});
  ASSERT_TRUE(report.ok());
  ASSERT_TRUE(report->target.has_value());
  EXPECT_EQ(report->target->type, core::FeatureType::kNumeric);
  EXPECT_EQ(report->target->method, "ks");
  EXPECT_TRUE(report->target->drift);
  EXPECT_FALSE(report->dataset_drift);  // the target does not count
  EXPECT_EQ(report->features_computable, 1u);
}

// ---------------------------------------------------------------------------------------
// Not computable

TEST(DriftReportTest, AllMissingInCurrentIsNotComputableAndNeverNan) {
  core::Schema schema;
  schema.features.push_back({"x", core::FeatureType::kNumeric, {}});
  schema.features.push_back({"c", core::FeatureType::kCategorical, {}});
  std::string ref = "x,c\n", cur = "x,c\n";
  for (int i = 0; i < 40; ++i) {
    ref += std::to_string(i) + "," + (i % 2 ? "a" : "b") + "\n";
    cur += std::string("NA,") + (i % 2 ? "a" : "b") + "\n";
  }
  auto report = ComputeDrift(Parse(ref, schema), Parse(cur, schema), schema, {});
  ASSERT_TRUE(report.ok());
  const auto& x = report->features[0];
  EXPECT_FALSE(x.computable);
  EXPECT_FALSE(x.statistic.has_value());
  EXPECT_FALSE(x.p_value.has_value());
  EXPECT_FALSE(x.drift);
  EXPECT_EQ(x.note, "no non-missing values in the current table");
  EXPECT_EQ(x.current_missing, 40u);
  EXPECT_EQ(x.current_rows, 0u);
  EXPECT_TRUE(x.distribution.labels.empty());
  EXPECT_EQ(report->features_computable, 1u);
  EXPECT_TRUE(HasFinding(*report, "x", "missing_rate_jump"));
  EXPECT_TRUE(report->mostly_data_quality);  // a feature gone entirely missing
  const std::string json = report->ToJson();
  ExpectNoNan(json);
  const auto parsed = nlohmann::json::parse(json);
  EXPECT_TRUE(parsed["features"][0]["statistic"].is_null());
  EXPECT_TRUE(parsed["features"][0]["p_value"].is_null());
  EXPECT_FALSE(parsed["features"][0]["computable"].get<bool>());
}

TEST(DriftReportTest, EmptyCurrentTable) {
  const auto schema = ColorSchema();
  const auto reference = Parse(kColorsReference, schema);
  const auto current = Parse("color,flag,y\n", schema);
  ASSERT_EQ(current.rows(), 0u);
  auto report = ComputeDrift(reference, current, schema, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->current_rows, 0u);
  EXPECT_EQ(report->features_computable, 0u);
  EXPECT_EQ(report->drift_share, 0.0);
  EXPECT_FALSE(report->dataset_drift);
  EXPECT_FALSE(report->target.has_value());
  for (const auto& f : report->features) {
    EXPECT_FALSE(f.computable);
    EXPECT_FALSE(f.note.empty());
  }
  ExpectNoNan(report->ToJson());
}

TEST(DriftReportTest, TooFewValuesForTheTestIsNotComputable) {
  core::Schema schema;
  schema.features.push_back({"x", core::FeatureType::kNumeric, {}});
  DriftOptions options;
  options.method = Method::kCramerVonMises;  // needs two values per side
  auto report = ComputeDrift(Parse("x\n1.5\n", schema), Parse("x\n2.5\n", schema), schema, options);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->features[0].computable);
  EXPECT_EQ(report->features[0].note.rfind("cvm: ", 0), 0u) << report->features[0].note;
  ExpectNoNan(report->ToJson());
}

TEST(DriftReportTest, TablesThatDisagreeWithTheSchemaAreRejected) {
  const auto schema = ColorSchema();
  const auto reference = Parse(kColorsReference, schema);
  core::Schema other = schema;
  other.features.pop_back();
  auto report = ComputeDrift(reference, reference, other, {});
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
  DriftOptions bad;
  bad.bins = 0;
  EXPECT_FALSE(ComputeDrift(reference, reference, schema, bad).ok());
}

// ---------------------------------------------------------------------------------------
// JSON

TEST(DriftReportTest, JsonShape) {
  const auto schema = ColorSchema();
  ReadFindings findings;
  findings.columns_added = {"extra"};
  auto report = ComputeDrift(Parse(kColorsReference, schema), Parse(kColorsCurrent, schema), schema,
                             {}, findings);
  ASSERT_TRUE(report.ok());
  const auto j = nlohmann::json::parse(report->ToJson());
  for (const char* key : {"dataset_drift", "drift_share", "dataset_drift_threshold",
                          "features_drifted", "features_computable", "reference_rows",
                          "current_rows", "features", "target", "quality", "mostly_data_quality"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_FALSE(j["dataset_drift"].get<bool>());
  EXPECT_EQ(j["dataset_drift_threshold"].get<double>(), 0.5);
  EXPECT_EQ(j["reference_rows"].get<size_t>(), 10u);
  ASSERT_EQ(j["features"].size(), 2u);
  for (const auto& f : j["features"]) {
    for (const char* key : {"name", "type", "method", "statistic", "p_value", "threshold", "drift",
                            "computable", "note", "reference_rows", "current_rows",
                            "reference_missing", "current_missing", "distribution"}) {
      EXPECT_TRUE(f.contains(key)) << key;
    }
    EXPECT_EQ(f["distribution"]["labels"].size(), f["distribution"]["reference"].size());
    EXPECT_EQ(f["distribution"]["labels"].size(), f["distribution"]["current"].size());
  }
  EXPECT_EQ(j["features"][0]["name"], "color");
  EXPECT_EQ(j["features"][0]["type"], "categorical");
  EXPECT_EQ(j["features"][1]["type"], "boolean");
  EXPECT_EQ(j["features"][1]["distribution"]["labels"],
            nlohmann::json({"true", "false"}));  // 6 true, 4 false: largest first
  EXPECT_EQ(j["target"]["name"], "y");
  EXPECT_EQ(j["target"]["distribution"]["labels"], nlohmann::json({"0", "1"}));
  ASSERT_EQ(j["quality"].size(), 1u);
  EXPECT_EQ(j["quality"][0]["kind"], "column_added");
  for (const char* key : {"column", "kind", "detail", "value"}) {
    EXPECT_TRUE(j["quality"][0].contains(key)) << key;
  }
}

TEST(DriftReportTest, JsonTargetIsNullWithoutLabel) {
  core::Schema schema;
  schema.features.push_back({"x", core::FeatureType::kNumeric, {}});
  auto report =
      ComputeDrift(Parse("x\n1\n2\n3\n", schema), Parse("x\n1\n2\n4\n", schema), schema, {});
  ASSERT_TRUE(report.ok());
  const auto j = nlohmann::json::parse(report->ToJson());
  EXPECT_TRUE(j["target"].is_null());
}

}  // namespace
}  // namespace mlloop::drift

namespace mlloop::drift {
namespace {

// A table big enough to take the column-copy path (more than 2^18 values), with missing
// values, a categorical column and a shifted numeric one.
struct BigTables {
  core::Schema schema;
  core::Dataset reference, current;
};

BigTables MakeBigTables() {
  BigTables t;
  t.schema.features = {{"a", core::FeatureType::kNumeric, {}},
                       {"b", core::FeatureType::kNumeric, {}},
                       {"c", core::FeatureType::kCategorical, {}},
                       {"d", core::FeatureType::kNumeric, {}}};
  std::mt19937 gen(3);
  std::normal_distribution<float> normal(0, 1);
  std::uniform_int_distribution<int> cat(0, 5);
  for (auto* d : {&t.reference, &t.current}) {
    const bool cur = d == &t.current;
    const size_t rows = cur ? 70001 : 90000;
    d->n_features = 4;
    d->categories.resize(4);
    d->categories[2] = {"p", "q", "r", "s", "t", "u"};
    for (size_t i = 0; i < rows; ++i) {
      d->x.push_back(normal(gen) + (cur ? 0.1f : 0));
      d->x.push_back(i % 17 == 0 ? std::numeric_limits<float>::quiet_NaN() : normal(gen));
      d->x.push_back(static_cast<float>(cur ? std::min(cat(gen), cat(gen)) : cat(gen)));
      d->x.push_back(std::round(normal(gen) * 4) / 4);
      d->y.push_back(std::numeric_limits<float>::quiet_NaN());
      d->time.push_back(static_cast<int64_t>(i));
      d->row.push_back(static_cast<int64_t>(i));
    }
  }
  return t;
}

TEST(DriftReportTest, SameReportOnOneThreadAndOnSeveral) {
  const BigTables t = MakeBigTables();
  DriftOptions one, many;
  one.threads = 1;
  many.threads = 3;
  one.statistics = many.statistics = {Method::kKs, Method::kPsi, Method::kJensenShannon};
  auto a = ComputeDrift(t.reference, t.current, t.schema, one);
  auto b = ComputeDrift(t.reference, t.current, t.schema, many);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->ToJson(), b->ToJson());
}

TEST(DriftReportTest, BigTablesGiveTheStatisticsOfTheRawColumns) {
  const BigTables t = MakeBigTables();
  DriftOptions options;
  options.method = Method::kKs;
  auto report = ComputeDrift(t.reference, t.current, t.schema, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (size_t j : {0, 1, 3}) {
    const auto& f = report->features[j];
    auto direct = stats::KsTwoSample(NonMissing(t.reference, j), NonMissing(t.current, j));
    ASSERT_TRUE(direct.ok());
    EXPECT_EQ(f.statistic, direct->statistic) << f.name;
    EXPECT_EQ(f.p_value, direct->p_value) << f.name;
  }
  EXPECT_EQ(report->features[1].reference_missing, (90000 + 16) / 17);
  EXPECT_TRUE(report->features[0].drift);
  EXPECT_TRUE(report->features[2].drift);   // categorical, re-weighted (chisquare)
  EXPECT_EQ(report->features[2].method, "chisquare");
  EXPECT_FALSE(report->features[3].drift);  // same distribution, heavy ties
}

TEST(DriftReportTest, ExtraStatisticsAreListedFittedAndNotRepeated) {
  const BigTables t = MakeBigTables();
  DriftOptions options;  // auto: wasserstein for numeric, jensenshannon for categorical
  options.statistics = {Method::kKs, Method::kWasserstein, Method::kPsi, Method::kChiSquared,
                        Method::kAndersonDarling};
  auto report = ComputeDrift(t.reference, t.current, t.schema, options);
  ASSERT_TRUE(report.ok());
  const auto methods = [](const FeatureDrift& f) {
    std::vector<std::string> out;
    for (const auto& e : f.statistics) out.push_back(e.method);
    return out;
  };
  const auto& a = report->features[0];
  EXPECT_EQ(a.method, "wasserstein");
  EXPECT_EQ(methods(a), (std::vector<std::string>{"ks", "psi", "chisquare", "anderson"}));
  for (const auto& e : a.statistics) {
    EXPECT_TRUE(e.computable) << e.method << ": " << e.note;
    EXPECT_TRUE(e.statistic.has_value()) << e.method;
    // A shift of 0.1 sd over 70,000 rows: every test sees it; PSI (about 0.01) stays below
    // its 0.1 rule of thumb, as it should for so small a move.
    EXPECT_EQ(e.drift, e.method != "psi") << e.method << " " << *e.statistic;
  }
  // The categorical column: ks and anderson become chisquare, listed once; wasserstein
  // becomes jensenshannon, the verdict's own method, so it is not repeated.
  const auto& c = report->features[2];
  EXPECT_EQ(c.method, "jensenshannon");
  EXPECT_EQ(methods(c), (std::vector<std::string>{"chisquare", "psi"}));
  const std::string json = report->ToJson();
  ExpectNoNan(json);
  const auto parsed = nlohmann::json::parse(json);
  EXPECT_EQ(parsed["features"][0]["statistics"][0]["method"], "ks");
  EXPECT_TRUE(parsed["features"][0]["statistics"][0]["p_value"].is_number());
}

}  // namespace
}  // namespace mlloop::drift

namespace mlloop::drift {
namespace {

TEST(ComparePredictionsTest, ComparesLikeANumericFeatureAndRefusesNaN) {
  std::vector<float> ref(2000), same(2000), moved(2000);
  std::mt19937 gen(9);
  std::normal_distribution<float> normal(0, 1);
  for (size_t i = 0; i < ref.size(); ++i) {
    ref[i] = normal(gen);
    same[i] = normal(gen);
    moved[i] = normal(gen) + 0.5f;
  }
  auto calm = ComparePredictions(ref, same, {});
  auto shifted = ComparePredictions(ref, moved, {});
  ASSERT_TRUE(calm.ok() && shifted.ok());
  EXPECT_EQ(calm->name, "prediction");
  EXPECT_EQ(calm->method, "wasserstein");  // 2000 rows: the large-sample default
  EXPECT_FALSE(calm->drift);
  EXPECT_TRUE(shifted->drift);
  moved[7] = std::numeric_limits<float>::quiet_NaN();
  auto nan = ComparePredictions(ref, moved, {});
  EXPECT_EQ(nan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(nan.status().message().find("prediction 7"), std::string::npos);
  EXPECT_EQ(ComparePredictions({}, same, {}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlloop::drift
