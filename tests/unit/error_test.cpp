#include "tyto/core/error.hpp"
#include "tyto/storage/database.hpp"

#include <catch2/catch.hpp>

using tyto::Error;
using tyto::ErrorCode;

TEST_CASE("Every error code maps to its documented name and status", "[errors]") {
  const std::vector<std::tuple<ErrorCode, std::string, int>> table = {
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
      {ErrorCode::kIdempotencyKeyReused, "idempotency_key_reused", 422},
      {ErrorCode::kOverloaded, "overloaded", 503},
      {ErrorCode::kTooManyStreams, "too_many_streams", 429},
      {ErrorCode::kInsufficientStorage, "insufficient_storage", 507},
  };
  for (const auto& [code, name, status] : table) {
    CHECK(tyto::error_code_name(code) == name);
    CHECK(tyto::error_status(code) == status);
  }
}

TEST_CASE("The error envelope always has code, message and an object of details", "[errors]") {
  Error plain(ErrorCode::kNotFound, "no such job");
  const auto env = plain.envelope();
  CHECK(env["error"]["code"] == "not_found");
  CHECK(env["error"]["message"] == "no such job");
  CHECK(env["error"]["details"].is_object());

  const auto v = tyto::validation_error("invalid input", {{"priority", "must be 0-100"}});
  CHECK(tyto::error_status(v.code()) == 422);
  CHECK(v.envelope()["error"]["details"]["fields"]["priority"] == "must be 0-100");
}

TEST_CASE("Storage errors carry the codes the HTTP table maps", "[errors]") {
  CHECK(tyto::error_status(tyto::storage::UniqueViolation("dup").code()) == 409);
  CHECK(tyto::error_status(tyto::storage::DatabaseUnavailable("down").code()) == 503);
  CHECK(tyto::error_status(tyto::storage::DatabaseError("syntax").code()) == 500);
}
