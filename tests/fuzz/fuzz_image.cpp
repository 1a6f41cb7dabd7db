// Uploaded bytes through content sniffing and metadata stripping (the catalog sniffs an upload, then strips
// JPEG, PNG and WebP). Each input is stripped as the type it sniffs as and as each image type.
// Asserts: sniff names a documented type; strip throws nothing but tyto::Error(kValidationFailed); its
// output is at most the input plus one pad byte, sniffs as the same image type, and strips to itself
// with nothing more removed (stripping is idempotent).
#include "fuzz_check.hpp"
#include "objects/detail/sniff.hpp"
#include "objects/detail/strip.hpp"
#include "tyto/core/error.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <string>

namespace {

using tyto::objects::detail::StripResult;

constexpr std::string_view kSniffed[] = {"image/jpeg",
                                         "image/png",
                                         "image/webp",
                                         "video/mp4",
                                         "video/quicktime",
                                         "image/heic",
                                         "image/avif",
                                         "audio/wav",
                                         "audio/mpeg",
                                         "audio/ogg",
                                         "audio/flac",
                                         "application/zip",
                                         "text/html",
                                         "text/csv",
                                         "text/plain",
                                         "application/json",
                                         "application/octet-stream"};

constexpr std::array<std::string_view, 3> kImages = {"image/jpeg", "image/png", "image/webp"};

void check_strip(std::string_view media_type, std::string_view bytes) {
  StripResult result;
  std::string out;
  try {
    out = tyto::objects::detail::strip_metadata(media_type, bytes, &result);
  } catch (const tyto::Error& e) {
    FUZZ_CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
    return;
  }
  FUZZ_CHECK(out.size() <= bytes.size() + 1);  // + the pad byte a cut-off odd WebP chunk gets
  FUZZ_CHECK(result.removed_bytes <= bytes.size());
  FUZZ_CHECK(result.removed >= 0);
  if (std::find(kImages.begin(), kImages.end(), media_type) == kImages.end()) {
    FUZZ_CHECK(out == bytes);
    return;
  }
  FUZZ_CHECK(tyto::objects::detail::sniff(out) == media_type);
  StripResult second;
  std::string again;
  try {
    again = tyto::objects::detail::strip_metadata(media_type, out, &second);
  } catch (const tyto::Error& e) {
    std::fprintf(stderr, "stripped output is malformed: %s\n", e.what());
    FUZZ_CHECK(!"stripped output strips again");
  }
  FUZZ_CHECK(again == out);
  FUZZ_CHECK(second.removed == 0);
  FUZZ_CHECK(second.removed_bytes == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = tyto::fuzz::as_text(data, size);
  const std::string sniffed = tyto::objects::detail::sniff(bytes.substr(0, tyto::objects::detail::kSniffBytes));
  FUZZ_CHECK(std::find(std::begin(kSniffed), std::end(kSniffed), sniffed) != std::end(kSniffed));
  FUZZ_CHECK(tyto::objects::detail::sniff(bytes.substr(0, tyto::objects::detail::kSniffBytes), "text/csv") ==
             (sniffed == "text/plain" ? "text/csv" : sniffed));
  check_strip(sniffed, bytes);
  for (const std::string_view type : kImages) {
    if (type != sniffed) check_strip(type, bytes);
  }
  return 0;
}
