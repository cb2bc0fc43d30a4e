#include "report/drift_html.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "testutil/testutil.h"

namespace mlloop::report {
namespace {

using core::FeatureType;
using drift::DriftReport;
using drift::FeatureDrift;
using drift::QualityFinding;

// The <section> of the feature drawn at display position `anchor` (the target is 0 when there
// is one), or "" when there is none.
std::string Section(const std::string& html, size_t anchor) {
  const size_t start = html.find("id=\"f" + std::to_string(anchor) + "\"");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</section>", start) - start);
}

// The row of the features table that links to `anchor`.
std::string TableRow(const std::string& html, size_t anchor) {
  const size_t start =
      html.find("<tr><td class=\"name\"><a href=\"#f" + std::to_string(anchor) + "\">");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</tr>", start) - start);
}

drift::Distribution Shares(std::vector<std::string> labels, std::vector<double> reference,
                           std::vector<double> current) {
  return {std::move(labels), std::move(reference), std::move(current)};
}

FeatureDrift Numeric(const std::string& name, double statistic, double p_value, bool drift) {
  FeatureDrift f;
  f.name = name;
  f.type = FeatureType::kNumeric;
  f.method = "ks";
  f.statistic = statistic;
  f.p_value = p_value;
  f.threshold = 0.05;
  f.drift = drift;
  f.reference_rows = 800;
  f.current_rows = 600;
  f.distribution = Shares({"[0, 1)", "[1, 2)", "[2, 3)", "[3, 4]"}, {0.1, 0.4, 0.4, 0.1},
                          drift ? std::vector<double>{0.05, 0.15, 0.5, 0.3}
                                : std::vector<double>{0.1, 0.38, 0.42, 0.1});
  return f;
}

FeatureDrift Categorical(const std::string& name, double distance, bool drift,
                         size_t categories = 3) {
  FeatureDrift f;
  f.name = name;
  f.type = FeatureType::kCategorical;
  f.method = "jensenshannon";
  f.statistic = distance;
  f.threshold = 0.1;
  f.drift = drift;
  f.reference_rows = 5000;
  f.current_rows = 4000;
  for (size_t i = 0; i < categories; ++i) {
    f.distribution.labels.push_back("cat_" + std::to_string(i));
    f.distribution.reference.push_back(1.0 / static_cast<double>(categories));
    f.distribution.current.push_back(1.0 / static_cast<double>(categories));
  }
  return f;
}

FeatureDrift NotComputable(const std::string& name, const std::string& why) {
  FeatureDrift f;
  f.name = name;
  f.type = FeatureType::kNumeric;
  f.method = "ks";
  f.computable = false;
  f.note = why;
  f.threshold = 0.05;
  f.reference_rows = 800;
  f.current_missing = 600;
  return f;
}

// Fills the summary counts as ComputeDrift would.
DriftReport Report(std::vector<FeatureDrift> features) {
  DriftReport r;
  r.features = std::move(features);
  for (const FeatureDrift& f : r.features) {
    if (!f.computable) continue;
    ++r.features_computable;
    if (f.drift) ++r.features_drifted;
  }
  r.drift_share = r.features_computable == 0 ? 0
                                             : static_cast<double>(r.features_drifted) /
                                                   static_cast<double>(r.features_computable);
  r.dataset_drift_threshold = 0.5;
  r.dataset_drift = r.features_computable > 0 && r.drift_share >= r.dataset_drift_threshold;
  r.reference_rows = 1000;
  r.current_rows = 750;
  return r;
}

DriftHtmlOptions Options() {
  DriftHtmlOptions o;
  o.title = "Weekly drift";
  o.reference_name = "data/train.csv";
  o.current_name = "data/week_42.csv";
  return o;
}

TEST(DriftHtmlTest, IsOneSelfContainedHtml5PageWithoutScriptOrNetwork) {
  DriftReport r = Report({Numeric("age", 0.3, 1e-9, true), Categorical("city", 0.02, false)});
  r.target = Categorical("label", 0.2, true);
  const std::string html = RenderDriftHtml(r, Options());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta charset=\"utf-8\">"), std::string::npos);
  EXPECT_NE(html.find("<style>"), std::string::npos);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  // Every in-page link points at an anchor.
  for (size_t pos = html.find("href=\""); pos != std::string::npos;
       pos = html.find("href=\"", pos + 1)) {
    EXPECT_EQ(html[pos + 6], '#') << html.substr(pos, 40);
  }
  EXPECT_EQ(testutil::CountOccurrences(html, "<section"), testutil::CountOccurrences(html, "</section>"));
  EXPECT_EQ(testutil::CountOccurrences(html, "<svg"), testutil::CountOccurrences(html, "</svg>"));
  EXPECT_EQ(testutil::CountOccurrences(html, "<table>"), testutil::CountOccurrences(html, "</table>"));
}

