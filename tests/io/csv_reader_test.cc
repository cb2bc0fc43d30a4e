#include "io/csv_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <random>
#include <string>

#include "testutil/testutil.h"

namespace mlloop::io {
namespace {

using core::FeatureType;
using core::Schema;
using core::Task;
using core::TimestampSpec;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 1996-05-07T00:00:00Z (date -u -d 1996-05-07 +%s), the first half hour of Elec2.
constexpr int64_t kElec2Start = 831427200;

Schema Elec2Schema() {
  Schema s;
  for (const char* name :
       {"day", "period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"}) {
    s.features.push_back({name, FeatureType::kNumeric, {}});
  }
  s.label = {"class", Task::kBinaryClassification, "UP", "DOWN"};
  s.timestamp.source = TimestampSpec::Source::kRowIndex;
  s.timestamp.start = kElec2Start;
  s.timestamp.step = 1800;
  return s;
}

// Two numeric features a, b and a 0/1 label y, time from the row index.
Schema SmallSchema() {
  Schema s;
  s.features = {{"a", FeatureType::kNumeric, {}}, {"b", FeatureType::kNumeric, {}}};
  s.label = {"y", Task::kBinaryClassification, "1", "0"};
  return s;
}

core::Dataset MustParse(std::string_view text, const Schema& schema, const CsvOptions& o = {}) {
  Result<core::Dataset> r = ParseCsv(text, "t.csv", schema, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : core::Dataset{};
}

Status ParseError(std::string_view text, const Schema& schema, const CsvOptions& o = {}) {
  Result<core::Dataset> r = ParseCsv(text, "t.csv", schema, o);
  EXPECT_FALSE(r.ok()) << "parsed without error";
  return r.ok() ? Status::Ok() : r.status();
}

// Gzips `contents` into `path` with zlib, as gzip(1) would.
void WriteGzip(const std::string& path, std::string_view contents) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, contents.data(), static_cast<unsigned>(contents.size())),
            static_cast<int>(contents.size()));
  ASSERT_EQ(gzclose(f), Z_OK);
}

// ---------------------------------------------------------------------------------------
// The shipped Elec2 file (examples/elec2/SOURCE.md gives its row count and class balance).

TEST(CsvReaderTest, ReadsShippedElec2) {
  const std::string path = testutil::SourcePath("examples/elec2/electricity.csv.gz");
  Result<core::Dataset> r = ReadCsv(path, Elec2Schema());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const core::Dataset& d = *r;
  ASSERT_EQ(d.rows(), 45312u);
  EXPECT_EQ(d.n_features, 7u);
  EXPECT_EQ(d.x.size(), 45312u * 7);
  double positives = 0;
  for (float y : d.y) positives += y;
  EXPECT_EQ(positives, 19237);

  // First row: 0,2,0,0.056443,0.439155,0.003467,0.422915,0.414912,UP
  EXPECT_EQ(d.At(0, 0), 2.0f);
  EXPECT_EQ(d.At(0, 1), 0.0f);
  EXPECT_EQ(d.At(0, 2), 0.056443f);
  EXPECT_EQ(d.At(0, 3), 0.439155f);
  EXPECT_EQ(d.At(0, 4), 0.003467f);
  EXPECT_EQ(d.At(0, 5), 0.422915f);
  EXPECT_EQ(d.At(0, 6), 0.414912f);
  EXPECT_EQ(d.y[0], 1.0f);
  EXPECT_EQ(d.time[0], kElec2Start);
  // Last row (no newline after it): 0.9158,7,1,0.050679,0.288753,0.003542,0.355256,0.23114,DOWN
  EXPECT_EQ(d.At(45311, 0), 7.0f);
  EXPECT_EQ(d.At(45311, 1), 1.0f);
  EXPECT_EQ(d.At(45311, 6), 0.23114f);
  EXPECT_EQ(d.y[45311], 0.0f);
  EXPECT_EQ(d.time.back(), kElec2Start + int64_t{1800} * 45311);
  EXPECT_EQ(d.row.front(), 0);
  EXPECT_EQ(d.row.back(), 45311);
  EXPECT_EQ(d.categories.size(), 7u);
  EXPECT_TRUE(d.categories[0].empty());
  EXPECT_TRUE(d.segments.empty());
}

