#include "drift/data_quality.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/csv_reader.h"

namespace mlloop::drift {
namespace {

core::Dataset Parse(std::string_view csv, const core::Schema& schema) {
  auto parsed = io::ParseCsv(csv, "inline", schema);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? std::move(parsed).value() : core::Dataset{};
}

std::vector<QualityFinding> OfKind(const std::vector<QualityFinding>& all,
                                   const std::string& kind) {
  std::vector<QualityFinding> out;
  for (const auto& q : all) {
    if (q.kind == kind) out.push_back(q);
  }
  return out;
}

ColumnSummary Missing(size_t ref_rows, size_t ref_missing, size_t cur_rows, size_t cur_missing) {
  ColumnSummary c;
  c.name = "x";
  c.reference_rows = ref_rows;
  c.reference_missing = ref_missing;
  c.current_rows = cur_rows;
  c.current_missing = cur_missing;
  return c;
}

// ---------------------------------------------------------------------------------------
// The rules, one column at a time

TEST(DataQualityTest, MissingRateJumpRules) {
  // Reference had none: 1% is enough.
  auto f = CheckColumnQuality(Missing(1000, 0, 1000, 10));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, "missing_rate_jump");
  EXPECT_EQ(f[0].value, 0.01);
  EXPECT_NE(f[0].detail.find("which had none"), std::string::npos) << f[0].detail;
  EXPECT_TRUE(CheckColumnQuality(Missing(1000, 0, 1000, 9)).empty());
  // Reference had some: the share must rise by 0.1 (absolute).
  EXPECT_TRUE(CheckColumnQuality(Missing(1000, 50, 1000, 149)).empty());
  f = CheckColumnQuality(Missing(1000, 50, 1000, 150));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].value, 0.15);
  EXPECT_EQ(f[0].detail,
            "15.0% of current values are missing (150 of 1000) against 5.0% in the reference.");
  // A fall in missingness is not a finding; nor is an empty side.
  EXPECT_TRUE(CheckColumnQuality(Missing(1000, 500, 1000, 0)).empty());
  EXPECT_TRUE(CheckColumnQuality(Missing(1000, 0, 0, 0)).empty());
}

TEST(DataQualityTest, OutOfRangeShareOfCurrentValues) {
  std::vector<float> ref(100), cur(200);
  for (size_t i = 0; i < ref.size(); ++i) ref[i] = static_cast<float>(i) / 99;  // [0, 1]
  for (size_t i = 0; i < cur.size(); ++i) cur[i] = static_cast<float>(i) / 199;
  ColumnSummary c = Missing(100, 0, 200, 0);
  c.reference_sorted = ref;
  c.current_sorted = cur;
  EXPECT_TRUE(CheckColumnQuality(c).empty());
  cur[0] = -1;  // 1 of 200 below: 0.5%, under the 1% bar
  EXPECT_TRUE(CheckColumnQuality(c).empty());
  cur[199] = 2;     // and 1 above: 1%
  cur[198] = 1.5f;  // 1.5% (still sorted)
  auto f = CheckColumnQuality(c);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, "out_of_range");
  EXPECT_NEAR(f[0].value, 0.015, 1e-12);
  EXPECT_EQ(f[0].detail,
            "1.5% of current values (3 of 200) are outside the reference's range [0, 1]: 1 below, "
            "2 above.");
}

TEST(DataQualityTest, BecameConstant) {
  std::vector<float> ref = {1, 2, 3}, cur(50, 7.5f);
  ColumnSummary c = Missing(3, 0, 50, 0);
  c.reference_sorted = ref;
  c.current_sorted = cur;
  auto f = OfKind(CheckColumnQuality(c), "became_constant");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].value, 50);
  EXPECT_EQ(f[0].detail, "All 50 current values are 7.5; the reference ranged over [1, 3].");
  // The other way round (a constant reference that starts to vary) is not this finding.
  c.reference_sorted = cur;
  c.current_sorted = ref;
  EXPECT_TRUE(OfKind(CheckColumnQuality(c), "became_constant").empty());
  // One current value says nothing.
  c.reference_sorted = ref;
  c.current_sorted = std::span<const float>(cur).first(1);
  EXPECT_TRUE(OfKind(CheckColumnQuality(c), "became_constant").empty());

  // Categorical.
  const std::vector<std::string> categories = {"a", "b"};
  const std::vector<size_t> ref_counts = {5, 5}, cur_counts = {0, 9};
  ColumnSummary k = Missing(10, 0, 9, 0);
  k.type = core::FeatureType::kCategorical;
  k.categories = categories;
  k.reference_counts = ref_counts;
  k.current_counts = cur_counts;
  f = CheckColumnQuality(k);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, "became_constant");
  EXPECT_EQ(f[0].detail, "All 9 current values are 'b'; the reference had 2 categories.");
}

