// Detectors by name: the one place where configuration becomes a Detector.
//
// Names are the detectors' Name() ids ("adwin", "page_hinkley", "kswin", "cusum", "ddm",
// "eddm", "hddm_a", "hddm_w"). Parameters are a name -> number map so that any option can
// come from YAML; each name is the option's field name in its header's Options struct
// (River's parameter names), unset ones keep their defaults. Integer options take integral
// values only, boolean options (detect_increase, two_sided_test...) 0 or 1; cusum's mean and
// sigma take NaN (YAML .nan) for "estimate". Options are then checked by the detector's
// Options::Validate().
//
// Thread-safety: the functions are reentrant; the registry is a constant table.
//
// Example:
//   MLLOOP_ASSIGN_OR_RETURN(auto detector, CreateDetector("kswin", {{"alpha", 0.001}}));
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "drift/detector.h"

namespace mlloop::drift {

using DetectorParams = std::map<std::string, double, std::less<>>;

// Every registered name, in a fixed order (the table in detector.h).
std::vector<std::string_view> DetectorNames();

// The parameters `name` accepts, each with its default (integers and booleans as numbers;
// kswin's seed is -1, "drawn at creation"). InvalidArgument for an unknown name.
Result<std::vector<std::pair<std::string_view, double>>> DetectorParamDefaults(
    std::string_view name);

// A new detector. InvalidArgument: unknown name (the message lists the valid names), unknown
// parameter (it lists the detector's parameters), a non-integral value for an integer
// parameter, a boolean other than 0 or 1, or options that fail Validate().
Result<std::unique_ptr<Detector>> CreateDetector(std::string_view name,
                                                 const DetectorParams& params = {});

}  // namespace mlloop::drift