TEST(CsvReaderTest, ReadFileBytesGunzipsElec2) {
  Result<std::string> bytes =
      ReadFileBytes(testutil::SourcePath("examples/elec2/electricity.csv.gz"));
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(bytes->size(), 3091689u);  // SOURCE.md
  EXPECT_EQ(bytes->substr(0, 10), "date,day,p");
  EXPECT_EQ(bytes->back(), 'N');  // "...,DOWN" with no final newline
}

// ---------------------------------------------------------------------------------------
// Files.

TEST(CsvReaderTest, ReadsPlainAndGzipFilesAlike) {
  testutil::TempDir dir;
  const std::string text = "a,b,y\n1,2,1\n3,4,0\n";
  testutil::WriteFile(dir.File("plain.csv"), text);
  WriteGzip(dir.File("packed.csv.gz"), text);
  WriteGzip(dir.File("no_suffix.csv"), text);  // recognised by the magic bytes
  for (const char* name : {"plain.csv", "packed.csv.gz", "no_suffix.csv"}) {
    Result<core::Dataset> r = ReadCsv(dir.File(name), SmallSchema());
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    EXPECT_EQ(r->x, (std::vector<float>{1, 2, 3, 4})) << name;
    EXPECT_EQ(r->y, (std::vector<float>{1, 0})) << name;
  }
}

TEST(CsvReaderTest, ReadsConcatenatedGzipMembers) {
  testutil::TempDir dir;
  WriteGzip(dir.File("a.gz"), "a,b,y\n1,2,1\n");
  WriteGzip(dir.File("b.gz"), "3,4,0\n");
  testutil::WriteFile(dir.File("ab.csv.gz"),
                      testutil::ReadFile(dir.File("a.gz")) + testutil::ReadFile(dir.File("b.gz")));
  Result<core::Dataset> r = ReadCsv(dir.File("ab.csv.gz"), SmallSchema());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows(), 2u);
}

TEST(CsvReaderTest, MissingFileIsNotFound) {
  testutil::TempDir dir;
  const std::string path = dir.File("absent.csv");
  Result<std::string> r = ReadFileBytes(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr(path));
  EXPECT_EQ(ReadCsv(path, SmallSchema()).status().code(), StatusCode::kNotFound);
}

TEST(CsvReaderTest, CorruptGzipIsDataLoss) {
  testutil::TempDir dir;
  WriteGzip(dir.File("good.gz"), std::string(1000, 'x'));
  std::string bytes = testutil::ReadFile(dir.File("good.gz"));
  std::string corrupt = bytes;
  corrupt[12] = static_cast<char>(corrupt[12] ^ 0x5A);  // inside the deflate stream
  testutil::WriteFile(dir.File("corrupt.csv.gz"), corrupt);
  testutil::WriteFile(dir.File("truncated.csv.gz"), bytes.substr(0, bytes.size() / 2));
  testutil::WriteFile(dir.File("not_gzip.csv.gz"), "a,b,y\n");
  for (const char* name : {"corrupt.csv.gz", "truncated.csv.gz", "not_gzip.csv.gz"}) {
    Result<std::string> r = ReadFileBytes(dir.File(name));
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << name << ": " << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr(dir.File(name)));
  }
}

// ---------------------------------------------------------------------------------------
// Syntax.

TEST(CsvReaderTest, HandlesRfc4180Quoting) {
  Schema s;
  s.features = {{"a", FeatureType::kNumeric, {}}, {"name", FeatureType::kCategorical, {}}};
  s.label = {"y", Task::kBinaryClassification, "1", "0"};
  const core::Dataset d = MustParse(
      "a,name,y\n"
      "\"1.5\",\"Smith, John\",1\n"
      "2,\"say \"\"hi\"\"\",0\n"
      "3,\"two\nlines\",\"1\"\n"
      "4,\"\",0\n",
      s);
  ASSERT_EQ(d.rows(), 4u);
  EXPECT_EQ(d.At(0, 0), 1.5f);
  EXPECT_EQ(d.categories[1], (std::vector<std::string>{"Smith, John", "say \"hi\"", "two\nlines"}));
  EXPECT_EQ(d.At(2, 1), 2.0f);
  EXPECT_TRUE(std::isnan(d.At(3, 1)));  // "" is a missing value even when quoted
  EXPECT_EQ(d.y, (std::vector<float>{1, 0, 1, 0}));
}

