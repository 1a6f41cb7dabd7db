// The S3 object store: each ObjectStore call as one or a few S3 REST requests (detail/s3_client.hpp signs,
// sends and retries them; detail/s3_multipart.hpp uploads large objects in parts).
#include "tyto/objects/object_store.hpp"

#include "objects/detail/names.hpp"
#include "objects/detail/s3_client.hpp"
#include "objects/detail/s3_multipart.hpp"
#include "objects/detail/xml.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstring>
#include <ctime>
#include <limits>

namespace tyto::objects {
namespace {

using detail::HttpResponse;
using detail::S3Request;

constexpr std::uint64_t kMinPartSize = 5ull << 20;
constexpr std::uint64_t kMaxPartSize = 5ull << 30;

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// "Sat, 21 Nov 2026 11:26:29 GMT" (RFC 7231's IMF-fixdate) as microseconds; 0 if malformed.
std::int64_t parse_http_date(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return 0;
  return static_cast<std::int64_t>(timegm(&tm)) * 1'000'000;
}

// The whole object's size from a GET or HEAD: Content-Range's total after a 206, else Content-Length.
std::uint64_t object_size(const HttpResponse& response) {
  std::string range = response.header("content-range");
  if (response.status == 206 && !range.empty()) {
    if (auto total = parse_u64(std::string_view(range).substr(range.rfind('/') + 1))) return *total;
  }
  return parse_u64(response.header("content-length")).value_or(0);
}

ObjectInfo info_from_headers(std::string_view key, const HttpResponse& response) {
  std::string type = response.header("content-type");
  return ObjectInfo{std::string(key), object_size(response), detail::unquote_etag(response.header("etag")),
                    type.empty() ? std::string(detail::kDefaultContentType) : type,
                    parse_http_date(response.header("last-modified"))};
}

[[noreturn]] void throw_range_past_end(std::string_view key, std::uint64_t offset, std::uint64_t size) {
  throw validation_error(
      fmt::format("range start {} is past the end of object \"{}\" ({} bytes)", offset, detail::printable(key), size),
      {{"offset", "past the end of the object"}});
}

// Appends up to `want` more bytes from read to out, growing it step by step so that a large `want` costs
// memory only for bytes that come; returns false once read reported the end.
bool read_into(const ReadFn& read, std::string& out, std::size_t want) {
  constexpr std::size_t kStep = 1 << 20;
  while (want > 0) {
    std::size_t start = out.size();
    out.resize(start + std::min(want, kStep));
    std::size_t n = std::min(read(out.data() + start, out.size() - start), out.size() - start);
    out.resize(start + n);
    if (n == 0) return false;
    want -= n;
  }
  return true;
}

class S3Store final : public ObjectStore {
 public:
  explicit S3Store(const S3Options& options) : client_(options) {}

  ObjectInfo put(std::string_view key, std::string_view data, std::string_view content_type) override;
  ObjectInfo put_stream(std::string_view key, const ReadFn& read, std::string_view content_type) override;
  std::optional<ObjectInfo> head(std::string_view key) override;
  ObjectInfo get(std::string_view key, std::uint64_t offset, std::optional<std::uint64_t> length,
                 const SinkFn& sink) override;
  bool remove(std::string_view key) override;
  std::vector<ObjectInfo> list(std::string_view prefix, std::size_t limit) override;
  std::optional<std::string> presign(std::string_view method, std::string_view key, std::chrono::seconds expires,
                                     std::string_view content_type) override;
  std::string_view kind() const noexcept override { return "s3"; }

 private:
  ObjectInfo put_single(std::string_view key, std::string_view data, const std::string& content_type);
  ObjectInfo head_or_throw(std::string_view key);
  std::string list_page(std::string_view prefix, std::size_t max_keys, const std::string& token,
                        std::vector<ObjectInfo>& out);

