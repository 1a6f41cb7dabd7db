// Content sniffing and the purpose table (src/objects/detail/sniff.*, include/tyto/objects/purposes.hpp).
#include "objects/detail/sniff.hpp"
#include "tyto/core/error.hpp"
#include "tyto/objects/purposes.hpp"

#include <catch2/catch.hpp>

using tyto::objects::detail::sniff;
using namespace std::string_literals;

TEST_CASE("Sniffing names image, audio, video and archive formats by their magic bytes", "[objects][sniff]") {
  CHECK(sniff("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00"s) == "image/jpeg");
  CHECK(sniff("\x89PNG\r\n\x1A\n\x00\x00\x00\rIHDR"s) == "image/png");
  CHECK(sniff("RIFF\x24\x00\x00\x00WEBPVP8 "s) == "image/webp");
  CHECK(sniff("RIFF\x24\x00\x00\x00WAVEfmt "s) == "audio/wav");
  CHECK(sniff("\x00\x00\x00\x18"
              "ftypmp42\x00\x00\x00\x00"s) == "video/mp4");
  CHECK(sniff("\x00\x00\x00\x20"
              "ftypisom\x00\x00\x02\x00"s) == "video/mp4");
  CHECK(sniff("\x00\x00\x00\x14"
              "ftypqt  \x00\x00\x00\x00"s) == "video/quicktime");
  CHECK(sniff("\x00\x00\x00\x18"
              "ftypheic\x00\x00\x00\x00"s) == "image/heic");
  CHECK(sniff("OggS\x00\x02"s) == "audio/ogg");
  CHECK(sniff("fLaC\x00\x00\x00\x22"s) == "audio/flac");
  CHECK(sniff("ID3\x04\x00\x00\x00\x00\x00\x00"s) == "audio/mpeg");
  CHECK(sniff("\xFF\xFB\x90\x64\x00\x00"s) == "audio/mpeg");  // MPEG-1 layer III, 128 kbit/s, 44.1 kHz
  CHECK(sniff("PK\x03\x04\x14\x00"s) == "application/zip");
}

TEST_CASE("Sniffing rejects near misses of the magic bytes", "[objects][sniff]") {
  CHECK(sniff("\xFF\xFF\xFF\xFF"s) == "application/octet-stream");  // sync bits, but a reserved bitrate
  CHECK(sniff("\xFF\xF9\x90\x64"s) == "application/octet-stream");  // reserved layer
  CHECK(sniff("RIFF\x24\x00\x00\x00AVI LIST"s) == "application/octet-stream");
  CHECK(sniff("\x00\x00\x00\x18"
              "moov\x00\x00\x00\x00"s) == "application/octet-stream");
  CHECK(sniff("\x7F"
              "ELF\x02\x01\x01"s) == "application/octet-stream");
  CHECK(sniff(""s) == "application/octet-stream");
}

TEST_CASE("Sniffing tells JSON, HTML, CSV and plain text apart", "[objects][sniff]") {
  CHECK(sniff("{\"a\": 1}") == "application/json");
  CHECK(sniff("\xEF\xBB\xBF  \n[1, 2, 3]"s) == "application/json");
  CHECK(sniff("<!DOCTYPE html>\n<html><body>hi</body></html>") == "text/html");
  CHECK(sniff("  <HTML lang=en>") == "text/html");
  CHECK(sniff("<!-- a comment --><p>x</p>") == "text/html");
  CHECK(sniff("<abbr>not a sniffed tag</abbr>") == "text/plain");
  CHECK(sniff("name,age,city\nAda,36,London\nAlan,41,Wilmslow\n") == "text/csv");
  CHECK(sniff("a;b\r\n1;2\r\n3;4\r\n") == "text/csv");
  CHECK(sniff("a\tb\tc\n1\t2\t3\n") == "text/csv");
  CHECK(sniff("\"quoted, comma\",b\n\"x, y\",z\n") == "text/csv");
  CHECK(sniff("name,age\nAda\n") == "text/plain");  // ragged rows
  CHECK(sniff("just one column\nof words\n") == "text/plain");
  CHECK(sniff("just one column\nof words\n", "text/csv") == "text/csv");  // declared CSV and plain text
  CHECK(sniff("caf\xC3\xA9,cr\xC3\xA8me\n1,2\n"s) == "text/csv");
}

TEST_CASE("Sniffing never calls binary data text", "[objects][sniff]") {
  CHECK(sniff("{\"a\": \x00}"s) == "application/octet-stream");
  CHECK(sniff("name,age\n\xC0\xAF,1\n"s) == "application/octet-stream");  // overlong UTF-8
  CHECK(sniff("a,b\n\x01,2\n"s) == "application/octet-stream");
  CHECK(sniff("{\"a\": \"caf\xC3"s) == "application/json");  // a sequence cut off by the prefix is fine
}

TEST_CASE("Purposes allow their media types and cap their sizes", "[objects][purposes]") {
  using namespace tyto::objects;
  const Purpose* image = find_purpose("image");
  REQUIRE(image);
  CHECK(image->allows("image/png"));
  CHECK_FALSE(image->allows("video/mp4"));
  CHECK(image->max_bytes == 25u << 20);
  CHECK(find_purpose("video")->max_bytes == 2048ull << 20);
  CHECK(find_purpose("audio")->allows("audio/flac"));
  CHECK(find_purpose("document")->allows("text/csv"));
  CHECK_FALSE(find_purpose("document")->allows("text/plain"));
  CHECK(find_purpose("nonsense") == nullptr);
  CHECK(canonical_media_type(" Image/JPG; q=1") == "image/jpeg");
  CHECK(canonical_media_type("audio/x-wav") == "audio/wav");
  CHECK(canonical_media_type("text/csv; charset=utf-8") == "text/csv");
}

TEST_CASE("Retention comes from the purpose, the config's overrides and keep", "[objects][purposes]") {
  using namespace tyto::objects;
  const std::map<std::string, int> none;
  CHECK(retention_hours(*find_purpose("capture"), none, false) == 24);
  CHECK(retention_hours(*find_purpose("capture"), none, true) == std::nullopt);
  CHECK(retention_hours(*find_purpose("export"), none, false) == 168);
  CHECK(retention_hours(*find_purpose("image"), none, false) == std::nullopt);
  CHECK(retention_hours(*find_purpose("image"), none, true) == std::nullopt);
  CHECK(retention_hours(*find_purpose("image"), {{"image", 2}}, false) == 2);
  CHECK(retention_hours(*find_purpose("capture"), {{"capture", 0}}, false) == std::nullopt);
  try {
    retention_hours(*find_purpose("export"), none, true);
    FAIL("keep on an export was accepted");
  } catch (const tyto::Error& e) {
    CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
  }
}
