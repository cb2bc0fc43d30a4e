#include "stats/isotonic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mlloop::stats {
namespace {

// Reference values: sklearn.isotonic.IsotonicRegression(increasing=True, out_of_bounds="clip")
// and sklearn.isotonic.isotonic_regression (scikit-learn 1.2.1), written by
// tests/drift/fixtures/cbpe_make_fixtures.py into cbpe_reference.json (shared with the CBPE
// tests, whose calibrator this is). Inputs are exact doubles. Thresholds and predictions are
// weighted means and one interpolation step, formed in the same order as sklearn's PAVA and
// scipy's interp1d: agreement to the last bits is expected; 1e-12 leaves room for a libm or
// compiler that rounds one operation differently.
constexpr double kTol = 1e-12;

const nlohmann::json& Fixture() {
  static const nlohmann::json fixture = [] {
    const std::string text =
        testutil::ReadFile(testutil::SourcePath("tests/drift/fixtures/cbpe_reference.json"));
    auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(json.is_discarded()) << "cbpe_reference.json is missing or not JSON";
    return json;
  }();
  return fixture;
}

std::vector<double> Doubles(const nlohmann::json& values) {
  std::vector<double> out;
  for (const auto& v : values) out.push_back(v.get<double>());
  return out;
}

TEST(IsotonicRegressionTest, MatchesSklearn) {
  const auto& cases = Fixture()["isotonic"];
  ASSERT_GE(cases.size(), 7u);
  for (const auto& c : cases) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    const auto x = Doubles(c["x"]);
    const auto y = Doubles(c["y"]);
    const auto w = c["weights"].is_null() ? std::vector<double>{} : Doubles(c["weights"]);
    auto fit = IsotonicRegression::Fit(x, y, w);
    ASSERT_TRUE(fit.ok()) << fit.status().ToString();
    const auto want_x = Doubles(c["x_thresholds"]);
    const auto want_y = Doubles(c["y_thresholds"]);
    ASSERT_EQ(fit->x_thresholds().size(), want_x.size());
    for (size_t j = 0; j < want_x.size(); ++j) {
      EXPECT_EQ(fit->x_thresholds()[j], want_x[j]) << "threshold " << j;  // input values
      EXPECT_NEAR(fit->y_thresholds()[j], want_y[j], kTol) << "threshold " << j;
    }
    const auto queries = Doubles(c["queries"]);
    const auto want = Doubles(c["predictions"]);
    for (size_t q = 0; q < queries.size(); ++q) {
      EXPECT_NEAR(fit->Predict(queries[q]), want[q], kTol) << "query " << queries[q];
    }
  }
}

TEST(IsotonicRegressionTest, PoolAdjacentViolatorsMatchesSklearn) {
  for (const auto& c : Fixture()["pava"]) {
    auto y = Doubles(c["y"]);
    const auto w = Doubles(c["weights"]);
    const auto want = Doubles(c["fitted"]);
    PoolAdjacentViolators(&y, w);
    ASSERT_EQ(y.size(), want.size());
    for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], want[i], kTol) << i;
  }
}

TEST(IsotonicRegressionTest, ClipsOutsideTheFittedRange) {
  auto fit = IsotonicRegression::Fit(std::vector<double>{0.2, 0.4, 0.6, 0.8},
                                     std::vector<double>{0, 0, 1, 1});
  ASSERT_TRUE(fit.ok());
  EXPECT_EQ(fit->Predict(-5), 0.0);
  EXPECT_EQ(fit->Predict(0.0), 0.0);
  EXPECT_EQ(fit->Predict(0.5), 0.5);  // a ramp between the steps, as np.interp
  EXPECT_EQ(fit->Predict(1.0), 1.0);
  EXPECT_EQ(fit->Predict(7), 1.0);
  EXPECT_TRUE(std::isnan(fit->Predict(std::numeric_limits<double>::quiet_NaN())));
}

TEST(IsotonicRegressionTest, RejectsBadInput) {
  const std::vector<double> two = {0.1, 0.2};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(IsotonicRegression::Fit({}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(IsotonicRegression::Fit(two, std::vector<double>{1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IsotonicRegression::Fit(two, two, std::vector<double>{1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IsotonicRegression::Fit(std::vector<double>{0.1, nan}, two).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IsotonicRegression::Fit(two, std::vector<double>{1, INFINITY}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IsotonicRegression::Fit(two, two, std::vector<double>{1, -1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(IsotonicRegression::Fit(two, two, std::vector<double>{0, 0}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(IsotonicRegressionTest, FromThresholdsRebuildsTheSameFunction) {
  auto fit = IsotonicRegression::Fit(std::vector<double>{0.1, 0.3, 0.2, 0.9, 0.5},
                                     std::vector<double>{0, 1, 0, 1, 0});
  ASSERT_TRUE(fit.ok());
  auto again = IsotonicRegression::FromThresholds(fit->x_thresholds(), fit->y_thresholds());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  for (double q = -0.1; q <= 1.1; q += 0.01) EXPECT_EQ(again->Predict(q), fit->Predict(q));

  EXPECT_FALSE(IsotonicRegression::FromThresholds({}, {}).ok());
  EXPECT_FALSE(IsotonicRegression::FromThresholds({0.1, 0.2}, {0.5}).ok());
  EXPECT_FALSE(IsotonicRegression::FromThresholds({0.2, 0.1}, {0, 1}).ok());  // x not increasing
  EXPECT_FALSE(IsotonicRegression::FromThresholds({0.1, 0.1}, {0, 1}).ok());  // x repeated
  EXPECT_FALSE(IsotonicRegression::FromThresholds({0.1, 0.2}, {1, 0}).ok());  // y decreasing
  EXPECT_FALSE(IsotonicRegression::FromThresholds({0.1, NAN}, {0, 1}).ok());
}

}  // namespace
}  // namespace mlloop::stats
