// Objects: list, metadata, content (streamed, with ranges; a presigned redirect on S3), delete, share links.
#include "tyto/api/object_routes.hpp"

#include "api/detail/object_routes.hpp"
#include "api/detail/signed_urls.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/http/page.hpp"

#include <boost/asio/awaitable.hpp>

#include <fmt/format.h>

#include <charconv>

namespace tyto::api::detail {
namespace {

namespace asio = boost::asio;
using http::Method;
using http::Request;
using http::Response;
using nlohmann::json;

constexpr std::uint64_t kPiece = 1 << 20;  // bytes read from the store per hop to the blocking pool
constexpr std::chrono::seconds kRedirectTtl{300};

const std::string& share_key(const ObjectShared& s) {
  return s.deps.share_signing_key.empty() ? s.deps.url_signing_key : s.deps.share_signing_key;
}

objects::Object find_object(ObjectShared& s, const Request& req) {
  const auto& who = req.who();
  const std::string_view id = req.param("id");
  check_id(id, "object");
  auto object = s.deps.catalog.get_object(who.tenant_id, id);
  if (!object || !visible_to(who, object->owner_id)) {
    throw Error(ErrorCode::kNotFound, "no such object", {{"id", std::string(id.substr(0, 64))}});
  }
  return *object;
}

struct Range {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
};

// One "bytes=a-b", "bytes=a-" or "bytes=-n" range. nullopt: no Range header, or one this server ignores
// (malformed, several ranges), which RFC 9110 answers with the whole content. Throws
// Error(kRangeNotSatisfiable) for a range that starts past the end.
std::optional<Range> parse_range(const Request& req, std::uint64_t size) {
  auto header = req.headers.get("Range");
  if (!header || !header->starts_with("bytes=")) return std::nullopt;
  std::string_view spec = header->substr(6);
  if (spec.find(',') != std::string_view::npos) return std::nullopt;
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view t, std::uint64_t& out) {
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    return !t.empty() && ec == std::errc() && end == t.data() + t.size();
  };
  const auto unsatisfiable = [&] {
    return Error(ErrorCode::kRangeNotSatisfiable, "the range lies outside the content", {{"size", size}});
  };
  std::uint64_t a = 0, b = 0;
  if (dash == 0) {  // the last n bytes
    if (!number(spec.substr(1), b)) return std::nullopt;
    if (b == 0 || size == 0) throw unsatisfiable();
    return Range{size - std::min(b, size), size - 1};
  }
  if (!number(spec.substr(0, dash), a)) return std::nullopt;
  if (dash + 1 == spec.size()) {
    b = size == 0 ? 0 : size - 1;
  } else if (!number(spec.substr(dash + 1), b) || b < a) {
    return std::nullopt;
  }
  if (a >= size) throw unsatisfiable();
  return Range{a, std::min(b, size - 1)};
}

// Content-Disposition that no file name can break: an ASCII fallback and the RFC 5987 UTF-8 form.
std::string disposition(const std::string& filename) {
  std::string ascii;
  for (unsigned char c : filename) ascii.push_back(c >= 0x20 && c < 0x7F && c != '"' && c != '\\' ? char(c) : '_');
  return fmt::format("attachment; filename=\"{}\"; filename*=UTF-8''{}", ascii, percent_encode(filename));
}

// Sends the object's bytes (the whole, or the requested range) through the blocking pool piece by piece,
// so memory holds one piece at a time. On S3 the client is redirected to a presigned GET instead.
asio::awaitable<void> send_object(ObjectShared& s, Request& req, http::ResponseStream& out, const objects::Object& o,
                                  std::chrono::seconds redirect_ttl) {
  http::Headers h;
  h.set("Cache-Control", "private, no-store");
  if (!s.deps.catalog.local()) {
    std::string url;
    co_await out.blocking([&] { url = *s.deps.store.presign("GET", o.key, redirect_ttl); });
    h.set("Location", url);
    h.set("Content-Length", "0");
    co_await out.begin(302, h);
    co_return;
  }
  std::optional<Range> range;
  std::optional<std::string> unsatisfiable;
  try {
    range = parse_range(req, o.size);
  } catch (const Error& e) {
    unsatisfiable = e.envelope().dump();
  }
  if (unsatisfiable) {
    h.set("Content-Range", fmt::format("bytes */{}", o.size));
    h.set("Content-Type", "application/json");
    h.set("Content-Length", std::to_string(unsatisfiable->size()));
    if (co_await out.begin(416, h) && req.method != Method::kHead) co_await out.write(*unsatisfiable);
    co_return;
  }
  const std::uint64_t first = range ? range->first : 0;
  const std::uint64_t length = range ? range->last - range->first + 1 : o.size;
  h.set("Content-Type", o.content_type);
  h.set("Content-Length", std::to_string(length));
  h.set("Accept-Ranges", "bytes");
  h.set("ETag", "\"" + o.sha256 + "\"");
  h.set("Content-Disposition", disposition(o.filename));
  h.set("X-Content-Type-Options", "nosniff");
  h.set("Content-Security-Policy", "sandbox; default-src 'none'");
  if (range) h.set("Content-Range", fmt::format("bytes {}-{}/{}", range->first, range->last, o.size));
  if (!co_await out.begin(range ? 206 : 200, h) || req.method == Method::kHead) co_return;
  std::string piece;
  for (std::uint64_t sent = 0; sent < length;) {
    const std::uint64_t want = std::min(kPiece, length - sent);
    piece.clear();
    co_await out.blocking(
        [&] { s.deps.store.get(o.key, first + sent, want, [&](std::string_view chunk) { piece.append(chunk); }); });
    if (piece.empty() || !co_await out.write(piece)) co_return;
    sent += piece.size();
  }
}

void audit_download(ObjectShared& s, const Request& req, const objects::Object& o, bool shared) {
  if (req.method == Method::kHead) return;
  auth::AuditEntry entry{o.tenant_id,         shared ? "anonymous" : req.who().actor(),
                         "object.download",   "object:" + o.id,
                         req.remote_address,  req.request_id,
                         {{"shared", shared}}};
  if (auto range = req.headers.get("Range")) entry.metadata["range"] = std::string(range->substr(0, 100));
  s.deps.audit.record(entry);
}

asio::awaitable<void> object_content(ObjectShared& s, Request& req, http::ResponseStream& out) {
  std::optional<objects::Object> object;
  co_await out.blocking([&] {
    object = find_object(s, req);
    audit_download(s, req, *object, false);
  });
  co_await send_object(s, req, out, *object, kRedirectTtl);
}

asio::awaitable<void> shared_content(ObjectShared& s, Request& req, http::ResponseStream& out) {
  const std::string id(req.param("id"));
  check_id(id, "object");
  const auto expires = verify_share_url(share_key(s), id, req, now_micros() / 1'000'000);
  std::optional<objects::Object> object;
  co_await out.blocking([&] {
    object = s.deps.catalog.find_object(id);
    if (!object) throw Error(ErrorCode::kNotFound, "no such object");
    audit_download(s, req, *object, true);
  });
  const auto left = std::chrono::seconds(std::max<std::int64_t>(1, expires - now_micros() / 1'000'000));
  co_await send_object(s, req, out, *object, std::min(left, kRedirectTtl));
}

Response list_objects(ObjectShared& s, Request& req) {
  const auto& who = req.who();
  objects::ObjectQuery q;
  q.tenant_id = who.tenant_id;
  q.owner_id = owner_scope(who);
  const auto page = http::page_query(req, q.limit, 500);
  q.limit = page.limit;
  q.before_id = page.cursor;
  if (auto owner = req.query("owner_id"); owner && !owner->empty()) {
    if (q.owner_id && *q.owner_id != *owner) {
      throw validation_error("invalid query", {{"owner_id", "only admins list other users' objects"}});
    }
    q.owner_id = *owner;
  }
  auto [found, next] = s.deps.catalog.list_objects(q);  // the catalog works out the next cursor itself
  json items = json::array();
  for (const auto& o : found) items.push_back(o.to_json());
  return Response::json(http::page_body(std::move(items), std::move(next)));
}

Response delete_object(ObjectShared& s, Request& req) {
  const auto& who = req.who();
  const auto object = find_object(s, req);
  if (!s.deps.catalog.remove_object(who.tenant_id, object.id)) throw Error(ErrorCode::kNotFound, "no such object");
  s.deps.audit.record({who.tenant_id,
                       who.actor(),
                       "object.delete",
                       "object:" + object.id,
                       req.remote_address,
                       req.request_id,
                       {{"size", object.size}, {"purpose", object.purpose}}});
  return Response::no_content();
}

Response share_object(ObjectShared& s, Request& req) {
  const auto& who = req.who();
  const auto object = find_object(s, req);
  const json body = req.json();
  const std::int64_t fallback = std::min<std::int64_t>(3600, s.deps.uploads.share_ttl_max.count());
  const std::int64_t ttl = body.value("expires_in_s", fallback);
  const std::int64_t expires = now_micros() / 1'000'000 + ttl;
  s.deps.audit.record({who.tenant_id,
                       who.actor(),
                       "object.share",
                       "object:" + object.id,
                       req.remote_address,
                       req.request_id,
                       {{"expires_in_s", ttl}}});
  return Response::json({{"url", share_url(share_key(s), s.deps.public_url, object.id, expires)},
                         {"expires_at", format_rfc3339(expires * 1'000'000)}},
                        201);
}

json object_schema() {
  return {{"type", "object"},
          {"required", {"id", "size", "sha256", "content_type", "purpose", "filename", "created_at"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"owner_id", {{"type", {"string", "null"}}}},
            {"size", {{"type", "integer"}}},
            {"sha256", {{"type", "string"}}},
            {"content_type", {{"type", "string"}}},
            {"purpose", {{"type", "string"}}},
            {"filename", {{"type", "string"}}},
            {"retention_until", {{"type", {"string", "null"}}, {"format", "date-time"}}},
            {"created_at", {{"type", "string"}, {"format", "date-time"}}}}}};
}

}  // namespace

