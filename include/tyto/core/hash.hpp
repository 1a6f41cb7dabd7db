// Digests and encodings used across the platform (OpenSSL underneath).
#pragma once

#include <string>
#include <string_view>

namespace tyto {

// Lowercase hex SHA-256 of data.
std::string sha256_hex(std::string_view data);

// Raw 32-byte HMAC-SHA256 of data under key.
std::string hmac_sha256(std::string_view key, std::string_view data);

std::string hex_encode(std::string_view bytes);

// Fills a string with n bytes from the operating system's CSPRNG.
std::string random_bytes(std::size_t n);

}  // namespace tyto
