#include "stats/ks_test.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "stats/fixtures.h"

namespace mlloop::stats {
namespace {

// Reference values: scipy.stats.ks_2samp(a, b, alternative='two-sided', method=m) from
// SciPy 1.10.1, via tests/stats/fixtures/make_test_fixtures.py; the samples are stored too.
const nlohmann::json& Cases() {
  static const nlohmann::json fixture = testutil::LoadStatsFixture("tests_scipy.json");
  return fixture["ks"];
}

std::vector<float> Floats(const nlohmann::json& values) {
  std::vector<float> out;
  for (double v : values) out.push_back(static_cast<float>(v));
  return out;
}

const nlohmann::json& Case(const std::string& name) {
  for (const auto& c : Cases()) {
    if (c["name"] == name) return c;
  }
  ADD_FAILURE() << "no KS fixture " << name;
  static const nlohmann::json empty;
  return empty;
}

// D must be bit-identical (SciPy forms it from i/n1 - j/n2 in double, and reports h/lcm on
// the exact path). The p-values come out bit-identical too on every case: the exact path
// does the same double operations in the same order, the asymptotic one is kstwo.sf.
// The tolerance leaves room for kstwo's long-double and BLAS-ordered branches (~1e-13).
constexpr double kPValueRel = 1e-12;

TEST(KsTwoSampleTest, MatchesSciPyForEveryMethod) {
  ASSERT_GE(Cases().size(), 15u);
  const std::pair<const char*, KsMethod> methods[] = {
      {"auto", KsMethod::kAuto}, {"exact", KsMethod::kExact}, {"asymp", KsMethod::kAsymptotic}};
  for (const auto& c : Cases()) {
    const auto a = Floats(c["a"]), b = Floats(c["b"]);
    for (const auto& [key, method] : methods) {
      const auto& want = c[key];
      const std::string where = c["name"].get<std::string>() + " / " + key;
      ASSERT_FALSE(want["fell_back"].get<bool>()) << where << ": fixture exercises a fallback";
      auto got = KsTwoSample(a, b, method);
      if (want["pvalue"].is_null()) {  // SciPy's NaN: asymp with n1 = n2 = 1
        EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << where;
        continue;
      }
      ASSERT_TRUE(got.ok()) << where << ": " << got.status().ToString();
      EXPECT_EQ(got->statistic, want["statistic"].get<double>()) << where;
      const double p = want["pvalue"];
      EXPECT_NEAR(got->p_value, p, kPValueRel * p) << where;
    }
  }
}

TEST(KsTwoSampleTest, AutoIsExactUpToTenThousandThenAsymptotic) {
  const auto& at_limit = Case("auto_exact_at_10000_200");
  const auto& above = Case("auto_asymp_at_10001_200");
  auto r1 = KsTwoSample(Floats(at_limit["a"]), Floats(at_limit["b"]));
  auto r2 = KsTwoSample(Floats(above["a"]), Floats(above["b"]));
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->p_value, at_limit["exact"]["pvalue"].get<double>());
  EXPECT_EQ(r2->p_value, above["asymp"]["pvalue"].get<double>());
  EXPECT_NE(r2->p_value, above["exact"]["pvalue"].get<double>());
}

TEST(KsTwoSampleTest, SortedOverloadAgreesAndChecksOrder) {
  const auto& c = Case("unequal_37_53");
  auto a = Floats(c["a"]), b = Floats(c["b"]);
  auto unsorted = KsTwoSample(a, b);
  EXPECT_EQ(KsTwoSampleSorted(a, b).status().code(), StatusCode::kInvalidArgument);
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  auto sorted = KsTwoSampleSorted(a, b);
  ASSERT_TRUE(unsorted.ok() && sorted.ok());
  EXPECT_EQ(sorted->statistic, unsorted->statistic);
  EXPECT_EQ(sorted->p_value, unsorted->p_value);
}

TEST(KsTwoSampleTest, SymmetricInItsArguments) {
  const auto& c = Case("coprime_999_1000");
  for (KsMethod m : {KsMethod::kExact, KsMethod::kAsymptotic}) {
    auto ab = KsTwoSample(Floats(c["a"]), Floats(c["b"]), m);
    auto ba = KsTwoSample(Floats(c["b"]), Floats(c["a"]), m);
    ASSERT_TRUE(ab.ok() && ba.ok());
    EXPECT_EQ(ab->statistic, ba->statistic);
    EXPECT_EQ(ab->p_value, ba->p_value);
  }
}

TEST(KsTwoSampleTest, RejectsEmptyAndNaN) {
  EXPECT_EQ(KsTwoSample({}, {1.0f}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(KsTwoSample({1.0f}, {}).status().code(), StatusCode::kInvalidArgument);
  auto nan = KsTwoSample({1.0f, std::numeric_limits<float>::quiet_NaN()}, {1.0f, 2.0f});
  EXPECT_EQ(nan.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(nan.status().message().find("NaN"), std::string::npos);
}

TEST(KsTwoSampleTest, InfinitiesAreOrdinaryValues) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  auto r = KsTwoSample({-kInf, 0.0f, 1.0f}, {2.0f, 3.0f, kInf});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->statistic, 1.0);
  EXPECT_NEAR(r->p_value, 0.1, 1e-15);  // 2 / binom(6, 3): both extreme orderings
}

TEST(KsTwoSampleTest, ExactFallsBackToAsymptoticWhenTheLatticeIsTooLarge) {
  // lcm(50000, 50001) > 2^31 - 1: SciPy warns and uses 'asymp', keeping the raw D.
  std::mt19937 gen(11);
  std::normal_distribution<float> n01(0, 1);
  std::vector<float> a(50000), b(50001);
  for (float& v : a) v = n01(gen);
  for (float& v : b) v = n01(gen) + 0.02f;
  auto exact = KsTwoSample(a, b, KsMethod::kExact);
  auto asymp = KsTwoSample(a, b, KsMethod::kAsymptotic);
  ASSERT_TRUE(exact.ok() && asymp.ok());
  EXPECT_EQ(exact->statistic, asymp->statistic);
  EXPECT_EQ(exact->p_value, asymp->p_value);
  EXPECT_GT(asymp->p_value, 0.0);
  EXPECT_LT(asymp->p_value, 0.05);
}

}  // namespace
}  // namespace mlloop::stats