TEST(CsvReaderTest, AcceptsCrlfBomAndMissingFinalNewline) {
  const core::Dataset d = MustParse(
      "\xEF\xBB\xBF"
      "a,b,y\r\n1,2,1\r\n3,4,0",
      SmallSchema());
  EXPECT_EQ(d.x, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(d.y, (std::vector<float>{1, 0}));
}

TEST(CsvReaderTest, IgnoresBlankTrailingLinesAndExtraColumns) {
  const core::Dataset d =
      MustParse("id,b,a,y,note\nr1,2,1,1,x\nr2,4,3,0,\"q\"\n\n\r\n  \n", SmallSchema());
  EXPECT_EQ(d.x, (std::vector<float>{1, 2, 3, 4}));  // schema order, not file order
  EXPECT_EQ(d.row, (std::vector<int64_t>{0, 1}));
}

TEST(CsvReaderTest, HeaderOnlyGivesNoRows) {
  const core::Dataset d = MustParse("a,b,y\n", SmallSchema());
  EXPECT_EQ(d.rows(), 0u);
  EXPECT_EQ(d.n_features, 2u);
  EXPECT_TRUE(d.x.empty());
}

TEST(CsvReaderTest, HonoursOtherDelimiters) {
  CsvOptions o;
  o.delimiter = ';';
  Schema s = SmallSchema();
  s.features.push_back({"city", FeatureType::kCategorical, {}});
  const core::Dataset d = MustParse("a;b;city;y\n1;2;Paris, TX;1\n", s, o);
  EXPECT_EQ(d.categories[2], std::vector<std::string>{"Paris, TX"});
  // A decimal comma is not a number: the reader does not guess locales.
  EXPECT_EQ(ParseError("a;b;city;y\n1,5;2;x;1\n", s, o).message(),
            "t.csv:2: column 'a' (column 1): expected a number, got '1,5'");
}

TEST(CsvReaderTest, HonoursTabDelimiter) {
  CsvOptions o;
  o.delimiter = '\t';
  const core::Dataset d = MustParse("a\tb\ty\n1\t-2.5e1\t1\n", SmallSchema(), o);
  EXPECT_EQ(d.x, (std::vector<float>{1, -25}));
}

// ---------------------------------------------------------------------------------------
// Typing.

TEST(CsvReaderTest, MissingValuesBecomeNaN) {
  const core::Dataset d =
      MustParse("a,b,y\n,NA,1\nNaN,?,0\nnull,NULL,1\nnan,+7,0\n", SmallSchema());
  ASSERT_EQ(d.rows(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(std::isnan(d.At(i, 0))) << i;
    if (i < 3) {
      EXPECT_TRUE(std::isnan(d.At(i, 1))) << i;
    }
  }
  EXPECT_EQ(d.At(3, 1), 7.0f);
}

TEST(CsvReaderTest, CustomMissingValues) {
  CsvOptions o;
  o.missing_values = {"-999", "n/a"};
  const core::Dataset d = MustParse("a,b,y\n-999,n/a,1\n-998,1,0\n", SmallSchema(), o);
  EXPECT_TRUE(std::isnan(d.At(0, 0)));
  EXPECT_TRUE(std::isnan(d.At(0, 1)));
  EXPECT_EQ(d.At(1, 0), -998.0f);
  // "" is no longer missing, so an empty numeric field is an error.
  EXPECT_THAT(ParseError("a,b,y\n,1,1\n", SmallSchema(), o).message(),
              HasSubstr("t.csv:2: column 'a' (column 1): expected a number, got ''"));
}

TEST(CsvReaderTest, NumbersOutsideFloatRangeRoundLikeStrtof) {
  const core::Dataset d = MustParse("a,b,y\n1e-50,1e40,1\n", SmallSchema());
  EXPECT_EQ(d.At(0, 0), 0.0f);
  EXPECT_TRUE(std::isinf(d.At(0, 1)));
}

TEST(CsvReaderTest, NumberSpellings) {
  const core::Dataset d =
      MustParse("a,b,y\n.5,1.,1\n-0,+1.5,0\n1e3,-2.5E-1,1\ninf,-inf,0\n", SmallSchema());
  EXPECT_EQ(d.At(0, 0), 0.5f);
  EXPECT_EQ(d.At(0, 1), 1.0f);
  EXPECT_TRUE(std::signbit(d.At(1, 0)));
  EXPECT_EQ(d.At(1, 1), 1.5f);
  EXPECT_EQ(d.At(2, 0), 1000.0f);
  EXPECT_EQ(d.At(2, 1), -0.25f);
  EXPECT_TRUE(std::isinf(d.At(3, 0)));
  for (const char* bad : {"-", ".", "1.2.3", "0x10", " 1", "1 ", "--1", "+-1"}) {
    EXPECT_EQ(ParseError(std::string("a,b,y\n") + bad + ",1,1\n", SmallSchema()).message(),
              std::string("t.csv:2: column 'a' (column 1): expected a number, got '") + bad + "'");
  }
}

// The reader's short-decimal fast path must round exactly as std::from_chars does.
TEST(CsvReaderTest, DecimalsRoundExactlyAsFromChars) {
  std::mt19937_64 rng(20240601);
  std::string text = "a,b,y\n";
  std::vector<float> expected;
  for (int i = 0; i < 20000; ++i) {
    std::string fields[2];
    for (auto& f : fields) {
      const int int_digits = static_cast<int>(rng() % 9);
      const int frac_digits = static_cast<int>(rng() % 12);
      if (rng() % 4 == 0) f += '-';
      for (int k = 0; k < int_digits; ++k) f += static_cast<char>('0' + rng() % 10);
      if (int_digits == 0) f += '0';
      if (frac_digits > 0) f += '.';
      for (int k = 0; k < frac_digits; ++k) f += static_cast<char>('0' + rng() % 10);
      float v = 0;
      const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
      ASSERT_TRUE(ec == std::errc() && ptr == f.data() + f.size()) << f;
      expected.push_back(v);
    }
    text += fields[0] + "," + fields[1] + ",1\n";
  }
  const core::Dataset d = MustParse(text, SmallSchema());
  ASSERT_EQ(d.x.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint32_t>(d.x[i]), std::bit_cast<uint32_t>(expected[i]))
        << "value " << i;
  }
}

TEST(CsvReaderTest, ParsesBooleans) {
  Schema s;
  s.features = {{"flag", FeatureType::kBoolean, {}}};
  s.label = {"y", Task::kBinaryClassification, "1", "0"};
  const core::Dataset d = MustParse("flag,y\ntrue,1\nFALSE,0\n1,1\n0,0\nYes,1\nno,0\nNA,1\n", s);
  ASSERT_EQ(d.rows(), 7u);
  EXPECT_THAT(std::vector<float>(d.x.begin(), d.x.begin() + 6), ElementsAre(1, 0, 1, 0, 1, 0));
  EXPECT_TRUE(std::isnan(d.x[6]));
  EXPECT_EQ(ParseError("flag,y\nmaybe,1\n", s).message(),
            "t.csv:2: column 'flag' (column 1): expected a boolean (true/false, 1/0, yes/no), "
            "got 'maybe'");
}

TEST(CsvReaderTest, CodesUndeclaredCategoriesInOrderOfFirstAppearance) {
  Schema s;
  s.features = {{"x", FeatureType::kNumeric, {}}, {"color", FeatureType::kCategorical, {}}};
  s.label = {"y", Task::kBinaryClassification, "1", "0"};
  const core::Dataset d = MustParse("x,color,y\n1,red,1\n2,blue,0\n3,red,1\n4,,0\n5,green,1\n", s);
  EXPECT_EQ(d.categories[0], std::vector<std::string>{});
  EXPECT_EQ(d.categories[1], (std::vector<std::string>{"red", "blue", "green"}));
  EXPECT_EQ(d.At(0, 1), 0.0f);
  EXPECT_EQ(d.At(1, 1), 1.0f);
  EXPECT_EQ(d.At(2, 1), 0.0f);
  EXPECT_TRUE(std::isnan(d.At(3, 1)));
  EXPECT_EQ(d.At(4, 1), 2.0f);
}

TEST(CsvReaderTest, CodesDeclaredCategoriesByDeclarationOrder) {
  Schema s;
  s.features = {{"color", FeatureType::kCategorical, {"red", "green", "blue"}}};
  s.label = {"y", Task::kBinaryClassification, "1", "0"};
  const core::Dataset d = MustParse("color,y\nblue,1\nred,0\nNA,1\n", s);
  EXPECT_EQ(d.categories[0], (std::vector<std::string>{"red", "green", "blue"}));
  EXPECT_EQ(d.x[0], 2.0f);
  EXPECT_EQ(d.x[1], 0.0f);
  EXPECT_TRUE(std::isnan(d.x[2]));
  EXPECT_EQ(ParseError("color,y\nred,1\npurple,0\n", s).message(),
            "t.csv:3: column 'color' (column 1): 'purple' is not one of the declared "
            "categories: red, green, blue");
}

TEST(CsvReaderTest, ReadsRegressionLabels) {
  Schema s = SmallSchema();
  s.label = {"y", Task::kRegression, "", ""};
  const core::Dataset d = MustParse("a,b,y\n1,2,3.25\n3,4,-1e3\n", s);
  EXPECT_EQ(d.y, (std::vector<float>{3.25f, -1000.0f}));
  EXPECT_EQ(ParseError("a,b,y\n1,2,3\n1,2,NA\n", s).message(),
            "t.csv:3: label 'y': missing value 'NA' (every row needs a label)");
  EXPECT_EQ(ParseError("a,b,y\n1,2,high\n", s).message(),
            "t.csv:2: label 'y' (column 3): expected a number, got 'high'");
}

TEST(CsvReaderTest, ReadsTimestampColumn) {
  Schema s = SmallSchema();
  s.timestamp.source = TimestampSpec::Source::kColumn;
  s.timestamp.column = "ts";
  const core::Dataset d =
      MustParse("ts,a,b,y\n1996-05-07,1,2,1\n1996-05-07T00:30:00Z,3,4,0\n831427200,5,6,1\n", s);
  EXPECT_EQ(d.time, (std::vector<int64_t>{kElec2Start, kElec2Start + 1800, kElec2Start}));
  EXPECT_THAT(ParseError("ts,a,b,y\n1996-05-07,1,2,1\nyesterday,3,4,0\n", s).message(),
              AllOf(HasSubstr("t.csv:3: column 'ts' (column 1): "), HasSubstr("yesterday")));
}

TEST(CsvReaderTest, AddsAnHourColumnToADateColumn) {
  Schema s = SmallSchema();
  s.features.push_back({"hr", FeatureType::kNumeric, {}});
  s.timestamp.source = TimestampSpec::Source::kColumn;
  s.timestamp.column = "day";
  s.timestamp.offset_column = "hr";
  s.timestamp.offset_unit = 3600;
  // The offset column comes before the date column here: order must not matter.
  const core::Dataset d = MustParse("hr,day,a,b,y\n0,1996-05-07,1,2,1\n23,1996-05-07,3,4,0\n", s);
  EXPECT_EQ(d.time, (std::vector<int64_t>{kElec2Start, kElec2Start + 23 * 3600}));
  EXPECT_EQ(d.At(1, 2), 23.0f);  // still a feature too
  EXPECT_THAT(ParseError("hr,day,a,b,y\n0.5,1996-05-07,1,2,1\n", s).message(),
              AllOf(HasSubstr("t.csv:2: timestamp offset 'hr' (column 1): expected an integer"),
                    HasSubstr("'0.5'")));
}

TEST(CsvReaderTest, RowIndexTimestampsAndRowNumbers) {
  Schema s = SmallSchema();
  s.timestamp = {TimestampSpec::Source::kRowIndex, "", 1000, 60, "", 3600};
  const core::Dataset d = MustParse("a,b,y\n1,2,1\n3,4,0\n5,6,1\n", s);
  EXPECT_EQ(d.time, (std::vector<int64_t>{1000, 1060, 1120}));
  EXPECT_EQ(d.row, (std::vector<int64_t>{0, 1, 2}));
}

TEST(CsvReaderTest, CodesSegmentsAndKeepsThemAsFeaturesToo) {
  Schema s;
  s.features = {{"region", FeatureType::kCategorical, {}}, {"a", FeatureType::kNumeric, {}}};
  s.label = {"y", Task::kBinaryClassification, "1", "0"};
  s.segments = {"region", "store"};
  const core::Dataset d =
      MustParse("region,store,a,y\nnorth,s1,1,1\nsouth,s2,2,0\nnorth,NA,3,1\n,s1,4,0\n", s);
  ASSERT_EQ(d.segments.size(), 2u);
  EXPECT_EQ(d.segments[0].name, "region");
  EXPECT_EQ(d.segments[0].values, (std::vector<std::string>{"north", "south", ""}));
  EXPECT_EQ(d.segments[0].codes, (std::vector<uint32_t>{0, 1, 0, 2}));
  EXPECT_EQ(d.segments[1].name, "store");
  EXPECT_EQ(d.segments[1].values, (std::vector<std::string>{"s1", "s2", ""}));
  EXPECT_EQ(d.segments[1].codes, (std::vector<uint32_t>{0, 1, 2, 0}));
  EXPECT_EQ(d.categories[0], (std::vector<std::string>{"north", "south"}));
  EXPECT_TRUE(std::isnan(d.At(3, 0)));
}

// ---------------------------------------------------------------------------------------
// Errors: each names the file, the 1-based physical line and the column.

TEST(CsvReaderTest, BadNumberNamesFileLineAndColumn) {
  EXPECT_EQ(ParseError("a,b,y\n1,2,1\n3,abc,0\n", SmallSchema()).message(),
            "t.csv:3: column 'b' (column 2): expected a number, got 'abc'");
}

TEST(CsvReaderTest, BadBinaryLabelNamesBothClassValues) {
  const std::string text =
      "date,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,class\n"
      "0,2,0,0.05,0.4,0.003,0.4,0.4,UP\n"
      "0,2,0,0.05,0.4,0.003,0.4,0.4,SIDEWAYS\n";
  Result<core::Dataset> r = ParseCsv(text, "electricity.csv", Elec2Schema());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "electricity.csv:3: label 'class': 'SIDEWAYS' is neither the positive value 'UP' "
            "nor the negative value 'DOWN'");
  EXPECT_THAT(ParseError("a,b,y\n1,2,\n", SmallSchema()).message(),
              HasSubstr("t.csv:2: label 'y': '' is neither"));
}

