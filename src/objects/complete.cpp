// Catalog::complete: an upload's bytes become an object (checks, sniffing, stripping, the final write).
#include "objects/detail/local_file.hpp"
#include "objects/detail/sha256_stream.hpp"
#include "objects/detail/sniff.hpp"
#include "objects/detail/strip.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/objects/purposes.hpp"

#include <fcntl.h>

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <vector>

namespace tyto::objects {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kChunk = 256 * 1024;

constexpr std::string_view kFailUpload = "UPDATE uploads SET state = 'failed' WHERE id = $1 AND state = 'pending'";
constexpr std::string_view kFinishUpload =
    "UPDATE uploads SET state = 'completed', object_id = $2, received = $3 WHERE id = $1 AND state = 'pending'";
constexpr std::string_view kInsertObject =
    "INSERT INTO objects (id, tenant_id, owner_id, bucket, key, size, sha256, content_type, purpose, filename, "
    "retention_until, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
constexpr std::string_view kSumBytes = "SELECT COALESCE(SUM(size), 0) FROM objects WHERE tenant_id = $1";
constexpr std::string_view kObjectExists = "SELECT 1 FROM objects WHERE id = $1";

// Files under the staging directory that go away with this object.
class Scratch {
 public:
  ~Scratch() {
    for (const auto& p : paths_) {
      std::error_code ec;
      fs::remove(p, ec);
    }
  }
  const fs::path& add(fs::path p) { return paths_.emplace_back(std::move(p)); }

 private:
  std::vector<fs::path> paths_;
};

// A scratch file written in one go; a full or read-only disk raises the store's codes (507, 503), not 500.
class ScratchWriter {
 public:
  explicit ScratchWriter(const fs::path& path)
      : path_(path), fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) {
    if (!fd_) detail::throw_system_error("cannot create", path_, errno);
  }
  void write(std::string_view bytes) { detail::write_all(fd_.get(), bytes, path_); }

 private:
  fs::path path_;
  detail::Fd fd_;
};

// Stores `o` with a ReadFn and checks that the store kept every byte it was handed: a store that stops
// reading early must not turn into a short object (or, through the SHA-256 check, into a failed upload).
void put_checked(ObjectStore& store, const Object& o, const ReadFn& read) {
  std::uint64_t handed = 0;
  const ObjectInfo stored = store.put_stream(
      o.key,
      [&](char* buf, std::size_t cap) {
        const std::size_t n = read(buf, cap);
        handed += n;
        return n;
      },
      o.content_type);
  if (stored.size != o.size || handed != o.size) {
    try {
      store.remove(o.key);
    } catch (const std::exception&) {
      // nothing refers to the key; a later write replaces it
    }
    throw Error(ErrorCode::kUnavailable,
                fmt::format("the object store kept {} of {} bytes; try again", stored.size, o.size));
  }
}

// Runs `insert` (the statement or transaction that records o) and, if it throws, finds out whether it
// committed anyway (a commit can fail after the server stored it): true if the row is there. If it is
// not, o's bytes are deleted and the error rethrown; if that cannot be told, the bytes stay (invisible,
// harmless) rather than leave a row without them.
template <class Fn>
void record_or_clean(storage::Database& db, ObjectStore& store, const Object& o, Fn&& insert) {
  try {
    insert();
    return;
  } catch (...) {
    std::optional<bool> exists;
    try {
      exists = db.query_one(kObjectExists, {o.id}).has_value();
    } catch (const std::exception&) {
    }
    if (exists == true) {
      log::warn("an object's commit reported an error but it was stored", {{"object_id", o.id}});
      return;
    }
    if (exists == false) {
      try {
        store.remove(o.key);
      } catch (const std::exception& e) {
        log::warn("could not delete the bytes of an object that was not recorded",
                  {{"key", o.key}, {"error", e.what()}});
      }
    }
    throw;
  }
}

// A ReadFn over a byte source that hashes what it hands out.
ReadFn hashing_reader(detail::ByteSource& src, detail::Sha256Stream& hash) {
  auto offset = std::make_shared<std::uint64_t>(0);
  return [&src, &hash, offset](char* buf, std::size_t cap) {
    const std::size_t got = src.read_at(*offset, buf, cap);
    *offset += got;
    hash.update(std::string_view(buf, got));
    return got;
  };
}

std::string hash_source(detail::ByteSource& src) {
  detail::Sha256Stream hash;
  std::vector<char> buf(kChunk);
  for (std::uint64_t at = 0;;) {
    const std::size_t got = src.read_at(at, buf.data(), buf.size());
    if (got == 0) break;
    hash.update(std::string_view(buf.data(), got));
    at += got;
  }
  return hash.hex_digest();
}

