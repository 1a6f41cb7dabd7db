// What the upload flow does to bytes, for products that take files in a request body instead (a
// multipart capture): the media type from the content itself, and images without their metadata.
#pragma once

#include <string>
#include <string_view>

namespace tyto::objects {

// The media type of `bytes` from its first bytes (magic numbers, text heuristics), never from a name or
// the client's word: image/jpeg, image/png, image/webp, video/mp4, audio/…, application/json, text/csv,
// text/plain or application/octet-stream. `declared` only decides between text/plain and text/csv.
std::string sniff_media_type(std::string_view bytes, std::string_view declared = {});

// A JPEG, PNG or WebP without its metadata (EXIF with GPS, XMP, IPTC, comments, text chunks), lossless:
// no pixel is decoded. Other types come back unchanged. Throws Error(kValidationFailed) when the image's
// structure is broken (truncated, a bad length).
std::string strip_image_metadata(std::string_view media_type, std::string_view bytes);

}  // namespace tyto::objects
