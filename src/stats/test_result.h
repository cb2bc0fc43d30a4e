// The result of a two-sample statistical test, shared by every test in stats/.
#pragma once

namespace mlloop::stats {

struct TestResult {
  double statistic = 0;
  double p_value = 1;  // in [0, 1]
};

}  // namespace mlloop::stats
