// The catalog of stored objects and of the uploads that create them: rows in the `objects` and `uploads`
// tables (migrations/*/0004_objects.sql) kept in step with the bytes in an ObjectStore.
//
// An upload is declared first (create_upload), its bytes arrive next (a presigned PUT straight to S3, or
// through the API into a partial file in the staging directory for the local store), and complete()
// turns it into an object: it checks the size and SHA-256, sniffs the media type, strips image metadata,
// writes the object under tenants/<tenant>/objects/<id> and records it, all or nothing.
//
// Tenancy: every read that takes a tenant_id answers only rows of that tenant; a row of another tenant is
// reported exactly like a missing one. find_upload() and find_object() take no tenant: they serve signed
// URLs, whose signature names the id.
//
// Thread-safety: safe from many threads. Blocking (database, disk, network): never call it on an HTTP I/O
// thread. Errors: tyto::Error with the codes named per call; storage and store errors pass through.
#pragma once

#include "tyto/objects/object_store.hpp"
#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::objects {

enum class UploadState { kPending, kCompleted, kFailed };
std::string_view upload_state_name(UploadState state) noexcept;

struct Upload {
  std::string id;
  std::string tenant_id;
  std::optional<std::string> owner_id;  // the uploading user; nullopt for an API key without a user
  std::string purpose;
  std::string filename;
  std::string content_type;            // declared, canonical
  std::uint64_t size = 0;              // declared
  std::optional<std::string> sha256;   // declared, lowercase hex
  std::optional<int> retention_hours;  // for the object; nullopt: kept until deleted
  std::string key;                     // S3: the presigned PUT's key
  UploadState state = UploadState::kPending;
  std::uint64_t received = 0;  // bytes durably received through the API (local store)
  std::int64_t expires_at = 0;
  std::int64_t created_at = 0;
  std::optional<std::string> object_id;

  // {id, purpose, filename, content_type, size, sha256, state, received, expires_at, created_at, object_id}
  nlohmann::json to_json() const;
};

struct Object {
  std::string id;
  std::string tenant_id;
  std::optional<std::string> owner_id;
  std::string bucket;  // "local" or the S3 bucket
  std::string key;
  std::uint64_t size = 0;
  std::string sha256;
  std::string content_type;
  std::string purpose;
  std::string filename;
  std::optional<std::int64_t> retention_until;
  std::int64_t created_at = 0;

  // {id, owner_id, size, sha256, content_type, purpose, filename, retention_until, created_at}; the bucket
  // and key stay private.
  nlohmann::json to_json() const;
};

struct NewUpload {
  std::string tenant_id;
  std::optional<std::string> owner_id;
  std::string purpose;
  std::string filename;
  std::string content_type;
  std::uint64_t size = 0;
  std::optional<std::string> sha256;
  std::optional<int> retention_hours;
  std::chrono::seconds ttl{3600};  // the upload expires (URL and partial data) after this
};

struct ObjectQuery {
  std::string tenant_id;
  // Only this owner's objects; "" selects objects without an owner. nullopt: every object of the tenant.
  std::optional<std::string> owner_id;
  std::optional<std::string> before_id;  // cursor: objects older than this id
  int limit = 50;
};

struct CompleteOptions {
  bool strip_metadata = true;
  std::int64_t stored_bytes_limit = 0;  // the tenant's quota in bytes; 0: none
};

struct SweepResult {
  std::int64_t objects = 0;  // objects past their retention, deleted with their bytes
  std::int64_t uploads = 0;  // uploads past their expiry, deleted with their partial data
  std::int64_t total() const { return objects + uploads; }
};

// The partial file of a pending upload on the local store, open for appending. Not thread-safe: one
// writer per upload at a time (Catalog::lock_upload).
class PartialUpload {
 public:
  virtual ~PartialUpload() = default;
  virtual void write(std::string_view bytes) = 0;
  // Makes everything written so far durable (fsync) and returns the file's length.
  virtual std::uint64_t sync() = 0;
};

// An object the server makes itself (a data export), stored without an upload.
struct NewObject {
  std::string tenant_id;
  std::optional<std::string> owner_id;
  std::string purpose;  // a known purpose: its retention applies unless retention_hours says otherwise
  std::string filename;
  std::string content_type;
  std::optional<int> retention_hours;  // 0: kept until deleted
  // Where in the tenant's part of the store the bytes go: "maps/unverified/{song}/{job}" is stored at
  // tenants/{tenant}/maps/unverified/{song}/{job}. Segments of [A-Za-z0-9._-] (no "." or ".." alone), at most
  // 400 characters, not under objects/ or uploads/ (the catalog's own); anything else throws
  // Error(kValidationFailed). nullopt: tenants/{tenant}/objects/{id}.
  // A key already taken is overwritten in the store, so callers make keys unique (a job id in them).
  std::optional<std::string> key;
};

