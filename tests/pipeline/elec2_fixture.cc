#include "pipeline/elec2_fixture.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <charconv>
#include <memory>
#include <string_view>
#include <vector>

#include "testutil/testutil.h"

namespace mlloop::testutil {
namespace {

constexpr std::string_view kHeader =
    "date,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,class";

std::vector<std::string_view> SplitCommas(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t comma = line.find(',', start);
    fields.push_back(line.substr(start, comma - start));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

bool ParseFloat(std::string_view text, float* value) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

Result<core::Dataset> LoadElec2(const std::string& path) {
  std::unique_ptr<gzFile_s, decltype(&gzclose)> file(gzopen(path.c_str(), "rb"), &gzclose);
  if (file == nullptr) return Status::NotFound("cannot open " + path);

  core::Dataset data;
  data.n_features = kElec2Features;
  char buffer[512];
  size_t line_number = 0;
  while (gzgets(file.get(), buffer, sizeof(buffer)) != nullptr) {
    ++line_number;
    std::string_view line(buffer);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line_number == 1) {
      if (line != kHeader)
        return Status::InvalidArgument("unexpected header: " + std::string(line));
      continue;
    }
    const std::vector<std::string_view> fields = SplitCommas(line);
    const std::string where = path + ":" + std::to_string(line_number);
    if (fields.size() != 9) return Status::InvalidArgument(where + ": expected 9 fields");
    for (size_t column = 1; column <= kElec2Features; ++column) {
      float value = 0;
      if (!ParseFloat(fields[column], &value)) {
        return Status::InvalidArgument(where + ": bad number '" + std::string(fields[column]) +
                                       "'");
      }
      data.x.push_back(value);
    }
    if (fields[8] != "UP" && fields[8] != "DOWN") {
      return Status::InvalidArgument(where + ": bad class '" + std::string(fields[8]) + "'");
    }
    data.y.push_back(fields[8] == "UP" ? 1.0f : 0.0f);
    data.row.push_back(static_cast<int64_t>(data.y.size() - 1));
    data.time.push_back(data.row.back() * 1800);  // relative: one row every 30 minutes
  }
  data.categories.resize(kElec2Features);
  return data;
}

const core::Dataset& Elec2() {
  static const Result<core::Dataset>* const kData =
      new Result<core::Dataset>(LoadElec2(SourcePath("examples/elec2/electricity.csv.gz")));
  EXPECT_TRUE(kData->ok()) << kData->status().ToString();
  static const core::Dataset kEmpty;
  return kData->ok() ? kData->value() : kEmpty;
}

}  // namespace mlloop::testutil
