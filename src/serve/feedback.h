// The feedback endpoint's bodies: labels that arrive late, in batches, joined by request id
// to the predictions in the inference log (inference_log.h).
//
//   POST /v1/models/NAME/feedback
//   request  {"feedback": [{"id": "r-1", "label": 1}, {"id": "r-2", "row": 3, "label": "UP"}]}
//   response {"model_name": "elec2", "joined": 1, "not_joined": 1,
//             "results": [{"id": "r-1", "row": 0, "status": "joined"},
//                         {"id": "r-2", "row": 3, "status": "unknown_id", "error": "..."}],
//             "request_id": "..."}
//
// `id` is the request id a prediction response carried (its X-Request-Id); `row` picks a row
// of a batch request (default 0). A binary model's label is 0 or 1, true or false, or the
// config's positive / negative value ("UP" / "DOWN" for Elec2); a regression model's is a
// finite number. A malformed body or item is InvalidArgument naming the field
// ("feedback[2].label: ...") and records nothing; an id that joins no prediction is reported in
// its item's result and does not stop the others.
//
// Thread-safety: free functions over values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"
#include "serve/inference_log.h"
#include "serve/json_value.h"

namespace mlloop::serve {

// At most this many items per feedback request.
inline constexpr size_t kMaxFeedbackItems = 100000;

// Reads a feedback body for a model whose label is `label`. InvalidArgument naming the field.
Result<std::vector<LabelItem>> DecodeFeedback(const JsonValue& body, const core::LabelSpec& label);

// Answers one feedback request for `model_name`: decodes `body`, joins its labels through
// `log` (which returns once they are fsynced) and returns the response body. InvalidArgument
// naming the field for a bad body (nothing is recorded); the log's error when it cannot
// write (Unavailable).
Result<std::string> AnswerFeedback(std::string_view model_name, InferenceLog& log,
                                   const core::LabelSpec& label, std::string_view body,
                                   std::string_view request_id);

// The response body for `items` and what happened to each, written into *out.
void EncodeFeedbackResponse(std::string_view model_name, const std::vector<LabelItem>& items,
                            const std::vector<JoinResult>& results, std::string_view request_id,
                            std::string* out);

}  // namespace mlloop::serve