std::optional<std::string> owner_scope(const auth::Principal& who) {
  if (who.allows(auth::Role::kAdmin)) return std::nullopt;
  return who.owner_id();
}

std::optional<std::string> owner_of(const auth::Principal& who) { return who.owner_id(); }

bool visible_to(const auth::Principal& who, const std::optional<std::string>& owner_id) {
  const auto scope = owner_scope(who);
  return !scope || *scope == owner_id.value_or("");
}

void check_id(std::string_view id, std::string_view what) {
  if (!is_uuid(id))
    throw Error(ErrorCode::kNotFound, fmt::format("no such {}", what), {{"id", std::string(id.substr(0, 64))}});
}

}  // namespace tyto::api::detail

namespace tyto::api {

void add_object_routes(http::Router& router, ObjectRoutesDeps deps) {
  using namespace detail;
  auto s = std::make_shared<ObjectShared>(ObjectShared{std::move(deps)});
  add_upload_routes(router, s);
  router.add(Method::kGet, "/api/v1/objects", [s](Request& req) { return list_objects(*s, req); },
             {"List objects, newest first (?limit=&cursor=; admins: &owner_id=)", "objects", nullptr,
              http::page_schema(object_schema())});
  router.add(Method::kGet, "/api/v1/objects/{id}",
             [s](Request& req) { return Response::json(find_object(*s, req).to_json()); },
             {"An object's metadata", "objects", nullptr, object_schema()});
  router.stream(
      Method::kGet, "/api/v1/objects/{id}/content",
      [s](Request& req, http::ResponseStream& out) -> asio::awaitable<void> { co_await object_content(*s, req, out); },
      {"An object's bytes (Range: bytes=a-b gives 206); on S3 a redirect to a presigned URL", "objects", nullptr,
       nullptr, 200, "application/octet-stream"});
  router.add(Method::kDelete, "/api/v1/objects/{id}", [s](Request& req) { return delete_object(*s, req); },
             {"Delete an object and its bytes (its owner or an admin)", "objects", nullptr, nullptr, 204},
             {.role = auth::Role::kUser});
  router.add(Method::kPost, "/api/v1/objects/{id}/share", [s](Request& req) { return share_object(*s, req); },
             {.summary = "A signed link that lets anyone download the object until it expires",
              .tag = "objects",
              .request_schema = {{"type", "object"},
                                 {"properties",
                                  {{"expires_in_s",
                                    {{"type", "integer"},
                                     {"minimum", 1},
                                     {"maximum", s->deps.uploads.share_ttl_max.count()},
                                     {"description", "default: an hour, or uploads.share_ttl_max if shorter"}}}}}},
              .response_schema = {{"type", "object"},
                                  {"properties",
                                   {{"url", {{"type", "string"}}},
                                    {"expires_at", {{"type", "string"}, {"format", "date-time"}}}}}},
              .success_status = 201,
              .request_body_optional = true},
             {.role = auth::Role::kUser});
  router.stream(
      Method::kGet, "/api/v1/shared/objects/{id}",
      [s](Request& req, http::ResponseStream& out) -> asio::awaitable<void> { co_await shared_content(*s, req, out); },
      {"An object's bytes through a share link (?expires=&sig=)", "objects", nullptr, nullptr, 200,
       "application/octet-stream"},
      {.public_route = true});
}

}  // namespace tyto::api