namespace mlloop::stats {
namespace {
namespace big {

// D as SciPy forms it: at every pooled value x, |#a<=x / n1 - #b<=x / n2| in double.
double BruteForceD(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (const auto* side : {&a, &b}) {
    for (float x : *side) {
      const auto i = std::upper_bound(a.begin(), a.end(), x) - a.begin();
      const auto j = std::upper_bound(b.begin(), b.end(), x) - b.begin();
      d = std::max(d, std::fabs(static_cast<double>(i) / static_cast<double>(a.size()) -
                                static_cast<double>(j) / static_cast<double>(b.size())));
    }
  }
  return d;
}

}  // namespace big

// Above a few thousand values the statistic is found by bounding segments and walking only
// those that may hold the maximum; it must still be SciPy's D to the last bit.
TEST(KsTwoSampleTest, SegmentBoundedWalkIsExactOnLargeSamples) {
  std::mt19937 gen(20261122);
  std::normal_distribution<float> normal(0, 1);
  std::uniform_int_distribution<int> coarse(0, 40);
  struct Shape {
    const char* name;
    size_t na, nb;
    std::function<float(bool)> draw;  // argument: second sample
  };
  const std::vector<Shape> shapes = {
      {"shift", 60000, 45001, [&](bool second) { return normal(gen) + (second ? 0.02f : 0); }},
      {"same", 50000, 50000, [&](bool) { return normal(gen); }},
      {"ties", 40000, 70000,
       [&](bool second) { return static_cast<float>(coarse(gen) + (second && coarse(gen) < 2)); }},
      {"nested", 30000, 30000,
       [&](bool second) { return second ? normal(gen) * 0.1f : normal(gen) * 3.0f; }},
      {"one_run", 20000, 9000,  // a tie run far longer than a segment, in both samples
       [&](bool second) { return coarse(gen) < 30 ? 1.0f : normal(gen) + (second ? 0.5f : 0); }},
      {"tiny_vs_big", 5000, 7, [&](bool) { return normal(gen); }},
  };
  for (const auto& shape : shapes) {
    std::vector<float> a(shape.na), b(shape.nb);
    for (auto& x : a) x = shape.draw(false);
    for (auto& x : b) x = shape.draw(true);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    auto r = KsTwoSampleSorted(a, b, KsMethod::kAsymptotic);
    ASSERT_TRUE(r.ok()) << shape.name;
    EXPECT_EQ(r->statistic, big::BruteForceD(a, b)) << shape.name;
    auto swapped = KsTwoSampleSorted(b, a, KsMethod::kAsymptotic);
    ASSERT_TRUE(swapped.ok());
    EXPECT_EQ(swapped->statistic, r->statistic) << shape.name;
  }
}

}  // namespace
}  // namespace mlloop::stats
