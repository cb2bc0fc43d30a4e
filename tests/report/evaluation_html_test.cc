#include "report/evaluation_html.h"
#include "report/html_util.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "pipeline/elec2_fixture.h"
#include "pipeline/xgb/xgb_model.h"
#include "testutil/testutil.h"

namespace mlloop::report {
namespace {

// Real Elec2 models compared on rows [12000, 14000), with `day` as the segment column: the
// champion trained on rows [4000, 8000), the candidate on [8000, 12000), under gates that
// reject the candidate for its Thursdays.
struct Fixture {
  config::ModelConfig config;
  core::Dataset data;
  std::unique_ptr<pipeline::XgbModel> champion, candidate;
  validate::Comparison comparison;
  validate::ComparisonDetails details;
};

const Fixture& Elec2Comparison() {
  static const Fixture* f = [] {
    auto* f = new Fixture;
    f->data = testutil::Elec2().Slice(0, 14000);
    core::Dataset::SegmentColumn day{"day", {"1", "2", "3", "4", "5", "6", "7"}, {}};
    for (size_t i = 0; i < f->data.rows(); ++i) {
      day.codes.push_back(static_cast<uint32_t>(f->data.At(i, 0)) - 1);
    }
    f->data.segments.push_back(std::move(day));
    pipeline::TrainOptions o;
    o.rounds = 30;
    o.params = {{"max_depth", "5"}};
    f->champion = std::move(pipeline::XgbModel::Train(f->data, 4000, 8000, o)).value();
    f->candidate = std::move(pipeline::XgbModel::Train(f->data, 8000, 12000, o)).value();
    auto cfg = config::ParseModelConfig(R"(model: elec2
schema:
  features: [day, period, nswprice, nswdemand, vicprice, vicdemand, transfer]
  label: {name: class, positive: UP, negative: DOWN}
  segments: [day]
validation:
  margin: 0.0
  gates:
    - significance: {metric: auc}
    - segments: {metric: accuracy, min_rows: 100, max_loss: 0.03}
    - latency: {p99: 1s, max_ratio: 1000, samples: 200}
    - sanity: {max_model_size: 10MB}
)",
                                        "evaluation.yaml");
    EXPECT_TRUE(cfg.ok()) << cfg.status().ToString();
    f->config = *cfg;
    auto c = validate::CompareModels(f->config, f->data, 12000, 14000, *f->candidate,
                                     f->champion.get(), 123456);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    f->comparison = std::move(c).value();
    auto d = validate::DescribeComparison(f->config, f->comparison, 200, 1);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    f->details = std::move(d).value();
    return f;
  }();
  return *f;
}

EvaluationReportOptions Names() {
  EvaluationReportOptions o;
  o.title = "Evaluation of elec2 v7";
  o.model = "elec2";
  o.candidate_name = "v7 (candidate)";
  o.champion_name = "v6 (champion)";
  o.data_name = "rows 12000..14000 of electricity.csv.gz";
  return o;
}

TEST(EvaluationHtmlTest, ShowsEveryGateChartAndNumber) {
  const Fixture& f = Elec2Comparison();
  const validate::Evaluation& ev = f.comparison.evaluation;
  ASSERT_FALSE(ev.passed) << ev.Summary();  // the segments gate rejects it (validate tests)
  const std::string html = RenderEvaluationHtml(f.comparison, f.details, Names());
  EXPECT_NE(html.find("REJECTED"), std::string::npos);
  for (const validate::GateOutcome& g : ev.gates) {
    EXPECT_NE(html.find("<td class=\"name\">" + g.name + "</td>"), std::string::npos) << g.name;
  }
  EXPECT_EQ(testutil::CountOccurrences(html, "<tr class=\"gate\">"), ev.gates.size());
  for (const char* section : {"id=\"gates\"", "id=\"metrics\"", "id=\"segments\"",
                              "id=\"calibration\"", "id=\"confusion\"", "id=\"latency\""}) {
    EXPECT_NE(html.find(section), std::string::npos) << section;
  }
  // Charts: metric deltas, one segment chart (day), calibration, latency.
  EXPECT_EQ(testutil::CountOccurrences(html, "<svg"), 4u);
  // Seven days, two bars each.
  EXPECT_EQ(testutil::CountOccurrences(html, "<rect class=\"cand\""),
            7u + 1 /*segment legend*/ + 1 /*calibration legend*/ + 2 /*latency*/);
  // The confusion matrix counts are the labels' and the candidate's decisions.
  int64_t tp = 0;
  for (size_t i = 0; i < f.comparison.labels.size(); ++i) {
    tp += f.comparison.labels[i] >= 0.5f && f.comparison.candidate[i] >= 0.5f;
  }
  EXPECT_EQ(f.details.candidate_confusion->true_positive, tp);
  EXPECT_NE(html.find("<th>actual 1</th><td>" + report::html::FormatCount(static_cast<size_t>(tp)) + "</td>"),
            std::string::npos);
  // Self-contained: nothing is fetched, nothing runs.
  for (const char* remote : {"http://", "https://", "<script", "<link", " src=", "@import"}) {
    EXPECT_EQ(html.find(remote), std::string::npos) << remote;
  }
  if (const char* out = std::getenv("MLLOOP_HTML_OUT"); out != nullptr && *out != '\0') {
    testutil::WriteFile(out, html);
    std::printf("wrote %s (%zu bytes)\n", out, html.size());
  }
}

TEST(EvaluationHtmlTest, TextFromTheDataIsEscaped) {
  const Fixture& f = Elec2Comparison();
  EvaluationReportOptions o = Names();
  o.candidate_name = "<b>v7</b> & co";
  const std::string html = RenderEvaluationHtml(f.comparison, f.details, o);
  EXPECT_EQ(html.find("<b>v7</b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;v7&lt;/b&gt; &amp; co"), std::string::npos);
}

TEST(EvaluationHtmlTest, JsonCarriesTheSameNumbers) {
  const Fixture& f = Elec2Comparison();
  const auto j = nlohmann::json::parse(EvaluationReportJson(f.comparison, f.details, Names()));
  EXPECT_EQ(j["evaluation"]["passed"], false);
  EXPECT_EQ(j["evaluation"]["summary"], f.comparison.evaluation.Summary());
  EXPECT_EQ(j["rows"], 2000);
  ASSERT_EQ(j["metrics"].size(), f.details.metrics.size());
  EXPECT_EQ(j["metrics"][0]["metric"], "accuracy");  // the validation metric comes first
  EXPECT_DOUBLE_EQ(j["metrics"][0]["difference"].get<double>(), *f.details.metrics[0].difference);
  EXPECT_EQ(j["segments"].size(), 7u);
  EXPECT_EQ(j["confusion"]["candidate"]["true_positive"],
            f.details.candidate_confusion->true_positive);
  EXPECT_TRUE(j["latency"].contains("champion"));
  int64_t calibrated = 0;
  for (const auto& b : j["calibration"]["candidate"]) calibrated += b["rows"].get<int64_t>();
  EXPECT_EQ(calibrated, 2000);  // every row falls in one bin
}

// Headless Chromium loads the page and builds the DOM the report meant: the verdict, every
// gate row and every chart element survive parsing (a broken tag would drop or nest them).
TEST(EvaluationHtmlTest, RendersInHeadlessChromium) {
  const char* candidates[] = {"/usr/bin/chromium", "/usr/bin/chromium-browser"};
  std::string browser;
  for (const char* c : candidates) {
    if (std::filesystem::exists(c)) browser = c;
  }
  if (browser.empty()) {
    GTEST_SKIP() << "chromium is not installed (Debian: apt-get install chromium); the HTML "
                    "checks above still ran";
  }
  const Fixture& f = Elec2Comparison();
  const std::string html = RenderEvaluationHtml(f.comparison, f.details, Names());
  testutil::TempDir dir;
  const std::string page = dir.File("evaluation.html");
  testutil::WriteFile(page, html);
  const std::string dom_file = dir.File("dom.html");
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --disable-background-networking "
      "--disable-component-update --disable-sync --no-first-run --user-data-dir=" +
      dir.File("profile") + " ";
  const std::string dump = browser + flags + "--dump-dom file://" + page + " > " + dom_file +
                           " 2>/dev/null";
  ASSERT_EQ(std::system(dump.c_str()), 0) << dump;
  const std::string dom = testutil::ReadFile(dom_file);
  ASSERT_FALSE(dom.empty());
  EXPECT_NE(dom.find("REJECTED"), std::string::npos);
  EXPECT_NE(dom.find("<title>Evaluation of elec2 v7</title>"), std::string::npos);
  for (const char* element : {"<svg", "<rect", "<circle", "<polyline", "<line",
                              "<tr class=\"gate\">", "<table"}) {
    EXPECT_EQ(testutil::CountOccurrences(dom, element), testutil::CountOccurrences(html, element))
        << element;
  }
}

}  // namespace
}  // namespace mlloop::report
