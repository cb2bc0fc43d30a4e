#include "core/schema.h"

#include <gtest/gtest.h>

namespace mlloop::core {
namespace {

TEST(SchemaTest, FindsFeaturesByName) {
  Schema s;
  s.features = {{"a", FeatureType::kNumeric, {}}, {"b", FeatureType::kCategorical, {}}};
  EXPECT_EQ(s.FeatureIndex("b"), 1u);
  EXPECT_FALSE(s.FeatureIndex("c").has_value());
  EXPECT_EQ(s.FeatureNames(), (std::vector<std::string>{"a", "b"}));
}

TEST(DatasetTest, SliceKeepsRowsAndDictionaries) {
  Dataset d;
  d.n_features = 2;
  d.x = {1, 2, 3, 4, 5, 6};
  d.y = {0, 1, 0};
  d.time = {10, 20, 30};
  d.row = {0, 1, 2};
  d.categories = {{}, {"x", "y"}};
  d.segments.push_back({"seg", {"p", "q"}, {0, 1, 1}});
  Dataset s = d.Slice(1, 3);
  ASSERT_EQ(s.rows(), 2u);
  EXPECT_EQ(s.At(0, 0), 3);
  EXPECT_EQ(s.At(1, 1), 6);
  EXPECT_EQ(s.time, (std::vector<int64_t>{20, 30}));
  EXPECT_EQ(s.categories[1], (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(s.segments[0].codes, (std::vector<uint32_t>{1, 1}));
}

}  // namespace
}  // namespace mlloop::core
