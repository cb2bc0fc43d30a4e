#include "stats/fixtures.h"

#include <gtest/gtest.h>

#include "testutil/testutil.h"

namespace mlloop::testutil {

nlohmann::json LoadStatsFixture(const std::string& name) {
  const std::string text = ReadFile(SourcePath("tests/stats/fixtures/" + name));
  EXPECT_FALSE(text.empty()) << "missing fixture " << name;
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(json.is_discarded()) << "fixture " << name << " is not JSON";
  return json;
}

std::vector<float> FixtureFloats(const nlohmann::json& values) {
  std::vector<float> out;
  out.reserve(values.size());
  for (const auto& v : values) out.push_back(static_cast<float>(v.get<double>()));
  return out;
}

}  // namespace mlloop::testutil
