// The object store: where everything big lives (uploads, artifacts, thumbnails). One interface, two
// stores: a directory on the local file system (the default) and any S3-compatible service (AWS S3,
// MinIO, Ceph RGW), reached with Signature Version 4.
//
// Keys are '/'-separated paths such as "tenants/t1/uploads/01HX.mp4"; validate_key() states the rules.
// Both stores give the same answers for the same calls, with the differences named below (ETags,
// list() content types, presign()).
//
// Thread-safety: a store is safe to use from many threads at once. Blocking: every call blocks on disk
// or network, so callers run them off the HTTP I/O threads (on the blocking pool, see http/router.hpp).
//
// Errors: a missing object throws Error(kNotFound) from get() (head() and remove() answer with a value);
// a malformed key, prefix, content type or range throws Error(kValidationFailed) naming it; a store that
// cannot be reached, or keeps answering 5xx after retries, Error(kUnavailable); anything else (access
// denied, a bad signature, a missing bucket, a full disk) Error(kInternal) with the S3 error code or the
// system error in the message. No message ever contains a secret key or a signature.
#pragma once

#include "tyto/core/error.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::objects {

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;  // of the whole object, also after a ranged get()
  // Changes whenever the content changes; otherwise opaque. Local: the SHA-256 of the content in hex.
  // S3: the server's ETag without its quotes (an MD5 for a plain PUT, "<md5>-<parts>" after multipart).
  std::string etag;
  // As given to put(); "application/octet-stream" when none was. Empty in S3 list() results, which
  // ListObjectsV2 does not report (head() has it).
  std::string content_type;
  std::int64_t modified_micros = 0;  // last write, microseconds since the Unix epoch (S3: whole seconds)
};

// Fills buf with up to cap bytes of the object and returns how many it wrote; 0 means the end.
// It may throw: the write is then abandoned (nothing is stored) and the exception propagates.
using ReadFn = std::function<std::size_t(char* buf, std::size_t cap)>;

// Receives the bytes of a get() in order, in chunks of at most 64 KiB. It may throw to stop the read.
using SinkFn = std::function<void(std::string_view chunk)>;

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores data under key, replacing any object there. Readers see the old object or the new one,
  // never a mix. An empty content_type stores "application/octet-stream".
  virtual ObjectInfo put(std::string_view key, std::string_view data, std::string_view content_type) = 0;

  // Stores the bytes that `read` yields until it returns 0. Memory stays bounded: S3 sends objects
  // larger than S3Options::multipart_threshold as a multipart upload of part_size parts (aborted if
  // anything fails), the local store streams into a temporary file.
  virtual ObjectInfo put_stream(std::string_view key, const ReadFn& read, std::string_view content_type) = 0;

  // The object's metadata, or nullopt if there is none. (S3 answers HEAD without an error code, so here a
  // missing bucket looks like a missing object; the other calls tell them apart.)
  virtual std::optional<ObjectInfo> head(std::string_view key) = 0;

  // Passes bytes [offset, offset + length) of the object to sink (length nullopt: to the end; a range
  // past the end is cut at the end) and returns the object's metadata. offset == size reads nothing;
  // offset > size throws Error(kValidationFailed). A missing object throws Error(kNotFound). If the
  // connection fails after some bytes reached the sink, get() throws Error(kUnavailable); the caller
  // may continue from offset + bytes received.
  virtual ObjectInfo get(std::string_view key, std::uint64_t offset, std::optional<std::uint64_t> length,
                         const SinkFn& sink) = 0;

  // Convenience: the whole object in memory. Meant for small objects.
  std::string get_all(std::string_view key);

  // Deletes the object; true if there was one. (S3 deletes blindly, so the answer comes from a HEAD just
  // before: under concurrent writers it is advisory.)
  virtual bool remove(std::string_view key) = 0;

  // Up to `limit` objects whose keys start with prefix, in ascending byte order of their keys. The
  // prefix follows validate_key's rules except that it may be empty, may end with '/', and its last
  // segment may be partial ("a/b" matches "a/b", "a/bc" and "a/b/c").
  virtual std::vector<ObjectInfo> list(std::string_view prefix, std::size_t limit = 1000) = 0;

  // A URL that lets a plain HTTP client GET or PUT this one object without credentials until `expires`
  // (1 s to 7 days) has passed. For PUT, a non-empty content_type is signed: the upload must send exactly
  // that Content-Type. S3: a SigV4 presigned URL. Local: nullopt, the API serves local objects itself.
  // A method other than GET or PUT, or an expiry out of range, throws Error(kValidationFailed).
  virtual std::optional<std::string> presign(std::string_view method, std::string_view key,
                                             std::chrono::seconds expires, std::string_view content_type = {}) = 0;

  virtual std::string_view kind() const noexcept = 0;  // "local" or "s3"
};

// Writes a 5-byte object under a fresh key below "_tyto/probe/" and deletes it again, to learn whether the
// store takes writes now (readiness); throws what put() and remove() throw. A key that a crash leaves
// behind is an orphan nothing refers to.
void probe_write(ObjectStore& store);

// Keys: 1 to 1024 bytes of '/'-separated segments; a segment is 1 to 200 of [A-Za-z0-9._-] (200: a
// segment is a file name in the local store) and is neither "." nor "..". So there is no leading,
// trailing or doubled '/', no NUL, no space, and no key can climb out of the store. Anything else throws
// Error(kValidationFailed) naming the key (escaped) with details.fields.key giving the reason.
void validate_key(std::string_view key);

// The rules for list()'s prefix (see there); throws Error(kValidationFailed) like validate_key.
void validate_prefix(std::string_view prefix);

// Content types are printable ASCII, at most 255 bytes (no line breaks can reach an HTTP header).
void validate_content_type(std::string_view content_type);

// Stores objects as files under root, which is created if missing. Layout: the object "a/b/c" is the
// file <root>/a/b/c~obj (the '~', which keys cannot contain, lets "a" and "a/b" both exist). The file
// holds a header line with the content type and the SHA-256 ETag, then the bytes; the header and the
// bytes are written to a temporary file, fsynced, and renamed into place, so each write is atomic and
// durable. Throws Error(kInternal) if root cannot be created or is not a directory.
std::unique_ptr<ObjectStore> open_local_store(const std::filesystem::path& root);

struct S3Options {
  // "http://host:port" or "https://host[:port]", without a path. https verifies the server's
  // certificate and host name against the system's CA store (or ca_file).
  std::string endpoint;
  std::string region = "us-east-1";
  std::string bucket;
  std::string access_key;
  std::string secret_key;
  // true: https://endpoint/bucket/key (MinIO, Ceph RGW). false: https://bucket.endpoint/key (AWS).
  bool path_style = true;
  std::uint64_t multipart_threshold = 16ull << 20;  // put_stream: larger objects go multipart
  std::uint64_t part_size = 8ull << 20;             // 5 MiB (S3's minimum) to 5 GiB
  std::chrono::seconds timeout{30};  // for connecting and for each read or write; not for a whole transfer
  int max_attempts = 4;              // for idempotent requests that fail with 5xx or a lost connection
  std::string ca_file;               // PEM bundle to trust instead of the system store; empty: system
  // Where presigned URLs point when clients reach the store under another name than the server does
  // ("http://localhost:9000" for a compose network's "http://minio:9000"); empty: endpoint.
  std::string public_endpoint;
};

// Checks the options (Error(kValidationFailed) naming the bad one) and returns a store. Connects lazily:
// an unreachable endpoint shows on the first call.
std::unique_ptr<ObjectStore> open_s3_store(const S3Options& options);

}  // namespace tyto::objects
