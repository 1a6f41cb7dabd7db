// Typed errors shared by every layer of Tyto.
//
// Code that hits an *unexpected* condition throws tyto::Error (or a subclass) with a stable
// ErrorCode. The HTTP layer maps each code to one status and the JSON envelope
//   {"error":{"code":"not_found","message":"…","details":{…}}}
// through a single table (error_status / error_code_name below), so handlers never build error
// responses by hand. Expected outcomes (a lookup that may find nothing) are return values, not
// exceptions.
//
// Codes are part of the public API: never rename one, only add.
#pragma once

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace tyto {

enum class ErrorCode {
  kBadRequest,            // 400 bad_request: a request the server cannot parse at all
  kInvalidJson,           // 400 invalid_json
  kUnauthorized,          // 401 unauthorized
  kForbidden,             // 403 forbidden
  kNotFound,              // 404 not_found
  kMethodNotAllowed,      // 405 method_not_allowed
  kTimeout,               // 408 timeout: the client (or a job) took too long
  kConflict,              // 409 conflict
  kPayloadTooLarge,       // 413 payload_too_large
  kUnsupportedMediaType,  // 415 unsupported_media_type
  kValidationFailed,      // 422 validation_failed: details.fields names each failing field
  kRateLimited,           // 429 rate_limited
  kHeaderTooLarge,        // 431 header_too_large
  kInternal,              // 500 internal: never carries internals to the client
  kUnavailable,           // 503 unavailable: a dependency (database, store) cannot be reached
  kQuotaExceeded,         // 429 quota_exceeded: a tenant quota (jobs, stored bytes) is used up
  kRangeNotSatisfiable,   // 416 range_not_satisfiable: a Range outside the object
  kIdempotencyKeyReused,  // 422 idempotency_key_reused: the key was used with a different request
  kOverloaded,            // 503 overloaded: the server (or this client address) is at its connection limit
  kTooManyStreams,        // 429 too_many_streams: the caller already has as many event streams open as allowed
  kInsufficientStorage,   // 507 insufficient_storage: the server's disk (object store, staging) is full
};

// Stable snake_case name of a code, as it appears in the envelope.
std::string_view error_code_name(ErrorCode code) noexcept;

// The HTTP status a code maps to. One table, used by every route.
int error_status(ErrorCode code) noexcept;

// Base of every error Tyto throws on purpose. `details` must be a JSON object (or null).
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, nlohmann::json details = nullptr);

  ErrorCode code() const noexcept { return code_; }
  const nlohmann::json& details() const noexcept { return details_; }

  // The envelope {"error":{"code","message","details"}} for this error.
  nlohmann::json envelope() const;

 private:
  ErrorCode code_;
  nlohmann::json details_;
};

// Convenience for 422: one entry per failing field, {"field": "reason"}.
Error validation_error(std::string message, nlohmann::json fields);

// The envelope for any code, for places that have no Error object at hand.
nlohmann::json error_envelope(ErrorCode code, std::string_view message, const nlohmann::json& details = nullptr);

}  // namespace tyto
