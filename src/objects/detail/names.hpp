// Small helpers both stores share for keys, content types and messages.
#pragma once

#include "tyto/objects/object_store.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace tyto::objects::detail {

inline constexpr std::string_view kDefaultContentType = "application/octet-stream";

// Whether segment can be one '/'-free part of a key (see validate_key).
bool is_key_segment(std::string_view segment) noexcept;

// text with anything but printable ASCII (and '"', '\') as \xNN, cut after max_bytes: safe to put in a
// message even when it came from a client.
std::string printable(std::string_view text, std::size_t max_bytes = 200);

// Validates content_type (validate_content_type) and returns it, or the default when it is empty.
std::string content_type_or_default(std::string_view content_type);

// Checks presign()'s method (GET or PUT), expiry (1 s to 7 days) and content type; throws
// Error(kValidationFailed) naming the bad one.
void validate_presign(std::string_view method, std::chrono::seconds expires, std::string_view content_type);

// A ReadFn that hands out `data` (which must outlive it) in chunks, for put() over put_stream().
inline ReadFn read_from(std::string_view data) {
  auto offset = std::make_shared<std::size_t>(0);
  return [data, offset](char* buf, std::size_t cap) {
    const std::size_t n = std::min(cap, data.size() - *offset);
    std::memcpy(buf, data.data() + *offset, n);
    *offset += n;
    return n;
  };
}

}  // namespace tyto::objects::detail