TEST(DriftHtmlTest, HeaderNamesTitleBothTablesAndRowCounts) {
  DriftReport r = Report({Numeric("age", 0.3, 1e-9, true)});
  r.reference_rows = 1234567;
  r.current_rows = 890;
  const std::string html = RenderDriftHtml(r, Options());
  EXPECT_NE(html.find("<title>Weekly drift</title>"), std::string::npos);
  EXPECT_NE(html.find("<h1>Weekly drift</h1>"), std::string::npos);
  EXPECT_NE(html.find("Reference: <b>data/train.csv</b> &middot; 1,234,567 rows"),
            std::string::npos);
  EXPECT_NE(html.find("Current: <b>data/week_42.csv</b> &middot; 890 rows"), std::string::npos);
}

TEST(DriftHtmlTest, BannerSaysYesWithCountsWhenDatasetDrifted) {
  const DriftReport r = Report({Numeric("a", 0.3, 1e-9, true), Numeric("b", 0.3, 1e-6, true),
                                Numeric("c", 0.01, 0.7, false), Numeric("d", 0.02, 0.4, false)});
  ASSERT_TRUE(r.dataset_drift);
  const std::string html = RenderDriftHtml(r, Options());
  EXPECT_NE(html.find("<div class=\"banner yes\">DATASET DRIFT: YES"), std::string::npos);
  EXPECT_NE(html.find("2 of 4 features drifted (share 50.0%, threshold 50.0%)"), std::string::npos);
  EXPECT_NE(html.find("Drifted: <a href=\"#f0\">a</a>, <a href=\"#f1\">b</a>"), std::string::npos);
  EXPECT_EQ(html.find("banner no"), std::string::npos);
}

TEST(DriftHtmlTest, BannerSaysNoWhenTooFewFeaturesDrifted) {
  const DriftReport r = Report({Numeric("a", 0.3, 1e-9, true), Numeric("b", 0.01, 0.9, false),
                                Numeric("c", 0.01, 0.7, false)});
  ASSERT_FALSE(r.dataset_drift);
  const std::string html = RenderDriftHtml(r, Options());
  EXPECT_NE(html.find("<div class=\"banner no\">DATASET DRIFT: NO"), std::string::npos);
  EXPECT_NE(html.find("1 of 3 features drifted (share 33.3%, threshold 50.0%)"), std::string::npos);
  EXPECT_EQ(html.find("banner yes"), std::string::npos);
}

TEST(DriftHtmlTest, WarnsOfBrokenPipelineOnlyWhenMostlyDataQuality) {
  DriftReport r = Report({Numeric("income", 0.3, 1e-9, true)});
  r.quality.push_back(
      {"income", "missing_rate_jump", "missing values rose from 1.0% to 62.0% of rows", 0.62});
  EXPECT_EQ(RenderDriftHtml(r, Options()).find("quality-warning"), std::string::npos);

  r.mostly_data_quality = true;
  const std::string html = RenderDriftHtml(r, Options());
  EXPECT_NE(html.find("id=\"quality-warning\""), std::string::npos);
  EXPECT_NE(html.find("broken pipeline (data quality), not drift"), std::string::npos);
  EXPECT_NE(html.find("Retraining on this data is not the answer"), std::string::npos);
  // The warning sits in the summary, before the findings it points to.
  EXPECT_LT(html.find("quality-warning"), html.find("<h2>Data quality</h2>"));
}

TEST(DriftHtmlTest, QualityFindingsAreATableWithKindsInWords) {
  DriftReport r = Report({Numeric("income", 0.3, 1e-9, true)});
  r.quality = {{"income", "missing_rate_jump", "missing rose from 1.0% to 62.0%", 0.62},
               {"city", "unseen_category", "12.5% of rows have values never seen", 0.125},
               {"zip", "column_missing", "absent from the current file", 0},
               {"odd", "some_new_kind", "a finding of a kind this report predates", 1}};
  const std::string html = RenderDriftHtml(r, Options());
  const std::string quality =
      html.substr(html.find("<h2>Data quality</h2>"),
                  html.find("<h2>Features</h2>") - html.find("<h2>Data quality</h2>"));
  EXPECT_NE(quality.find("<th>column</th><th>problem</th><th>detail</th>"), std::string::npos);
  EXPECT_NE(quality.find("<td class=\"name\">income</td><td>missing values jumped</td>"
                         "<td>missing rose from 1.0% to 62.0%</td>"),
            std::string::npos);
  EXPECT_NE(quality.find("categories never seen in the reference"), std::string::npos);
  EXPECT_NE(quality.find("column missing from the current data"), std::string::npos);
  EXPECT_NE(quality.find("<td>some_new_kind</td>"), std::string::npos);
  EXPECT_EQ(testutil::CountOccurrences(quality, "<tr>"), 5u);  // header + 4 findings
}

