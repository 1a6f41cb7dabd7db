#include "tyto/core/error.hpp"

namespace tyto {
namespace {

struct ErrorInfo {
  ErrorCode code;
  std::string_view name;
  int status;
};

// The one table that maps error codes to names and HTTP statuses.
constexpr ErrorInfo kErrorTable[] = {
    {ErrorCode::kBadRequest, "bad_request", 400},
    {ErrorCode::kInvalidJson, "invalid_json", 400},
    {ErrorCode::kUnauthorized, "unauthorized", 401},
    {ErrorCode::kForbidden, "forbidden", 403},
    {ErrorCode::kNotFound, "not_found", 404},
    {ErrorCode::kMethodNotAllowed, "method_not_allowed", 405},
    {ErrorCode::kTimeout, "timeout", 408},
    {ErrorCode::kConflict, "conflict", 409},
    {ErrorCode::kPayloadTooLarge, "payload_too_large", 413},
    {ErrorCode::kUnsupportedMediaType, "unsupported_media_type", 415},
    {ErrorCode::kValidationFailed, "validation_failed", 422},
    {ErrorCode::kRateLimited, "rate_limited", 429},
    {ErrorCode::kHeaderTooLarge, "header_too_large", 431},
    {ErrorCode::kInternal, "internal", 500},
    {ErrorCode::kUnavailable, "unavailable", 503},
    {ErrorCode::kQuotaExceeded, "quota_exceeded", 429},
    {ErrorCode::kRangeNotSatisfiable, "range_not_satisfiable", 416},
    {ErrorCode::kIdempotencyKeyReused, "idempotency_key_reused", 422},
    {ErrorCode::kOverloaded, "overloaded", 503},
    {ErrorCode::kTooManyStreams, "too_many_streams", 429},
    {ErrorCode::kInsufficientStorage, "insufficient_storage", 507},
};

const ErrorInfo& info(ErrorCode code) noexcept {
  for (const auto& e : kErrorTable) {
    if (e.code == code) return e;
  }
  return kErrorTable[13];  // internal
}

}  // namespace

std::string_view error_code_name(ErrorCode code) noexcept { return info(code).name; }

int error_status(ErrorCode code) noexcept { return info(code).status; }

Error::Error(ErrorCode code, std::string message, nlohmann::json details)
    : std::runtime_error(std::move(message)), code_(code), details_(std::move(details)) {}

nlohmann::json Error::envelope() const { return error_envelope(code_, what(), details_); }

Error validation_error(std::string message, nlohmann::json fields) {
  return Error(ErrorCode::kValidationFailed, std::move(message), {{"fields", std::move(fields)}});
}

nlohmann::json error_envelope(ErrorCode code, std::string_view message, const nlohmann::json& details) {
  nlohmann::json error = {{"code", error_code_name(code)}, {"message", message}};
  error["details"] = details.is_null() ? nlohmann::json::object() : details;
  return {{"error", std::move(error)}};
}

}  // namespace tyto
