// Image headers as the vision module reads them before any decoder runs (modules/vision/src/probe.cpp):
// the declared size of JPEG, PNG, WebP, BMP, TIFF, PNM/PAM/PFM, Sun raster and Radiance HDR, and a JPEG's
// EXIF orientation. The decompression-bomb check rests on these, on bytes anyone can upload.
// Asserts: nothing is thrown; a size is either both sides in 1..2^30 or 0 x 0; a format is one of the
// documented names (empty when unknown, then no size); the orientation is 1..8.
#include "detail/exif.hpp"
#include "fuzz_check.hpp"
#include "tyto/vision/image.hpp"

#include <algorithm>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = tyto::fuzz::as_text(data, size);
  const tyto::vision::ImageInfo info = tyto::vision::probe(bytes);
  static const std::string kFormats[] = {"", "jpeg", "png", "webp", "bmp", "tiff", "pnm", "sunras", "hdr"};
  FUZZ_CHECK(std::find(std::begin(kFormats), std::end(kFormats), info.format) != std::end(kFormats));
  const bool none = info.width == 0 && info.height == 0;
  const bool sized = info.width >= 1 && info.height >= 1 && info.width <= (1 << 30) && info.height <= (1 << 30);
  FUZZ_CHECK(none || sized);
  if (info.format.empty()) FUZZ_CHECK(none);
  const int orientation = tyto::vision::detail::exif_orientation(bytes);
  FUZZ_CHECK(orientation >= 1 && orientation <= 8);
  return 0;
}
