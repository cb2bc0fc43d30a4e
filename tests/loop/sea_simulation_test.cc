#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/model_config.h"
#include "io/csv_reader.h"
#include "loop/simulation.h"
#include "testutil/testutil.h"

namespace mlloop::loop {
namespace {

// SEA (examples/sea/SOURCE.md): abrupt changes at rows 15000, 30000 and 45000. ADWIN on the
// errors, training on the rows since the change it located, recovers from each; the same
// detector with a fixed 4,000-row window keeps learning a mixture and does no better than
// never retraining.
TEST(SeaSimulationTest, TrainingSinceTheChangeRecoversFromAbruptChanges) {
  auto config = config::LoadModelConfig(testutil::SourcePath("examples/sea/model.yaml"));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto data = io::ReadCsv(config->data_path, config->schema);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  ASSERT_EQ(data->rows(), 60000u);

  auto since = Simulate(*config, *data, SimulationOptions{true, ""});
  ASSERT_TRUE(since.ok()) << since.status().ToString();
  config::ModelConfig fixed_config = *config;
  fixed_config.trainer.window.since_change.reset();
  auto fixed = Simulate(fixed_config, *data, SimulationOptions{false, ""});
  ASSERT_TRUE(fixed.ok()) << fixed.status().ToString();

  const PolicyRun& configured = since->policies[0];
  const PolicyRun& never = since->policies[1];
  EXPECT_GT(configured.value, fixed->policies[0].value + 0.02);
  EXPECT_GT(configured.value, never.value + 0.02);
  EXPECT_LE(configured.retrains, 8);

  // Each retrain on the rows since a change starts within 500 rows of a true change.
  std::vector<long> located;
  for (const DecisionRow& d : configured.decisions) {
    if (d.action != "retrain") continue;
    const std::string window =
        nlohmann::json::parse(d.signals_json).value("training_window", std::string());
    const std::string prefix = "since the change at data row ";
    if (window.rfind(prefix, 0) != 0) continue;
    located.push_back(std::strtol(window.c_str() + prefix.size(), nullptr, 10));
  }
  ASSERT_GE(located.size(), 3u);
  for (long row : located) {
    const long nearest = ((row + 7500) / 15000) * 15000;
    EXPECT_LE(std::labs(row - nearest), 500) << "change located at row " << row;
  }
}

}  // namespace
}  // namespace mlloop::loop
