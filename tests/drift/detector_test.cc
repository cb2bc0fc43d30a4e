// The shared Detector behaviour (positions, input domain, ChangeStart's lifetime) and the
// known-answer tests against River: every example stream in River's docstrings and unit
// tests, with the indices River documents (tests/drift/fixtures/make_river_streams.py says
// where each comes from).
#include "drift/detector.h"

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "drift/adwin.h"
#include "drift/ddm.h"
#include "drift/detector_registry.h"

namespace mlloop::drift {
namespace {

const nlohmann::json& RiverFixture() {
  static const nlohmann::json* const fixture = [] {
    std::ifstream in(std::string(MLLOOP_SOURCE_DIR) + "/tests/drift/fixtures/river_streams.json");
    auto* json = new nlohmann::json(nlohmann::json::parse(in));
    return json;
  }();
  return *fixture;
}

// ---------------------------------------------------------------------------------------
// River's examples, index for index

std::vector<std::string> RiverCaseIds() {
  std::vector<std::string> ids;
  for (const auto& c : RiverFixture()["cases"]) ids.push_back(c["id"].get<std::string>());
  return ids;
}

class RiverExamplesTest : public testing::TestWithParam<std::string> {};

// For each case: the drift indices of River's docstring or unit test, and for the docstring
// examples that print warnings, the same printout (the first warning after the start or
// after each drift, and every drift).
TEST_P(RiverExamplesTest, FlagsDriftAtRiversIndices) {
  const nlohmann::json* found = nullptr;
  for (const auto& c : RiverFixture()["cases"]) {
    if (c["id"] == GetParam()) found = &c;
  }
  ASSERT_NE(found, nullptr);
  const nlohmann::json& c = *found;
  DetectorParams params;
  for (const auto& [key, value] : c["params"].items()) params[key] = value.get<double>();
  auto detector = CreateDetector(c["detector"].get<std::string>(), params);
  ASSERT_TRUE(detector.ok()) << detector.status().ToString();

  std::vector<int> drifts;
  std::vector<std::pair<std::string, int>> printed;
  bool print_warning = true;
  const auto& stream = RiverFixture()["streams"][c["stream"].get<std::string>()];
  for (size_t i = 0; i < stream.size(); ++i) {
    const Verdict v = (*detector)->Update(stream[i].get<double>());
    if (v == Verdict::kWarning && print_warning) {
      printed.emplace_back("warning", static_cast<int>(i));
      print_warning = false;
    }
    if (v == Verdict::kDrift) {
      drifts.push_back(static_cast<int>(i));
      printed.emplace_back("drift", static_cast<int>(i));
      print_warning = true;
    }
  }
  EXPECT_EQ(drifts, c["drifts"].get<std::vector<int>>()) << c["source"];
  if (c.contains("printed")) {
    std::vector<std::pair<std::string, int>> expected;
    for (const auto& p : c["printed"]) expected.emplace_back(p[0], p[1]);
    EXPECT_EQ(printed, expected) << c["source"];
  }
}

INSTANTIATE_TEST_SUITE_P(River, RiverExamplesTest, testing::ValuesIn(RiverCaseIds()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// ---------------------------------------------------------------------------------------
// The shared contract, on concrete detectors

TEST(DetectorTest, VerdictNames) {
  EXPECT_EQ(VerdictName(Verdict::kStable), "stable");
  EXPECT_EQ(VerdictName(Verdict::kWarning), "warning");
  EXPECT_EQ(VerdictName(Verdict::kDrift), "drift");
}

// The example in detector.h.
Status HeaderExample(const std::vector<double>& stream, std::vector<uint64_t>* retrained_from) {
  const auto Retrain = [&](uint64_t from) { retrained_from->push_back(from); };
  MLLOOP_ASSIGN_OR_RETURN(std::unique_ptr<Detector> d, CreateDetector("adwin", {}));
  for (double x : stream) {
    if (d->Update(x) == Verdict::kDrift) Retrain(*d->ChangeStart());
  }
  return Status::Ok();
}

TEST(DetectorTest, HeaderExample) {
  std::vector<double> stream(3000, 0.0);
  for (size_t i = 1500; i < stream.size(); ++i) stream[i] = 1.0;
  std::vector<uint64_t> retrained_from;
  ASSERT_TRUE(HeaderExample(stream, &retrained_from).ok());
  ASSERT_EQ(retrained_from.size(), 1u);
  EXPECT_GE(retrained_from[0], 1484u);
  EXPECT_LE(retrained_from[0], 1508u);
}

TEST(DetectorTest, PositionsCountEveryValueAndSurviveDrift) {
  auto adwin = Adwin::Create().value();
  uint64_t drift_at = 0;
  for (int i = 0; i < 3000; ++i) {
    if (adwin->Update(i < 1000 ? 0.0 : 5.0) == Verdict::kDrift) drift_at = i;
  }
  EXPECT_EQ(adwin->updates(), 3000u);
  EXPECT_GT(drift_at, 1000u);
  // The first value after a drift is not a drift, and ChangeStart() goes with the verdict.
  auto ddm = Ddm::Create().value();
  bool seen = false;
  for (int i = 0; i < 4000 && !seen; ++i) {
    const Verdict v = ddm->Update(i < 1000 ? (i % 10 == 0) : (i % 2 == 0));
    if (v == Verdict::kDrift) {
      seen = true;
      ASSERT_TRUE(ddm->ChangeStart().has_value());
      EXPECT_LE(*ddm->ChangeStart(), static_cast<uint64_t>(i));
      EXPECT_EQ(ddm->Update(0), Verdict::kStable);  // starts afresh: warm_start again
      EXPECT_FALSE(ddm->ChangeStart().has_value());
    } else {
      EXPECT_FALSE(ddm->ChangeStart().has_value());
    }
  }
  EXPECT_TRUE(seen);
}

TEST(DetectorTest, ValuesOutsideTheDomainTakeAPositionButAreNotObserved) {
  auto ddm = Ddm::Create().value();
  auto reference = Ddm::Create().value();
  std::vector<Verdict> with_noise, without;
  for (int i = 0; i < 3000; ++i) {
    const double x = i < 1000 ? (i % 10 == 0) : (i % 2 == 0);
    if (i % 7 == 0) {
      ddm->Update(std::numeric_limits<double>::quiet_NaN());
      ddm->Update(0.5);  // a probability, not an error indicator
    }
    with_noise.push_back(ddm->Update(x));
    without.push_back(reference->Update(x));
  }
  EXPECT_EQ(with_noise, without);
  EXPECT_EQ(ddm->rejected(), 2u * 429u);
  EXPECT_EQ(ddm->updates(), 3000u + 2u * 429u);
}

TEST(DetectorTest, ARejectedValueDoesNotRepeatADrift) {
  auto adwin = Adwin::Create({.clock = 1}).value();
  int i = 0;
  while (adwin->Update(i < 100 ? 0.0 : 10.0) != Verdict::kDrift) ++i;
  ASSERT_TRUE(adwin->ChangeStart().has_value());
  EXPECT_EQ(adwin->Update(std::numeric_limits<double>::infinity()), Verdict::kStable);
  EXPECT_FALSE(adwin->ChangeStart().has_value());
  EXPECT_EQ(adwin->rejected(), 1u);
}

TEST(DetectorTest, UpdateCheckedRefusesWithoutEffect) {
  auto ddm = Ddm::Create().value();
  auto bad = ddm->UpdateChecked(2.0);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("ddm"), std::string::npos);
  EXPECT_EQ(ddm->updates(), 0u);
  EXPECT_EQ(ddm->rejected(), 0u);
  auto good = ddm->UpdateChecked(1.0);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, Verdict::kStable);
  EXPECT_EQ(ddm->updates(), 1u);
}

TEST(DetectorTest, ResetReturnsToAFreshDetector) {
  auto adwin = Adwin::Create().value();
  for (int i = 0; i < 500; ++i) adwin->Update(i % 3);
  adwin->Reset();
  EXPECT_EQ(adwin->updates(), 0u);
  EXPECT_EQ(adwin->width(), 0);
  EXPECT_EQ(adwin->verdict(), Verdict::kStable);
  EXPECT_EQ(adwin->SaveState(), Adwin::Create().value()->SaveState());
}

}  // namespace
}  // namespace mlloop::drift
