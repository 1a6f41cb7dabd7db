// Uploads: declare (POST), send the bytes (the signed PUT, resumable with Content-Range), check progress
// (GET, HEAD of the signed URL), complete (POST …/complete).
#include "api/detail/object_routes.hpp"
#include "api/detail/signed_urls.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/time.hpp"
#include "tyto/objects/purposes.hpp"

#include <boost/asio/awaitable.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <exception>

namespace tyto::api::detail {
namespace {

namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

constexpr std::size_t kWriteBatch = 1 << 20;             // bytes gathered before one write on the pool
constexpr std::uint64_t kCheckpointBytes = 64ull << 20;  // fsync + record progress this often

std::int64_t now_seconds() { return now_micros() / 1'000'000; }

// The last component of a client's file name: it is shown and offered on download, never used as a path.
std::optional<std::string> clean_filename(const std::string& name) {
  std::string base = name.substr(std::min(name.size(), name.find_last_of("/\\") + 1));
  if (base.empty() || base == "." || base == ".." || base.size() > 255) return std::nullopt;
  for (unsigned char c : base) {
    if (c < 0x20 || c == 0x7F) return std::nullopt;
  }
  return base;
}

objects::Upload find_upload(ObjectShared& s, const Request& req) {
  const auto& who = req.who();
  const std::string_view id = req.param("id");
  check_id(id, "upload");
  auto upload = s.deps.catalog.get_upload(who.tenant_id, id);
  if (!upload || !visible_to(who, upload->owner_id)) {
    throw Error(ErrorCode::kNotFound, "no such upload", {{"id", std::string(id.substr(0, 64))}});
  }
  return *upload;
}

json upload_schema() {
  return {{"type", "object"},
          {"required", {"filename", "content_type", "size", "purpose"}},
          {"properties",
           {{"filename",
             {{"type", "string"},
              {"minLength", 1},
              {"maxLength", 255},
              {"description", "the last path component is kept; no control characters"}}},
            {"content_type", {{"type", "string"}, {"description", "a media type such as image/jpeg"}}},
            {"size", {{"type", "integer"}, {"minimum", 1}}},
            {"sha256", {{"type", {"string", "null"}}, {"pattern", "^[0-9a-fA-F]{64}$"}}},
            {"purpose",
             {{"type", "string"},
              {"enum",
               [] {
                 json names = json::array();
                 for (const auto& p : objects::purposes()) names.push_back(p.name);
                 return names;
               }()}}},
            {"keep", {{"type", "boolean"}}}}}};
}

Response create_upload(ObjectShared& s, Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  const objects::Purpose* purpose = objects::find_purpose(body["purpose"].get<std::string>());  // one of the enum
  const std::optional<std::string> filename = clean_filename(body["filename"].get<std::string>());
  if (!filename) {
    throw validation_error("invalid upload",
                           {{"filename", "must name a file: 1-255 bytes without control characters"}});
  }
  std::optional<std::string> sha256;
  if (body.contains("sha256") && body["sha256"].is_string()) {
    sha256 = body["sha256"].get<std::string>();
    std::transform(sha256->begin(), sha256->end(), sha256->begin(), [](char c) { return char(std::tolower(c)); });
  }

  const std::string content_type = objects::canonical_media_type(body["content_type"].get<std::string>());
  if (!purpose->allows(content_type)) {
    throw Error(ErrorCode::kUnsupportedMediaType,
                fmt::format("a {} upload may not hold {}", purpose->name, content_type.substr(0, 100)),
                {{"content_type", content_type.substr(0, 100)}, {"allowed", purpose->types}});
  }
  const auto size = body["size"].get<std::uint64_t>();
  if (size > purpose->max_bytes) {
    throw Error(ErrorCode::kPayloadTooLarge,
                fmt::format("a {} upload may hold at most {} bytes", purpose->name, purpose->max_bytes),
                {{"limit", purpose->max_bytes}, {"size", size}});
  }
  const auto retention = objects::retention_hours(*purpose, s.deps.uploads.retention_hours, body.value("keep", false));
  if (const auto limit = s.deps.stored_bytes_limit ? s.deps.stored_bytes_limit(who.tenant_id) : 0; limit > 0) {
    const auto used = s.deps.catalog.stored_bytes(who.tenant_id);
    if (used + static_cast<std::int64_t>(size) > limit) {
      throw Error(ErrorCode::kQuotaExceeded, "the tenant's storage quota is used up",
                  {{"quota", "stored_bytes"}, {"limit", limit}, {"used", used}, {"needed", size}});
    }
  }

  objects::NewUpload spec;
  spec.tenant_id = who.tenant_id;
  spec.owner_id = owner_of(who);
  spec.purpose = std::string(purpose->name);
  spec.filename = *filename;
  spec.content_type = content_type;
  spec.size = size;
  spec.sha256 = sha256;
  spec.retention_hours = retention;
  spec.ttl = s.deps.uploads.url_ttl;
  const auto upload = s.deps.catalog.create_upload(spec);

  std::string url;
  if (s.deps.catalog.local()) {
    url = upload_url(s.deps.url_signing_key, s.deps.public_url,
                     {upload.id, upload.expires_at / 1'000'000, upload.size, upload.content_type});
  } else {
    url = *s.deps.store.presign("PUT", upload.key, s.deps.uploads.url_ttl, upload.content_type);
  }
  Response res = Response::json({{"upload_id", upload.id},
                                 {"url", url},
                                 {"method", "PUT"},
                                 {"headers", {{"Content-Type", upload.content_type}}},
                                 {"max_size", upload.size},
                                 {"resumable", s.deps.catalog.local()},
                                 {"expires_at", format_rfc3339(upload.expires_at)}},
                                201);
  res.headers.set("Location", "/api/v1/uploads/" + upload.id);
  return res;
}

struct ByteRange {
  std::uint64_t first = 0, last = 0, total = 0;
};

// "bytes N-M/TOTAL"; throws Error(kBadRequest) when malformed.
ByteRange parse_content_range(std::string_view text) {
  auto bad = [&] {
    return Error(ErrorCode::kBadRequest, "malformed Content-Range", {{"expected", "bytes N-M/TOTAL"}});
  };
  if (!text.starts_with("bytes ")) throw bad();
  text.remove_prefix(6);
  ByteRange r;
  auto number = [&](std::uint64_t& out, char stop) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || (stop && (end == text.data() + text.size() || *end != stop))) throw bad();
    text.remove_prefix(static_cast<std::size_t>(end - text.data()) + (stop ? 1 : 0));
  };
  number(r.first, '-');
  number(r.last, '/');
  number(r.total, 0);
  if (!text.empty() || r.last < r.first || r.last >= r.total) throw bad();
  return r;
}

