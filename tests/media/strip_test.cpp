// Metadata stripping on real images: OpenCV encodes them, the tests add EXIF with a GPS position, XMP,
// comments and text chunks the way cameras and editors write them, strip, and check that the metadata is
// gone and that the image decodes to exactly the same pixels.
#include "objects/detail/strip.hpp"
#include "support/sample_media.hpp"
#include "support/test_support.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <array>
#include <cstdint>
#include <string>

using namespace std::string_literals;
namespace detail = tyto::objects::detail;

namespace {

// A noisy picture, so that encoded files are larger than the stripper's 64 KiB buffer.
cv::Mat picture(int width = 640, int height = 480) {
  cv::Mat m(height, width, CV_8UC3);
  cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255));
  m(cv::Rect(width / 8, height / 8, width / 2, height / 2)).setTo(cv::Scalar(20, 200, 90));
  return m;
}

std::string encode(const cv::Mat& m, const std::string& ext, std::vector<int> params = {}) {
  std::vector<uchar> buf;
  REQUIRE(cv::imencode(ext, m, buf, params));
  return std::string(buf.begin(), buf.end());
}

cv::Mat decode(const std::string& bytes) {
  std::vector<uchar> buf(bytes.begin(), bytes.end());
  return cv::imdecode(buf, cv::IMREAD_UNCHANGED);
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return !a.empty() && !b.empty() && a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

void le32(std::string& s, std::uint32_t v) { tyto::test::put_le32(s, v); }
void be32(std::string& s, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(char((v >> (8 * i)) & 0xFF));
}

using tyto::test::jpeg_segment;
using tyto::test::latitude_rationals;
using tyto::test::tiff_with_gps;

const std::string kXmp =
    "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description exif:GPSLatitude='51,30.4461N' "
    "exif:GPSLongitude='0,7.6651W'/></rdf:RDF></x:xmpmeta>";

// What a phone writes: EXIF (with GPS) and XMP in APP1, IPTC in APP13, a comment, an ICC profile; and a
// second image with its own EXIF after the end of the first.
std::string jpeg_with_metadata(const std::string& plain) {
  REQUIRE(plain.substr(0, 2) == "\xFF\xD8");
  std::string meta = jpeg_segment(0xE1, "Exif\0\0"s + tiff_with_gps()) +
                     jpeg_segment(0xE1, "http://ns.adobe.com/xap/1.0/\0"s + kXmp) +
                     jpeg_segment(0xED,
                                  "Photoshop 3.0\0"
                                  "8BIM\x04\x04\0\0\0\0\0\x0F\x1C\x02\x5A\0\x06London"s) +
                     jpeg_segment(0xFE, "taken at the secret base") +
                     jpeg_segment(0xE2, "ICC_PROFILE\0\x01\x01"s + std::string(64, '\x11'));
  std::string out = plain.substr(0, 2) + meta + plain.substr(2);
  return out + "\xFF\xD8"s + jpeg_segment(0xE1, "Exif\0\0"s + tiff_with_gps()) + "\xFF\xD9"s;
}

std::uint32_t crc32(const std::string& data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
  }
  return ~crc;
}

std::string png_chunk(const std::string& type, const std::string& data) {
  std::string c;
  be32(c, static_cast<std::uint32_t>(data.size()));
  c += type + data;
  be32(c, crc32(type + data));
  return c;
}

std::string png_with_metadata(const std::string& plain) {
  const std::size_t after_ihdr = 8 + 8 + 13 + 4;
  REQUIRE(plain.substr(12, 4) == "IHDR");
  const std::string meta = png_chunk("eXIf", tiff_with_gps()) + png_chunk("tEXt", "Comment\0taken at the base"s) +
                           png_chunk("iTXt", "XML:com.adobe.xmp\0\0\0\0\0"s + kXmp) +
                           png_chunk("zTXt", "Author\0\0\x78\x9C\x03\x00\x00\x00\x00\x01"s) +
                           png_chunk("tIME", "\x07\xE9\x01\x02\x03\x04\x05"s) +
                           png_chunk("pHYs", "\0\0\x0B\x13\0\0\x0B\x13\x01"s);
  return plain.substr(0, after_ihdr) + meta + plain.substr(after_ihdr);
}

