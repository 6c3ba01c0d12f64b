// qcompress/status.h: errors as values for every qcompress library.
//
// Overview
//   Library code never throws across its API. A fallible function returns `qc::Status` (success or a code plus a
//   message carrying context: file, node, tensor, field) or `qc::Expected<T>` (a value or a Status). The runtime's
//   C API maps StatusCode onto its integer codes one to one.
//
// Usage
//   qc::Expected<Model> LoadModel(const std::string& path) {
//     QC_ASSIGN_OR_RETURN(auto bytes, ReadFile(path));           // propagates the error unchanged
//     if (bytes.size() < 64) return qc::CorruptData(path + ": file is shorter than the 64-byte preamble");
//     ...
//   }
//   auto model = LoadModel("bert.qm");
//   if (!model.ok()) { std::cerr << model.status().ToString() << "\n"; return 1; }
//
// This header is header-only and depends on the C++17 standard library alone, so the deployable runtime and every
// other module can share it.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace qc {

/// What kind of failure a Status reports. Values are stable: the C API exposes them as integers.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,     ///< the caller passed something malformed (bad flag value, wrong input shape)
  kNotFound = 2,            ///< a named file, tensor, input or key does not exist
  kIoError = 3,             ///< the operating system refused a read, write, mmap or rename
  kCorruptData = 4,         ///< a file is malformed: bad magic, checksum mismatch, out-of-range offset
  kUnsupported = 5,         ///< well-formed input this version cannot handle (op, dtype, pattern)
  kVersionTooNew = 6,       ///< the file needs a newer runtime than this one
  kOutOfRange = 7,          ///< an index or size exceeds a limit
  kFailedPrecondition = 8,  ///< the object is not in a state that allows the call
  kCancelled = 9,           ///< the user interrupted the operation
  kInternal = 10,           ///< a bug in qcompress: an invariant did not hold
};

/// Stable lower-case name of a code, e.g. "corrupt_data".
constexpr std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kIoError: return "io_error";
    case StatusCode::kCorruptData: return "corrupt_data";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kVersionTooNew: return "version_too_new";
    case StatusCode::kOutOfRange: return "out_of_range";
    case StatusCode::kFailedPrecondition: return "failed_precondition";
    case StatusCode::kCancelled: return "cancelled";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

/// Success, or a failure code with a human-readable message that names what is wrong.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  /// Prefixes the message with where the failure happened: "loading bert.qm: <message>".
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    std::string text(context);
    text += ": ";
    text += message_;
    return Status(code_, std::move(text));
  }

  /// "corrupt_data: bert.qm: section 'graph' checksum mismatch".
  std::string ToString() const {
    if (ok()) return "ok";
    std::string text(StatusCodeName(code_));
    text += ": ";
    text += message_;
    return text;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string message) { return {StatusCode::kInvalidArgument, std::move(message)}; }
inline Status NotFound(std::string message) { return {StatusCode::kNotFound, std::move(message)}; }
inline Status IoError(std::string message) { return {StatusCode::kIoError, std::move(message)}; }
inline Status CorruptData(std::string message) { return {StatusCode::kCorruptData, std::move(message)}; }
inline Status Unsupported(std::string message) { return {StatusCode::kUnsupported, std::move(message)}; }
inline Status VersionTooNew(std::string message) { return {StatusCode::kVersionTooNew, std::move(message)}; }
inline Status OutOfRange(std::string message) { return {StatusCode::kOutOfRange, std::move(message)}; }
inline Status FailedPrecondition(std::string message) {
  return {StatusCode::kFailedPrecondition, std::move(message)};
}
inline Status Cancelled(std::string message) { return {StatusCode::kCancelled, std::move(message)}; }
inline Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

/// A value of type T, or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : storage_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Expected(Status status) : storage_(std::in_place_index<1>, std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<1>(storage_).ok() && "Expected<T> built from an OK status carries no value");
  }

  bool ok() const { return storage_.index() == 0; }
  explicit operator bool() const { return ok(); }

  /// The error; an OK Status when a value is present.
  Status status() const { return ok() ? Status::Ok() : std::get<1>(storage_); }

  T& value() & { return std::get<0>(storage_); }
  const T& value() const& { return std::get<0>(storage_); }
  T&& value() && { return std::get<0>(std::move(storage_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> storage_;
};

}  // namespace qc

#define QC_STATUS_CONCAT_INNER_(a, b) a##b
#define QC_STATUS_CONCAT_(a, b) QC_STATUS_CONCAT_INNER_(a, b)

/// Returns the Status of `expr` from the enclosing function if it is not OK.
#define QC_RETURN_IF_ERROR(expr)                               \
  do {                                                         \
    ::qc::Status qc_status_ = (expr);                          \
    if (!qc_status_.ok()) return qc_status_;                   \
  } while (false)

/// `QC_ASSIGN_OR_RETURN(auto x, MakeX());` binds the value or returns the error.
#define QC_ASSIGN_OR_RETURN(lhs, expr) \
  QC_ASSIGN_OR_RETURN_IMPL_(QC_STATUS_CONCAT_(qc_expected_, __LINE__), lhs, expr)
#define QC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
