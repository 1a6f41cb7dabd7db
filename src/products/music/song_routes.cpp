// Songs, lookups and map generation.
#include "map_file.hpp"
#include "routes.hpp"
#include "tyto/api/auth_routes.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/http/page.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/objects/object_store.hpp"

#include <fmt/format.h>

namespace tyto::products::music {

using nlohmann::json;

namespace {

constexpr std::int64_t kMinute = 60'000'000;
constexpr std::int64_t kDay = 24 * 60 * kMinute;

// The start of the current UTC month and day, in microseconds.
std::int64_t month_start(std::int64_t now) {
  const auto days = std::chrono::floor<std::chrono::days>(
      std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds(now)));
  const std::chrono::year_month_day ymd{days};
  const std::chrono::sys_days first{ymd.year() / ymd.month() / std::chrono::day{1}};
  return std::chrono::duration_cast<std::chrono::microseconds>(first.time_since_epoch()).count();
}
std::int64_t day_start(std::int64_t now) { return now - now % kDay; }

// An audio object of the caller's tenant, or 404/422.
objects::Object audio_object(Services& s, const auth::Principal& who, const std::string& id) {
  check_id(id, "object");
  const auto o = s.objects.get_object(who.tenant_id, id);
  if (!o) throw Error(ErrorCode::kNotFound, "no such object", {{"id", id}});
  if (o->purpose != "audio") {
    throw Error(ErrorCode::kValidationFailed, "the object is not an audio upload",
                {{"fields", {{"object_id", "an object uploaded with purpose audio"}}}, {"purpose", o->purpose}});
  }
  return *o;
}

}  // namespace

Song Routes::song_of(const std::string& tenant_id, std::string_view id) {
  check_id(id, "song");
  auto song = store_.song(s_.db, tenant_id, std::string(id));
  if (!song) throw Error(ErrorCode::kNotFound, "no such song", {{"id", std::string(id)}});
  return *song;
}

Map Routes::map_of(const std::string& tenant_id, std::string_view id) {
  check_id(id, "map");
  auto map = store_.map(s_.db, tenant_id, std::string(id));
  if (!map) throw Error(ErrorCode::kNotFound, "no such map", {{"id", std::string(id)}});
  return *map;
}

void Routes::rate_limit(const auth::Principal& who, std::int64_t started_last_minute, int per_minute,
                        std::string_view what) {
  if (per_minute > 0 && started_last_minute >= per_minute) {
    throw Error(ErrorCode::kRateLimited, fmt::format("too many {} in the last minute; try again shortly", what),
                {{"scope", "user"}, {"limit_per_minute", per_minute}, {"retry_after_s", 60}});
  }
  (void)who;
}

http::Response Routes::lookup(http::Request& req) {
  const auto& who = req.who();
  const auto object = audio_object(s_, who, req.json().at("object_id").get<std::string>());
  const auto now = now_micros();
  Lookup l;
  l.id = new_uuid_v7();
  l.tenant_id = who.tenant_id;
  l.user_id = who.owner_id();
  l.object_id = object.id;
  l.sha256 = object.sha256;
  l.created_at = now;
  // The same content in the same catalog: answered from the cache, with no job and no quota spent.
  if (const auto f = store_.fingerprint(who.tenant_id, object.sha256)) {
    const auto generation = store_.generation(who.tenant_id);
    if (const auto hit = store_.cached_lookup(who.tenant_id, f->fingerprint_hash, generation)) {
      l.status = "completed";
      l.matches = hit->matches;
      l.offer = stages_.offer_for(who.tenant_id, l.matches);
      if (hit->offer.is_object() && hit->offer.contains("external")) l.offer["external"] = hit->offer["external"];
      l.cached = true;
      l.generation = generation;
      l.fingerprint_hash = f->fingerprint_hash;
      l.completed_at = now;
      auto tx = s_.db.begin(storage::TxMode::kWrite);
      store_.insert_lookup(*tx, l);
      store_.finish_lookup(*tx, l);
      tx->commit();
      return http::Response::json(lookup_json(l), 200);
    }
  }
  rate_limit(who, store_.lookups_since(who.tenant_id, l.user_id.value_or(""), now - kMinute),
             options_.lookups_per_minute, "lookups");
  const auto quota = billing_.quota_of(who.tenant_id, who.owner_id());
  const auto used = store_.lookups_since(who.tenant_id, who.owner_id(), day_start(now));
  if (used >= quota.lookups_per_day) {
    throw Error(ErrorCode::kQuotaExceeded, "the lookups of your plan for today are used up",
                {{"quota", "lookups_per_day"}, {"limit", quota.lookups_per_day}, {"used", used}, {"plan", quota.plan}});
  }
  auto spec = s_.jobs.spec("music.lookup", who.tenant_id, {{"lookup_id", l.id}});
  spec.created_by = who.owner_id();
  std::vector<events::NewEvent> pending;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  l.job_id = s_.jobs.submit_in(*tx, {spec}, pending).front().job.id;
  store_.insert_lookup(*tx, l);
  s_.events.commit(*tx, pending);
  s_.jobs.wake();
  return http::Response::json({{"lookup_id", l.id}, {"id", l.id}, {"job_id", *l.job_id}, {"status", l.status}}, 202);
}

