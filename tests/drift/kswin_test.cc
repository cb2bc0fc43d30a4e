#include "drift/kswin.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace mlloop::drift {
namespace {

nlohmann::json PythonRandomFixture() {
  std::ifstream in(std::string(MLLOOP_SOURCE_DIR) + "/tests/drift/fixtures/river_streams.json");
  return nlohmann::json::parse(in)["python_random"];
}

// KSWIN's sample must be CPython's: random.Random(seed).sample(range(n), k), three draws in a
// row, for both of sample()'s branches (a pool for small n, rejection against a set for
// large n), and getrandbits(32) for seeds of one and two 32-bit words.
TEST(PythonRandomTest, MatchesCPython) {
  const auto fixture = PythonRandomFixture();
  for (const auto& c : fixture["sample"]) {
    internal::PythonRandom rng(c["seed"].get<uint64_t>());
    for (const auto& expected : c["samples"]) {
      const auto got = rng.SampleRange(c["n"].get<uint32_t>(), c["k"].get<uint32_t>());
      EXPECT_EQ(got, expected.get<std::vector<uint32_t>>()) << c.dump().substr(0, 60);
    }
  }
  for (const auto& c : fixture["getrandbits"]) {
    internal::PythonRandom rng(c["seed"].get<uint64_t>());
    for (const auto& expected : c["getrandbits32"]) {
      EXPECT_EQ(rng.GetRandBits(32), expected.get<uint32_t>()) << c["seed"];
    }
  }
}

// The example in kswin.h.
TEST(KswinTest, HeaderExample) {
  std::ostringstream out;
  auto kswin = Kswin::Create({.seed = 42}).value();
  for (int i = 0; i < 400; ++i) {
    if (kswin->Update(i < 200 ? i % 7 : 10 + i % 7) == Verdict::kDrift)
      out << "drift at " << i << ", new regime from " << *kswin->ChangeStart() << "\n";
  }
  EXPECT_EQ(out.str(), "drift at 213, new regime from 184\n");
}

TEST(KswinTest, ChangeStartIsTheOldestRecentValue) {
  auto kswin =
      Kswin::Create({.alpha = 0.001, .window_size = 60, .stat_size = 20, .seed = 1}).value();
  for (int i = 0; i < 500; ++i) {
    if (kswin->Update(i < 300 ? (i * 7919) % 100 : 500 + (i * 7919) % 100) == Verdict::kDrift) {
      EXPECT_EQ(*kswin->ChangeStart(), static_cast<uint64_t>(i - 19));
      EXPECT_LE(kswin->p_value(), 0.001);
      EXPECT_GT(kswin->statistic(), 0.1);
      return;
    }
  }
  FAIL() << "no drift";
}

TEST(KswinTest, NoTestUntilTheWindowIsFull) {
  auto kswin = Kswin::Create({.seed = 3}).value();
  for (int i = 0; i < 99; ++i) EXPECT_EQ(kswin->Update(i < 50 ? 0 : 100), Verdict::kStable);
  EXPECT_EQ(kswin->p_value(), 0);
  EXPECT_EQ(kswin->window_length(), 99u);
}

// seed < 0 draws one seed at creation; it is state, so a restore carries it over.
TEST(KswinTest, DrawnSeedTravelsWithTheState) {
  auto a = Kswin::Create().value();
  auto b = Kswin::Create().value();
  for (int i = 0; i < 150; ++i) a->Update(i % 13);
  ASSERT_TRUE(b->RestoreState(a->SaveState()).ok());
  EXPECT_EQ(b->seed(), a->seed());
  for (int i = 150; i < 400; ++i) {
    const double x = i < 250 ? i % 13 : 20 + i % 13;
    ASSERT_EQ(a->Update(x), b->Update(x));
    ASSERT_EQ(a->p_value(), b->p_value());
  }
}

TEST(KswinTest, ValidatesOptions) {
  EXPECT_TRUE(KswinOptions{}.Validate().ok());
  EXPECT_FALSE(KswinOptions{.alpha = 1.1}.Validate().ok());
  EXPECT_FALSE(KswinOptions{.alpha = -0.1}.Validate().ok());
  EXPECT_FALSE((KswinOptions{.window_size = 10, .stat_size = 30}.Validate().ok()));
  EXPECT_FALSE((KswinOptions{.window_size = 59, .stat_size = 30}.Validate().ok()));
  EXPECT_TRUE((KswinOptions{.window_size = 60, .stat_size = 30}.Validate().ok()));
  EXPECT_FALSE(KswinOptions{.stat_size = 0}.Validate().ok());
}

}  // namespace
}  // namespace mlloop::drift

#include <algorithm>
#include <cmath>
#include <deque>

#include "core/random.h"
#include "stats/ks_test.h"

namespace mlloop::drift {
namespace {

// KSWIN keeps the older values ranked so that its sample comes out sorted without a sort.
// Against the plain way — River's: draw the sample, sort it and the recent values, take D —
// on a stream with many ties and two level shifts, through every alarm and reset, and
// through a save and restore in the middle.
TEST(KswinTest, RankedSampleGivesTheStatisticOfASortedOne) {
  KswinOptions options;
  options.seed = 7;
  auto kswin = Kswin::Create(options).value();
  internal::PythonRandom rng(7);
  std::deque<double> window;
  core::SplitMixRng values(3);
  bool reset_next = false;
  int alarms = 0, tests = 0;
  for (int i = 0; i < 30000; ++i) {
    const double level = i < 10000 ? 0.0 : i < 20000 ? 1.5 : -0.5;
    const double x = std::round((level + values.Normal()) * 2) / 2;  // steps of 0.5: ties
    if (reset_next) {
      window.clear();
      rng.Seed(7);
      reset_next = false;
    }
    if (i == 15000) {  // the state survives a save and restore
      auto restored = Kswin::Create(options).value();
      ASSERT_TRUE(restored->RestoreState(kswin->SaveState()).ok());
      kswin = std::move(restored);
    }
    const Verdict verdict = kswin->Update(x);
    window.push_back(x);
    if (window.size() > 100) window.pop_front();
    if (window.size() == 100) {
      std::vector<float> sampled, recent;
      for (uint32_t k : rng.SampleRange(70, 30)) sampled.push_back(static_cast<float>(window[k]));
      for (size_t k = 70; k < 100; ++k) recent.push_back(static_cast<float>(window[k]));
      std::sort(sampled.begin(), sampled.end());
      std::sort(recent.begin(), recent.end());
      ASSERT_EQ(kswin->statistic(), stats::KsStatisticSorted(sampled, recent)) << "value " << i;
      ++tests;
    }
    if (verdict == Verdict::kDrift) {
      ++alarms;
      reset_next = true;
    }
  }
  EXPECT_GT(alarms, 2);
  EXPECT_GT(tests, 25000);
}

}  // namespace
}  // namespace mlloop::drift