TEST(CsvReaderTest, MissingColumnsNameLineOneAndListTheHeader) {
  Schema s = SmallSchema();
  s.features.push_back({"c", FeatureType::kNumeric, {}});
  s.segments = {"shop"};
  const Status st = ParseError("a,y,b\n1,1,2\n", s);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.message(),
            "t.csv:1: header (line 1) has no columns 'c' (feature), 'shop' (segment); the "
            "header's columns are: a, y, b");
  EXPECT_THAT(ParseError("a,b\n1,2\n", SmallSchema()).message(),
              HasSubstr("no column 'y' (label)"));
  Schema ts = SmallSchema();
  ts.timestamp = {TimestampSpec::Source::kColumn, "when", 0, 1, "", 3600};
  EXPECT_THAT(ParseError("a,b,y\n1,2,1\n", ts).message(),
              HasSubstr("no column 'when' (timestamp)"));
}

TEST(CsvReaderTest, DuplicateHeaderNameUsedByTheSchemaIsAnError) {
  EXPECT_EQ(ParseError("a,b,a,y\n1,2,3,1\n", SmallSchema()).message(),
            "t.csv:1: the header names column 'a' 2 times (columns 1 and 3); the schema uses it "
            "as feature, so it must be unique");
  // A duplicate the schema does not use is harmless.
  EXPECT_EQ(MustParse("a,b,note,note,y\n1,2,x,x,1\n", SmallSchema()).rows(), 1u);
}

