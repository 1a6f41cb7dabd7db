// The one field of a multipart/form-data body (RFC 7578) that a route reads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tyto::products::live {

// The bytes of the part whose Content-Disposition names `field`; nullopt when there is none. Throws
// Error(kValidationFailed) for a Content-Type without a boundary or a body that is not well formed
// multipart (no closing boundary, a part without headers).
std::optional<std::string> multipart_field(std::string_view content_type, std::string_view body,
                                           std::string_view field);

}  // namespace tyto::products::live