// Rewrites a simple (VP8 or VP8L) WebP as an extended one with VP8X, EXIF and XMP chunks.
std::string webp_with_metadata(const std::string& plain, int width, int height) {
  REQUIRE(plain.substr(0, 4) == "RIFF");
  REQUIRE(plain.substr(8, 4) == "WEBP");
  const std::string image = plain.substr(12);  // the VP8/VP8L chunk
  auto chunk = [](const std::string& fourcc, const std::string& data) {
    std::string c = fourcc;
    le32(c, static_cast<std::uint32_t>(data.size()));
    c += data;
    if (data.size() & 1) c.push_back('\0');
    return c;
  };
  std::string vp8x = {'\x0C', 0, 0, 0};  // EXIF and XMP flags
  for (int v : {width - 1, height - 1}) vp8x += {char(v & 0xFF), char((v >> 8) & 0xFF), char((v >> 16) & 0xFF)};
  const std::string body = "WEBP" + chunk("VP8X", vp8x) + image + chunk("EXIF", "Exif\0\0"s + tiff_with_gps()) +
                           chunk("XMP ", kXmp + "x");  // odd length: a pad byte follows
  std::string out = "RIFF";
  le32(out, static_cast<std::uint32_t>(body.size()));
  return out + body;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

void check_no_metadata(const std::string& s) {
  CHECK_FALSE(contains(s, "Exif\0\0"s));
  CHECK_FALSE(contains(s, latitude_rationals()));
  CHECK_FALSE(contains(s, "GPSLatitude"));
  CHECK_FALSE(contains(s, "TytoCam"));
  CHECK_FALSE(contains(s, "secret"));
  CHECK_FALSE(contains(s, "London"));
}

tyto::ErrorCode error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const tyto::Error& e) {
    return e.code();
  }
  return tyto::ErrorCode::kInternal;
}

}  // namespace

TEST_CASE("Stripping a JPEG removes EXIF with GPS, XMP, IPTC and comments and keeps the pixels", "[media][strip]") {
  const cv::Mat pic = picture();
  const std::string plain = encode(pic, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 90});
  const std::string tagged = jpeg_with_metadata(plain);
  REQUIRE(contains(tagged, latitude_rationals()));
  REQUIRE(same_pixels(decode(tagged), decode(plain)));

  detail::StripResult result;
  const std::string stripped = detail::strip_metadata("image/jpeg", tagged, &result);
  check_no_metadata(stripped);
  CHECK(contains(stripped, "ICC_PROFILE"));  // colour stays right
  CHECK(contains(stripped, "JFIF"));
  CHECK(result.removed == 4);
  CHECK(result.removed_bytes == tagged.size() - stripped.size());
  CHECK(stripped.substr(stripped.size() - 2) == "\xFF\xD9");
  CHECK(same_pixels(decode(stripped), decode(plain)));
}

TEST_CASE("Stripping a JPEG without metadata changes no byte", "[media][strip]") {
  for (const auto& params :
       {std::vector<int>{cv::IMWRITE_JPEG_QUALITY, 75}, std::vector<int>{cv::IMWRITE_JPEG_PROGRESSIVE, 1},
        std::vector<int>{cv::IMWRITE_JPEG_RST_INTERVAL, 4}}) {
    const std::string plain = encode(picture(333, 217), ".jpg", params);
    CHECK(detail::strip_metadata("image/jpeg", plain) == plain);
  }
}

TEST_CASE("Stripping a PNG removes eXIf and text chunks and keeps the pixels", "[media][strip]") {
  const cv::Mat pic = picture(300, 200);
  const std::string plain = encode(pic, ".png");
  const std::string tagged = png_with_metadata(plain);
  REQUIRE(contains(tagged, latitude_rationals()));
  REQUIRE(same_pixels(decode(tagged), pic));

  detail::StripResult result;
  const std::string stripped = detail::strip_metadata("image/png", tagged + "trailing Exif\0\0"s, &result);
  check_no_metadata(stripped);
  CHECK_FALSE(contains(stripped, "tIME"));
  CHECK_FALSE(contains(stripped, "zTXt"));
  CHECK(contains(stripped, "pHYs"));
  CHECK(result.removed == 5);
  CHECK(stripped == plain.substr(0, 33) + png_chunk("pHYs", "\0\0\x0B\x13\0\0\x0B\x13\x01"s) + plain.substr(33));
  CHECK(same_pixels(decode(stripped), pic));
}

