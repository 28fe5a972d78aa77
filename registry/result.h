// Result<T>: a value or an Error. The domain never throws for expected failures;
// fhir/ maps each ErrorKind once to an HTTP status and an OperationOutcome.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace nara {

// Kinds a client must be able to tell apart (docs/architecture.md "Errors").
enum class ErrorKind {
  invalid,              // malformed input (400) or invalid value (422, see detail_code)
  not_found,            // 404
  gone,                 // 410: deleted
  conflict,             // 409: duplicate or version conflict
  precondition_failed,  // 412: If-Match mismatch
  business_rule,        // 422 business-rule
  forbidden,            // 403
  unauthenticated,      // 401
  unavailable,          // 503
  too_large,            // 413
  not_supported,        // 405/406/415 decided by the caller
};

struct Error {
  ErrorKind kind;
  // Machine-readable detail: FHIR IssueType for invalid ("value", "structure", "required"...),
  // or the registry rule code for business_rule ("list-full", "change-limit"...).
  std::string detail_code;
  std::string text;  // human text for a clerk; never contains a personnummer
  std::string location;  // optional FHIRPath of the offending element

  static Error Invalid(std::string code, std::string text, std::string location = {}) {
    return {ErrorKind::invalid, std::move(code), std::move(text), std::move(location)};
  }
  static Error NotFound(std::string text) { return {ErrorKind::not_found, "not-found", std::move(text), {}}; }
  static Error Gone(std::string text) { return {ErrorKind::gone, "deleted", std::move(text), {}}; }
  static Error Conflict(std::string text) { return {ErrorKind::conflict, "conflict", std::move(text), {}}; }
  static Error PreconditionFailed(std::string text) {
    return {ErrorKind::precondition_failed, "conflict", std::move(text), {}};
  }
  static Error BusinessRule(std::string code, std::string text) {
    return {ErrorKind::business_rule, std::move(code), std::move(text), {}};
  }
  static Error Unavailable(std::string text) { return {ErrorKind::unavailable, "transient", std::move(text), {}}; }
};

// [[nodiscard]]: a dropped Result is a dropped error; a deliberate drop says why and casts to (void).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// For operations that return nothing but may fail.
struct Unit {};
using Status = Result<Unit>;
inline Status Ok() { return Unit{}; }

// Returns the Error of `expr` (a Result or Status) from the enclosing function, which must return a Result or
// Status; otherwise goes on. Like abseil's RETURN_IF_ERROR: one line instead of `if (!x) return x.error();`.
#define NARA_RETURN_IF_ERROR(expr)                       \
  do {                                                   \
    auto&& nara_result_ = (expr);                        \
    if (!nara_result_.ok()) return nara_result_.error(); \
  } while (false)

}  // namespace nara
