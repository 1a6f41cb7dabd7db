// AWS Signature Version 4 for S3, as the "Authenticating Requests (AWS Signature Version 4)" pages of the
// S3 API reference define it: header signing (an Authorization header over the real payload hash) and
// query signing (presigned URLs over UNSIGNED-PAYLOAD). Pure functions of their inputs, the time
// included, so tests can replay the published examples.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tyto::objects::detail::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// SHA-256 of the empty string: the payload hash of GET, HEAD and DELETE.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region;
  std::string service = "s3";
};

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;         // "GET", "PUT", …
  std::string canonical_uri;  // the path exactly as sent, already encoded (uri_encode(path, true))
  Pairs query;                // names and values unencoded; a valueless parameter has ""
  Pairs headers;              // the headers to sign, "host" among them; names in any case
  std::string payload_hash;   // hex SHA-256 of the body, or kUnsignedPayload
};

// Percent-encodes every byte but A-Z a-z 0-9 '-' '_' '.' '~' as %XY (uppercase hex); '/' stays as it is
// when keep_slash (object paths) and becomes %2F otherwise (query names and values).
std::string uri_encode(std::string_view text, bool keep_slash);

// "20130524T000000Z" for the second of t (UTC).
std::string amz_date(std::chrono::system_clock::time_point t);

// "20130524/us-east-1/s3/aws4_request"
std::string credential_scope(const Credentials& credentials, std::string_view amz_date);

// Encoded "name=value" pairs sorted by name, then value, joined with '&'.
std::string canonical_query(const Pairs& query);

// Lowercase names, sorted, joined with ';'.
std::string signed_headers(const Pairs& headers);

// The six lines: method, URI, query, headers ("name:value\n" each, names lowercase, values trimmed and
// inner runs of spaces folded, repeated names joined with ','), signed header names, payload hash.
std::string canonical_request(const Request& request);

std::string string_to_sign(const Credentials& credentials, std::string_view amz_date,
                           std::string_view canonical_request);

// Hex HMAC-SHA256 of string_to_sign under the key derived from the secret, date, region and service.
std::string signature(const Credentials& credentials, std::string_view amz_date, std::string_view string_to_sign);

// The Authorization header for request. Its headers must already carry x-amz-date (equal to amz_date)
// and, for S3, x-amz-content-sha256 (equal to payload_hash).
std::string authorization(const Credentials& credentials, const Request& request, std::string_view amz_date);

// The query string of a presigned URL: request.query plus the X-Amz-Algorithm, -Credential, -Date,
// -Expires and -SignedHeaders parameters, canonically ordered, then &X-Amz-Signature=…. The payload is
// UNSIGNED-PAYLOAD whatever request.payload_hash says.
std::string presign_query(const Credentials& credentials, Request request, std::string_view amz_date,
                          std::chrono::seconds expires);

}  // namespace tyto::objects::detail::sigv4