void check_quota(storage::Session& session, const Upload& upload, std::uint64_t size, std::int64_t limit) {
  if (limit <= 0) return;
  const std::int64_t used = session.query_one(kSumBytes, {upload.tenant_id})->get<std::int64_t>(0);
  if (used + static_cast<std::int64_t>(size) > limit) {
    throw Error(ErrorCode::kQuotaExceeded, "the tenant's storage quota is used up",
                {{"quota", "stored_bytes"}, {"limit", limit}, {"used", used}, {"needed", size}});
  }
}

}  // namespace

// One run of Catalog::complete, split into steps.
class CompleteJob {
 public:
  CompleteJob(Catalog& catalog, const Upload& upload, const CompleteOptions& options)
      : c_(catalog), upload_(upload), options_(options) {}

  Object run() {
    if (upload_.state != UploadState::kPending) {
      throw Error(ErrorCode::kConflict, "the upload is not pending", {{"state", upload_state_name(upload_.state)}});
    }
    if (now_micros() >= upload_.expires_at) throw Error(ErrorCode::kConflict, "the upload has expired");
    purpose_ = find_purpose(upload_.purpose);
    if (!purpose_) throw Error(ErrorCode::kInternal, "upload with an unknown purpose " + upload_.purpose);

    auto source = open_source();
    check_size(source->size());
    std::string head(std::min<std::uint64_t>(detail::kSniffBytes, source->size()), '\0');
    head.resize(source->read_at(0, head.data(), head.size()));
    const std::string type = detail::sniff(head, upload_.content_type);
    if (!purpose_->allows(type)) {
      fail();
      throw Error(ErrorCode::kUnsupportedMediaType,
                  fmt::format("the content is {}, which a {} upload may not hold", type, upload_.purpose),
                  {{"detected", type}, {"allowed", purpose_->types}});
    }
    check_quota(c_.db_, upload_, upload_.size, options_.stored_bytes_limit);

    Object object;
    object.id = new_uuid_v7();
    object.tenant_id = upload_.tenant_id;
    object.owner_id = upload_.owner_id;
    object.bucket = c_.bucket_;
    object.key = object_key(upload_.tenant_id, object.id);
    object.content_type = type;
    object.purpose = upload_.purpose;
    object.filename = upload_.filename;
    object.created_at = now_micros();
    if (upload_.retention_hours) {
      object.retention_until = object.created_at + std::int64_t(*upload_.retention_hours) * 3'600'000'000;
    }

    // Stripped images are written to a scratch file first; everything else streams from the source.
    std::string original_sha;
    detail::Sha256Stream stored_hash;
    if (purpose_->images && options_.strip_metadata) {
      original_sha = hash_source(*source);
      check_sha(original_sha);
      const fs::path& stripped = scratch_.add(c_.staging_ / (upload_.id + ".stripped"));
      {
        ScratchWriter out(stripped);
        detail::strip_metadata(type, *source, [&](std::string_view s) { out.write(s); });
      }
      detail::FileSource final_bytes(stripped);
      object.size = final_bytes.size();
      put_checked(c_.store_, object, hashing_reader(final_bytes, stored_hash));
      object.sha256 = stored_hash.hex_digest();
    } else {
      object.size = source->size();
      put_checked(c_.store_, object, hashing_reader(*source, stored_hash));
      object.sha256 = stored_hash.hex_digest();
      try {
        check_sha(object.sha256);
      } catch (...) {
        c_.store_.remove(object.key);
        throw;
      }
    }
    record(object);
    source.reset();
    try {
      c_.discard_upload_data(upload_);
    } catch (const std::exception& e) {
      // The object is stored and recorded: the client must hear so, not a 5xx that invites a retry.
      log::warn("could not delete a completed upload's data", {{"upload_id", upload_.id}, {"error", e.what()}});
    }
    return object;
  }

 private:
  // The uploaded bytes as a file: the partial file (local store) or a download of the upload key (S3).
  std::unique_ptr<detail::ByteSource> open_source() {
    if (c_.local()) {
      const fs::path path = c_.partial_path(upload_.id);
      std::error_code ec;
      if (!fs::exists(path, ec)) incomplete(0);
      return std::make_unique<detail::FileSource>(path);
    }
    auto info = c_.store_.head(upload_.key);
    if (!info) incomplete(0);
    check_size(info->size);
    const fs::path& path = scratch_.add(c_.staging_ / (upload_.id + ".download"));
    {
      ScratchWriter out(path);
      c_.store_.get(upload_.key, 0, std::nullopt, [&](std::string_view s) { out.write(s); });
    }
    return std::make_unique<detail::FileSource>(path);
  }

  [[noreturn]] void incomplete(std::uint64_t received) {
    throw Error(ErrorCode::kValidationFailed, "the upload is incomplete",
                {{"fields", {{"size", fmt::format("received {} of {} bytes", received, upload_.size)}}},
                 {"received", received},
                 {"size", upload_.size}});
  }

