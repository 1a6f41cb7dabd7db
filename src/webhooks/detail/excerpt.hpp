// Response bodies as the delivery log keeps them.
#pragma once

#include <string>
#include <string_view>

namespace tyto::webhooks::detail {

// At most max_bytes of text, cut at a character boundary: invalid UTF-8 becomes U+FFFD and NUL and
// other control characters except tab, CR and LF are dropped, so the excerpt is storable as TEXT on
// both databases and printable as JSON.
std::string excerpt(std::string_view bytes, std::size_t max_bytes = 1024);

}  // namespace tyto::webhooks::detail
