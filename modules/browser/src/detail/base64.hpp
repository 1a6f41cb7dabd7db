// Base64 (RFC 4648, with padding) as DevTools sends binary data: screenshots.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tyto::browser::detail {

// nullopt for a character outside the alphabet or a bad length.
std::optional<std::string> base64_decode(std::string_view text);

// Width and height of a PNG from its header, or {0, 0} when it is not one.
std::pair<int, int> png_size(std::string_view png);

}  // namespace tyto::browser::detail