TEST(DataQualityTest, UnseenCategoriesNamedUpToFive) {
  const std::vector<std::string> categories = {"a", "b", "n1", "n2", "n3", "n4", "n5", "n6"};
  const std::vector<size_t> ref_counts = {50, 50, 0, 0, 0, 0, 0, 0};
  const std::vector<size_t> cur_counts = {40, 40, 1, 2, 3, 4, 5, 5};
  ColumnSummary k = Missing(100, 0, 100, 0);
  k.type = core::FeatureType::kCategorical;
  k.categories = categories;
  k.reference_counts = ref_counts;
  k.current_counts = cur_counts;
  auto f = CheckColumnQuality(k);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, "unseen_category");
  EXPECT_NEAR(f[0].value, 0.2, 1e-12);
  EXPECT_EQ(f[0].detail,
            "20.0% of current values (20 of 100) are in 6 categories the reference never had: "
            "'n5' (5), 'n6' (5), 'n4' (4), 'n3' (3), 'n2' (2) and 1 more.");
  // Under 1%: nothing.
  const std::vector<size_t> few = {500, 499, 1, 0, 0, 0, 0, 0};
  k.current_counts = few;
  k.current_rows = 1000;
  EXPECT_TRUE(CheckColumnQuality(k).empty());
}

TEST(DataQualityTest, ReadFindingsBecomeFindings) {
  ReadFindings read;
  read.columns_missing = {"income"};
  read.columns_added = {"promo_code"};
  read.type_violations["age"] = 25;
  read.type_violation_example["age"] = "forty";
  auto f = ReadQualityFindings(read, 1000);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].kind, "column_missing");
  EXPECT_EQ(f[0].column, "income");
  EXPECT_EQ(f[1].kind, "column_added");
  EXPECT_EQ(f[1].column, "promo_code");
  EXPECT_EQ(f[2].kind, "type_violation");
  EXPECT_EQ(f[2].value, 25);
  EXPECT_EQ(f[2].detail,
            "25 current values of 'age' are not of its type (2.5% of 1000 rows), e.g. 'forty'.");
}

// ---------------------------------------------------------------------------------------
// mostly_data_quality

FeatureDrift Drifted(const std::string& name, bool drift) {
  FeatureDrift f;
  f.name = name;
  f.drift = drift;
  f.statistic = drift ? 1.0 : 0.0;
  return f;
}

QualityFinding Finding(const std::string& column, const std::string& kind, double value = 0.5) {
  return {column, kind, "", value};
}

TEST(MostlyDataQualityTest, Rule) {
  const std::vector<FeatureDrift> three = {Drifted("a", true), Drifted("b", true),
                                           Drifted("c", true), Drifted("d", false)};
  EXPECT_FALSE(IsMostlyDataQuality(three, {}));
  // 2 of 3 drifted features explained: most.
  EXPECT_TRUE(
      IsMostlyDataQuality(three, {Finding("a", "out_of_range"), Finding("b", "unseen_category")}));
  // 1 of 3, plus a finding on a feature that did not drift: not most.
  EXPECT_FALSE(IsMostlyDataQuality(
      three, {Finding("a", "became_constant"), Finding("d", "missing_rate_jump")}));
  // Half is not most.
  const std::vector<FeatureDrift> two = {Drifted("a", true), Drifted("b", true)};
  EXPECT_FALSE(IsMostlyDataQuality(two, {Finding("a", "missing_rate_jump")}));
  // Schema-level problems are always data quality, even with nothing drifted.
  const std::vector<FeatureDrift> none = {Drifted("a", false)};
  EXPECT_FALSE(IsMostlyDataQuality(none, {Finding("a", "out_of_range")}));
  EXPECT_TRUE(IsMostlyDataQuality(none, {Finding("x", "column_missing", 1)}));
  EXPECT_TRUE(IsMostlyDataQuality(none, {Finding("a", "type_violation", 3)}));
  EXPECT_TRUE(IsMostlyDataQuality(none, {Finding("a", "missing_rate_jump", 1.0)}));
  EXPECT_FALSE(IsMostlyDataQuality(none, {Finding("x", "column_added", 1)}));
  // Not-computable features neither drift nor count.
  FeatureDrift broken = Drifted("b", true);
  broken.computable = false;
  EXPECT_TRUE(IsMostlyDataQuality({Drifted("a", true), broken}, {Finding("a", "out_of_range")}));
}

// ---------------------------------------------------------------------------------------
// Through ComputeDrift, on tables read from CSV

core::Schema TwoColumnSchema() {
  core::Schema schema;
  schema.features.push_back({"amount", core::FeatureType::kNumeric, {}});
  schema.features.push_back({"channel", core::FeatureType::kCategorical, {}});
  return schema;
}

