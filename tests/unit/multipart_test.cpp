#include "tyto/http/multipart.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

using tyto::http::multipart_field;
using tyto::http::multipart_parts;

TEST_CASE("A multipart body yields its parts with names, file names and types, and refuses a broken one",
          "[unit][http]") {
  const std::string type = "multipart/form-data; boundary=XyZ";
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
      "\xff\xd8 bytes\r\n with CRLF\r\n--XyZ--\r\n";
  const auto parts = multipart_parts(type, body);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].name == "note");
  CHECK(parts[0].filename.empty());
  CHECK(parts[0].content_type.empty());
  CHECK(parts[1].name == "image");
  CHECK(parts[1].filename == "a.jpg");
  CHECK(parts[1].content_type == "image/jpeg");
  CHECK(multipart_field(type, body, "image") == std::string("\xff\xd8 bytes\r\n with CRLF"));
  CHECK(multipart_field(type, body, "note") == std::string("hello"));
  CHECK(multipart_field(type, body, "other") == std::nullopt);
  CHECK_THROWS_AS(multipart_field("multipart/form-data", body, "image"), tyto::Error);
  CHECK_THROWS_AS(multipart_field(type, body.substr(0, 80), "image"), tyto::Error);
  CHECK(tyto::http::is_multipart("Multipart/Form-Data; boundary=x"));
  CHECK_FALSE(tyto::http::is_multipart("application/json"));
}
