#include "drift/elec2_data.h"

#include <gtest/gtest.h>

#include "io/csv_reader.h"
#include "testutil/testutil.h"

namespace mlloop::drift {

core::Schema Elec2Schema() {
  core::Schema schema;
  schema.features.push_back({"day", core::FeatureType::kCategorical, {}});
  for (const char* name :
       {"period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"}) {
    schema.features.push_back({name, core::FeatureType::kNumeric, {}});
  }
  schema.label.name = "class";
  schema.label.task = core::Task::kBinaryClassification;
  schema.label.positive = "UP";
  schema.label.negative = "DOWN";
  schema.timestamp.source = core::TimestampSpec::Source::kRowIndex;
  schema.timestamp.start = 831427200;  // 1996-05-07T00:00:00Z
  schema.timestamp.step = 1800;
  return schema;
}

const core::Dataset& Elec2() {
  static const core::Dataset data = [] {
    auto read =
        io::ReadCsv(testutil::SourcePath("examples/elec2/electricity.csv.gz"), Elec2Schema());
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    return read.ok() ? std::move(read).value() : core::Dataset{};
  }();
  return data;
}

}  // namespace mlloop::drift
