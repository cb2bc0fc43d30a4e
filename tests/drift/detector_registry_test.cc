#include "drift/detector_registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "drift/adwin.h"
#include "drift/cusum.h"
#include "drift/kswin.h"
#include "drift/page_hinkley.h"

namespace mlloop::drift {
namespace {

TEST(DetectorRegistryTest, ListsEveryDetectorOnceInTheDocumentedOrder) {
  const std::vector<std::string_view> expected = {"adwin", "page_hinkley", "kswin",  "cusum",
                                                  "ddm",   "eddm",         "hddm_a", "hddm_w"};
  EXPECT_EQ(DetectorNames(), expected);
  for (std::string_view name : DetectorNames()) {
    auto d = CreateDetector(name);
    ASSERT_TRUE(d.ok()) << name << ": " << d.status().ToString();
    EXPECT_EQ((*d)->Name(), name);
  }
}

TEST(DetectorRegistryTest, UnknownNameListsTheValidOnes) {
  auto d = CreateDetector("adwinn");
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  for (std::string_view name : DetectorNames()) {
    EXPECT_NE(d.status().message().find(std::string(name)), std::string::npos) << name;
  }
}

TEST(DetectorRegistryTest, UnknownParameterListsTheDetectorsParameters) {
  auto d = CreateDetector("ddm", {{"warmstart", 10}});
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find("'warmstart'"), std::string::npos);
  EXPECT_NE(d.status().message().find("warm_start, warning_threshold, drift_threshold"),
            std::string::npos)
      << d.status().message();
}

TEST(DetectorRegistryTest, ChecksIntegersAndBooleans) {
  EXPECT_EQ(CreateDetector("adwin", {{"clock", 2.5}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateDetector("adwin", {{"clock", 1e12}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateDetector("hddm_a", {{"two_sided_test", 2}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateDetector("kswin", {{"seed", 1e300}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(CreateDetector("hddm_a", {{"two_sided_test", 1}}).ok());
}

TEST(DetectorRegistryTest, InvalidOptionsNeverYieldADetector) {
  EXPECT_EQ(CreateDetector("adwin", {{"delta", 0}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateDetector("eddm", {{"alpha", 0.8}, {"beta", 0.9}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateDetector("kswin", {{"window_size", 10}, {"stat_size", 30}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateDetector("page_hinkley", {{"detect_increase", 0}, {"detect_decrease", 0}})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateDetector("cusum", {{"sigma", -1}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateDetector("ddm", {{"warning_threshold", std::nan("")}}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(DetectorRegistryTest, ParametersReachTheOptions) {
  auto d = CreateDetector(
      "kswin", {{"alpha", 0.001}, {"window_size", 300}, {"stat_size", 100}, {"seed", 7}});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  const auto& kswin = dynamic_cast<const Kswin&>(**d);
  EXPECT_EQ(kswin.options().alpha, 0.001);
  EXPECT_EQ(kswin.options().window_size, 300);
  EXPECT_EQ(kswin.options().stat_size, 100);
  EXPECT_EQ(kswin.seed(), 7u);

  auto ph = CreateDetector("page_hinkley", {{"detect_decrease", 0}, {"threshold", 20}});
  ASSERT_TRUE(ph.ok());
  const auto& page_hinkley = dynamic_cast<const PageHinkley&>(**ph);
  EXPECT_TRUE(page_hinkley.options().detect_increase);
  EXPECT_FALSE(page_hinkley.options().detect_decrease);
  EXPECT_EQ(page_hinkley.options().threshold, 20);

  auto cusum = CreateDetector("cusum", {{"mean", 1}, {"sigma", std::nan("")}});
  ASSERT_TRUE(cusum.ok());
  EXPECT_EQ(dynamic_cast<const Cusum&>(**cusum).options().mean, 1);
}

// The defaults the registry reports are River's (and the Options structs').
TEST(DetectorRegistryTest, DefaultsAreRiversDefaults) {
  auto adwin = DetectorParamDefaults("adwin");
  ASSERT_TRUE(adwin.ok());
  const std::vector<std::pair<std::string_view, double>> expected = {{"delta", 0.002},
                                                                     {"clock", 32},
                                                                     {"max_buckets", 5},
                                                                     {"min_window_length", 5},
                                                                     {"grace_period", 10}};
  EXPECT_EQ(*adwin, expected);
  auto ph = DetectorParamDefaults("page_hinkley").value();
  EXPECT_EQ(ph[0], (std::pair<std::string_view, double>{"min_instances", 30}));
  EXPECT_EQ(ph[3].second, 1 - 0.0001);
  auto kswin = DetectorParamDefaults("kswin").value();
  EXPECT_EQ(kswin[0].second, 0.005);
  EXPECT_EQ(kswin[1].second, 100);
  EXPECT_EQ(kswin[2].second, 30);
  EXPECT_EQ(DetectorParamDefaults("ddm").value()[0].second, 30);
  EXPECT_EQ(DetectorParamDefaults("eddm").value()[1].second, 0.95);
  EXPECT_EQ(DetectorParamDefaults("eddm").value()[2].second, 0.9);
  EXPECT_EQ(DetectorParamDefaults("hddm_a").value()[0].second, 0.001);
  EXPECT_EQ(DetectorParamDefaults("hddm_w").value()[2].second, 0.05);
  EXPECT_TRUE(std::isnan(DetectorParamDefaults("cusum").value()[3].second));
  EXPECT_EQ(DetectorParamDefaults("nope").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlloop::drift
