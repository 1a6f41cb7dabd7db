// What the DevTools connection decodes: base64 screenshots and the PNG header.
#include "detail/base64.hpp"

#include <catch2/catch.hpp>

using tyto::browser::detail::base64_decode;
using tyto::browser::detail::png_size;

TEST_CASE("base64 decodes RFC 4648's test vectors and refuses what is not base64", "[browser]") {
  CHECK(base64_decode("") == "");
  CHECK(base64_decode("Zg==") == "f");
  CHECK(base64_decode("Zm8=") == "fo");
  CHECK(base64_decode("Zm9v") == "foo");
  CHECK(base64_decode("Zm9vYg==") == "foob");
  CHECK(base64_decode("Zm9vYmE=") == "fooba");
  CHECK(base64_decode("Zm9vYmFy") == "foobar");
  CHECK(base64_decode("/+8=") == std::string("\xff\xef"));
  CHECK_FALSE(base64_decode("Zm9"));
  CHECK_FALSE(base64_decode("Zm9*"));
  CHECK_FALSE(base64_decode("Z==="));
}

TEST_CASE("png_size reads width and height from the header and nothing from other bytes", "[browser]") {
  // A 1×1 PNG (the IHDR of a real file).
  const auto png =
      base64_decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");
  REQUIRE(png);
  CHECK(png_size(*png) == std::pair{1, 1});
  std::string wide = *png;
  wide[18] = 0x01;  // width 0x00000101
  CHECK(png_size(wide) == std::pair{257, 1});
  CHECK(png_size("GIF89a") == std::pair{0, 0});
  CHECK(png_size(png->substr(0, 20)) == std::pair{0, 0});
}