// Lets the signed URL's holder see how much arrived, so a dropped PUT can continue (Content-Range).
objects::Upload verified_upload(ObjectShared& s, const Request& req, UploadGrant* grant_out) {
  const std::string_view id = req.param("id");
  check_id(id, "upload");
  const auto grant = verify_upload_url(s.deps.url_signing_key, id, req, now_seconds());
  auto upload = s.deps.catalog.find_upload(id);
  if (!upload || !s.deps.catalog.local()) throw Error(ErrorCode::kNotFound, "no such upload");
  if (grant_out) *grant_out = grant;
  return *upload;
}

asio::awaitable<Response> put_upload(ObjectShared& s, Request& req, http::RequestBody& body) {
  auto& catalog = s.deps.catalog;
  UploadGrant grant;
  std::optional<objects::Upload> found;
  co_await body.blocking([&] { found = verified_upload(s, req, &grant); });
  const objects::Upload& upload = *found;
  if (upload.state != objects::UploadState::kPending) {
    throw Error(ErrorCode::kConflict, "the upload is not pending",
                {{"state", objects::upload_state_name(upload.state)}});
  }
  const auto declared_type = req.headers.get("Content-Type");
  if (!declared_type || objects::canonical_media_type(*declared_type) != grant.content_type) {
    throw Error(ErrorCode::kUnsupportedMediaType, "the Content-Type must be the one the URL was made for",
                {{"expected", grant.content_type}});
  }
  std::uint64_t offset = 0;
  if (auto range = req.headers.get("Content-Range")) {
    const ByteRange r = parse_content_range(*range);
    if (r.total != upload.size) {
      throw validation_error("Content-Range names another total size",
                             {{"Content-Range", fmt::format("the total must be {}", upload.size)}});
    }
    if (r.first != upload.received) {
      throw Error(ErrorCode::kConflict, "the upload continues where the received bytes end",
                  {{"received", upload.received}});
    }
    if (auto n = body.content_length(); n && *n != r.last - r.first + 1) {
      throw Error(ErrorCode::kBadRequest, "Content-Range and Content-Length disagree");
    }
    offset = r.first;
  }
  if (auto n = body.content_length(); n && offset + *n > grant.max_bytes) {
    throw Error(ErrorCode::kPayloadTooLarge, "the upload may hold at most the declared size",
                {{"limit", grant.max_bytes}});
  }
  auto guard = catalog.lock_upload(upload.id);
  if (!guard) throw Error(ErrorCode::kConflict, "another request is writing or completing this upload");

  std::unique_ptr<objects::PartialUpload> partial;
  co_await body.blocking([&] {
    partial = catalog.open_partial(upload, offset);
    catalog.mark_progress(upload.id, partial->sync());
  });
  std::uint64_t written = offset;
  std::uint64_t checkpoint = offset;
  std::string batch;
  batch.reserve(kWriteBatch);
  std::exception_ptr failure;
  try {
    for (;;) {
      const std::string_view chunk = co_await body.read();
      if (chunk.empty()) break;
      if (written + batch.size() + chunk.size() > grant.max_bytes) {
        throw Error(ErrorCode::kPayloadTooLarge, "the upload may hold at most the declared size",
                    {{"limit", grant.max_bytes}});
      }
      batch.append(chunk);
      if (batch.size() < kWriteBatch) continue;
      co_await body.blocking([&] { partial->write(batch); });
      written += batch.size();
      batch.clear();
      if (written - checkpoint >= kCheckpointBytes) {
        co_await body.blocking([&] { catalog.mark_progress(upload.id, partial->sync()); });
        checkpoint = written;
      }
    }
  } catch (...) {
    failure = std::current_exception();
  }
  // What arrived intact is kept, also when the connection dropped: the client continues from there.
  co_await body.blocking([&] {
    if (!batch.empty()) partial->write(batch);
    catalog.mark_progress(upload.id, partial->sync());
  });
  written += batch.size();
  if (failure) std::rethrow_exception(failure);
  co_return Response::json(
      {{"upload_id", upload.id}, {"received", written}, {"size", upload.size}, {"complete", written == upload.size}});
}

