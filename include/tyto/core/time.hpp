// Wall-clock time as stored (int64 microseconds since the Unix epoch) and as shown (RFC 3339 UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tyto {

// Microseconds since the Unix epoch, from the system clock.
std::int64_t now_micros() noexcept;

// "2026-11-21T10:03:00.123Z": UTC, millisecond precision.
std::string format_rfc3339(std::int64_t micros);

// Parses RFC 3339 with 'Z' or a ±HH:MM offset and up to 9 fractional digits; nullopt if malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace tyto