http::Response Routes::get_lookup(http::Request& req) {
  const auto& who = req.who();
  check_id(req.param("id"), "lookup");
  const auto l = store_.lookup(s_.db, who.tenant_id, std::string(req.param("id")));
  // Another member's lookup is theirs: 404 as for one that does not exist, unless an admin asks.
  if (!l || (l->user_id != who.owner_id() && !who.allows(auth::Role::kAdmin))) {
    throw Error(ErrorCode::kNotFound, "no such lookup", {{"id", std::string(req.param("id"))}});
  }
  return http::Response::json(lookup_json(*l));
}

http::Response Routes::create_song(http::Request& req) {
  const auto& who = req.who();
  const json body = req.json();
  const auto object = audio_object(s_, who, body.at("object_id").get<std::string>());
  Song song;
  song.id = new_uuid_v7();
  song.tenant_id = who.tenant_id;
  song.title = body.at("title").get<std::string>();
  song.artist = body.at("artist").get<std::string>();
  song.object_id = object.id;
  song.created_by = who.owner_id();
  song.created_at = now_micros();
  auto spec = s_.jobs.spec("music.song_fingerprint", who.tenant_id, {{"song_id", song.id}});
  spec.created_by = who.owner_id();
  std::vector<events::NewEvent> pending;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  song.job_id = s_.jobs.submit_in(*tx, {spec}, pending).front().job.id;
  store_.insert_song(*tx, song);
  s_.audit.record(*tx, api::audit_entry(req, "music.song_create", "song:" + song.id, {{"title", song.title}}));
  s_.events.commit(*tx, pending);
  s_.jobs.wake();
  return http::Response::json(song_json(song), 202);
}

http::Response Routes::list_songs(http::Request& req) {
  const auto& who = req.who();
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const auto text = req.query("q").value_or("");
  if (text.size() > 200)
    throw Error(ErrorCode::kValidationFailed, "q is too long", {{"fields", {{"q", "at most 200 characters"}}}});
  const auto rows =
      store_.songs(who.tenant_id, text, req.query("status").value_or(""), q.cursor.value_or("~"), q.fetch());
  return http::Response::json(http::page_body(q, rows, song_json, [](const Song& s) { return s.id; }));
}

http::Response Routes::get_song(http::Request& req) {
  const auto& who = req.who();
  const auto song = song_of(who.tenant_id, req.param("id"));
  json out = song_json(song);
  // Each map of the song (a lineage) as its newest version, with how many versions it has.
  std::map<std::string, json> lineages;
  for (const auto& m : store_.maps_of_song(who.tenant_id, song.id)) {
    json j = map_json(m);
    auto& slot = lineages[m.lineage_id];
    j["versions"] = slot.is_null() ? 1 : slot["versions"].get<int>() + 1;
    if (slot.is_null() || m.version > slot["version"].get<int>())
      slot = j;
    else
      slot["versions"] = j["versions"];
  }
  out["maps"] = json::array();
  for (auto& [lineage, j] : lineages) out["maps"].push_back(j);
  return http::Response::json(out);
}

http::Response Routes::update_song(http::Request& req) {
  const auto& who = req.who();
  auto song = song_of(who.tenant_id, req.param("id"));
  const json body = req.json();
  if (body.contains("title")) song.title = body["title"].get<std::string>();
  if (body.contains("artist")) song.artist = body["artist"].get<std::string>();
  if (body.contains("status")) {
    const auto status = body["status"].get<std::string>();
    if (status == "archived" || (status == "ready" && song.status == "archived" && song.fingerprint)) {
      song.status = status;
    } else if (status != song.status) {
      throw Error(ErrorCode::kConflict, "a song moves only between ready and archived",
                  {{"status", song.status}, {"requested", status}});
    }
  }
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.update_song(*tx, song);
  if (body.contains("canonical_map_id")) {
    const auto id = body["canonical_map_id"].get<std::string>();
    check_id(id, "map");
    const auto m = store_.map(*tx, who.tenant_id, id);
    if (!m || m->song_id != song.id || m->state != "verified") {
      throw Error(ErrorCode::kValidationFailed, "the canonical map must be a verified map of this song",
                  {{"fields", {{"canonical_map_id", "a verified map of this song"}}}});
    }
    store_.set_canonical_map(*tx, who.tenant_id, song.id, id, m->bpm);
  }
  s_.audit.record(*tx, api::audit_entry(req, "music.song_update", "song:" + song.id, body));
  tx->commit();
  return http::Response::json(song_json(song_of(who.tenant_id, song.id)));
}

