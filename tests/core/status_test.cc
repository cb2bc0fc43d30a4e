#include "core/status.h"

#include <gtest/gtest.h>

namespace mlloop {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return Status::InvalidArgument(std::to_string(v) + " is odd");
  return v / 2;
}

Result<int> Quarter(int v) {
  MLLOOP_ASSIGN_OR_RETURN(int h, Half(v));
  MLLOOP_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckQuarter(int v) {
  MLLOOP_RETURN_IF_ERROR(Quarter(v).status());
  return Status::Ok();
}

TEST(StatusTest, OkIsDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ContextChainsMessages) {
  Status s = Status::NotFound("model 42").WithContext("promoting v7");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "promoting v7: model 42");
  EXPECT_EQ(s.ToString(), "NOT_FOUND: promoting v7: model 42");
  EXPECT_TRUE(Status::Ok().WithContext("x").ok());
}

TEST(ResultTest, MacrosPropagateFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "3 is odd");
  EXPECT_TRUE(CheckQuarter(4).ok());
  EXPECT_EQ(CheckQuarter(2).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlloop
