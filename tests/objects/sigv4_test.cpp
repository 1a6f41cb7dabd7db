// Signature Version 4 against the worked examples that AWS publishes in the S3 API reference
// ("Signature Calculations for the Authorization Header" and "Authenticating Requests: Using Query
// Parameters"), all with the example credentials below, region us-east-1, on 2013-05-24 at 00:00:00 UTC.
#include "objects/detail/sigv4.hpp"
#include "objects/detail/xml.hpp"
#include "tyto/core/hash.hpp"

#include <catch2/catch.hpp>

using namespace tyto::objects::detail;
using namespace tyto::objects::detail::sigv4;

namespace {

const Credentials kExample{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", "s3"};
constexpr const char* kDate = "20130524T000000Z";
constexpr const char* kHost = "examplebucket.s3.amazonaws.com";

std::string signature_of(const std::string& authorization) {
  return authorization.substr(authorization.find("Signature=") + 10);
}

}  // namespace

TEST_CASE("SigV4 reproduces AWS's GET Object example with a Range header", "[objects][sigv4]") {
  Request request{"GET",
                  "/test.txt",
                  {},
                  {{"Host", kHost},
                   {"Range", "bytes=0-9"},
                   {"x-amz-content-sha256", std::string(kEmptyPayloadHash)},
                   {"x-amz-date", kDate}},
                  std::string(kEmptyPayloadHash)};
  std::string canonical = canonical_request(request);
  CHECK(canonical ==
        "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
        "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(string_to_sign(kExample, kDate, canonical) ==
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  CHECK(authorization(kExample, request, kDate) ==
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST_CASE("SigV4 reproduces AWS's PUT Object example, with an encoded key and a payload hash", "[objects][sigv4]") {
  std::string payload_hash = tyto::sha256_hex("Welcome to Amazon S3.");
  CHECK(payload_hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  Request request{"PUT",
                  uri_encode("/test$file.text", true),
                  {},
                  {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                   {"Host", kHost},
                   {"x-amz-content-sha256", payload_hash},
                   {"x-amz-date", kDate},
                   {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                  payload_hash};
  CHECK(request.canonical_uri == "/test%24file.text");
  CHECK(tyto::sha256_hex(canonical_request(request)) ==
        "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  CHECK(signature_of(authorization(kExample, request, kDate)) ==
        "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST_CASE("SigV4 reproduces AWS's GET Bucket Lifecycle and List Objects examples", "[objects][sigv4]") {
  Pairs headers{{"host", kHost}, {"x-amz-content-sha256", std::string(kEmptyPayloadHash)}, {"x-amz-date", kDate}};
  Request lifecycle{"GET", "/", {{"lifecycle", ""}}, headers, std::string(kEmptyPayloadHash)};
  CHECK(canonical_query(lifecycle.query) == "lifecycle=");
  CHECK(signature_of(authorization(kExample, lifecycle, kDate)) ==
        "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

  Request list{"GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, headers, std::string(kEmptyPayloadHash)};
  CHECK(canonical_query(list.query) == "max-keys=2&prefix=J");
  CHECK(signature_of(authorization(kExample, list, kDate)) ==
        "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST_CASE("SigV4 reproduces AWS's presigned URL example", "[objects][sigv4]") {
  Request request{"GET", "/test.txt", {}, {{"host", kHost}}, "ignored"};
  CHECK(presign_query(kExample, request, kDate, std::chrono::seconds(86400)) ==
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
        "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&"
        "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");

  Request presigned = request;
  presigned.query = {{"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
                     {"X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request"},
                     {"X-Amz-Date", kDate},
                     {"X-Amz-Expires", "86400"},
                     {"X-Amz-SignedHeaders", "host"}};
  presigned.payload_hash = std::string(kUnsignedPayload);
  CHECK(tyto::sha256_hex(canonical_request(presigned)) ==
        "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04");
}

TEST_CASE("SigV4 encodes URIs the S3 way and folds header whitespace", "[objects][sigv4]") {
  CHECK(uri_encode("a b+c/d~e_f.g-h", true) == "a%20b%2Bc/d~e_f.g-h");
  CHECK(uri_encode("a/b", false) == "a%2Fb");
  CHECK(uri_encode("=&?#%", false) == "%3D%26%3F%23%25");
  CHECK(uri_encode("caf\xc3\xa9", true) == "caf%C3%A9");
  CHECK(canonical_query({{"b", "2"}, {"a", "x y"}, {"a", "1"}}) == "a=1&a=x%20y&b=2");

  Request request{"GET", "/", {}, {{"X-Amz-Meta-A", "  two   spaces  "}, {"host", "h"}, {"x-amz-meta-a", "b"}}, "-"};
  CHECK(canonical_request(request) == "GET\n/\n\nhost:h\nx-amz-meta-a:two spaces,b\n\nhost;x-amz-meta-a\n-");
  CHECK(amz_date(std::chrono::system_clock::time_point(std::chrono::seconds(1369353600))) == kDate);
}

TEST_CASE("The XML extractor reads S3's answers and tolerates what it does not know", "[objects][xml]") {
  std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix/>
<KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>
<Contents><Key>a&amp;b</Key><Size>12</Size><ETag>&quot;abc&quot;</ETag></Contents>
<Contents attr="1"><Key>c&#x2F;d&#47;e</Key><Size>3</Size></Contents>
<NextContinuationToken>tok+/=</NextContinuationToken><KeyCountX>9</KeyCountX></ListBucketResult>)";
  CHECK(xml::text(body, "Prefix") == "");
  CHECK(xml::text(body, "KeyCount") == "2");
  CHECK(xml::text(body, "Missing") == std::nullopt);
  CHECK(xml::text(body, "NextContinuationToken") == "tok+/=");
  auto contents = xml::elements(body, "Contents");
  REQUIRE(contents.size() == 2);
  CHECK(xml::text(contents[0], "Key") == "a&b");
  CHECK(xml::text(contents[0], "ETag") == "\"abc\"");
  CHECK(xml::text(contents[1], "Key") == "c/d/e");
  CHECK(xml::text(contents[1], "ETag") == std::nullopt);
  CHECK(xml::unescape("&bogus; &amp &#xZZ; &lt;") == "&bogus; &amp &#xZZ; <");
  CHECK(xml::escape("<\"a\" & 'b'>") == "&lt;&quot;a&quot; &amp; &apos;b&apos;&gt;");
  CHECK(xml::text("<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>", "Code") == "NoSuchKey");
  CHECK(xml::text("<Code>unterminated", "Code") == std::nullopt);
}