http::Response Routes::generate(http::Request& req) {
  const auto& who = req.who();
  const auto song = song_of(who.tenant_id, req.param("id"));
  if (song.status != "ready") {
    throw Error(ErrorCode::kConflict, "the song is not ready for map generation", {{"status", song.status}});
  }
  const auto now = now_micros();
  rate_limit(who, store_.generations_since(who.tenant_id, who.owner_id(), now - kMinute),
             options_.generations_per_minute, "map generations");
  const auto quota = billing_.quota_of(who.tenant_id, who.owner_id());
  const auto used = store_.generations_since(who.tenant_id, who.owner_id(), month_start(now));
  if (used >= quota.generations_per_month) {
    throw Error(ErrorCode::kQuotaExceeded, "the map generations of your plan for this month are used up",
                {{"quota", "generations_per_month"},
                 {"limit", quota.generations_per_month},
                 {"used", used},
                 {"plan", quota.plan}});
  }
  Map m;
  m.id = new_uuid_v7();
  m.tenant_id = who.tenant_id;
  m.song_id = song.id;
  m.lineage_id = m.id;
  m.created_by = who.owner_id();
  m.created_at = now;
  auto spec = s_.jobs.spec("music.generate_map", who.tenant_id, {{"map_id", m.id}});
  spec.created_by = who.owner_id();
  std::vector<events::NewEvent> pending;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  m.job_id = s_.jobs.submit_in(*tx, {spec}, pending).front().job.id;
  store_.insert_map(*tx, m);
  s_.audit.record(*tx, api::audit_entry(req, "music.map_generate", "map:" + m.id, {{"song_id", song.id}}));
  s_.events.commit(*tx, pending);
  s_.jobs.wake();
  return http::Response::json({{"job_id", *m.job_id}, {"map_id", m.id}, {"state", m.state}}, 202);
}

http::Response Routes::get_map(http::Request& req) {
  const auto& who = req.who();
  const auto m = map_of(who.tenant_id, req.param("id"));
  json out = map_json(m);
  out["versions"] = json::array();
  for (const auto& v : store_.versions(s_.db, m.lineage_id)) {
    out["versions"].push_back({{"id", v.id},
                               {"version", v.version},
                               {"state", v.state},
                               {"source", v.source},
                               {"edit_id", v.edit_id ? json(*v.edit_id) : json(nullptr)},
                               {"created_at", format_rfc3339(v.created_at)}});
  }
  return http::Response::json(out);
}

json Routes::content_of(const Map& m) {
  if (!m.object_id) {
    throw Error(ErrorCode::kConflict, "the map has no file yet", {{"state", m.state}, {"reason", "not_ready"}});
  }
  const auto o = s_.objects.get_object(m.tenant_id, *m.object_id);
  if (!o) throw Error(ErrorCode::kNotFound, "the map's file is gone", {{"map_id", m.id}});
  return json::parse(s_.objects.store().get_all(o->key));
}

http::Response Routes::map_content(http::Request& req) {
  const auto& who = req.who();
  const auto m = map_of(who.tenant_id, req.param("id"));
  std::optional<Alignment> alignment;
  if (const auto lookup_id = req.query("lookup_id")) {
    // Ported onto the caller's upload: the lookup says where the upload sits against the song's reference.
    check_id(*lookup_id, "lookup");
    const auto l = store_.lookup(s_.db, who.tenant_id, *lookup_id);
    if (!l || (l->user_id != who.owner_id() && !who.allows(auth::Role::kAdmin))) {
      throw Error(ErrorCode::kNotFound, "no such lookup", {{"id", *lookup_id}});
    }
    for (const auto& match : l->matches.is_array() ? l->matches : json::array()) {
      if (match.value("song_id", "") != m.song_id || !match.contains("alignment")) continue;
      alignment = Alignment{match["alignment"].value("offset_s", 0.0), match["alignment"].value("ratio", 1.0)};
      break;
    }
    if (!alignment) {
      throw Error(ErrorCode::kConflict, "the lookup did not match this map's song",
                  {{"lookup_id", *lookup_id}, {"song_id", m.song_id}});
    }
  }
  const auto difficulty = req.query("difficulty").value_or(m.difficulty);
  auto file = derive(content_of(m), difficulty, alignment);
  file["map"] = {{"id", m.id}, {"version", m.version}, {"state", m.state}};
  auto res = http::Response::json(file);
  res.headers.set("Content-Disposition", fmt::format("inline; filename=\"map-{}-v{}.json\"", m.id, m.version));
  return res;
}

http::Response Routes::map_stem(http::Request& req) {
  const auto& who = req.who();
  const auto m = map_of(who.tenant_id, req.param("id"));
  if (!m.stem_object_id) {
    throw Error(ErrorCode::kNotFound, "the map has no percussive stem", {{"map_id", m.id}, {"reason", "no_stem"}});
  }
  return http::Response::json(s_.share_link(*m.stem_object_id, std::chrono::seconds(3600)));
}

}  // namespace tyto::products::music