TEST_CASE("Stripping a WebP removes EXIF and XMP chunks and clears their VP8X flags", "[media][strip]") {
  for (int quality : {80, 101}) {  // lossy VP8 and lossless VP8L
    INFO("quality " << quality);
    const cv::Mat pic = picture(320, 240);
    const std::string plain = encode(pic, ".webp", {cv::IMWRITE_WEBP_QUALITY, quality});
    const std::string tagged = webp_with_metadata(plain, pic.cols, pic.rows);
    REQUIRE(contains(tagged, latitude_rationals()));
    const cv::Mat expected = decode(plain);
    REQUIRE(same_pixels(decode(tagged), expected));

    const std::string stripped = detail::strip_metadata("image/webp", tagged);
    check_no_metadata(stripped);
    CHECK_FALSE(contains(stripped, "XMP "));
    REQUIRE(stripped.substr(12, 4) == "VP8X");
    CHECK(stripped[20] == '\0');  // no EXIF, no XMP flag
    const auto riff = std::uint32_t(std::uint8_t(stripped[4])) | std::uint32_t(std::uint8_t(stripped[5])) << 8 |
                      std::uint32_t(std::uint8_t(stripped[6])) << 16 | std::uint32_t(std::uint8_t(stripped[7])) << 24;
    CHECK(riff == stripped.size() - 8);
    CHECK(same_pixels(decode(stripped), expected));
  }
}

TEST_CASE("Stripping streams a file through a bounded buffer", "[media][strip]") {
  tyto::test::TempDir dir;
  const cv::Mat pic = picture(1600, 1200);
  const std::string plain = encode(pic, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 95});
  REQUIRE(plain.size() > 1'000'000);
  tyto::test::write_file(dir.path() / "in.jpg", jpeg_with_metadata(plain));
  detail::FileSource source(dir.path() / "in.jpg");
  std::string out;
  std::size_t largest_piece = 0;
  detail::strip_metadata("image/jpeg", source, [&](std::string_view s) {
    largest_piece = std::max(largest_piece, s.size());
    out.append(s);
  });
  CHECK(largest_piece <= 64 * 1024);
  check_no_metadata(out);
  CHECK(same_pixels(decode(out), decode(plain)));
}

TEST_CASE("Broken images are refused, other types are copied", "[media][strip]") {
  const std::string jpeg = encode(picture(64, 64), ".jpg");
  const std::string png = encode(picture(64, 64), ".png");
  const std::string webp = encode(picture(64, 64), ".webp");
  const auto invalid = tyto::ErrorCode::kValidationFailed;
  CHECK(error_of([&] { detail::strip_metadata("image/jpeg", jpeg.substr(0, jpeg.size() / 2)); }) == invalid);
  CHECK(error_of([&] { detail::strip_metadata("image/jpeg", "\xFF\xD8\xFF\xE1\x00\x01"s); }) == invalid);
  CHECK(error_of([&] {
          detail::strip_metadata("image/jpeg",
                                 "\xFF\xD8\xFF\xE1\xFF\xF0"
                                 "Exif"s);
        }) == invalid);
  CHECK(error_of([&] { detail::strip_metadata("image/png", png.substr(0, png.size() - 12)); }) == invalid);
  CHECK(error_of([&] { detail::strip_metadata("image/png", "\x89PNG\r\n\x1A\n\xFF\xFF\xFF\xFFIHDR"s); }) == invalid);
  CHECK(error_of([&] { detail::strip_metadata("image/webp", webp.substr(0, 20)); }) == invalid);
  CHECK(error_of([&] { detail::strip_metadata("image/webp", "RIFF\x04\0\0\0WEBP"s); }) == invalid);
  // Found by tests/fuzz/fuzz_image: a WebP whose only chunk is EXIF stripped to one without chunks.
  CHECK(error_of([&] { detail::strip_metadata("image/webp", "RIFF\x12\0\0\0WEBPEXIF\x06\0\0\0Exif\0\0"s); }) ==
        invalid);
  CHECK(detail::strip_metadata("application/json", "{\"a\": 1}") == "{\"a\": 1}");
}