TEST(DriftHtmlTest, NoQualityFindingsSaysNone) {
  const std::string html = RenderDriftHtml(Report({Numeric("a", 0.1, 0.3, false)}), Options());
  EXPECT_NE(html.find("<h2>Data quality</h2>\n<p class=\"none\">none</p>"), std::string::npos);
}

TEST(DriftHtmlTest, FeatureTableListsDriftedFirstThenNotComputableThenStable) {
  const DriftReport r =
      Report({Numeric("stable_a", 0.01, 0.8, false), NotComputable("broken", "all missing"),
              Numeric("drift_b", 0.4, 1e-12, true), Categorical("stable_c", 0.01, false),
              Categorical("drift_d", 0.3, true)});
  const std::string html = RenderDriftHtml(r, Options());
  const std::vector<std::string> expected = {"drift_b", "drift_d", "broken", "stable_a",
                                             "stable_c"};
  for (size_t k = 0; k < expected.size(); ++k) {
    const std::string row = TableRow(html, k);
    EXPECT_NE(row.find(">" + expected[k] + "</a>"), std::string::npos) << k << ": " << row;
    EXPECT_NE(Section(html, k).find("<h3>" + expected[k]), std::string::npos) << k;
  }
  EXPECT_NE(TableRow(html, 0).find("<span class=\"verdict v-drift\">drift</span>"),
            std::string::npos);
  EXPECT_NE(TableRow(html, 2).find("<span class=\"verdict v-na\">not computable</span>"
                                   "<div class=\"small\">all missing</div>"),
            std::string::npos);
  EXPECT_NE(TableRow(html, 3).find("<span class=\"verdict v-ok\">no drift</span>"),
            std::string::npos);
}

TEST(DriftHtmlTest, FeatureRowShowsTypeMethodStatisticPValueAndThreshold) {
  const std::string html = RenderDriftHtml(
      Report({Numeric("age", 0.312456, 1.234e-8, true), Categorical("city", 0.23014, true)}),
      Options());
  EXPECT_NE(TableRow(html, 0).find("<td>numeric</td><td>ks</td><td class=\"num\">0.3125</td>"
                                   "<td class=\"num\">1.2e-08</td><td class=\"num\">0.05</td>"),
            std::string::npos)
      << TableRow(html, 0);
  // A distance has no p-value.
  EXPECT_NE(TableRow(html, 1).find("<td>categorical</td><td>jensenshannon</td>"
                                   "<td class=\"num\">0.2301</td><td class=\"num\">&ndash;</td>"
                                   "<td class=\"num\">0.1</td>"),
            std::string::npos)
      << TableRow(html, 1);
}

TEST(DriftHtmlTest, VerdictLineComparesWhatTheThresholdAppliesTo) {
  FeatureDrift large = Categorical("big", 123456.7, true);
  large.method = "psi";
  FeatureDrift stable_test = Numeric("calm", 0.0123, 0.4213, false);
  const std::string html =
      RenderDriftHtml(Report({Numeric("age", 0.312456, 1.234e-8, true),
                              Categorical("city", 0.04, false), large, stable_test}),
                      Options());
  EXPECT_NE(Section(html, 0).find("<span class=\"method\">ks</span>: p-value 1.2e-08 &lt; 0.05 "
                                  "&rarr; <span class=\"verdict v-drift\">drift</span> "
                                  "(statistic 0.3125)"),
            std::string::npos)
      << Section(html, 0);
  EXPECT_NE(Section(html, 1).find("<span class=\"method\">psi</span>: 123457 &ge; 0.1 &rarr; "
                                  "<span class=\"verdict v-drift\">drift</span>"),
            std::string::npos)
      << Section(html, 1);
  EXPECT_NE(Section(html, 2).find("<span class=\"method\">jensenshannon</span>: 0.04 &lt; 0.1 "
                                  "&rarr; <span class=\"verdict v-ok\">no drift</span>"),
            std::string::npos)
      << Section(html, 2);
  EXPECT_NE(Section(html, 3).find("p-value 0.421 &ge; 0.05 &rarr;"), std::string::npos)
      << Section(html, 3);
}

