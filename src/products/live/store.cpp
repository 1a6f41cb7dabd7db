#include "store.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"

namespace tyto::products::live {
namespace {

using nlohmann::json;

#define SOURCE_COLUMNS                                                                                        \
  "SELECT id, tenant_id, kind, name, url_sealed, url_shown, object_id, options, created_by, created_at FROM " \
  "live_sources "
constexpr std::string_view kInsertSource =
    "INSERT INTO live_sources (id, tenant_id, kind, name, url_sealed, url_shown, object_id, options, created_by, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr std::string_view kSelectSource = SOURCE_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kListSources = SOURCE_COLUMNS "WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";
constexpr std::string_view kSourcesOf = SOURCE_COLUMNS "WHERE created_by = $1 ORDER BY id";
#undef SOURCE_COLUMNS
constexpr std::string_view kDeleteSource = "DELETE FROM live_sources WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSessionsOfSource =
    "SELECT COUNT(*) FROM live_sessions WHERE tenant_id = $1 AND source_id = $2";

#define SESSION_COLUMNS                                                                                 \
  "SELECT id, tenant_id, source_id, source_kind, settings, state, profile, job_id, stats, checkpoint, " \
  "stop_requested, error, created_by, created_at, started_at, ended_at FROM live_sessions "
constexpr std::string_view kInsertSession =
    "INSERT INTO live_sessions (id, tenant_id, source_id, source_kind, settings, state, profile, created_by, "
    "created_at) VALUES ($1, $2, $3, $4, $5, 'queued', $6, $7, $8)";
constexpr std::string_view kSelectSession = SESSION_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kListSessions =
    SESSION_COLUMNS "WHERE tenant_id = $1 AND ($2 = '' OR state = $2) AND id < $3 ORDER BY id DESC LIMIT $4";
constexpr std::string_view kSessionsOf = SESSION_COLUMNS "WHERE created_by = $1 ORDER BY id";
#undef SESSION_COLUMNS
constexpr std::string_view kSetJob = "UPDATE live_sessions SET job_id = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kRunning =
    "SELECT COUNT(*) FROM live_sessions WHERE tenant_id = $1 AND state IN ('queued', 'running')";
constexpr std::string_view kSetRunning =
    "UPDATE live_sessions SET state = 'running', started_at = COALESCE(started_at, $3) "
    "WHERE tenant_id = $1 AND id = $2 AND state IN ('queued', 'running')";
constexpr std::string_view kUpdate =
    "UPDATE live_sessions SET stats = $3, profile = $4, checkpoint = $5 WHERE tenant_id = $1 AND id = $2 "
    "RETURNING stop_requested";
constexpr std::string_view kSetCheckpoint = "UPDATE live_sessions SET checkpoint = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kRequestStop =
    "UPDATE live_sessions SET stop_requested = 1 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kFinish =
    "UPDATE live_sessions SET state = $3, error = $4, ended_at = $5 WHERE tenant_id = $1 AND id = $2 "
    "AND state IN ('queued', 'running')";
constexpr std::string_view kForgetSources = "UPDATE live_sources SET created_by = NULL WHERE created_by = $1";
constexpr std::string_view kForgetSessions = "UPDATE live_sessions SET created_by = NULL WHERE created_by = $1";

json opt(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }
json opt_time(const std::optional<std::int64_t>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }
json parse_or_null(const storage::Row& r, int i) {
  return r.is_null(i) ? json(nullptr) : json::parse(r.get<std::string>(i));
}

Source source_from(const storage::Row& r) {
  Source s;
  s.id = r.get<std::string>(0);
  s.tenant_id = r.get<std::string>(1);
  s.kind = r.get<std::string>(2);
  s.name = r.get<std::string>(3);
  if (const auto sealed = r.get_optional<storage::Blob>(4)) s.url_sealed = sealed->bytes;
  s.url_shown = r.get_optional<std::string>(5);
  s.object_id = r.get_optional<std::string>(6);
  s.options = json::parse(r.get<std::string>(7));
  s.created_by = r.get_optional<std::string>(8);
  s.created_at = r.get<std::int64_t>(9);
  return s;
}

Session session_from(const storage::Row& r) {
  Session s;
  s.id = r.get<std::string>(0);
  s.tenant_id = r.get<std::string>(1);
  s.source_id = r.get<std::string>(2);
  s.source_kind = r.get<std::string>(3);
  s.settings = json::parse(r.get<std::string>(4));
  s.state = r.get<std::string>(5);
  s.profile = r.get<std::string>(6);
  s.job_id = r.get_optional<std::string>(7);
  s.stats = parse_or_null(r, 8);
  s.checkpoint = parse_or_null(r, 9);
  s.stop_requested = r.get<std::int64_t>(10) != 0;
  s.error = r.get_optional<std::string>(11);
  s.created_by = r.get_optional<std::string>(12);
  s.created_at = r.get<std::int64_t>(13);
  s.started_at = r.get_optional<std::int64_t>(14);
  s.ended_at = r.get_optional<std::int64_t>(15);
  return s;
}

template <class T, class F>
std::vector<T> rows(const storage::Result& result, F from) {
  std::vector<T> out;
  for (const auto& r : result.rows) out.push_back(from(r));
  return out;
}

}  // namespace

std::string session_topic(std::string_view session_id) { return "live_session:" + std::string(session_id); }

void check_id(std::string_view id, std::string_view what) {
  if (!is_uuid(id)) {
    throw Error(ErrorCode::kNotFound, "no such " + std::string(what), {{"id", std::string(id.substr(0, 64))}});
  }
}

std::string shown_url(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const auto authority_end = url.find_first_of("/?#", scheme + 3);
  const auto authority =
      url.substr(scheme + 3, authority_end == std::string_view::npos ? url.npos : authority_end - scheme - 3);
  const auto at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  const auto userinfo = authority.substr(0, at);
  const auto colon = userinfo.find(':');
  const std::string user(userinfo.substr(0, colon));
  std::string out(url.substr(0, scheme + 3));
  out += colon == std::string_view::npos ? user : user + ":***";
  out += url.substr(scheme + 3 + at);
  return out;
}

json source_json(const Source& s) {
  return {{"id", s.id},
          {"source_id", s.id},
          {"kind", s.kind},
          {"name", s.name},
          {"url", opt(s.url_shown)},
          {"object_id", opt(s.object_id)},
          {"options", s.options},
          {"created_at", format_rfc3339(s.created_at)}};
}

json source_schema() {
  const json text = {{"type", "string"}}, maybe = {{"type", {"string", "null"}}};
  return {{"type", "object"},
          {"properties",
           {{"id", text},
            {"source_id", text},
            {"kind", {{"type", "string"}, {"enum", {"rtsp", "http", "upload", "webcam"}}}},
            {"name", text},
            {"url", maybe},
            {"object_id", maybe},
            {"options", {{"type", "object"}}},
            {"created_at", text}}}};
}

json session_json(const Session& s) {
  return {{"id", s.id},
          {"session_id", s.id},
          {"source_id", s.source_id},
          {"source_kind", s.source_kind},
          {"state", s.state},
          {"pipelines", s.settings.value("pipelines", json::array())},
          {"profile", s.profile},
          {"requested_profile", s.settings.value("profile", s.profile)},
          {"zones", s.settings.value("zones", json::array())},
          {"lines", s.settings.value("lines", json::array())},
          {"models", s.settings.value("models", json::object())},
          {"job_id", opt(s.job_id)},
          {"stats", s.stats},
          {"stop_requested", s.stop_requested},
          {"error", opt(s.error)},
          {"created_at", format_rfc3339(s.created_at)},
          {"started_at", opt_time(s.started_at)},
          {"ended_at", opt_time(s.ended_at)}};
}

json session_schema() {
  const json text = {{"type", "string"}}, maybe = {{"type", {"string", "null"}}};
  return {{"type", "object"},
          {"properties",
           {{"id", text},
            {"session_id", text},
            {"source_id", text},
            {"source_kind", text},
            {"state", {{"type", "string"}, {"enum", {"queued", "running", "finished", "stopped", "failed"}}}},
            {"pipelines", {{"type", "array"}, {"items", text}}},
            {"profile", text},
            {"requested_profile", text},
            {"zones", {{"type", "array"}}},
            {"lines", {{"type", "array"}}},
            {"models", {{"type", "object"}}},
            {"job_id", maybe},
            {"stats", {{"type", {"object", "null"}}}},
            {"stop_requested", {{"type", "boolean"}}},
            {"error", maybe},
            {"created_at", text},
            {"started_at", maybe},
            {"ended_at", maybe}}}};
}

void LiveStore::insert_source(storage::Session& tx, const Source& s) {
  storage::Value sealed = s.url_sealed ? storage::Value(storage::Blob{*s.url_sealed}) : storage::Value();
  tx.execute(kInsertSource, {s.id, s.tenant_id, s.kind, s.name, sealed, s.url_shown, s.object_id, s.options.dump(),
                             s.created_by, s.created_at});
}

std::optional<Source> LiveStore::source(const std::string& tenant_id, const std::string& id) {
  const auto row = db_.query_one(kSelectSource, {tenant_id, id});
  if (!row) return std::nullopt;
  return source_from(*row);
}

std::vector<Source> LiveStore::sources(const std::string& tenant_id, const std::string& before, int limit) {
  return rows<Source>(db_.query(kListSources, {tenant_id, before, limit}), source_from);
}

bool LiveStore::delete_source(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  return tx.execute(kDeleteSource, {tenant_id, id}) > 0;
}

std::int64_t LiveStore::sessions_of_source(storage::Session& tx, const std::string& tenant_id,
                                           const std::string& source_id) {
  return tx.query_one(kSessionsOfSource, {tenant_id, source_id})->get<std::int64_t>(0);
}

void LiveStore::insert_session(storage::Session& tx, const Session& s) {
  tx.execute(kInsertSession,
             {s.id, s.tenant_id, s.source_id, s.source_kind, s.settings.dump(), s.profile, s.created_by, s.created_at});
}

void LiveStore::set_job(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                        const std::string& job_id) {
  tx.execute(kSetJob, {tenant_id, id, job_id});
}

std::optional<Session> LiveStore::session(const std::string& tenant_id, const std::string& id) {
  return session(db_, tenant_id, id);
}

std::optional<Session> LiveStore::session(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  const auto row = tx.query_one(kSelectSession, {tenant_id, id});
  if (!row) return std::nullopt;
  return session_from(*row);
}

std::vector<Session> LiveStore::sessions(const std::string& tenant_id, const std::string& state,
                                         const std::string& before, int limit) {
  return rows<Session>(db_.query(kListSessions, {tenant_id, state, before, limit}), session_from);
}

std::int64_t LiveStore::running(const std::string& tenant_id) {
  return db_.query_one(kRunning, {tenant_id})->get<std::int64_t>(0);
}

void LiveStore::set_running(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  tx.execute(kSetRunning, {tenant_id, id, now_micros()});
}

bool LiveStore::update(storage::Session& tx, const std::string& tenant_id, const std::string& id, const json& stats,
                       const std::string& profile, const json& checkpoint) {
  const auto row = tx.query_one(kUpdate, {tenant_id, id, stats.dump(), profile, checkpoint.dump()});
  return row && row->get<std::int64_t>(0) != 0;
}

void LiveStore::set_checkpoint(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                               const json& checkpoint) {
  tx.execute(kSetCheckpoint, {tenant_id, id, checkpoint.dump()});
}

void LiveStore::request_stop(storage::Session& tx, const std::string& tenant_id, const std::string& id) {
  tx.execute(kRequestStop, {tenant_id, id});
}

bool LiveStore::finish(storage::Session& tx, const std::string& tenant_id, const std::string& id,
                       const std::string& state, const std::optional<std::string>& error) {
  return tx.execute(kFinish, {tenant_id, id, state, error, now_micros()}) > 0;
}

std::vector<Source> LiveStore::sources_created_by(const std::string& user_id) {
  return rows<Source>(db_.query(kSourcesOf, {user_id}), source_from);
}

std::vector<Session> LiveStore::sessions_created_by(const std::string& user_id) {
  return rows<Session>(db_.query(kSessionsOf, {user_id}), session_from);
}

void LiveStore::forget_user(storage::Session& tx, const std::string& user_id) {
  tx.execute(kForgetSources, {user_id});
  tx.execute(kForgetSessions, {user_id});
}

}  // namespace tyto::products::live