TEST(CsvReaderTest, WrongFieldCountNamesExpectedAndGot) {
  EXPECT_EQ(ParseError("a,b,y\n1,2,1\n3,4\n", SmallSchema()).message(),
            "t.csv:3: expected 3 fields (as in the header), got 2");
  EXPECT_EQ(ParseError("a,b,y\n1,2,1,9\n", SmallSchema()).message(),
            "t.csv:2: expected 3 fields (as in the header), got 4");
  // A blank line in the middle is a record with one empty field.
  EXPECT_EQ(ParseError("a,b,y\n1,2,1\n\n3,4,0\n", SmallSchema()).message(),
            "t.csv:3: expected 3 fields (as in the header), got 1");
}

TEST(CsvReaderTest, FieldCountErrorWinsOverTheShiftedValueItCauses) {
  // With a field missing, "1" lands in b and the label column is absent: the count is the
  // real problem, so that is what gets reported.
  EXPECT_EQ(ParseError("a,b,y\nx,1\n", SmallSchema()).message(),
            "t.csv:2: expected 3 fields (as in the header), got 2");
}

TEST(CsvReaderTest, LineNumbersCountNewlinesInsideQuotes) {
  Schema s = SmallSchema();
  s.features.push_back({"note", FeatureType::kCategorical, {}});
  const std::string text =
      "a,b,note,y\n"             // line 1
      "1,2,\"one\ntwo\",1\n"     // lines 2-3
      "3,4,\"x\r\ny\r\nz\",0\n"  // lines 4-6
      "5,bad,ok,1\n";            // line 7
  EXPECT_EQ(ParseError(text, s).message(),
            "t.csv:7: column 'b' (column 2): expected a number, got 'bad'");
  // A bad value after a multi-line field on the same record: the line the value sits on.
  EXPECT_EQ(ParseError("a,note,b,y\n1,\"p\nq\",zz,1\n", s).message(),
            "t.csv:3: column 'b' (column 3): expected a number, got 'zz'");
  // A record's field count is reported at the line where the record starts.
  EXPECT_EQ(ParseError("a,b,note,y\n1,2,\"p\nq\"\n", s).message(),
            "t.csv:2: expected 4 fields (as in the header), got 3");
}