TEST(DriftHtmlTest, NotComputableFeatureSaysWhyInsteadOfAChart) {
  const std::string html = RenderDriftHtml(
      Report({NotComputable("zip", "no non-missing values in the current data")}), Options());
  const std::string section = Section(html, 0);
  ASSERT_FALSE(section.empty());
  EXPECT_EQ(section.find("<svg"), std::string::npos);
  EXPECT_NE(section.find("No chart: no non-missing values in the current data"), std::string::npos);
  EXPECT_NE(section.find("ks</span>: not computable"), std::string::npos);
  EXPECT_NE(section.find("+600 missing, 100.0%"), std::string::npos);
  // Counted neither as drifted nor as compared.
  EXPECT_NE(html.find("0 of 0 features drifted"), std::string::npos);
  EXPECT_NE(html.find("1 of 1 features could not be compared"), std::string::npos);
  EXPECT_NE(html.find("banner no"), std::string::npos);
}

TEST(DriftHtmlTest, ChartDrawsReferenceAndCurrentPerBinWithLegendAndAxis) {
  const std::string html = RenderDriftHtml(Report({Numeric("age", 0.3, 1e-9, true)}), Options());
  const std::string section = Section(html, 0);
  ASSERT_EQ(testutil::CountOccurrences(section, "<svg"), 1u);
  // One bar per bin and table, plus one legend swatch each.
  EXPECT_EQ(testutil::CountOccurrences(section, "<rect class=\"r\""), 5u);
  EXPECT_EQ(testutil::CountOccurrences(section, "<rect class=\"c\""), 5u);
  EXPECT_NE(section.find(">reference (800 rows)</text>"), std::string::npos);
  EXPECT_NE(section.find(">current (600 rows)</text>"), std::string::npos);
  EXPECT_NE(section.find(">share of non-missing rows</text>"), std::string::npos);
  for (const char* label : {"[0, 1)", "[1, 2)", "[2, 3)", "[3, 4]"}) {
    EXPECT_NE(section.find(std::string(">") + label + "</text>"), std::string::npos) << label;
  }
  // Four short labels lie flat; the y axis reaches the largest share (50%).
  EXPECT_EQ(section.find("rotate("), std::string::npos);
  EXPECT_NE(section.find(">50%</text>"), std::string::npos);
  EXPECT_NE(section.find("<title>[2, 3): reference 40.0%, current 50.0%</title>"),
            std::string::npos);
}

TEST(DriftHtmlTest, ManyOrLongLabelsAreRotatedAndThinned) {
  FeatureDrift wide = Numeric("wide", 0.3, 1e-9, true);
  wide.distribution = {};
  for (int i = 0; i < 100; ++i) {
    wide.distribution.labels.push_back("[" + std::to_string(i) + ", " + std::to_string(i + 1) +
                                       ")");
    wide.distribution.reference.push_back(0.01);
    wide.distribution.current.push_back(0.01);
  }
  const std::string section = Section(RenderDriftHtml(Report({wide}), Options()), 0);
  EXPECT_NE(section.find("rotate(-45"), std::string::npos);
  EXPECT_EQ(testutil::CountOccurrences(section, "<rect class=\"r\""), 101u);  // numeric bins are never folded
  const size_t written = testutil::CountOccurrences(section, "class=\"xl\"");
  EXPECT_GT(written, 10u);
  EXPECT_LT(written, 100u);
  EXPECT_NE(section.find("hover a bar for its label"), std::string::npos);
}

TEST(DriftHtmlTest, LongCategoryNamesAreCutOnAxisButWholeInTooltip) {
  FeatureDrift f = Categorical("channel", 0.3, true, 12);
  const std::string long_name = "a partner referral programme that nobody remembers starting";
  f.distribution.labels[0] = long_name;
  f.distribution.labels[1] =
      "d\xC3\xA9j\xC3\xA0 vu caf\xC3\xA9s of the old town of Orl\xC3\xA9"
      "ans";
  const std::string section = Section(RenderDriftHtml(Report({f}), Options()), 0);
  EXPECT_NE(section.find("rotate(-45"), std::string::npos);
  EXPECT_NE(section.find("<title>" + long_name + ":"), std::string::npos);
  EXPECT_EQ(section.find(">" + long_name + "</text>"), std::string::npos);
  // The middle goes, so values sharing a long prefix stay apart.
  EXPECT_NE(section.find(">a partner r\xE2\x80\xA6s starting</text>"), std::string::npos)
      << section;
  // Cut between characters, never inside a multi-byte one.
  EXPECT_NE(section.find(">d\xC3\xA9j\xC3\xA0 vu caf\xE2\x80\xA6of Orl\xC3\xA9"
                         "ans</text>"),
            std::string::npos)
      << section;
}

