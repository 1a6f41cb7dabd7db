#include "objects/detail/s3_client.hpp"

#include "objects/detail/names.hpp"
#include "objects/detail/xml.hpp"
#include "tyto/core/backoff.hpp"
#include "tyto/core/hash.hpp"

#include <fmt/format.h>

#include <random>
#include <thread>

namespace tyto::objects::detail {
namespace {

constexpr BackoffPolicy kRetryBackoff{std::chrono::milliseconds(100), std::chrono::milliseconds(2000)};

double random01() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace

namespace {

// Virtual-host addressing puts the bucket in the host name (connected to, verified and signed), path-style
// in the path.
Endpoint bucket_endpoint(const S3Options& options, const std::string& url) {
  Endpoint endpoint = parse_endpoint(url);
  if (!options.path_style) endpoint.host = options.bucket + "." + endpoint.host;
  return endpoint;
}

}  // namespace

S3Client::S3Client(const S3Options& options)
    : options_(options),
      credentials_{options.access_key, options.secret_key, options.region, "s3"},
      http_(bucket_endpoint(options, options.endpoint), options.timeout, options.ca_file),
      presign_endpoint_(
          bucket_endpoint(options, options.public_endpoint.empty() ? options.endpoint : options.public_endpoint)) {}

std::string S3Client::host() const { return http_.endpoint().authority(); }

std::string S3Client::path(std::string_view key) const {
  std::string bucket = options_.path_style ? "/" + sigv4::uri_encode(options_.bucket, false) : "";
  if (key.empty()) return bucket.empty() ? "/" : bucket;
  return bucket + "/" + sigv4::uri_encode(key, true);
}

HttpRequest S3Client::sign(const S3Request& request, std::string_view payload_hash,
                           std::chrono::system_clock::time_point now) const {
  std::string date = sigv4::amz_date(now);
  sigv4::Request signed_request{request.method, path(request.key), request.query, request.headers,
                                std::string(payload_hash)};
  signed_request.headers.emplace_back("host", host());
  signed_request.headers.emplace_back("x-amz-date", date);
  signed_request.headers.emplace_back("x-amz-content-sha256", std::string(payload_hash));
  HttpRequest out;
  out.method = request.method;
  out.target = signed_request.canonical_uri;
  if (!request.query.empty()) out.target += "?" + sigv4::canonical_query(request.query);
  out.headers = signed_request.headers;
  out.headers.emplace_back("authorization", sigv4::authorization(credentials_, signed_request, date));
  out.body = request.body;
  out.head = request.head;
  out.fresh_connection = !request.idempotent;
  return out;
}

HttpResponse S3Client::execute(const S3Request& request, const SinkFn* sink) {
  const std::string payload_hash =
      request.body.empty() ? std::string(sigv4::kEmptyPayloadHash) : sha256_hex(request.body);
  const int attempts = request.idempotent ? std::max(1, options_.max_attempts) : 1;
  for (int attempt = 1;; ++attempt) {
    try {
      HttpResponse response = http_.send(sign(request, payload_hash, std::chrono::system_clock::now()), sink);
      if (response.status < 500 || attempt >= attempts) return response;
    } catch (const TransportError& e) {
      if (e.body_bytes() > 0 || attempt >= attempts) {
        throw Error(ErrorCode::kUnavailable,
                    fmt::format("S3 {} \"{}\" failed after {} attempt(s): {}", request.method,
                                printable(request.key.empty() ? options_.bucket : request.key), attempt, e.what()));
      }
    }
    std::this_thread::sleep_for(retry_delay(attempt, kRetryBackoff, random01()));
  }
}

std::string S3Client::presign(std::string_view method, std::string_view key, std::chrono::seconds expires,
                              std::string_view content_type, std::chrono::system_clock::time_point now) const {
  // Signed for the host the client will use, which may be a public name for the same server.
  const std::string public_host = presign_endpoint_.authority();
  sigv4::Request request{
      std::string(method), path(key), {}, {{"host", public_host}}, std::string(sigv4::kUnsignedPayload)};
  if (!content_type.empty()) request.headers.emplace_back("content-type", std::string(content_type));
  std::string query = sigv4::presign_query(credentials_, request, sigv4::amz_date(now), expires);
  return fmt::format("{}://{}{}?{}", presign_endpoint_.scheme(), public_host, request.canonical_uri, query);
}

void S3Client::throw_for(const HttpResponse& response, std::string_view what, std::string_view key) const {
  std::string code = xml::text(response.body, "Code").value_or("");
  std::string message = xml::text(response.body, "Message").value_or("");
  std::string name = printable(key.empty() ? options_.bucket : key);
  if (response.status == 404 && (code.empty() || code == "NoSuchKey")) {
    throw Error(ErrorCode::kNotFound, fmt::format("object \"{}\" not found", name));
  }
  std::string text = fmt::format("S3 {} \"{}\" failed: HTTP {}", what, name, response.status);
  if (!code.empty()) text += " " + printable(code, 64);
  if (!message.empty()) text += ": " + printable(message, 300);
  throw Error(response.status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInternal, std::move(text));
}

std::string unquote_etag(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return std::string(etag);
}

}  // namespace tyto::objects::detail
