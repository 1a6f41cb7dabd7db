// The S3 store's request layer: addressing (path-style or virtual-host), SigV4 signing, retries with
// backoff, and the mapping of S3 errors to Tyto's error codes. s3_store.cpp builds the operations on it.
#pragma once

#include "objects/detail/http_client.hpp"
#include "objects/detail/sigv4.hpp"
#include "tyto/objects/object_store.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace tyto::objects::detail {

struct S3Request {
  std::string method;
  std::string key;       // empty: the bucket itself
  sigv4::Pairs query;    // unencoded
  sigv4::Pairs headers;  // beyond host, x-amz-date and x-amz-content-sha256 (all signed)
  std::string_view body;
  bool idempotent = true;  // may be sent again after a 5xx or a lost connection
  bool head = false;
};

class S3Client {
 public:
  explicit S3Client(const S3Options& options);

  // Signs and sends the request, retrying an idempotent one (S3Options::max_attempts in all) after a lost
  // connection or a 5xx, with exponential backoff. Returns the final response whatever its status; with a
  // sink, a 2xx body goes there. Throws Error(kUnavailable) when the connection keeps failing, also when it
  // fails after some of the body reached the sink (the request is then not repeated).
  HttpResponse execute(const S3Request& request, const SinkFn* sink = nullptr);

  // The presigned URL (see ObjectStore::presign), for a key already validated.
  std::string presign(std::string_view method, std::string_view key, std::chrono::seconds expires,
                      std::string_view content_type, std::chrono::system_clock::time_point now) const;

  // Throws the Error that an unsuccessful response means: 404 NoSuchKey (or a 404 without a body) →
  // kNotFound naming key; 5xx → kUnavailable; anything else kInternal with the status and the S3 error
  // code and message. `what` names the operation ("PUT", "list").
  [[noreturn]] void throw_for(const HttpResponse& response, std::string_view what, std::string_view key) const;

  const S3Options& options() const noexcept { return options_; }

 private:
  std::string host() const;
  std::string path(std::string_view key) const;
  HttpRequest sign(const S3Request& request, std::string_view payload_hash,
                   std::chrono::system_clock::time_point now) const;

  S3Options options_;
  sigv4::Credentials credentials_;
  HttpClient http_;
  Endpoint presign_endpoint_;  // where presigned URLs point: S3Options::public_endpoint, else the endpoint
};

// The ETag header or element without its quotes.
std::string unquote_etag(std::string_view etag);

}  // namespace tyto::objects::detail