TEST(DriftHtmlTest, FewWideGroupsKeepLongLabelsWholeAndFlat) {
  FeatureDrift f = Categorical("channel", 0.3, true, 2);
  f.distribution.labels[0] = "a partner referral programme that nobody remembers";
  const std::string section = Section(RenderDriftHtml(Report({f}), Options()), 0);
  EXPECT_EQ(section.find("rotate("), std::string::npos);
  EXPECT_NE(section.find(">a partner referral programme that nobody remembers</text>"),
            std::string::npos);
}

TEST(DriftHtmlTest, HighCardinalityCategoriesFoldIntoOther) {
  FeatureDrift f = Categorical("user_agent", 0.3, true, 100);
  f.distribution.reference[57] = 0.5;  // the largest category stays visible
  const std::string section = Section(RenderDriftHtml(Report({f}), Options()), 0);
  EXPECT_EQ(testutil::CountOccurrences(section, "<rect class=\"r\""), 31u);  // 30 bars + legend
  EXPECT_NE(section.find(">cat_57</text>"), std::string::npos);
  EXPECT_NE(section.find("<title>other (71):"), std::string::npos);
  EXPECT_NE(section.find("the other 71 are summed"), std::string::npos);
}

TEST(DriftHtmlTest, TargetComesFirstAndIsMarked) {
  DriftReport r = Report({Numeric("age", 0.3, 1e-9, true), Categorical("city", 0.01, false)});
  FeatureDrift target = Categorical("churned", 0.02, false, 2);
  target.type = FeatureType::kBoolean;
  target.method = "z";
  target.statistic = 1.2;
  target.p_value = 0.23;
  target.threshold = 0.05;
  r.target = target;
  const std::string html = RenderDriftHtml(r, Options());
  EXPECT_NE(TableRow(html, 0).find(">churned</a> <span class=\"badge\">target</span>"),
            std::string::npos);
  EXPECT_NE(Section(html, 0).find("<h3>churned <span class=\"badge\">target</span>"),
            std::string::npos);
  EXPECT_NE(Section(html, 1).find("<h3>age "), std::string::npos);
  EXPECT_NE(Section(html, 2).find("<h3>city "), std::string::npos);
  EXPECT_NE(html.find("Target <a href=\"#f0\"><b>churned</b></a>: <span class=\"verdict v-ok\">"),
            std::string::npos);
  EXPECT_EQ(testutil::CountOccurrences(html, "class=\"badge\">target<"), 2u);  // table row and section
}

