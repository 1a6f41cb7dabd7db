// S3's XML responses (a network peer's words) through objects::detail::xml as the S3 store reads them: the
// error Code and Message, an UploadId and ETag, and a ListObjectsV2 page (each Contents' Key, Size, ETag
// and LastModified, whose RFC 3339 time goes through tyto::parse_rfc3339; IsTruncated and the
// continuation token). Asserts: nothing throws or reads outside the text; each element found is a piece of
// the input; decoding never lengthens text; escape and unescape round-trip any bytes, also through text();
// a time that parses formats back to the same millisecond.
#include "fuzz_check.hpp"
#include "objects/detail/xml.hpp"
#include "tyto/core/time.hpp"

namespace xml = tyto::objects::detail::xml;

namespace {

constexpr std::int64_t kYearZero = -62'167'219'200'000'000;     // 0000-01-01T00:00:00Z
constexpr std::int64_t kYear9999End = 253'402'300'799'999'999;  // 9999-12-31T23:59:59.999999Z

void check_text(std::string_view body, std::string_view tag) {
  const auto value = xml::text(body, tag);
  if (value) FUZZ_CHECK(value->size() <= body.size());
}

bool inside(std::string_view part, std::string_view whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = tyto::fuzz::as_text(data, size);

  for (const std::string_view tag : {"Code", "Message", "UploadId", "ETag", "IsTruncated", "NextContinuationToken"}) {
    check_text(body, tag);
  }
  const auto contents = xml::elements(body, "Contents");
  FUZZ_CHECK(contents.size() <= body.size());
  for (const std::string_view item : contents) {
    FUZZ_CHECK(inside(item, body));
    for (const std::string_view tag : {"Key", "Size", "ETag"}) check_text(item, tag);
    if (const auto modified = xml::text(item, "LastModified")) {
      const auto micros = tyto::parse_rfc3339(*modified);
      // format_rfc3339 writes four-digit years: an offset can move a parsed time just outside them.
      if (micros && *micros >= kYearZero && *micros <= kYear9999End) {
        const std::int64_t millis = *micros >= 0 ? *micros / 1000 : (*micros - 999) / 1000;
        FUZZ_CHECK(tyto::parse_rfc3339(tyto::format_rfc3339(*micros)) == millis * 1000);
      }
    }
  }

  const std::string unescaped = xml::unescape(body);
  FUZZ_CHECK(unescaped.size() <= body.size());
  const std::string escaped = xml::escape(body);
  FUZZ_CHECK(xml::unescape(escaped) == body);
  FUZZ_CHECK(xml::text("<Key>" + escaped + "</Key>", "Key") == body);
  FUZZ_CHECK(xml::text("<Contents><Key a=\"1\">" + escaped + "</Key></Contents>", "Key") == body);
  return 0;
}
