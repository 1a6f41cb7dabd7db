// The URLs the server signs for uploads and share links (src/api/detail/signed_urls.*).
#include "api/detail/signed_urls.hpp"
#include "tyto/core/error.hpp"

#include <catch2/catch.hpp>

using namespace tyto::api::detail;

namespace {

const std::string kKey(32, '\x42');
const std::string kId = "0190b1a2-0000-7000-8000-000000000001";

// A request to url as the server would see it.
tyto::http::Request request_for(const std::string& url) {
  tyto::http::Request req;
  const auto q = url.find('?');
  req.path = url.substr(0, q);
  req.query_string = url.substr(q + 1);
  return req;
}

tyto::ErrorCode refusal(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const tyto::Error& e) {
    return e.code();
  }
  return tyto::ErrorCode::kInternal;
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("An upload URL carries its grant and verifies until it expires", "[objects][signed_urls]") {
  const UploadGrant grant{kId, 2'000'000'000, 1234, "image/jpeg"};
  const std::string url = upload_url(kKey, "https://tyto.example/", grant);
  CHECK(url.starts_with("https://tyto.example/api/v1/uploads/" + kId +
                        "?expires=2000000000&max=1234&ct=image%2Fjpeg&sig="));
  const auto got = verify_upload_url(kKey, kId, request_for(url), 1'999'999'999);
  CHECK(got.max_bytes == 1234);
  CHECK(got.content_type == "image/jpeg");
  CHECK(got.expires == 2'000'000'000);
  CHECK(refusal([&] { verify_upload_url(kKey, kId, request_for(url), 2'000'000'000); }) == tyto::ErrorCode::kForbidden);
  CHECK(upload_url(kKey, "", grant).starts_with("/api/v1/uploads/"));
}

TEST_CASE("A tampered upload URL is refused", "[objects][signed_urls]") {
  const std::string url = upload_url(kKey, "", {kId, 2'000'000'000, 1234, "image/jpeg"});
  const auto now = 1'900'000'000;
  auto refused = [&](const std::string& u, const std::string& id = kId) {
    return refusal([&] { verify_upload_url(kKey, id, request_for(u), now); }) == tyto::ErrorCode::kForbidden;
  };
  CHECK(refused(replace(url, "max=1234", "max=12345")));
  CHECK(refused(replace(url, "expires=2000000000", "expires=2000000001")));
  CHECK(refused(replace(url, "ct=image%2Fjpeg", "ct=text%2Fhtml")));
  CHECK(refused(url, "0190b1a2-0000-7000-8000-000000000002"));
  CHECK(refused(url.substr(0, url.size() - 1) + (url.back() == '0' ? "1" : "0")));
  CHECK(refused(url.substr(0, url.find("&sig="))));
  CHECK(refused(replace(url, "max=1234", "max=1234x")));
  CHECK(refusal([&] { verify_upload_url(std::string(32, '\x43'), kId, request_for(url), now); }) ==
        tyto::ErrorCode::kForbidden);
}

TEST_CASE("A share URL expires, and an upload signature does not work as one", "[objects][signed_urls]") {
  const std::string url = share_url(kKey, "http://h:1", kId, 2'000'000'000);
  CHECK(url.starts_with("http://h:1/api/v1/shared/objects/" + kId + "?expires=2000000000&sig="));
  CHECK(verify_share_url(kKey, kId, request_for(url), 1'999'999'999) == 2'000'000'000);
  CHECK(refusal([&] { verify_share_url(kKey, kId, request_for(url), 2'000'000'001); }) == tyto::ErrorCode::kForbidden);
  CHECK(refusal([&] { verify_share_url(kKey, kId, request_for(replace(url, "2000000000", "2100000000")), 0); }) ==
        tyto::ErrorCode::kForbidden);
  const std::string upload = upload_url(kKey, "", {kId, 2'000'000'000, 0, ""});
  const std::string sig = upload.substr(upload.find("&sig="));
  CHECK(refusal([&] { verify_share_url(kKey, kId, request_for("/x?expires=2000000000" + sig), 0); }) ==
        tyto::ErrorCode::kForbidden);
}