TEST(CsvReaderTest, QuotingErrors) {
  EXPECT_EQ(ParseError("a,b,y\n1,2,1\n3,\"4,0\n5,6,1\n", SmallSchema()).message(),
            "t.csv:3: column 'b' (column 2): quoted field opened on this line is never closed");
  EXPECT_EQ(ParseError("a,b,y\n1,\"2\"x,1\n", SmallSchema()).message(),
            "t.csv:2: column 'b' (column 2): unexpected 'x' after the closing quote (expected "
            "the delimiter or a line break)");
}

TEST(CsvReaderTest, EmptyInputIsAnError) {
  EXPECT_EQ(ParseError("", SmallSchema()).message(), "t.csv: empty file, expected a header line");
  EXPECT_EQ(ParseError("\xEF\xBB\xBF\n\n", SmallSchema()).message(),
            "t.csv: empty file, expected a header line");
}

TEST(CsvReaderTest, RefusesUnusableOptionsAndSchemas) {
  CsvOptions o;
  o.delimiter = '"';
  EXPECT_EQ(ParseError("a,b,y\n", SmallSchema(), o).code(), StatusCode::kInvalidArgument);
  Schema s = SmallSchema();
  s.timestamp.source = TimestampSpec::Source::kColumn;
  EXPECT_THAT(ParseError("a,b,y\n", s).message(), HasSubstr("no column is named"));
}

