// Feedback: bodies are read strictly (a bad one names its field and records nothing), ids
// that join nothing are reported per item, and over HTTP a label joins the prediction whose
// response carried its request id.
#include "serve/feedback.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "serve_fixture.h"
#include "testutil/testutil.h"

namespace mlloop::serve {
namespace {

using ::testing::HasSubstr;

core::LabelSpec UpDown() {
  core::LabelSpec label;
  label.name = "class";
  label.positive = "UP";
  label.negative = "DOWN";
  return label;
}

Result<std::vector<LabelItem>> Decode(std::string_view text, core::LabelSpec label = UpDown()) {
  auto body = ParseJson(text);
  if (!body.ok()) return body.status();
  return DecodeFeedback(*body, label);
}

TEST(FeedbackTest, ReadsIdsRowsAndEveryFormOfABinaryLabel) {
  auto items = Decode(R"({"feedback": [{"id": "a", "label": 1}, {"id": "b", "label": "DOWN"},
                                       {"id": "c", "row": 4, "label": true}, {"label": "UP", "id": "d"}]})");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 4u);
  EXPECT_EQ((*items)[0].request_id, "a");
  EXPECT_EQ((*items)[0].label, 1.0f);
  EXPECT_EQ((*items)[1].label, 0.0f);
  EXPECT_EQ((*items)[2].row, 4u);
  EXPECT_EQ((*items)[2].label, 1.0f);
  EXPECT_EQ((*items)[3].request_id, "d");
  EXPECT_EQ((*items)[3].label, 1.0f);
}

TEST(FeedbackTest, ARegressionLabelIsAFiniteNumber) {
  core::LabelSpec rentals;
  rentals.name = "cnt";
  rentals.task = core::Task::kRegression;
  auto items = Decode(R"({"feedback": [{"id": "a", "label": 17.25}]})", rentals);
  ASSERT_TRUE(items.ok());
  EXPECT_EQ((*items)[0].label, 17.25f);
  auto bad = Decode(R"({"feedback": [{"id": "a", "label": "17"}]})", rentals);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "feedback[0].label: expected a finite number (regression label 'cnt'), got a string");
}

TEST(FeedbackTest, ABadBodyNamesTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {R"([])", "request body: expected an object {\"feedback\": [...]}, got an array"},
      {R"({})", "feedback: required"},
      {R"({"labels": []})", "labels: unknown field (expected only \"feedback\")"},
      {R"({"feedback": {}})", "feedback: expected an array of {\"id\", \"label\"} objects, got an object"},
      {R"({"feedback": []})", "feedback: no items"},
      {R"({"feedback": [{"id": "a", "label": 1}, 3]})", "feedback[1]: expected an object"},
      {R"({"feedback": [{"label": 1}]})", "feedback[0].id: required"},
      {R"({"feedback": [{"id": 7, "label": 1}]})", "feedback[0].id: expected the prediction's request id (a non-empty string), got a number"},
      {R"({"feedback": [{"id": "a"}]})", "feedback[0].label: required"},
      {R"({"feedback": [{"id": "a", "label": 2}]})", "feedback[0].label: expected 0, 1, true, false, \"UP\" or \"DOWN\" (binary label 'class'), got 2"},
      {R"({"feedback": [{"id": "a", "label": "up"}]})", "got \"up\""},
      {R"({"feedback": [{"id": "a", "label": 1, "row": -1}]})", "feedback[0].row: expected a row index"},
      {R"({"feedback": [{"id": "a", "label": 1, "weight": 2}]})", "feedback[0].weight: unknown field"},
  };
  for (const auto& [body, message] : cases) {
    auto items = Decode(body);
    ASSERT_FALSE(items.ok()) << body;
    EXPECT_EQ(items.status().code(), StatusCode::kInvalidArgument) << body;
    EXPECT_THAT(items.status().message(), HasSubstr(message)) << body;
  }
}

TEST(FeedbackTest, WithoutALogTheRouteSaysSo) {
  testing::ServerFixture fixture;
  auto none = fixture.Client()->Post("/v1/models/toy/feedback",
                                     R"({"feedback": [{"id": "a", "label": 1}]})", "application/json");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 404);
  EXPECT_THAT(none->body, HasSubstr("keeps no inference log here, so it takes no feedback"));
}

// Over HTTP: predictions are logged under their request ids; feedback joins them.
TEST(FeedbackTest, JoinsLabelsToLoggedPredictionsOverHttp) {
  testutil::TempDir dir;
  auto log = InferenceLog::Open(dir.path(), testing::ToyLogOptions());
  ASSERT_TRUE(log.ok());
  testing::ServerFixture fixture({}, {}, log->get());
  fixture.slot().Swap(testing::ToyServedModel(4, 0));
  auto client = fixture.Client();

  httplib::Headers id = {{"X-Request-Id", "order-17"}};
  auto predicted = client->Post("/v1/models/toy:predict", id,
                                R"({"instances": [[0.2, true, "red"], [0.9, false, "blue"]]})",
                                "application/json");
  ASSERT_TRUE(predicted);
  ASSERT_EQ(predicted->status, 200) << predicted->body;
  auto fed = client->Post("/v1/models/toy/feedback",
                          R"({"feedback": [{"id": "order-17", "row": 1, "label": 1},
                                          {"id": "order-18", "label": 0},
                                          {"id": "order-17", "row": 2, "label": 0}]})",
                          "application/json");
  ASSERT_TRUE(fed);
  ASSERT_EQ(fed->status, 200) << fed->body;
  EXPECT_THAT(fed->body, HasSubstr(R"("model_name":"toy","joined":1,"not_joined":2)"));
  EXPECT_THAT(fed->body, HasSubstr(R"({"id":"order-17","row":1,"status":"joined"})"));
  EXPECT_THAT(fed->body, HasSubstr(R"({"id":"order-18","row":0,"status":"unknown_id","error":"no logged prediction has request id 'order-18')"));
  EXPECT_THAT(fed->body, HasSubstr(R"("status":"no_such_row","error":"request 'order-17' has no row 2")"));

  auto bad = client->Post("/v1/models/toy/feedback", R"({"feedback": [{"id": "order-17", "label": "yes"}]})",
                          "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("feedback[0].label: expected 0, 1, true, false"));
  auto get = client->Get("/v1/models/toy/feedback");
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 405);

  // The consumer sees both predicted rows, then the label with its row's features.
  LogEvents events;
  (*log)->TakeEvents(&events);
  ASSERT_EQ(events.events.size(), 3u);
  EXPECT_EQ(events.events[0].version, 4);
  EXPECT_EQ(events.events[2].kind, LogEvents::Kind::kLabel);
  EXPECT_EQ(events.events[2].row_id, 1u);
  EXPECT_EQ(events.events[2].label, 1.0f);
  EXPECT_EQ(events.x[6], 0.9f);
  EXPECT_EQ(events.x[8], 2.0f);  // "blue", the third category
}

}  // namespace
}  // namespace mlloop::serve
