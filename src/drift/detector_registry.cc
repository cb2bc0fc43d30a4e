#include "drift/detector_registry.h"

#include <cmath>
#include <functional>
#include <limits>

#include "drift/adwin.h"
#include "drift/cusum.h"
#include "drift/ddm.h"
#include "drift/eddm.h"
#include "drift/hddm_a.h"
#include "drift/hddm_w.h"
#include "drift/kswin.h"
#include "drift/page_hinkley.h"

namespace mlloop::drift {

namespace {

Status BadValue(std::string_view detector, std::string_view name, std::string_view what,
                double value) {
  return Status::InvalidArgument(std::string(detector) + ": parameter " + std::string(name) +
                                 " must be " + std::string(what) + ", got " +
                                 std::to_string(value));
}

// One option of an Options struct, reachable by name: its default and its type-checked setter.
template <typename Options>
struct Param {
  std::string_view name;
  std::function<double(const Options&)> get;
  std::function<Status(std::string_view detector, double value, Options* o)> set;
};

template <typename Options>
Param<Options> Real(std::string_view name, double Options::*m) {
  return {name, [m](const Options& o) { return o.*m; },
          [m](std::string_view, double value, Options* o) {
            o->*m = value;  // range checks are Validate()'s
            return Status::Ok();
          }};
}

template <typename Options>
Param<Options> Int(std::string_view name, int Options::*m) {
  return {name, [m](const Options& o) { return static_cast<double>(o.*m); },
          [m, name](std::string_view detector, double value, Options* o) {
            if (!(std::trunc(value) == value) || value < std::numeric_limits<int>::min() ||
                value > std::numeric_limits<int>::max()) {
              return BadValue(detector, name, "an integer", value);
            }
            o->*m = static_cast<int>(value);
            return Status::Ok();
          }};
}

template <typename Options>
Param<Options> Wide(std::string_view name, int64_t Options::*m) {
  return {name, [m](const Options& o) { return static_cast<double>(o.*m); },
          [m, name](std::string_view detector, double value, Options* o) {
            // Beyond 2^53 not every integer is a double: refuse rather than round.
            if (!(std::trunc(value) == value) || std::fabs(value) > 9007199254740992.0) {
              return BadValue(detector, name, "an integer of magnitude at most 2^53", value);
            }
            o->*m = static_cast<int64_t>(value);
            return Status::Ok();
          }};
}

template <typename Options>
Param<Options> Flag(std::string_view name, bool Options::*m) {
  return {name, [m](const Options& o) { return (o.*m) ? 1.0 : 0.0; },
          [m, name](std::string_view detector, double value, Options* o) {
            if (value != 0.0 && value != 1.0) return BadValue(detector, name, "0 or 1", value);
            o->*m = value == 1.0;
            return Status::Ok();
          }};
}

struct Entry {
  std::string_view name;
  std::function<std::vector<std::pair<std::string_view, double>>()> defaults;
  std::function<Result<std::unique_ptr<Detector>>(const DetectorParams&)> create;
};

template <typename Det, typename Options>
Entry MakeEntry(std::string_view name, std::vector<Param<Options>> params) {
  Entry e;
  e.name = name;
  e.defaults = [params] {
    std::vector<std::pair<std::string_view, double>> out;
    const Options defaults{};
    for (const auto& p : params) out.emplace_back(p.name, p.get(defaults));
    return out;
  };
  e.create = [name, params](const DetectorParams& given) -> Result<std::unique_ptr<Detector>> {
    Options options;
    for (const auto& [key, value] : given) {
      const Param<Options>* match = nullptr;
      for (const auto& p : params) {
        if (p.name == key) match = &p;
      }
      if (match == nullptr) {
        std::string valid;
        for (const auto& p : params) valid += (valid.empty() ? "" : ", ") + std::string(p.name);
        return Status::InvalidArgument(std::string(name) + ": unknown parameter '" + key +
                                       "'; valid parameters: " + valid);
      }
      MLLOOP_RETURN_IF_ERROR(match->set(name, value, &options));
    }
    MLLOOP_ASSIGN_OR_RETURN(auto detector, Det::Create(options));
    return std::unique_ptr<Detector>(std::move(detector));
  };
  return e;
}

const std::vector<Entry>& Registry() {
  static const std::vector<Entry>* const registry = new std::vector<Entry>{
      MakeEntry<Adwin, AdwinOptions>(
          "adwin", {Real("delta", &AdwinOptions::delta), Int("clock", &AdwinOptions::clock),
                    Int("max_buckets", &AdwinOptions::max_buckets),
                    Int("min_window_length", &AdwinOptions::min_window_length),
                    Int("grace_period", &AdwinOptions::grace_period)}),
      MakeEntry<PageHinkley, PageHinkleyOptions>(
          "page_hinkley", {Int("min_instances", &PageHinkleyOptions::min_instances),
                           Real("delta", &PageHinkleyOptions::delta),
                           Real("threshold", &PageHinkleyOptions::threshold),
                           Real("alpha", &PageHinkleyOptions::alpha),
                           Flag("detect_increase", &PageHinkleyOptions::detect_increase),
                           Flag("detect_decrease", &PageHinkleyOptions::detect_decrease)}),
      MakeEntry<Kswin, KswinOptions>(
          "kswin",
          {Real("alpha", &KswinOptions::alpha), Int("window_size", &KswinOptions::window_size),
           Int("stat_size", &KswinOptions::stat_size), Wide("seed", &KswinOptions::seed)}),
      MakeEntry<Cusum, CusumOptions>(
          "cusum", {Real("k", &CusumOptions::k), Real("h", &CusumOptions::h),
                    Int("warm_start", &CusumOptions::warm_start), Real("mean", &CusumOptions::mean),
                    Real("sigma", &CusumOptions::sigma),
                    Flag("detect_increase", &CusumOptions::detect_increase),
                    Flag("detect_decrease", &CusumOptions::detect_decrease)}),
      MakeEntry<Ddm, DdmOptions>("ddm", {Int("warm_start", &DdmOptions::warm_start),
                                         Real("warning_threshold", &DdmOptions::warning_threshold),
                                         Real("drift_threshold", &DdmOptions::drift_threshold)}),
      MakeEntry<Eddm, EddmOptions>(
          "eddm", {Int("warm_start", &EddmOptions::warm_start), Real("alpha", &EddmOptions::alpha),
                   Real("beta", &EddmOptions::beta)}),
      MakeEntry<HddmA, HddmAOptions>("hddm_a",
                                     {Real("drift_confidence", &HddmAOptions::drift_confidence),
                                      Real("warning_confidence", &HddmAOptions::warning_confidence),
                                      Flag("two_sided_test", &HddmAOptions::two_sided_test)}),
      MakeEntry<HddmW, HddmWOptions>("hddm_w",
                                     {Real("drift_confidence", &HddmWOptions::drift_confidence),
                                      Real("warning_confidence", &HddmWOptions::warning_confidence),
                                      Real("lambda_val", &HddmWOptions::lambda_val),
                                      Flag("two_sided_test", &HddmWOptions::two_sided_test)}),
  };
  return *registry;
}

Result<const Entry*> Find(std::string_view name) {
  for (const Entry& e : Registry()) {
    if (e.name == name) return &e;
  }
  std::string valid;
  for (const Entry& e : Registry()) valid += (valid.empty() ? "" : ", ") + std::string(e.name);
  return Status::InvalidArgument("unknown drift detector '" + std::string(name) +
                                 "'; valid detectors: " + valid);
}

}  // namespace

std::vector<std::string_view> DetectorNames() {
  std::vector<std::string_view> names;
  for (const Entry& e : Registry()) names.push_back(e.name);
  return names;
}

Result<std::vector<std::pair<std::string_view, double>>> DetectorParamDefaults(
    std::string_view name) {
  MLLOOP_ASSIGN_OR_RETURN(const Entry* entry, Find(name));
  return entry->defaults();
}

Result<std::unique_ptr<Detector>> CreateDetector(std::string_view name,
                                                 const DetectorParams& params) {
  MLLOOP_ASSIGN_OR_RETURN(const Entry* entry, Find(name));
  return entry->create(params);
}

}  // namespace mlloop::drift