  void check_size(std::uint64_t actual) {
    if (actual < upload_.size) incomplete(actual);
    if (actual > upload_.size) {
      fail();
      throw Error(ErrorCode::kValidationFailed, "the upload is larger than declared",
                  {{"fields", {{"size", fmt::format("received {} bytes, declared {}", actual, upload_.size)}}},
                   {"received", actual},
                   {"size", upload_.size}});
    }
  }

  void check_sha(const std::string& actual) {
    if (!upload_.sha256 || *upload_.sha256 == actual) return;
    fail();
    throw Error(ErrorCode::kValidationFailed, "the upload's SHA-256 differs from the declared one",
                {{"fields", {{"sha256", "the received bytes hash to " + actual}}},
                 {"expected", *upload_.sha256},
                 {"actual", actual}});
  }

  // The upload can never complete: mark it failed and drop its data.
  void fail() {
    c_.db_.execute(kFailUpload, {upload_.id});
    try {
      c_.discard_upload_data(upload_);
    } catch (const std::exception&) {
      // the sweep deletes it later
    }
  }

  // The row and the upload's new state commit together; the bytes go again if they did not commit.
  void record(const Object& o) {
    record_or_clean(c_.db_, c_.store_, o, [&] {
      c_.db_.transact([&](storage::Transaction& tx) {
        check_quota(tx, upload_, o.size, options_.stored_bytes_limit);
        tx.execute(kInsertObject, {o.id, o.tenant_id, o.owner_id, o.bucket, o.key, static_cast<std::int64_t>(o.size),
                                   o.sha256, o.content_type, o.purpose, o.filename, o.retention_until, o.created_at});
        if (tx.execute(kFinishUpload, {upload_.id, o.id, static_cast<std::int64_t>(upload_.size)}) != 1) {
          throw Error(ErrorCode::kConflict, "the upload is not pending anymore");
        }
      });
    });
  }

  Catalog& c_;
  const Upload& upload_;
  const CompleteOptions& options_;
  const Purpose* purpose_ = nullptr;
  Scratch scratch_;
};

Object Catalog::complete(const Upload& upload, const CompleteOptions& options) {
  return CompleteJob(*this, upload, options).run();
}

namespace {

// tenants/{tenant}/{key}, for a key made of safe segments (NewObject::key).
std::string chosen_key(std::string_view tenant_id, std::string_view key) {
  const auto refuse = [&](std::string_view why) {
    throw validation_error("an object key is not valid", {{"key", std::string(key)}, {"reason", why}});
  };
  if (key.empty() || key.size() > 400) refuse("length");
  // The catalog's own folders: a chosen key must never land on an upload's or another object's bytes.
  if (key.starts_with("objects/") || key.starts_with("uploads/")) refuse("reserved");
  std::size_t start = 0;
  while (start <= key.size()) {
    const auto end = std::min(key.find('/', start), key.size());
    const auto segment = key.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") refuse("segment");
    for (const char c : segment) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') refuse("character");
    }
    start = end + 1;
  }
  return fmt::format("tenants/{}/{}", tenant_id, key);
}

}  // namespace

Object Catalog::put_object(const NewObject& spec, const ReadFn& read) {
  const Purpose* purpose = find_purpose(spec.purpose);
  if (!purpose) throw validation_error("unknown purpose", {{"purpose", spec.purpose}});
  Object o;
  o.id = new_uuid_v7();
  o.tenant_id = spec.tenant_id;
  o.owner_id = spec.owner_id;
  o.bucket = bucket_;
  o.key = spec.key ? chosen_key(spec.tenant_id, *spec.key) : object_key(spec.tenant_id, o.id);
  o.content_type = spec.content_type;
  o.purpose = spec.purpose;
  o.filename = spec.filename;
  o.created_at = now_micros();
  const int hours = spec.retention_hours.value_or(purpose->retention_hours);
  if (hours > 0) o.retention_until = o.created_at + std::int64_t(hours) * 3'600'000'000;
  detail::Sha256Stream hash;
  std::uint64_t size = 0;
  const ObjectInfo stored = store_.put_stream(
      o.key,
      [&](char* buf, std::size_t cap) {
        const std::size_t n = read(buf, cap);
        hash.update(std::string_view(buf, n));
        size += n;
        return n;
      },
      o.content_type);
  o.size = size;
  o.sha256 = hash.hex_digest();
  if (stored.size != size) {
    store_.remove(o.key);
    throw Error(ErrorCode::kUnavailable, fmt::format("the object store kept {} of {} bytes", stored.size, size));
  }
  record_or_clean(db_, store_, o, [&] {
    db_.execute(kInsertObject, {o.id, o.tenant_id, o.owner_id, o.bucket, o.key, static_cast<std::int64_t>(o.size),
                                o.sha256, o.content_type, o.purpose, o.filename, o.retention_until, o.created_at});
  });
  return o;
}

}  // namespace tyto::objects
