// Identifiers: UUIDv7 (RFC 9562) for every stored row and for request ids.
#pragma once

#include <string>
#include <string_view>

namespace tyto {

// A new UUIDv7 in canonical form ("0190b1a2-…"): 48 bits of Unix milliseconds, then random bits,
// so ids sort by creation time. Thread-safe; each thread draws from its own seeded generator.
std::string new_uuid_v7();

// True for a canonical lowercase or uppercase UUID of any version.
bool is_uuid(std::string_view s) noexcept;

}  // namespace tyto
