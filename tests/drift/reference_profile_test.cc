#include "drift/reference_profile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "drift/drift_report.h"

namespace mlloop::drift {
namespace {

// Numeric a (shifted in the current table), b (with missing values, unchanged), categorical
// c (re-weighted), numeric d with ties (unchanged); 60,000 and 50,001 rows.
struct Tables {
  core::Schema schema;
  core::Dataset reference, current;
};

Tables Make(size_t ref_rows = 60000, size_t cur_rows = 50001, float shift = 0.1f) {
  Tables t;
  t.schema.features = {{"a", core::FeatureType::kNumeric, {}},
                       {"b", core::FeatureType::kNumeric, {}},
                       {"c", core::FeatureType::kCategorical, {}},
                       {"d", core::FeatureType::kNumeric, {}}};
  std::mt19937 gen(5);
  std::normal_distribution<float> normal(0, 1);
  std::uniform_int_distribution<int> cat(0, 5);
  for (auto* d : {&t.reference, &t.current}) {
    const bool cur = d == &t.current;
    const size_t rows = cur ? cur_rows : ref_rows;
    d->n_features = 4;
    d->categories.resize(4);
    d->categories[2] = {"p", "q", "r", "s", "t", "u"};
    for (size_t i = 0; i < rows; ++i) {
      d->x.push_back(normal(gen) + (cur ? shift : 0));
      d->x.push_back(i % 13 == 0 ? std::numeric_limits<float>::quiet_NaN() : normal(gen));
      d->x.push_back(static_cast<float>(cur ? std::min(cat(gen), cat(gen)) : cat(gen)));
      d->x.push_back(std::round(normal(gen) * 4) / 4);
      d->y.push_back(std::numeric_limits<float>::quiet_NaN());
      d->time.push_back(static_cast<int64_t>(i));
      d->row.push_back(static_cast<int64_t>(i));
    }
  }
  return t;
}

TEST(ReferenceProfileTest, SerializesAndRefusesDamagedBytes) {
  const Tables t = Make(3000, 10);
  auto profile = ReferenceProfile::Build(t.reference, t.schema);
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  EXPECT_EQ(profile->rows(), 3000u);
  ASSERT_EQ(profile->features().size(), 4u);
  EXPECT_FALSE(profile->features()[0].has_values);  // 3000 values > 1000: sketch only
  const std::string bytes = profile->Serialize();
  auto back = ReferenceProfile::Deserialize(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->Serialize(), bytes);
  EXPECT_EQ(ReferenceProfile::Deserialize("nope").status().code(), StatusCode::kDataLoss);
  for (size_t cut : {size_t{4}, size_t{9}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_EQ(ReferenceProfile::Deserialize(bytes.substr(0, cut)).status().code(),
              StatusCode::kDataLoss)
        << cut;
  }
  EXPECT_EQ(ReferenceProfile::Deserialize(bytes + "x").status().code(), StatusCode::kDataLoss);
  std::string other_version = bytes;
  other_version[4] = 9;
  EXPECT_EQ(ReferenceProfile::Deserialize(other_version).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(ReferenceProfileTest, MergedHalvesCountLikeTheWhole) {
  const Tables t = Make(4000, 10);
  const core::Dataset first = t.reference.Slice(0, 1500), second = t.reference.Slice(1500, 4000);
  auto whole = ReferenceProfile::Build(t.reference, t.schema);
  auto a = ReferenceProfile::Build(first, t.schema);
  auto b = ReferenceProfile::Build(second, t.schema);
  ASSERT_TRUE(whole.ok() && a.ok() && b.ok());
  ASSERT_TRUE(a->Merge(*b).ok());
  EXPECT_EQ(a->rows(), whole->rows());
  for (size_t j = 0; j < 4; ++j) {
    EXPECT_EQ(a->features()[j].profile.count(), whole->features()[j].profile.count()) << j;
    EXPECT_EQ(a->features()[j].profile.missing_count(), whole->features()[j].profile.missing_count());
  }
  core::Schema other = t.schema;
  other.features[3].name = "e";
  auto unlike = ReferenceProfile::Build(first, other);
  ASSERT_TRUE(unlike.ok());
  const std::string before = a->Serialize();
  EXPECT_EQ(a->Merge(*unlike).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a->Serialize(), before);  // unchanged on failure
}

// Against a profile the report must give the raw report's verdicts, categorical statistics
// exactly, and numeric ones within the documented bounds.
TEST(ReferenceProfileTest, DriftAgainstAProfileAgreesWithDriftAgainstTheRows) {
  const Tables t = Make();
  auto profile = ReferenceProfile::Build(t.reference, t.schema);
  ASSERT_TRUE(profile.ok());
  for (Method method : {Method::kAuto, Method::kKs, Method::kPsi, Method::kJensenShannon}) {
    DriftOptions options;
    options.method = method;
    auto raw = ComputeDrift(t.reference, t.current, t.schema, options);
    auto sketched = ComputeDriftAgainstProfile(*profile, t.current, t.schema, options);
    ASSERT_TRUE(raw.ok() && sketched.ok()) << sketched.status().ToString();
    SCOPED_TRACE(MethodName(method));
    for (size_t j = 0; j < 4; ++j) {
      const auto& r = raw->features[j];
      const auto& s = sketched->features[j];
      SCOPED_TRACE(r.name);
      ASSERT_TRUE(s.computable) << s.note;
      EXPECT_EQ(s.method, r.method);
      const double eps = profile->features()[j].profile.kind() == stats::ColumnKind::kNumeric
                             ? profile->features()[j].profile.kll().rank_error()
                             : 0.0;
      EXPECT_EQ(s.drift, r.drift);
      EXPECT_EQ(s.reference_rows, r.reference_rows);
      EXPECT_EQ(s.reference_missing, r.reference_missing);
      if (r.type == core::FeatureType::kCategorical) {
        EXPECT_NEAR(*s.statistic, *r.statistic, 1e-12 * std::max(1.0, *r.statistic));
      } else if (s.method == "ks") {
        EXPECT_NEAR(*s.statistic, *r.statistic, eps);  // the sketch's rank error
      } else if (s.method == "wasserstein") {
        EXPECT_NEAR(*s.statistic, *r.statistic, 0.005 + 0.02 * *r.statistic);
      } else {
        // Binned: each bin's share within eps. Measured worst here: see the bound's comment
        // in reference_profile.h.
        EXPECT_NEAR(*s.statistic, *r.statistic, 0.01 + 0.1 * *r.statistic) << s.method;
      }
    }
  }
  DriftOptions ad;
  ad.method = Method::kAndersonDarling;
  auto report = ComputeDriftAgainstProfile(*profile, t.current, t.schema, ad);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->features[0].computable);
  EXPECT_NE(report->features[0].note.find("needs the reference's values"), std::string::npos);
}

TEST(ReferenceProfileTest, SmallReferencesKeepTheirValuesAndStayExact) {
  const Tables t = Make(800, 600, 0.3f);
  auto profile = ReferenceProfile::Build(t.reference, t.schema);
  ASSERT_TRUE(profile.ok());
  EXPECT_TRUE(profile->features()[0].has_values);
  DriftOptions options;  // 800 rows: tests (ks, chisquare)
  auto raw = ComputeDrift(t.reference, t.current, t.schema, options);
  auto kept = ComputeDriftAgainstProfile(*profile, t.current, t.schema, options);
  ASSERT_TRUE(raw.ok() && kept.ok());
  EXPECT_EQ(raw->ToJson(), kept->ToJson());
}

TEST(ReferenceProfileTest, RefusesAProfileOfOtherFeatures) {
  const Tables t = Make(2000, 100);
  auto profile = ReferenceProfile::Build(t.reference, t.schema);
  ASSERT_TRUE(profile.ok());
  core::Schema renamed = t.schema;
  renamed.features[1].name = "zz";
  auto missing = ComputeDriftAgainstProfile(*profile, t.current, renamed, {});
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("no feature 'zz'"), std::string::npos);
  core::Schema retyped = t.schema;
  retyped.features[3].type = core::FeatureType::kCategorical;
  EXPECT_EQ(ComputeDriftAgainstProfile(*profile, t.current, retyped, {}).status().code(),
            StatusCode::kInvalidArgument);
  DriftOptions multivariate;
  multivariate.multivariate = true;
  EXPECT_EQ(ComputeDriftAgainstProfile(*profile, t.current, t.schema, multivariate).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlloop::drift
