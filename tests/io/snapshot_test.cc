#include "io/snapshot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <tuple>

#include "core/hash.h"
#include "io/csv_reader.h"
#include "testutil/testutil.h"

namespace mlloop::io {
namespace {

core::Dataset Small() {
  core::Dataset d;
  d.n_features = 2;
  d.x = {1, 2, 3, 4, 5, 6};
  d.y = {0, 1, 0};
  d.time = {10, 20, 30};
  d.row = {0, 1, 2};
  d.categories = {{}, {"red", "blue"}};
  return d;
}

TEST(SnapshotHashTest, IsStableAcrossCallsAndCopies) {
  const core::Dataset d = Small();
  const std::string h = SnapshotHash(d, 0, 3);
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(SnapshotHash(d, 0, 3), h);
  const core::Dataset copy = d;
  EXPECT_EQ(SnapshotHash(copy, 0, 3), h);
}

TEST(SnapshotHashTest, MatchesTheDocumentedCanonicalForm) {
  // One row, one feature, no dictionaries, encoded by hand from the header comment.
  core::Dataset d;
  d.n_features = 1;
  d.x = {1.0f};  // 0x3F800000
  d.y = {1.0f};
  d.time = {258};  // 0x0102
  d.row = {0};
  d.categories = {{}};
  const std::string expected_bytes = std::string("mlloop-snapshot-v1\0", 19) +
                                     std::string("\x01\0\0\0\0\0\0\0", 8) +   // n_features
                                     std::string("\x01\0\0\0\0\0\0\0", 8) +   // 1 dictionary
                                     std::string("\0\0\0\0\0\0\0\0", 8) +     // ... of 0 values
                                     std::string("\x01\0\0\0\0\0\0\0", 8) +   // 1 row
                                     std::string("\0\0\x80\x3F", 4) +         // feature 1.0f
                                     std::string("\0\0\x80\x3F", 4) +         // label 1.0f
                                     std::string("\x02\x01\0\0\0\0\0\0", 8);  // time 258
  EXPECT_EQ(SnapshotHash(d, 0, 1), core::Sha256Hex(expected_bytes));
}

TEST(SnapshotHashTest, ChangesWhenAnyValueChanges) {
  const core::Dataset d = Small();
  const std::string h = SnapshotHash(d, 0, 3);
  core::Dataset x = d;
  x.x[4] = 5.0001f;
  EXPECT_NE(SnapshotHash(x, 0, 3), h);
  core::Dataset y = d;
  y.y[2] = 1;
  EXPECT_NE(SnapshotHash(y, 0, 3), h);
  core::Dataset t = d;
  t.time[0] = 11;
  EXPECT_NE(SnapshotHash(t, 0, 3), h);
  core::Dataset c = d;
  c.categories[1][1] = "green";
  EXPECT_NE(SnapshotHash(c, 0, 3), h);
  // Same bytes, different shape: 3 rows of 2 features vs 6 rows of 1 feature.
  core::Dataset shape = d;
  shape.n_features = 1;
  shape.y = {0, 1, 0, 0, 1, 0};
  shape.time = {10, 20, 30, 40, 50, 60};
  EXPECT_NE(SnapshotHash(shape, 0, 6), h);
}

TEST(SnapshotHashTest, CoversOnlyTheRequestedRows) {
  const core::Dataset d = Small();
  EXPECT_EQ(SnapshotHash(d, 1, 3), SnapshotHash(d.Slice(1, 3), 0, 2));
  EXPECT_NE(SnapshotHash(d, 1, 3), SnapshotHash(d, 0, 2));
  EXPECT_NE(SnapshotHash(d, 0, 0), SnapshotHash(d, 0, 1));
  // Lineage is not content: the same rows from another file position hash alike.
  core::Dataset moved = d;
  moved.row = {100, 101, 102};
  EXPECT_EQ(SnapshotHash(moved, 0, 3), SnapshotHash(d, 0, 3));
}

TEST(SnapshotHashTest, AllNaNsHashAlike) {
  core::Dataset a = Small();
  core::Dataset b = Small();
  a.x[0] = std::numeric_limits<float>::quiet_NaN();
  const uint32_t payload_nan = 0x7FC00123u;
  std::memcpy(&b.x[0], &payload_nan, sizeof payload_nan);
  ASSERT_TRUE(std::isnan(b.x[0]));
  EXPECT_EQ(SnapshotHash(a, 0, 3), SnapshotHash(b, 0, 3));
}

TEST(SnapshotHashTest, SameElec2BytesGiveTheSameHash) {
  core::Schema s;
  for (const char* name : {"nswprice", "nswdemand"}) {
    s.features.push_back({name, core::FeatureType::kNumeric, {}});
  }
  s.label = {"class", core::Task::kBinaryClassification, "UP", "DOWN"};
  const std::string path = testutil::SourcePath("examples/elec2/electricity.csv.gz");
  Result<core::Dataset> a = ReadCsv(path, s);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  Result<std::string> bytes = ReadFileBytes(path);
  ASSERT_TRUE(bytes.ok());
  Result<core::Dataset> b = ParseCsv(*bytes, "other-name.csv", s);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(SnapshotHash(*a, 0, a->rows()), SnapshotHash(*b, 0, b->rows()));
  EXPECT_NE(SnapshotHash(*a, 0, a->rows()), SnapshotHash(*a, 1, a->rows()));
}

// The bytes of a snapshot read back give the same rows, the same bytes and the same hash:
// all of Elec2 (numeric), and a small table with dictionaries and missing values.
TEST(SnapshotBytesTest, ReadBackGivesTheSameRowsBytesAndHash) {
  core::Schema s;
  for (const char* name : {"date", "day", "period", "nswprice", "nswdemand"}) {
    s.features.push_back({name, core::FeatureType::kNumeric, {}});
  }
  s.label = {"class", core::Task::kBinaryClassification, "UP", "DOWN"};
  Result<core::Dataset> elec2 = ReadCsv(testutil::SourcePath("examples/elec2/electricity.csv.gz"), s);
  ASSERT_TRUE(elec2.ok()) << elec2.status().ToString();
  core::Dataset small = Small();
  small.x[3] = std::numeric_limits<float>::quiet_NaN();
  for (const auto& [data, begin, end] :
       {std::tuple{&*elec2, size_t{1000}, size_t{5000}}, std::tuple{&small, size_t{0}, size_t{3}},
        std::tuple{&small, size_t{1}, size_t{1}}}) {
    const std::string bytes = SnapshotBytes(*data, begin, end);
    EXPECT_EQ(core::Sha256Hex(bytes), SnapshotHash(*data, begin, end));
    Result<core::Dataset> back = ReadSnapshot(bytes);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_EQ(back->rows(), end - begin);
    EXPECT_EQ(back->n_features, data->n_features);
    EXPECT_EQ(back->categories, data->categories);
    for (size_t i = 0; i < back->rows(); ++i) {
      EXPECT_EQ(back->y[i], data->y[begin + i]);
      EXPECT_EQ(back->time[i], data->time[begin + i]);
      EXPECT_EQ(back->row[i], static_cast<int64_t>(i));
      for (size_t j = 0; j < data->n_features; ++j) {
        const float want = data->At(begin + i, j), got = back->At(i, j);
        EXPECT_TRUE(want == got || (std::isnan(want) && std::isnan(got))) << i << "," << j;
      }
    }
    EXPECT_EQ(SnapshotBytes(*back, 0, back->rows()), bytes);
  }
}

TEST(SnapshotBytesTest, ReadingBadBytesSaysWhereAndWhat) {
  const std::string good = SnapshotBytes(Small(), 0, 3);
  auto error = [](std::string_view bytes) {
    Result<core::Dataset> d = ReadSnapshot(bytes);
    return d.ok() ? std::string("ok") : d.status().message();
  };
  EXPECT_EQ(error(""), "snapshot: cut short at byte 0: expected the header \"mlloop-snapshot-v1\" (19 bytes), 0 left");
  std::string other = good;
  other[17] = '2';
  EXPECT_EQ(error(other),
            "snapshot: byte 0: not a version-1 snapshot (expected the header \"mlloop-snapshot-v1\")");
  EXPECT_EQ(error(good.substr(0, 23)),
            "snapshot: cut short at byte 19: expected the feature count (8 bytes), 4 left");
  // Header: 19 + 8 + 8, dictionaries (8) and (8 + 8+3 + 8+4), the row count (8) at 74; then
  // 3 rows of 2 features, a label and a time: 20 bytes each.
  EXPECT_EQ(error(good.substr(0, good.size() - 1)),
            "snapshot: the row count at byte 74 is 3, more than the 59 bytes left can hold");
  EXPECT_EQ(error(good + "x"),
            "snapshot: 61 bytes after the header at byte 82, expected exactly 3 rows of 20 bytes");
  std::string huge = good;
  huge[74] = '\x7f';  // the row count's low byte: 127 rows
  EXPECT_EQ(error(huge), "snapshot: the row count at byte 74 is 127, more than the 60 bytes left can hold");
  std::string long_category = good;
  long_category[51] = '\x7f';  // "red"'s length: 127
  EXPECT_EQ(error(long_category),
            "snapshot: a category's length at byte 51 is 127, more than the 83 bytes left can hold");
}

}  // namespace
}  // namespace mlloop::io
