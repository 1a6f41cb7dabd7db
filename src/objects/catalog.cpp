// The catalog's rows: uploads and objects, their reads, deletions and the retention sweep. complete()
// lives in complete.cpp.
#include "tyto/objects/catalog.hpp"

#include "objects/detail/local_file.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>

namespace tyto::objects {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using storage::Row;

constexpr std::string_view kUploadColumns =
    "id, tenant_id, owner_id, purpose, filename, content_type, size, sha256, retention_hours, key, state, "
    "received, expires_at, created_at, object_id";
constexpr std::string_view kObjectColumns =
    "id, tenant_id, owner_id, bucket, key, size, sha256, content_type, purpose, filename, retention_until, "
    "created_at";

constexpr std::string_view kInsertUpload =
    "INSERT INTO uploads (id, tenant_id, owner_id, purpose, filename, content_type, size, sha256, retention_hours, "
    "key, state, received, expires_at, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $11, $12)";
constexpr std::string_view kMarkProgress = "UPDATE uploads SET received = $2 WHERE id = $1 AND state = 'pending'";
constexpr std::string_view kSumBytes = "SELECT COALESCE(SUM(size), 0) FROM objects WHERE tenant_id = $1";
constexpr std::string_view kDeleteObject = "DELETE FROM objects WHERE id = $1";
constexpr std::string_view kSetRetention = "UPDATE objects SET retention_until = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kDeleteUpload = "DELETE FROM uploads WHERE id = $1";
constexpr int kSweepBatch = 500;

std::string select_uploads(std::string_view where) {
  return fmt::format("SELECT {} FROM uploads WHERE {}", kUploadColumns, where);
}
std::string select_objects(std::string_view where) {
  return fmt::format("SELECT {} FROM objects WHERE {}", kObjectColumns, where);
}

UploadState parse_state(const std::string& s) {
  if (s == "completed") return UploadState::kCompleted;
  if (s == "failed") return UploadState::kFailed;
  return UploadState::kPending;
}

Upload upload_from(const Row& r) {
  Upload u;
  u.id = r.get<std::string>("id");
  u.tenant_id = r.get<std::string>("tenant_id");
  u.owner_id = r.get_optional<std::string>("owner_id");
  u.purpose = r.get<std::string>("purpose");
  u.filename = r.get<std::string>("filename");
  u.content_type = r.get<std::string>("content_type");
  u.size = static_cast<std::uint64_t>(r.get<std::int64_t>("size"));
  u.sha256 = r.get_optional<std::string>("sha256");
  u.retention_hours = r.get_optional<int>("retention_hours");
  u.key = r.get<std::string>("key");
  u.state = parse_state(r.get<std::string>("state"));
  u.received = static_cast<std::uint64_t>(r.get<std::int64_t>("received"));
  u.expires_at = r.get<std::int64_t>("expires_at");
  u.created_at = r.get<std::int64_t>("created_at");
  u.object_id = r.get_optional<std::string>("object_id");
  return u;
}

Object object_from(const Row& r) {
  Object o;
  o.id = r.get<std::string>("id");
  o.tenant_id = r.get<std::string>("tenant_id");
  o.owner_id = r.get_optional<std::string>("owner_id");
  o.bucket = r.get<std::string>("bucket");
  o.key = r.get<std::string>("key");
  o.size = static_cast<std::uint64_t>(r.get<std::int64_t>("size"));
  o.sha256 = r.get<std::string>("sha256");
  o.content_type = r.get<std::string>("content_type");
  o.purpose = r.get<std::string>("purpose");
  o.filename = r.get<std::string>("filename");
  o.retention_until = r.get_optional<std::int64_t>("retention_until");
  o.created_at = r.get<std::int64_t>("created_at");
  return o;
}

json optional_time(const std::optional<std::int64_t>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }

template <class T>
json or_null(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

class LocalPartial final : public PartialUpload {
 public:
  LocalPartial(fs::path path, std::uint64_t offset) : path_(std::move(path)), length_(offset) {
    fd_ = detail::Fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd_) detail::throw_system_error("cannot open", path_, errno);
    if (::ftruncate(fd_.get(), static_cast<off_t>(offset)) != 0)
      detail::throw_system_error("cannot truncate", path_, errno);
  }

  void write(std::string_view bytes) override {
    detail::pwrite_all(fd_.get(), bytes, length_, path_);
    length_ += bytes.size();
  }

  std::uint64_t sync() override {
    detail::fsync_fd(fd_.get(), path_);
    return length_;
  }

 private:
  fs::path path_;
  detail::Fd fd_;
  std::uint64_t length_;
};

}  // namespace

