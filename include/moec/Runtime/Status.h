//===- Status.h - error results of the device runtime -----------*- C++ -*-===//
//
// The runtime never throws across its API and never aborts on a missing
// library or device: every fallible call returns a `Status` or an
// `Expected<T>`. An error carries one message that says what failed and
// where, e.g.
//
//   opening CUDA device 0: cuInit failed: CUDA_ERROR_NO_DEVICE (100)
//
// Both types are [[nodiscard]]; test with `ok()` (or `if (status)`), read the
// text with `message()`.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_RUNTIME_STATUS_H
#define MOEC_RUNTIME_STATUS_H

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace moec::rt {

class [[nodiscard]] Status {
public:
  /// Success.
  Status() = default;
  static Status success() { return Status(); }
  /// An error; `message` must say what failed and where.
  static Status error(std::string message) {
    Status s;
    s.failed_ = true;
    s.message_ = std::move(message);
    return s;
  }

  bool ok() const { return !failed_; }
  /// True on success, like `ok()`.
  explicit operator bool() const { return ok(); }
  /// Empty on success.
  const std::string &message() const { return message_; }

  /// Prefixes an error with where it happened ("loading module: ...");
  /// success stays success.
  Status withContext(const std::string &context) const {
    if (ok())
      return *this;
    return error(context + ": " + message_);
  }

private:
  bool failed_ = false;
  std::string message_;
};

/// A value of type T, or the error that kept it from being made.
template <typename T> class [[nodiscard]] Expected {
public:
  Expected(T value) : value_(std::move(value)) {}
  /// `status` must be an error.
  Expected(Status status) : status_(std::move(status)) {
    assert(!status_.ok() && "Expected<T> built from a success Status");
    if (status_.ok())
      status_ = Status::error("internal error: Expected built from success");
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  /// The error (success when a value is held).
  const Status &status() const { return status_; }
  /// Empty when a value is held.
  const std::string &message() const { return status_.message(); }

  T &value() & {
    assert(ok());
    return *value_;
  }
  const T &value() const & {
    assert(ok());
    return *value_;
  }
  T &&value() && {
    assert(ok());
    return std::move(*value_);
  }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T &&operator*() && { return std::move(*this).value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

private:
  std::optional<T> value_;
  Status status_;
};

} // namespace moec::rt

/// Returns the Status of `expr` from the enclosing function when it is an
/// error. Works in functions returning Status or Expected<T>.
#define MOEC_RT_RETURN_IF_ERROR(expr)                                          \
  do {                                                                         \
    ::moec::rt::Status moecRtStatus_ = (expr);                                 \
    if (!moecRtStatus_.ok())                                                   \
      return moecRtStatus_;                                                    \
  } while (false)

#define MOEC_RT_CONCAT_INNER(a, b) a##b
#define MOEC_RT_CONCAT(a, b) MOEC_RT_CONCAT_INNER(a, b)
/// `MOEC_RT_ASSIGN_OR_RETURN(auto buf, device.allocate(n));` declares `buf`
/// from the Expected's value, or returns its error.
#define MOEC_RT_ASSIGN_OR_RETURN(decl, expr)                                   \
  MOEC_RT_ASSIGN_OR_RETURN_IMPL(MOEC_RT_CONCAT(moecRtExpected_, __LINE__),     \
                                decl, expr)
#define MOEC_RT_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr)                         \
  auto tmp = (expr);                                                           \
  if (!tmp.ok())                                                               \
    return tmp.status();                                                       \
  decl = std::move(tmp).value()

#endif // MOEC_RUNTIME_STATUS_H
