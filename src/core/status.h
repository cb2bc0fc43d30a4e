// Status and Result<T>: how every recoverable failure in mlloop travels.
//
// A Status is a code from a small fixed set plus a message. Success costs one empty
// string. Messages gain context as they propagate ("promoting v7: ..."), in the spirit
// of absl::Status and XGBoost's collective::Result. Both types are [[nodiscard]]:
// dropping one must be a deliberate act (`(void)status` or `.IgnoreError()`).
//
// Thread-safety: value types; no shared state.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mlloop {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnavailable,
  kDataLoss,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "context: message". OK stays OK.
  Status WithContext(std::string_view context) const;

  // "INVALID_ARGUMENT: message", or "OK".
  std::string ToString() const;

  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or a non-OK Status. Built implicitly from either, like absl::StatusOr.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!status_.ok() && "Result built from an OK status carries no value");
    if (status_.ok()) status_ = Status::Internal("Result built from OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // REQUIRES: ok().
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // On a temporary, moves the value out, so `for (auto& x : *F())` cannot dangle.
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace mlloop

#define MLLOOP_CONCAT_INNER_(a, b) a##b
#define MLLOOP_CONCAT_(a, b) MLLOOP_CONCAT_INNER_(a, b)

// Returns from the current function with the status of `expr` when it is not OK.
#define MLLOOP_RETURN_IF_ERROR(expr)                  \
  do {                                                \
    ::mlloop::Status mlloop_status_ = (expr);         \
    if (!mlloop_status_.ok()) return mlloop_status_;  \
  } while (false)

// `lhs = value of expr`, or returns its status. `lhs` may declare a variable.
#define MLLOOP_ASSIGN_OR_RETURN(lhs, expr) \
  MLLOOP_ASSIGN_OR_RETURN_IMPL_(MLLOOP_CONCAT_(mlloop_result_, __LINE__), lhs, expr)
#define MLLOOP_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

// Aborts with a message when a programmer's invariant is broken (never for bad input).
#define MLLOOP_CHECK(cond, msg) \
  do {                          \
    if (!(cond)) ::mlloop::internal::CheckFailed(#cond, msg, __FILE__, __LINE__); \
  } while (false)

namespace mlloop::internal {
[[noreturn]] void CheckFailed(const char* cond, std::string_view msg, const char* file, int line);
}  // namespace mlloop::internal