// Seeded mutations of a small file (quotes, line breaks, delimiters dropped in anywhere):
// every input must come back as a Dataset or an InvalidArgument naming t.csv, never a crash
// or an inconsistent Dataset. Most useful under the ASan/UBSan build.
TEST(CsvReaderTest, SurvivesMutatedInput) {
  Schema s = SmallSchema();
  s.features.push_back({"c", FeatureType::kCategorical, {}});
  s.segments = {"c"};
  const std::string base = "a,b,c,y\r\n1,2,\"x,y\",1\n3,4,\"p\"\"q\",0\n5,6,z,1";
  const char alphabet[] = {',', '"', '\n', '\r', '1', '.', 'x', ' ', '\xEF'};
  std::mt19937 rng(7);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text = base;
    for (int edits = 1 + static_cast<int>(rng() % 4); edits > 0; --edits) {
      const size_t at = rng() % (text.size() + 1);
      const char ch = alphabet[rng() % sizeof alphabet];
      switch (rng() % 3) {
        case 0:
          text.insert(at, 1, ch);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1);
          break;
        default:
          if (at < text.size()) text[at] = ch;
          break;
      }
    }
    Result<core::Dataset> r = ParseCsv(text, "t.csv", s);
    if (r.ok()) {
      EXPECT_EQ(r->x.size(), r->rows() * 3) << text;
      EXPECT_EQ(r->time.size(), r->rows());
      EXPECT_EQ(r->segments[0].codes.size(), r->rows());
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
      EXPECT_THAT(r.status().message(), HasSubstr("t.csv")) << text;
    }
  }
}