class Catalog {
 public:
  // bucket names the store in rows ("local" or the S3 bucket). staging_dir (created if missing) holds
  // partial uploads and temporary files during complete().
  Catalog(storage::Database& db, ObjectStore& store, std::string bucket, std::filesystem::path staging_dir);
  ~Catalog();

  ObjectStore& store() noexcept { return store_; }
  bool local() const noexcept { return store_.kind() == "local"; }

  // --- uploads ---
  Upload create_upload(const NewUpload& spec);
  std::optional<Upload> get_upload(std::string_view tenant_id, std::string_view id);
  std::optional<Upload> find_upload(std::string_view id);

  // Local store: opens the upload's partial file for writing at offset, cutting off anything after it.
  std::unique_ptr<PartialUpload> open_partial(const Upload& upload, std::uint64_t offset);
  // Records how many bytes are durably received; only a pending upload changes. False otherwise.
  bool mark_progress(std::string_view id, std::uint64_t received);

  // Serializes work on one upload in this process (a PUT and a complete, two PUTs). The lock is held
  // while the returned guard lives; nullptr if another holder has it.
  std::shared_ptr<void> lock_upload(std::string_view id);

  // Verifies and stores a pending upload's bytes as a new object, and returns it:
  //   Error(kConflict): the upload is not pending, or has expired;
  //   Error(kValidationFailed): fewer or more bytes than declared, or a SHA-256 other than declared
  //     (details.fields.size / .sha256 with the expected and received values) — the upload is failed;
  //   Error(kUnsupportedMediaType): the bytes are not of a type the purpose allows (details.detected) —
  //     the upload is failed;
  //   Error(kQuotaExceeded): the tenant's stored bytes would pass options.stored_bytes_limit.
  // A failed upload's data is deleted. Images have their metadata stripped when options say so; the
  // object's size and sha256 describe the stored bytes.
  Object complete(const Upload& upload, const CompleteOptions& options);

  // --- objects ---
  // Streams read into the store under a fresh object key and records the object (size and SHA-256 as
  // written; the purpose's default retention). Throws Error(kValidationFailed) for an unknown purpose.
  Object put_object(const NewObject& spec, const ReadFn& read);

  std::optional<Object> get_object(std::string_view tenant_id, std::string_view id);
  std::optional<Object> find_object(std::string_view id);
  // Newest first; the second member is the next cursor (nullopt on the last page).
  std::pair<std::vector<Object>, std::optional<std::string>> list_objects(const ObjectQuery& query);
  // Deletes the bytes, then the row. False if the tenant has no such object.
  bool remove_object(std::string_view tenant_id, std::string_view id);
  // Changes when an object of the tenant expires: nullopt keeps it until deleted (a draft promoted to a
  // published one). False when the tenant has no such object.
  bool set_retention(std::string_view tenant_id, std::string_view id, std::optional<std::int64_t> retention_until);

  // Every object the user owns, in every tenant, oldest first (for a data export).
  std::vector<Object> list_owned_by(std::string_view user_id);
  // Deletes every object and upload the user owns, bytes included; returns how many objects went.
  std::int64_t remove_owned_by(std::string_view user_id);
  // The same in two steps: deletes the rows inside the caller's transaction and returns what removes
  // the bytes, to be called once that transaction committed (a rollback then loses nothing).
  std::function<void()> erase_owned_by(storage::Session& tx, std::string_view user_id);

  // Bytes of the tenant's objects (what quotas count).
  std::int64_t stored_bytes(std::string_view tenant_id);

  // Deletes objects whose retention ended by now_micros and uploads that expired by then (with their
  // partial data). Bytes go first, then rows, in batches; an object whose bytes cannot be deleted stays
  // for the next sweep.
  SweepResult sweep_expired(std::int64_t now_micros);

 private:
  friend class CompleteJob;
  struct UploadLock;
  void discard_upload_data(const Upload& upload);
  std::filesystem::path partial_path(std::string_view upload_id) const;

  storage::Database& db_;
  ObjectStore& store_;
  std::string bucket_;
  std::filesystem::path staging_;
  std::mutex locks_mutex_;
  std::set<std::string, std::less<>> locked_;  // GUARDED_BY(locks_mutex_)
};

// The key of an object in the store: tenants/<tenant>/objects/<id>.
std::string object_key(std::string_view tenant_id, std::string_view object_id);
// The key a presigned S3 upload writes to: tenants/<tenant>/uploads/<id>.
std::string upload_key(std::string_view tenant_id, std::string_view upload_id);

}  // namespace tyto::objects