std::string_view upload_state_name(UploadState state) noexcept {
  switch (state) {
    case UploadState::kPending:
      return "pending";
    case UploadState::kCompleted:
      return "completed";
    case UploadState::kFailed:
      return "failed";
  }
  return "pending";
}

json Upload::to_json() const {
  return {{"id", id},
          {"purpose", purpose},
          {"filename", filename},
          {"content_type", content_type},
          {"size", size},
          {"sha256", or_null(sha256)},
          {"state", upload_state_name(state)},
          {"received", received},
          {"expires_at", format_rfc3339(expires_at)},
          {"created_at", format_rfc3339(created_at)},
          {"object_id", or_null(object_id)}};
}

json Object::to_json() const {
  return {{"id", id},
          {"owner_id", or_null(owner_id)},
          {"size", size},
          {"sha256", sha256},
          {"content_type", content_type},
          {"purpose", purpose},
          {"filename", filename},
          {"retention_until", optional_time(retention_until)},
          {"created_at", format_rfc3339(created_at)}};
}

std::string object_key(std::string_view tenant_id, std::string_view object_id) {
  return fmt::format("tenants/{}/objects/{}", tenant_id, object_id);
}

std::string upload_key(std::string_view tenant_id, std::string_view upload_id) {
  return fmt::format("tenants/{}/uploads/{}", tenant_id, upload_id);
}

Catalog::Catalog(storage::Database& db, ObjectStore& store, std::string bucket, fs::path staging_dir)
    : db_(db), store_(store), bucket_(std::move(bucket)), staging_(std::move(staging_dir)) {
  std::error_code ec;
  fs::create_directories(staging_, ec);
  if (ec) throw Error(ErrorCode::kInternal, fmt::format("cannot create {}: {}", staging_.string(), ec.message()));
}

Catalog::~Catalog() = default;

// Held while one request works on an upload; see lock_upload.
struct Catalog::UploadLock {
  UploadLock(Catalog& c, std::string i) : catalog(c), id(std::move(i)) {}
  ~UploadLock() {
    std::lock_guard lock(catalog.locks_mutex_);
    catalog.locked_.erase(id);
  }
  Catalog& catalog;
  std::string id;
};

fs::path Catalog::partial_path(std::string_view upload_id) const {
  if (!is_uuid(upload_id)) throw Error(ErrorCode::kNotFound, "no such upload");  // never a path from a client
  return staging_ / (std::string(upload_id) + ".part");
}

Upload Catalog::create_upload(const NewUpload& spec) {
  Upload u;
  u.id = new_uuid_v7();
  u.tenant_id = spec.tenant_id;
  u.owner_id = spec.owner_id;
  u.purpose = spec.purpose;
  u.filename = spec.filename;
  u.content_type = spec.content_type;
  u.size = spec.size;
  u.sha256 = spec.sha256;
  u.retention_hours = spec.retention_hours;
  u.key = upload_key(spec.tenant_id, u.id);
  validate_key(u.key);
  u.created_at = now_micros();
  u.expires_at = u.created_at + std::chrono::duration_cast<std::chrono::microseconds>(spec.ttl).count();
  db_.execute(kInsertUpload,
              {u.id, u.tenant_id, u.owner_id, u.purpose, u.filename, u.content_type, static_cast<std::int64_t>(u.size),
               u.sha256, u.retention_hours, u.key, u.expires_at, u.created_at});
  return u;
}