TEST(CsvReaderTest, ReadCsvErrorsNameThePath) {
  testutil::TempDir dir;
  const std::string path = dir.File("bad.csv");
  testutil::WriteFile(path, "a,b,y\n1,x,1\n");
  Result<core::Dataset> r = ReadCsv(path, SmallSchema());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), path + ":2: column 'b' (column 2): expected a number, got 'x'");
}

}  // namespace
}  // namespace mlloop::io

namespace mlloop::io {
namespace {

TEST(CsvReaderTest, SchemaWithoutLabelReadsNoLabel) {
  core::Schema s;
  s.features = {{"a", core::FeatureType::kNumeric, {}}};
  const auto d = ParseCsv("a,b\n1,x\n2,y\n", "t.csv", s);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->rows(), 2u);
  EXPECT_TRUE(std::isnan(d->y[0]) && std::isnan(d->y[1]));
  EXPECT_EQ(d->At(1, 0), 2.0f);
}

TEST(CsvReaderTest, LenientReadCountsBadValuesAsMissing) {
  core::Schema s;
  s.features = {{"a", core::FeatureType::kNumeric, {}},
                {"b", core::FeatureType::kBoolean, {}},
                {"c", core::FeatureType::kCategorical, {"red", "blue"}}};
  const std::string text = "a,b,c\n1,yes,red\noops,maybe,green\n3,no,blue\nbad,no,red\n";
  // Strict by default: the first bad value fails the read.
  EXPECT_FALSE(ParseCsv(text, "t.csv", s).ok());
  TypeViolations violations;
  CsvOptions lenient;
  lenient.bad_values_as_missing = &violations;
  const auto d = ParseCsv(text, "t.csv", s, lenient);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->rows(), 4u);
  EXPECT_TRUE(std::isnan(d->At(1, 0)) && std::isnan(d->At(1, 1)) && std::isnan(d->At(1, 2)));
  EXPECT_EQ(d->At(2, 0), 3.0f);
  EXPECT_EQ(violations.counts, (std::map<std::string, size_t>{{"a", 2}, {"b", 1}, {"c", 1}}));
  EXPECT_EQ(violations.examples.at("a"), "oops");
  EXPECT_EQ(violations.examples.at("c"), "green");
  EXPECT_EQ(violations.total(), 4u);
}

TEST(CsvReaderTest, ReadsTheHeaderAlone) {
  auto header = ParseCsvHeader("\xEF\xBB\xBFx,\"y,z\",w\n1,2,3\n", "t.csv");
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(*header, (std::vector<std::string>{"x", "y,z", "w"}));
  EXPECT_FALSE(ParseCsvHeader("", "t.csv").ok());
}

TEST(CsvReaderTest, InfersNumericAndCategoricalColumns) {
  auto schema = InferSchema("n,c,m,e\n1.5,a,1,\n-2,b,NA,\n3e2,a,x,\n", "t.csv");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ(schema->features.size(), 4u);
  EXPECT_EQ(schema->features[0].type, core::FeatureType::kNumeric);      // 1.5, -2, 3e2
  EXPECT_EQ(schema->features[1].type, core::FeatureType::kCategorical);  // a, b
  EXPECT_EQ(schema->features[2].type, core::FeatureType::kCategorical);  // 1, missing, x
  EXPECT_EQ(schema->features[3].type, core::FeatureType::kNumeric);      // all missing
  EXPECT_TRUE(schema->label.name.empty());
  // The inferred schema reads the same text.
  auto d = ParseCsv("n,c,m,e\n1.5,a,1,\n-2,b,NA,\n3e2,a,x,\n", "t.csv", *schema);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->At(2, 0), 300.0f);
}

}  // namespace
}  // namespace mlloop::io
