#include "tyto/objects/media.hpp"

#include "objects/detail/sniff.hpp"
#include "objects/detail/strip.hpp"

namespace tyto::objects {

std::string sniff_media_type(std::string_view bytes, std::string_view declared) {
  return detail::sniff(bytes.substr(0, detail::kSniffBytes), declared);
}

std::string strip_image_metadata(std::string_view media_type, std::string_view bytes) {
  return detail::strip_metadata(media_type, bytes);
}

}  // namespace tyto::objects