  detail::S3Client client_;
};

ObjectInfo S3Store::put(std::string_view key, std::string_view data, std::string_view content_type) {
  validate_key(key);
  if (data.size() <= client_.options().multipart_threshold) {
    return put_single(key, data, detail::content_type_or_default(content_type));
  }
  return put_stream(key, detail::read_from(data), content_type);
}

ObjectInfo S3Store::put_single(std::string_view key, std::string_view data, const std::string& content_type) {
  S3Request request{"PUT", std::string(key), {}, {{"content-type", content_type}}, data};
  HttpResponse response = client_.execute(request);
  if (response.status / 100 != 2) client_.throw_for(response, "PUT", key);
  std::int64_t modified = parse_http_date(response.header("date"));
  return ObjectInfo{std::string(key), data.size(), detail::unquote_etag(response.header("etag")), content_type,
                    modified != 0 ? modified : now_micros()};
}

// Objects up to the threshold go in one PUT; past it, the bytes read so far become the first parts of a
// multipart upload, so at most max(threshold + 1, part_size) bytes are held at once.
ObjectInfo S3Store::put_stream(std::string_view key, const ReadFn& read, std::string_view content_type) {
  validate_key(key);
  std::string type = detail::content_type_or_default(content_type);
  const S3Options& options = client_.options();
  std::string pending;
  bool more = read_into(read, pending, static_cast<std::size_t>(options.multipart_threshold) + 1);
  if (pending.size() <= options.multipart_threshold) return put_single(key, pending, type);
  detail::MultipartUpload upload(client_, key, type);
  ObjectInfo info;
  try {
    while (true) {
      while (more && pending.size() < options.part_size) {
        more = read_into(read, pending, static_cast<std::size_t>(options.part_size) - pending.size());
      }
      if (pending.empty()) break;
      std::size_t n = std::min<std::size_t>(pending.size(), options.part_size);
      upload.upload_part(std::string_view(pending).substr(0, n));
      pending.erase(0, n);
    }
    info = upload.complete();
  } catch (...) {
    upload.abort();
    throw;
  }
  // Ceph RGW 16 answers CompleteMultipartUpload with an empty <ETag>: ask for it.
  return info.etag.empty() ? head_or_throw(key) : info;
}

std::optional<ObjectInfo> S3Store::head(std::string_view key) {
  validate_key(key);
  S3Request request{"HEAD", std::string(key)};
  request.head = true;
  HttpResponse response = client_.execute(request);
  if (response.status == 404) return std::nullopt;
  if (response.status / 100 != 2) client_.throw_for(response, "HEAD", key);
  return info_from_headers(key, response);
}

ObjectInfo S3Store::head_or_throw(std::string_view key) {
  std::optional<ObjectInfo> info = head(key);
  if (!info) throw Error(ErrorCode::kNotFound, fmt::format("object \"{}\" not found", detail::printable(key)));
  return *info;
}

ObjectInfo S3Store::get(std::string_view key, std::uint64_t offset, std::optional<std::uint64_t> length,
                        const SinkFn& sink) {
  validate_key(key);
  if (length && *length == 0) {  // S3 has no way to ask for zero bytes
    ObjectInfo info = head_or_throw(key);
    if (offset > info.size) throw_range_past_end(key, offset, info.size);
    return info;
  }
  S3Request request{"GET", std::string(key)};
  if (offset > 0 || length) {
    bool open_ended = !length || *length > std::numeric_limits<std::uint64_t>::max() - offset;
    request.headers.emplace_back("range", open_ended ? fmt::format("bytes={}-", offset)
                                                     : fmt::format("bytes={}-{}", offset, offset + *length - 1));
  }
  HttpResponse response = client_.execute(request, &sink);
  if (response.status == 200 || response.status == 206) return info_from_headers(key, response);
  if (response.status == 416) {  // starts at or past the end: fine exactly at the end
    ObjectInfo info = head_or_throw(key);
    if (offset > info.size) throw_range_past_end(key, offset, info.size);
    return info;
  }
  client_.throw_for(response, "GET", key);
}

bool S3Store::remove(std::string_view key) {
  if (!head(key)) return false;
  S3Request request{"DELETE", std::string(key)};
  HttpResponse response = client_.execute(request);
  if (response.status / 100 != 2 && response.status != 404) client_.throw_for(response, "DELETE", key);
  return true;
}

std::vector<ObjectInfo> S3Store::list(std::string_view prefix, std::size_t limit) {
  validate_prefix(prefix);
  std::vector<ObjectInfo> out;
  std::string token;
  while (out.size() < limit) {
    token = list_page(prefix, std::min<std::size_t>(1000, limit - out.size()), token, out);
    if (token.empty()) break;
  }
  return out;
}

// One ListObjectsV2 page into out; returns the continuation token, empty after the last page.
std::string S3Store::list_page(std::string_view prefix, std::size_t max_keys, const std::string& token,
                               std::vector<ObjectInfo>& out) {
  S3Request request{"GET", ""};
  request.query = {{"list-type", "2"}, {"prefix", std::string(prefix)}, {"max-keys", std::to_string(max_keys)}};
  if (!token.empty()) request.query.emplace_back("continuation-token", token);
  HttpResponse response = client_.execute(request);
  if (response.status / 100 != 2) client_.throw_for(response, "list", prefix);
  for (std::string_view contents : detail::xml::elements(response.body, "Contents")) {
    ObjectInfo info;
    info.key = detail::xml::text(contents, "Key").value_or("");
    info.size = parse_u64(detail::xml::text(contents, "Size").value_or("")).value_or(0);
    info.etag = detail::unquote_etag(detail::xml::text(contents, "ETag").value_or(""));
    info.modified_micros = parse_rfc3339(detail::xml::text(contents, "LastModified").value_or("")).value_or(0);
    if (!info.key.empty()) out.push_back(std::move(info));
  }
  bool truncated = detail::xml::text(response.body, "IsTruncated").value_or("false") == "true";
  return truncated ? detail::xml::text(response.body, "NextContinuationToken").value_or("") : "";
}

std::optional<std::string> S3Store::presign(std::string_view method, std::string_view key, std::chrono::seconds expires,
                                            std::string_view content_type) {
  validate_key(key);
  detail::validate_presign(method, expires, content_type);
  return client_.presign(method, key, expires, method == "PUT" ? content_type : std::string_view(),
                         std::chrono::system_clock::now());
}

void check_options(const S3Options& options) {
  auto fail = [](std::string_view field, std::string_view problem) {
    throw validation_error(fmt::format("S3 option {} {}", field, problem),
                           {{std::string(field), std::string(problem)}});
  };
  if (options.bucket.empty() || options.bucket.find_first_of("/ \t\r\n") != std::string::npos) {
    fail("bucket", "must be a bucket name");
  }
  if (options.region.empty()) fail("region", "must not be empty");
  if (options.access_key.empty() || options.secret_key.empty()) fail("access_key", "and secret_key must be set");
  if (options.part_size < kMinPartSize || options.part_size > kMaxPartSize) fail("part_size", "must be 5 MiB to 5 GiB");
  if (options.multipart_threshold > kMaxPartSize) fail("multipart_threshold", "must be at most 5 GiB");
  if (options.timeout.count() <= 0) fail("timeout", "must be positive");
  if (options.max_attempts < 1) fail("max_attempts", "must be at least 1");
}

}  // namespace

std::unique_ptr<ObjectStore> open_s3_store(const S3Options& options) {
  check_options(options);
  return std::make_unique<S3Store>(options);
}

}  // namespace tyto::objects