TEST(DriftHtmlTest, EscapesEveryStringFromTheData) {
  const std::string evil = "<script>alert(1)</script>";
  const std::string amp = "a&b\"c";
  FeatureDrift f = Categorical(evil, 0.3, true, 2);
  f.distribution.labels = {amp, "<img src=x onerror=alert(2)>"};
  f.note = "<b>bold</b> 'quoted'";
  f.method = "<i>m</i>";
  FeatureDrift broken = NotComputable(amp, "<why>");
  DriftReport r = Report({f, broken});
  r.target = Categorical("<target>", 0.1, false);
  r.quality.push_back({evil, "<kind>", amp, 1});
  DriftHtmlOptions options;
  options.title = "<title>";
  options.reference_name = evil;
  options.current_name = amp;
  const std::string html = RenderDriftHtml(r, options);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>bold"), std::string::npos);
  EXPECT_EQ(html.find("<why>"), std::string::npos);
  EXPECT_EQ(html.find("<i>m"), std::string::npos);
  EXPECT_EQ(html.find("<target>"), std::string::npos);
  EXPECT_EQ(html.find("<kind>"), std::string::npos);
  EXPECT_EQ(html.find(amp), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("a&amp;b&quot;c"), std::string::npos);
  EXPECT_NE(html.find("&lt;img src=x"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;bold&lt;/b&gt; &#39;quoted&#39;"), std::string::npos);
  EXPECT_NE(html.find("<title>&lt;title&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("&lt;kind&gt;"), std::string::npos);
  // Inside the SVG too (axis label, tooltip, aria-label).
  EXPECT_NE(html.find("aria-label=\"reference and current distributions of &lt;script&gt;"),
            std::string::npos);
  EXPECT_NE(html.find("<title>a&amp;b&quot;c: reference"), std::string::npos);
}

TEST(DriftHtmlTest, NumbersAreReadable) {
  FeatureDrift tiny = Numeric("tiny", 0.000012345, 0, true);
  FeatureDrift undefined = Numeric("undefined", std::nan(""), 0.5, false);
  const std::string html = RenderDriftHtml(Report({tiny, undefined}), Options());
  EXPECT_NE(TableRow(html, 0).find("<td class=\"num\">1.2e-05</td>"), std::string::npos);
  // An underflowed p-value is a bound, not a certainty.
  EXPECT_NE(TableRow(html, 0).find("<td class=\"num\">&lt;1e-300</td>"), std::string::npos);
  EXPECT_NE(TableRow(html, 1).find("<td class=\"num\">n/a</td>"), std::string::npos);
  EXPECT_EQ(html.find(">nan<"), std::string::npos);
}

TEST(DriftHtmlTest, ZeroFeaturesStillMakeAPage) {
  const std::string html = RenderDriftHtml(Report({}), Options());
  EXPECT_NE(html.find("DATASET DRIFT: NO"), std::string::npos);
  EXPECT_NE(html.find("0 of 0 features drifted (share 0.0%, threshold 50.0%)"), std::string::npos);
  EXPECT_NE(html.find("No features were compared."), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

TEST(DriftHtmlTest, OneFeatureWithoutDistributionSaysSo) {
  FeatureDrift f = Numeric("only", 0.3, 1e-9, true);
  f.distribution = {};
  const std::string html = RenderDriftHtml(Report({f}), Options());
  EXPECT_NE(html.find("1 of 1 features drifted (share 100.0%"), std::string::npos);
  EXPECT_NE(Section(html, 0).find("No distribution was recorded"), std::string::npos);
  EXPECT_EQ(html.find("<svg"), std::string::npos);
}

TEST(DriftHtmlTest, TwoHundredFeaturesOfTwentyCategoriesStayUnderThreeMegabytes) {
  std::vector<FeatureDrift> features;
  for (int i = 0; i < 200; ++i) {
    FeatureDrift f = Categorical("feature_with_a_fairly_long_name_" + std::to_string(i),
                                 0.05 + 0.001 * i, i % 3 == 0, 20);
    for (std::string& label : f.distribution.labels) label += "_and_a_long_category_suffix";
    features.push_back(f);
  }
  const std::string html = RenderDriftHtml(Report(features), Options());
  EXPECT_LT(html.size(), 3u * 1024 * 1024);
  EXPECT_EQ(testutil::CountOccurrences(html, "<svg"), 200u);
  EXPECT_NE(html.find("67 of 200 features drifted"), std::string::npos);
  EXPECT_NE(html.find(" and 47 more"), std::string::npos);  // the summary lists 20 by name
}

// A report with a bit of everything. With MLLOOP_HTML_OUT set, the page is written there for
// a person to look at (tests/report/screenshot.sh does that and takes a screenshot).
TEST(DriftHtmlTest, RendersRichExample) {
  FeatureDrift age = Numeric("age", 0.1873, 3.2e-11, true);
  age.reference_rows = 48210;
  age.current_rows = 9120;
  age.current_missing = 35;
  age.distribution = Shares({"[18, 25)", "[25, 32)", "[32, 39)", "[39, 46)", "[46, 53)", "[53, 60)",
                             "[60, 67)", "[67, 74)", "[74, 81)", "[81, 90]"},
                            {0.08, 0.17, 0.21, 0.18, 0.13, 0.09, 0.07, 0.04, 0.02, 0.01},
                            {0.21, 0.26, 0.19, 0.12, 0.08, 0.06, 0.04, 0.02, 0.01, 0.01});

  FeatureDrift income = Numeric("monthly_income", 0.0412, 0, false);
  income.method = "wasserstein";
  income.p_value.reset();
  income.threshold = 0.1;
  income.reference_rows = 48210;
  income.current_rows = 3410;
  income.current_missing = 5745;
  income.distribution =
      Shares({"[0, 1000)", "[1000, 2000)", "[2000, 3000)", "[3000, 4000)", "[4000, 6000)",
              "[6000, 10000)", "[10000, 250000]"},
             {0.05, 0.14, 0.26, 0.24, 0.18, 0.1, 0.03}, {0.06, 0.15, 0.25, 0.23, 0.18, 0.1, 0.03});

  FeatureDrift city = Categorical("city", 0.0, true, 0);
  city.method = "chisquare";
  city.statistic = 913.4;
  city.p_value = 1.7e-170;
  city.threshold = 0.05;
  const std::vector<std::string> cities = {"London",
                                           "Manchester",
                                           "Birmingham",
                                           "Leeds",
                                           "Glasgow",
                                           "Sheffield",
                                           "Bradford",
                                           "Liverpool",
                                           "Edinburgh",
                                           "Bristol",
                                           "Cardiff",
                                           "Belfast",
                                           "Leicester",
                                           "Coventry",
                                           "Nottingham",
                                           "Newcastle upon Tyne",
                                           "Kingston upon Hull",
                                           "Stoke-on-Trent",
                                           "Southampton",
                                           "Portsmouth",
                                           "Plymouth",
                                           "Derby",
                                           "Wolverhampton",
                                           "Aberdeen",
                                           "Swansea",
                                           "Milton Keynes",
                                           "Northampton",
                                           "Norwich",
                                           "Luton",
                                           "Brighton & Hove",
                                           "Bournemouth",
                                           "Reading",
                                           "Dundee",
                                           "Middlesbrough",
                                           "Oxford",
                                           "Cambridge"};
  double ref_total = 0, cur_total = 0;
  for (size_t i = 0; i < cities.size(); ++i) {
    city.distribution.labels.push_back(cities[i]);
    city.distribution.reference.push_back(1.0 / static_cast<double>(i + 2));
    city.distribution.current.push_back(1.0 / static_cast<double>((i * 7 + 3) % 11 + 2));
    ref_total += city.distribution.reference.back();
    cur_total += city.distribution.current.back();
  }
  for (double& s : city.distribution.reference) s /= ref_total;
  for (double& s : city.distribution.current) s /= cur_total;
  city.reference_rows = 48210;
  city.current_rows = 9155;

  FeatureDrift channel = Categorical("acquisition_channel", 0.142, true, 0);
  channel.distribution =
      Shares({"organic search", "paid social (campaign <spring-2024>)",
              "partner referral programme with a very long name", "direct", "email newsletter"},
             {0.41, 0.12, 0.09, 0.3, 0.08}, {0.22, 0.38, 0.11, 0.21, 0.08});

  FeatureDrift device = Categorical("is_mobile", 0.0, false, 0);
  device.type = FeatureType::kBoolean;
  device.method = "z";
  device.statistic = 1.37;
  device.p_value = 0.171;
  device.threshold = 0.05;
  device.distribution = Shares({"false", "true"}, {0.44, 0.56}, {0.42, 0.58});

  FeatureDrift zip = NotComputable("postcode_area",
                                   "no non-missing values in the current data "
                                   "(the column was all empty)");
  zip.type = FeatureType::kCategorical;
  zip.method = "jensenshannon";
  zip.threshold = 0.1;

  DriftReport r = Report({age, income, city, channel, device, zip});
  FeatureDrift target = Categorical("defaulted", 0.0, true, 0);
  target.type = FeatureType::kBoolean;
  target.method = "z";
  target.statistic = 6.12;
  target.p_value = 9.4e-10;
  target.threshold = 0.05;
  target.distribution = Shares({"0", "1"}, {0.93, 0.07}, {0.88, 0.12});
  target.reference_rows = 48210;
  target.current_rows = 9155;
  r.target = target;
  r.reference_rows = 48210;
  r.current_rows = 9155;
  r.mostly_data_quality = true;
  r.quality = {
      {"monthly_income", "missing_rate_jump",
       "missing values rose from 0.4% of rows in the reference to 62.8% in the current", 0.628},
      {"postcode_area", "column_missing", "every value of the column is empty in the current", 1.0},
      {"city", "unseen_category",
       "3.1% of current rows have a city never seen in the reference "
       "(e.g. \"Milton Keynes\")",
       0.031}};

  DriftHtmlOptions options;
  options.title = "Credit default model: weekly drift";
  options.reference_name = "data/credit/train_2023.csv";
  options.current_name = "data/credit/traffic_2024-W17.csv";
  const std::string html = RenderDriftHtml(r, options);
  EXPECT_EQ(testutil::CountOccurrences(html, "<svg"), 6u);  // all but the not computable one
  if (const char* out = std::getenv("MLLOOP_HTML_OUT"); out != nullptr && *out != '\0') {
    testutil::WriteFile(out, html);
    std::printf("wrote %s (%zu bytes)\n", out, html.size());
  }
}

// ---------------------------------------------------------------------------------------
// Multivariate drift

drift::MultivariateDrift Multivariate(bool classifier_drift, bool pca_drift) {
  drift::MultivariateDrift m;
  auto& dc = m.domain_classifier;
  dc.computable = true;
  dc.auc = classifier_drift ? 0.9731 : 0.5012;
  dc.auc_std = 0.0123;
  dc.fold_auc = {*dc.auc, *dc.auc, *dc.auc, *dc.auc, *dc.auc};
  dc.threshold = 0.55;
  dc.drift = classifier_drift;
  dc.rows_per_side = 10000;
  dc.folds = 5;
  dc.top_features = {{"x<1>", 0.61}, {"x2", 0.3}, {"x3", 0.09}};
  auto& p = m.pca;
  p.computable = true;
  p.features = {"x<1>", "x2", "x3"};
  p.components = 2;
  p.explained_variance = 0.986;
  p.reference_rows = 5000;
  p.current_rows = 10000;
  p.reference_mean = 0.21;
  p.reference_std = 0.15;
  p.current_mean = pca_drift ? 1.3 : 0.2;
  p.current_std = 0.9;
  p.ratio = *p.current_mean / *p.reference_mean;
  p.standard_error = 0.01;
  p.drift = pca_drift;
  return m;
}

std::string MultivariateSection(const std::string& html) {
  const size_t start = html.find("<section id=\"multivariate\">");
  if (start == std::string::npos) return "";
  return html.substr(start, html.find("</section>", start) - start);
}

TEST(DriftHtmlTest, NoMultivariateSectionUnlessComputed) {
  const std::string html = RenderDriftHtml(Report({Numeric("x", 0.1, 0.4, false)}), Options());
  EXPECT_EQ(html.find("Multivariate drift"), std::string::npos);
}

TEST(DriftHtmlTest, MultivariateSectionShowsAucFeaturesAndPcaRatio) {
  DriftReport report = Report({Numeric("x", 0.1, 0.4, false)});
  report.multivariate = Multivariate(true, true);
  const std::string html = RenderDriftHtml(report, Options());
  const std::string section = MultivariateSection(html);
  ASSERT_FALSE(section.empty());
  EXPECT_NE(section.find("<h2>Multivariate drift</h2>"), std::string::npos);
  EXPECT_NE(section.find("ROC AUC 0.9731 &plusmn; 0.0123 &ge; 0.55"), std::string::npos) << section;
  EXPECT_NE(section.find("10,000 rows a side"), std::string::npos);
  // The separating features as bars, names escaped, largest first.
  EXPECT_NE(section.find("<svg class=\"chart gain\""), std::string::npos);
  EXPECT_EQ(testutil::CountOccurrences(section, "<rect class=\"c\""), 3u);
  EXPECT_NE(section.find("x&lt;1&gt;"), std::string::npos);
  EXPECT_EQ(section.find("x<1>"), std::string::npos);
  EXPECT_LT(section.find("61.0%"), section.find("30.0%"));
  EXPECT_NE(section.find("ratio 6.19"), std::string::npos) << section;
  EXPECT_EQ(testutil::CountOccurrences(section, "v-drift\">drift</span>"), 4u);  // two headings, two lines
  // The summary points to it, though the per-feature banner says no.
  EXPECT_NE(html.find("DATASET DRIFT: NO"), std::string::npos);
  EXPECT_NE(html.find("href=\"#multivariate\""), std::string::npos);
  EXPECT_NE(html.find("domain classifier, PCA reconstruction error"), std::string::npos);
}

TEST(DriftHtmlTest, MultivariateNotComputableSaysWhy) {
  DriftReport report = Report({Numeric("x", 0.1, 0.4, false)});
  drift::MultivariateDrift m;
  m.domain_classifier.note = "needs at least 50 rows on each side (reference 10, current 900)";
  m.pca.note = "PCA needs at least two numeric features, there are 1";
  report.multivariate = m;
  const std::string html = RenderDriftHtml(report, Options());
  const std::string section = MultivariateSection(html);
  EXPECT_NE(section.find("Not computable: needs at least 50 rows"), std::string::npos);
  EXPECT_NE(section.find("Not computable: PCA needs at least two"), std::string::npos);
  EXPECT_EQ(section.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("href=\"#multivariate\""), std::string::npos);  // nothing flagged
  EXPECT_EQ(html.find("n/a"), std::string::npos);
}

}  // namespace
}  // namespace mlloop::report