std::optional<Upload> Catalog::get_upload(std::string_view tenant_id, std::string_view id) {
  static const std::string sql = select_uploads("id = $1 AND tenant_id = $2");
  auto row = db_.query_one(sql, {id, tenant_id});
  if (!row) return std::nullopt;
  return upload_from(*row);
}

std::optional<Upload> Catalog::find_upload(std::string_view id) {
  static const std::string sql = select_uploads("id = $1");
  auto row = db_.query_one(sql, {id});
  if (!row) return std::nullopt;
  return upload_from(*row);
}

std::unique_ptr<PartialUpload> Catalog::open_partial(const Upload& upload, std::uint64_t offset) {
  return std::make_unique<LocalPartial>(partial_path(upload.id), offset);
}

bool Catalog::mark_progress(std::string_view id, std::uint64_t received) {
  return db_.execute(kMarkProgress, {id, static_cast<std::int64_t>(received)}) == 1;
}

std::shared_ptr<void> Catalog::lock_upload(std::string_view id) {
  std::lock_guard lock(locks_mutex_);
  if (locked_.count(id)) return nullptr;
  auto held = std::make_shared<UploadLock>(*this, std::string(id));
  locked_.insert(held->id);
  return held;
}

void Catalog::discard_upload_data(const Upload& upload) {
  if (local()) {
    std::error_code ec;
    fs::remove(partial_path(upload.id), ec);
  } else {
    store_.remove(upload.key);
  }
}

std::optional<Object> Catalog::get_object(std::string_view tenant_id, std::string_view id) {
  static const std::string sql = select_objects("id = $1 AND tenant_id = $2");
  auto row = db_.query_one(sql, {id, tenant_id});
  if (!row) return std::nullopt;
  return object_from(*row);
}

std::optional<Object> Catalog::find_object(std::string_view id) {
  static const std::string sql = select_objects("id = $1");
  auto row = db_.query_one(sql, {id});
  if (!row) return std::nullopt;
  return object_from(*row);
}

std::pair<std::vector<Object>, std::optional<std::string>> Catalog::list_objects(const ObjectQuery& q) {
  // Ids are UUIDv7, so id order is creation order; the cursor is the last id of the previous page.
  std::string where = "tenant_id = $1";
  storage::Params params = {q.tenant_id};
  if (q.owner_id) {
    if (q.owner_id->empty()) {
      where += " AND owner_id IS NULL";
    } else {
      params.emplace_back(*q.owner_id);
      where += fmt::format(" AND owner_id = ${}", params.size());
    }
  }
  if (q.before_id) {
    params.emplace_back(*q.before_id);
    where += fmt::format(" AND id < ${}", params.size());
  }
  params.emplace_back(q.limit + 1);
  const std::string sql = select_objects(where) + fmt::format(" ORDER BY id DESC LIMIT ${}", params.size());
  std::vector<Object> items;
  for (const auto& row : db_.query(sql, params).rows) items.push_back(object_from(row));
  std::optional<std::string> next;
  if (static_cast<int>(items.size()) > q.limit) {
    items.resize(static_cast<std::size_t>(q.limit));
    next = items.back().id;
  }
  return {std::move(items), std::move(next)};
}

bool Catalog::remove_object(std::string_view tenant_id, std::string_view id) {
  auto object = get_object(tenant_id, id);
  if (!object) return false;
  store_.remove(object->key);  // bytes first: a row never outlives them unnoticed
  db_.execute(kDeleteObject, {object->id});
  return true;
}

bool Catalog::set_retention(std::string_view tenant_id, std::string_view id,
                            std::optional<std::int64_t> retention_until) {
  storage::Value until = retention_until ? storage::Value(*retention_until) : storage::Value();
  return db_.execute(kSetRetention, {tenant_id, id, until}) == 1;
}

std::vector<Object> Catalog::list_owned_by(std::string_view user_id) {
  static const std::string sql = select_objects("owner_id = $1 ORDER BY id");
  std::vector<Object> out;
  for (const auto& row : db_.query(sql, {user_id}).rows) out.push_back(object_from(row));
  return out;
}

