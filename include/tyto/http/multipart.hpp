// multipart/form-data bodies (RFC 7578), read whole: the parts of a request whose route takes files
// beside fields (a capture's photos, an image to analyse). The body is already bounded by the route's
// max_body_bytes; parts are views into it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::http {

struct MultipartPart {
  std::string name;          // the Content-Disposition's name="…"
  std::string filename;      // its filename="…", empty when absent
  std::string content_type;  // the part's Content-Type, empty when absent
  std::string_view data;     // a view into the body passed to multipart_parts
};

// Every part, in order. Throws Error(kValidationFailed, details.reason) for a Content-Type without a
// boundary or a body that is not well formed multipart (no closing boundary, a part without headers).
std::vector<MultipartPart> multipart_parts(std::string_view content_type, std::string_view body);

// The bytes of the first part named `field`; nullopt when there is none. Throws as multipart_parts.
std::optional<std::string> multipart_field(std::string_view content_type, std::string_view body,
                                           std::string_view field);

// Whether a Content-Type header is multipart/form-data.
bool is_multipart(std::string_view content_type) noexcept;

}  // namespace tyto::http