Response head_upload(ObjectShared& s, Request& req) {
  const auto upload = verified_upload(s, req, nullptr);
  Response res;
  res.headers.set("Upload-Offset", std::to_string(upload.received));
  res.headers.set("Upload-Length", std::to_string(upload.size));
  res.headers.set("Upload-State", std::string(objects::upload_state_name(upload.state)));
  res.headers.set("Cache-Control", "no-store");
  return res;
}

Response get_upload(ObjectShared& s, Request& req) {
  auto upload = find_upload(s, req);
  if (!s.deps.catalog.local() && upload.state == objects::UploadState::kPending) {
    if (auto info = s.deps.store.head(upload.key)) upload.received = info->size;  // the client PUTs to S3 directly
  }
  return Response::json(upload.to_json());
}

Response complete_upload(ObjectShared& s, Request& req) {
  const auto& who = req.who();
  const auto first = find_upload(s, req);
  auto guard = s.deps.catalog.lock_upload(first.id);
  if (!guard) throw Error(ErrorCode::kConflict, "another request is writing or completing this upload");
  const auto upload = find_upload(s, req);  // as it is now that nobody else works on it
  const std::int64_t limit = s.deps.stored_bytes_limit ? s.deps.stored_bytes_limit(who.tenant_id) : 0;
  const auto object = s.deps.catalog.complete(upload, {s.deps.uploads.strip_metadata, limit});
  if (s.deps.on_object_created) s.deps.on_object_created(object);
  s.deps.audit.record({who.tenant_id,
                       who.actor(),
                       "object.create",
                       "object:" + object.id,
                       req.remote_address,
                       req.request_id,
                       {{"upload_id", upload.id}, {"size", object.size}, {"purpose", object.purpose}}});
  Response res = Response::json(object.to_json(), 201);
  res.headers.set("Location", "/api/v1/objects/" + object.id);
  return res;
}

json upload_out_schema() {
  return {{"type", "object"},
          {"required", {"id", "state", "received", "size"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"state", {{"type", "string"}, {"enum", {"pending", "completed", "failed"}}}},
            {"received", {{"type", "integer"}}},
            {"size", {{"type", "integer"}}},
            {"object_id", {{"type", {"string", "null"}}}}}}};
}

}  // namespace

void add_upload_routes(http::Router& router, const std::shared_ptr<ObjectShared>& shared) {
  auto s = shared;
  std::uint64_t largest = 0;
  for (const auto& p : objects::purposes()) largest = std::max(largest, p.max_bytes);
  router.add(Method::kPost, "/api/v1/uploads", [s](Request& req) { return create_upload(*s, req); },
             {"Declare an upload: returns the URL to PUT the bytes to (presigned S3, or this server's signed URL)",
              "objects",
              upload_schema(),
              {{"type", "object"},
               {"required", {"upload_id", "url", "method", "headers", "expires_at"}},
               {"properties",
                {{"upload_id", {{"type", "string"}}},
                 {"url", {{"type", "string"}}},
                 {"method", {{"type", "string"}}},
                 {"headers", {{"type", "object"}}},
                 {"expires_at", {{"type", "string"}, {"format", "date-time"}}}}}},
              201},
             {.role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/uploads/{id}", [s](Request& req) { return get_upload(*s, req); },
             {"An upload: state and bytes received so far (to resume a dropped PUT)", "objects", nullptr,
              upload_out_schema()});
  router.upload(
      Method::kPut, "/api/v1/uploads/{id}",
      [s](Request& req, http::RequestBody& body) -> asio::awaitable<Response> {
        co_return co_await put_upload(*s, req, body);
      },
      {"Send an upload's bytes to its signed URL (local store); Content-Range: bytes N-M/TOTAL continues at N",
       "objects", nullptr, upload_out_schema(), 200, "application/json"},
      {.max_body_bytes = static_cast<std::size_t>(largest), .public_route = true});
  router.add(
      Method::kHead, "/api/v1/uploads/{id}", [s](Request& req) { return head_upload(*s, req); },
      {"Bytes received so far, for the holder of the signed upload URL (Upload-Offset, Upload-Length)", "objects"},
      {.public_route = true});
  router.add(Method::kPost, "/api/v1/uploads/{id}/complete", [s](Request& req) { return complete_upload(*s, req); },
             {"Check size and SHA-256, sniff the type, strip image metadata and store the object",
              "objects",
              nullptr,
              {{"type", "object"}},
              201},
             {.role = auth::Role::kUser});
}

}  // namespace tyto::api::detail
