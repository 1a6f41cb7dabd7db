// The EXIF orientation of a JPEG (1..8; 1 when it has none or it cannot be read). src/probe.cpp.
#pragma once

#include <string_view>

namespace tyto::vision::detail {

int exif_orientation(std::string_view jpeg) noexcept;

}  // namespace tyto::vision::detail
