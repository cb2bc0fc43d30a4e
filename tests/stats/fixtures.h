// Reference values computed by SciPy, committed as JSON beside the script that made them
// (tests/stats/fixtures/*.py, run with Debian's python3-scipy). The tests need no Python.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mlloop::testutil {

// Parses tests/stats/fixtures/<name>; fails the calling test when it cannot.
nlohmann::json LoadStatsFixture(const std::string& name);

// A JSON array of numbers as floats, the way the fixtures' contract reads samples:
// decimal -> double -> float (the scripts wrote float32 values).
std::vector<float> FixtureFloats(const nlohmann::json& values);

}  // namespace mlloop::testutil