// 400 rows each: `amount` i % 100 (+ shift), channel web/app/shop in turn, and in the
// current table `unseen` rows of channel "kiosk" and `missing` empty amounts.
std::string Table(int shift, int unseen, int missing) {
  std::string csv = "amount,channel\n";
  const char* channels[] = {"web", "app", "shop"};
  for (int i = 0; i < 400; ++i) {
    csv += i < missing ? std::string() : std::to_string(i % 100 + shift);
    csv += ",";
    csv += i >= 400 - unseen ? "kiosk" : channels[i % 3];
    csv += "\n";
  }
  return csv;
}

TEST(DataQualityReportTest, CleanDriftIsNotDataQuality) {
  const auto schema = TwoColumnSchema();
  // The current amounts are the reference's upper half, twice: a drift that stays inside
  // the reference's range, with no missing value and no new category.
  std::string cur = "amount,channel\n";
  const char* channels[] = {"web", "app", "shop"};
  for (int i = 0; i < 400; ++i) cur += std::to_string(50 + i % 50) + "," + channels[i % 3] + "\n";
  auto report = ComputeDrift(Parse(Table(0, 0, 0), schema), Parse(cur, schema), schema, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->features[0].drift);
  EXPECT_FALSE(report->features[1].drift);
  EXPECT_TRUE(report->quality.empty());
  EXPECT_FALSE(report->mostly_data_quality);
}

TEST(DataQualityReportTest, UnseenCategoryAndOutOfRangeExplainTheDrift) {
  const auto schema = TwoColumnSchema();
  auto report =
      ComputeDrift(Parse(Table(0, 0, 0), schema), Parse(Table(60, 80, 0), schema), schema, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->features[0].drift);
  EXPECT_TRUE(report->features[1].drift);
  const auto range = OfKind(report->quality, "out_of_range");
  ASSERT_EQ(range.size(), 1u);
  EXPECT_EQ(range[0].column, "amount");
  EXPECT_NEAR(range[0].value, 0.6, 1e-12);  // 60..159 against [0, 99]: 100..159 is outside
  const auto unseen = OfKind(report->quality, "unseen_category");
  ASSERT_EQ(unseen.size(), 1u);
  EXPECT_EQ(unseen[0].column, "channel");
  EXPECT_NEAR(unseen[0].value, 0.2, 1e-12);
  EXPECT_NE(unseen[0].detail.find("'kiosk' (80)"), std::string::npos) << unseen[0].detail;
  EXPECT_TRUE(report->mostly_data_quality);
}

TEST(DataQualityReportTest, MissingRateJumpInReport) {
  const auto schema = TwoColumnSchema();
  auto report =
      ComputeDrift(Parse(Table(0, 0, 0), schema), Parse(Table(0, 0, 8), schema), schema, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto jump = OfKind(report->quality, "missing_rate_jump");
  ASSERT_EQ(jump.size(), 1u);
  EXPECT_EQ(jump[0].column, "amount");
  EXPECT_EQ(jump[0].value, 0.02);
  EXPECT_EQ(report->features[0].current_missing, 8u);
  EXPECT_EQ(report->features[0].current_rows, 392u);
  EXPECT_FALSE(report->mostly_data_quality);  // nothing drifted, nothing schema-level
}

TEST(DataQualityReportTest, ChannelStuckOnOneValue) {
  const auto schema = TwoColumnSchema();
  std::string cur = "amount,channel\n";
  for (int i = 0; i < 400; ++i) cur += std::to_string(i % 100) + ",web\n";
  auto report = ComputeDrift(Parse(Table(0, 0, 0), schema), Parse(cur, schema), schema, {});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->quality.size(), 1u);
  EXPECT_EQ(report->quality[0].kind, "became_constant");
  EXPECT_EQ(report->quality[0].column, "channel");
  EXPECT_TRUE(report->features[1].drift);
  EXPECT_FALSE(report->features[0].drift);
  EXPECT_TRUE(report->mostly_data_quality);  // the one drifted feature is explained
}

TEST(DataQualityReportTest, ReadFindingsMakeItDataQuality) {
  const auto schema = TwoColumnSchema();
  ReadFindings read;
  read.columns_missing = {"region"};
  read.type_violations["amount"] = 4;
  read.type_violation_example["amount"] = "n/a";
  auto report =
      ComputeDrift(Parse(Table(0, 0, 0), schema), Parse(Table(0, 0, 0), schema), schema, {}, read);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->features_drifted, 0u);
  ASSERT_EQ(report->quality.size(), 2u);
  EXPECT_EQ(report->quality[0].kind, "column_missing");
  EXPECT_EQ(report->quality[1].kind, "type_violation");
  EXPECT_NE(report->quality[1].detail.find("(1.0% of 400 rows)"), std::string::npos);
  EXPECT_TRUE(report->mostly_data_quality);

  ReadFindings added;
  added.columns_added = {"promo"};
  report =
      ComputeDrift(Parse(Table(0, 0, 0), schema), Parse(Table(0, 0, 0), schema), schema, {}, added);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->quality.size(), 1u);
  EXPECT_FALSE(report->mostly_data_quality);
}

}  // namespace
}  // namespace mlloop::drift