std::int64_t Catalog::remove_owned_by(std::string_view user_id) {
  std::int64_t removed = 0;
  for (const auto& o : list_owned_by(user_id)) {
    store_.remove(o.key);
    removed += db_.execute(kDeleteObject, {o.id});
  }
  static const std::string uploads_sql = select_uploads("owner_id = $1");
  for (const auto& row : db_.query(uploads_sql, {user_id}).rows) {
    const Upload u = upload_from(row);
    if (u.state == UploadState::kPending) discard_upload_data(u);
    db_.execute(kDeleteUpload, {u.id});
  }
  return removed;
}

std::function<void()> Catalog::erase_owned_by(storage::Session& tx, std::string_view user_id) {
  static const std::string objects_sql = select_objects("owner_id = $1 ORDER BY id");
  static const std::string uploads_sql = select_uploads("owner_id = $1");
  std::vector<std::string> keys;
  for (const auto& row : tx.query(objects_sql, {user_id}).rows) {
    const Object o = object_from(row);
    keys.push_back(o.key);
    tx.execute(kDeleteObject, {o.id});
  }
  std::vector<Upload> pending;
  for (const auto& row : tx.query(uploads_sql, {user_id}).rows) {
    Upload u = upload_from(row);
    if (u.state == UploadState::kPending) pending.push_back(u);
    tx.execute(kDeleteUpload, {u.id});
  }
  return [this, keys = std::move(keys), pending = std::move(pending)] {
    for (const auto& key : keys) {
      try {
        store_.remove(key);
      } catch (const std::exception& e) {
        log::warn("an erased object's bytes could not be removed", {{"key", key}, {"error", e.what()}});
      }
    }
    for (const auto& u : pending) {
      try {
        discard_upload_data(u);
      } catch (const std::exception& e) {
        log::warn("an erased upload's data could not be removed", {{"upload_id", u.id}, {"error", e.what()}});
      }
    }
  };
}

std::int64_t Catalog::stored_bytes(std::string_view tenant_id) {
  return db_.query_one(kSumBytes, {tenant_id})->get<std::int64_t>(0);
}

SweepResult Catalog::sweep_expired(std::int64_t now) {
  SweepResult result;
  static const std::string objects_sql =
      select_objects("retention_until IS NOT NULL AND retention_until <= $1 ORDER BY retention_until LIMIT $2");
  static const std::string uploads_sql = select_uploads("expires_at <= $1 ORDER BY expires_at LIMIT $2");
  for (bool more = true; more;) {
    const auto rows = db_.query(objects_sql, {now, kSweepBatch}).rows;
    more = rows.size() == static_cast<std::size_t>(kSweepBatch);
    std::int64_t deleted = 0;
    for (const auto& row : rows) {
      const Object o = object_from(row);
      try {
        store_.remove(o.key);
      } catch (const std::exception& e) {
        log::warn("retention sweep could not delete an object's bytes", {{"object_id", o.id}, {"error", e.what()}});
        continue;
      }
      deleted += db_.execute(kDeleteObject, {o.id});
    }
    result.objects += deleted;
    if (deleted == 0) break;  // nothing deletable in this batch: stop rather than spin on it
  }
  for (bool more = true; more;) {
    const auto rows = db_.query(uploads_sql, {now, kSweepBatch}).rows;
    more = rows.size() == static_cast<std::size_t>(kSweepBatch);
    std::int64_t deleted = 0;
    for (const auto& row : rows) {
      const Upload u = upload_from(row);
      auto guard = lock_upload(u.id);
      if (!guard) continue;  // being written or completed right now
      try {
        if (u.state != UploadState::kCompleted) discard_upload_data(u);
      } catch (const std::exception& e) {
        log::warn("retention sweep could not delete an upload's data", {{"upload_id", u.id}, {"error", e.what()}});
        continue;
      }
      deleted += db_.execute(kDeleteUpload, {u.id});
    }
    result.uploads += deleted;
    if (deleted == 0) break;
  }
  return result;
}

}  // namespace tyto::objects
