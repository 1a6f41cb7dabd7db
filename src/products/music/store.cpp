#include "store.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"

#include <algorithm>
#include <cctype>

namespace tyto::products::music {
namespace {

using nlohmann::json;

#define SONG_COLUMNS                                                                                 \
  "SELECT id, tenant_id, title, artist, bpm, duration_s, object_id, fingerprint, fingerprint_hash, " \
  "canonical_map_id, status, job_id, error, created_by, created_at, updated_at FROM music_songs "
constexpr std::string_view kInsertSong =
    "INSERT INTO music_songs (id, tenant_id, title, artist, bpm, duration_s, object_id, fingerprint, "
    "fingerprint_hash, canonical_map_id, status, job_id, error, created_by, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)";
constexpr std::string_view kSong = SONG_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSongs = SONG_COLUMNS
    "WHERE tenant_id = $1 AND ($2 = '' OR LOWER(title) LIKE $2 OR LOWER(artist) LIKE $2) "
    "AND ($3 = '' OR status = $3) AND id < $4 ORDER BY id DESC LIMIT $5";
constexpr std::string_view kIndexedSongs =
    SONG_COLUMNS "WHERE tenant_id = $1 AND status = 'ready' AND fingerprint IS NOT NULL ORDER BY id";
constexpr std::string_view kSongByHash =
    SONG_COLUMNS "WHERE tenant_id = $1 AND fingerprint_hash = $2 AND status = 'ready' ORDER BY id LIMIT 1";
#undef SONG_COLUMNS
constexpr std::string_view kGeneration =
    "SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM music_songs WHERE tenant_id = $1";
constexpr std::string_view kSetSongFingerprint =
    "UPDATE music_songs SET fingerprint = $3, fingerprint_hash = $4, duration_s = $5, status = $6, error = $7, "
    "updated_at = $8 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSetSongJob = "UPDATE music_songs SET job_id = $3 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kSetCanonical =
    "UPDATE music_songs SET canonical_map_id = $3, bpm = COALESCE($4, bpm), updated_at = $5 "
    "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kUpdateSong =
    "UPDATE music_songs SET title = $3, artist = $4, status = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2";

constexpr std::string_view kFingerprint =
    "SELECT sha256, fingerprint, fingerprint_hash, duration_s, scan FROM music_fingerprints "
    "WHERE tenant_id = $1 AND sha256 = $2";
constexpr std::string_view kPutFingerprint =
    "INSERT INTO music_fingerprints (tenant_id, sha256, fingerprint, fingerprint_hash, duration_s, scan, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, sha256) DO NOTHING";

#define LOOKUP_COLUMNS                                                                                     \
  "SELECT id, tenant_id, user_id, object_id, sha256, job_id, status, matches, offer, cached, generation, " \
  "fingerprint_hash, error, created_at, completed_at FROM music_lookups "
constexpr std::string_view kInsertLookup =
    "INSERT INTO music_lookups (id, tenant_id, user_id, object_id, sha256, job_id, status, cached, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8)";
constexpr std::string_view kLookup = LOOKUP_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kCachedLookup = LOOKUP_COLUMNS
    "WHERE tenant_id = $1 AND fingerprint_hash = $2 AND generation = $3 AND status = 'completed' "
    "ORDER BY id LIMIT 1";
constexpr std::string_view kLookupsOfUser = LOOKUP_COLUMNS "WHERE user_id = $1 ORDER BY id";
#undef LOOKUP_COLUMNS
constexpr std::string_view kFinishLookup =
    "UPDATE music_lookups SET status = $3, matches = $4, offer = $5, cached = $6, generation = $7, "
    "fingerprint_hash = $8, error = $9, sha256 = COALESCE($10, sha256), completed_at = $11 "
    "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kLookupsSince =
    "SELECT COUNT(*) FROM music_lookups WHERE tenant_id = $1 AND user_id = $2 AND created_at >= $3 AND cached = 0";
constexpr std::string_view kGenerationsSince =
    "SELECT COUNT(*) FROM music_maps WHERE tenant_id = $1 AND created_by = $2 AND source = 'generated' "
    "AND version = 1 AND created_at >= $3";

#define MAP_COLUMNS                                                                                            \
  "SELECT id, tenant_id, song_id, lineage_id, version, difficulty, state, source, object_id, stem_object_id, " \
  "job_id, base_map_id, edit_id, notes, bpm, metadata, error, created_by, created_at, updated_at FROM music_maps "
constexpr std::string_view kInsertMap =
    "INSERT INTO music_maps (id, tenant_id, song_id, lineage_id, version, difficulty, state, source, object_id, "
    "stem_object_id, job_id, base_map_id, edit_id, notes, bpm, metadata, error, created_by, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)";
constexpr std::string_view kMap = MAP_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kMapsOfSong = MAP_COLUMNS "WHERE tenant_id = $1 AND song_id = $2 ORDER BY id";
constexpr std::string_view kVersions = MAP_COLUMNS "WHERE lineage_id = $1 ORDER BY version";
constexpr std::string_view kLatestVersion = MAP_COLUMNS "WHERE lineage_id = $1 ORDER BY version DESC LIMIT 1";
constexpr std::string_view kStemsDue = MAP_COLUMNS
    "WHERE state = 'unverified' AND stem_object_id IS NOT NULL AND created_at < $1 ORDER BY created_at LIMIT $2";
#undef MAP_COLUMNS
constexpr std::string_view kUpdateMapPrefix =
    "UPDATE music_maps SET state = $3, object_id = $4, stem_object_id = $5, notes = $6, bpm = $7, metadata = $8, "
    "error = $9, updated_at = $10 WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kClearStem = "UPDATE music_maps SET stem_object_id = NULL WHERE id = $1";

#define EDIT_COLUMNS                                                                                         \
  "SELECT id, tenant_id, map_id, lineage_id, base_version, user_id, patch, comment, status, applied_patch, " \
  "conflicts, decided_by, decision_comment, result_map_id, created_at, decided_at FROM music_edits "
constexpr std::string_view kInsertEdit =
    "INSERT INTO music_edits (id, tenant_id, map_id, lineage_id, base_version, user_id, patch, comment, status, "
    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr std::string_view kEdit = EDIT_COLUMNS "WHERE tenant_id = $1 AND id = $2";
constexpr std::string_view kEdits = EDIT_COLUMNS
    "WHERE tenant_id = $1 AND ($2 = '' OR status = $2) AND ($3 = '' OR lineage_id = $3) AND ($4 = '' OR user_id = $4) "
    "AND id < $5 ORDER BY id DESC LIMIT $6";
constexpr std::string_view kEditsByUser = EDIT_COLUMNS "WHERE user_id = $1 OR decided_by = $1 ORDER BY id";
#undef EDIT_COLUMNS
constexpr std::string_view kDecideEdit =
    "UPDATE music_edits SET status = $4, applied_patch = $5, conflicts = $6, decided_by = $7, decision_comment = $8, "
    "result_map_id = $9, decided_at = $10 WHERE tenant_id = $1 AND id = $2 AND status = $3";

#define KARMA_COLUMNS \
  "SELECT id, tenant_id, user_id, delta, reason, edit_id, map_id, reverses_id, created_at FROM music_karma "
constexpr std::string_view kInsertKarma =
    "INSERT INTO music_karma (id, tenant_id, user_id, delta, reason, edit_id, map_id, reverses_id, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, user_id, reason, edit_id) DO NOTHING";
constexpr std::string_view kKarmaEntries =
    KARMA_COLUMNS "WHERE tenant_id = $1 AND user_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4";
constexpr std::string_view kKarmaOfEdit = KARMA_COLUMNS "WHERE tenant_id = $1 AND edit_id = $2 ORDER BY id";
constexpr std::string_view kKarmaOfUser = KARMA_COLUMNS "WHERE user_id = $1 ORDER BY id";
#undef KARMA_COLUMNS
constexpr std::string_view kKarmaSum =
    "SELECT COALESCE(SUM(delta), 0) FROM music_karma WHERE tenant_id = $1 AND user_id = $2";
constexpr std::string_view kMember =
    "SELECT karma, earned_roles, email_notifications FROM music_members WHERE tenant_id = $1 AND user_id = $2";
constexpr std::string_view kPutMember =
    "INSERT INTO music_members (tenant_id, user_id, karma, earned_roles, email_notifications, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, user_id) DO UPDATE SET karma = $3, earned_roles = $4, "
    "email_notifications = $5, updated_at = $6";

#define NOTIFICATION_COLUMNS "SELECT id, tenant_id, user_id, kind, data, read_at, created_at FROM music_notifications "
constexpr std::string_view kInsertNotification =
    "INSERT INTO music_notifications (id, tenant_id, user_id, kind, data, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
constexpr std::string_view kNotifications = NOTIFICATION_COLUMNS
    "WHERE tenant_id = $1 AND user_id = $2 AND ($3 = 0 OR read_at IS NULL) AND id < $4 ORDER BY id DESC LIMIT $5";
constexpr std::string_view kNotificationsOfUser = NOTIFICATION_COLUMNS "WHERE user_id = $1 ORDER BY id";
#undef NOTIFICATION_COLUMNS
constexpr std::string_view kUnread =
    "SELECT COUNT(*) FROM music_notifications WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL";
constexpr std::string_view kMarkAllRead =
    "UPDATE music_notifications SET read_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND read_at IS NULL";
constexpr std::string_view kMarkRead =
    "UPDATE music_notifications SET read_at = $4 "
    "WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND read_at IS NULL";

constexpr std::string_view kInsertBillingEvent =
    "INSERT INTO music_billing_events (id, tenant_id, type, created, payload, status, job_id, received_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING";
constexpr std::string_view kBillingEvent =
    "SELECT id, tenant_id, type, created, payload, status, job_id, received_at FROM music_billing_events "
    "WHERE id = $1";
constexpr std::string_view kSetBillingEvent =
    "UPDATE music_billing_events SET status = $2, job_id = COALESCE($3, job_id), processed_at = $4 WHERE id = $1";
#define SUBSCRIPTION_COLUMNS                                                                                 \
  "SELECT id, tenant_id, user_id, customer, status, plan, current_period_end, event_created, snapshot FROM " \
  "music_subscriptions "
constexpr std::string_view kSubscription = SUBSCRIPTION_COLUMNS "WHERE id = $1";
constexpr std::string_view kSubscriptionsOf = SUBSCRIPTION_COLUMNS "WHERE tenant_id = $1 AND user_id = $2 ORDER BY id";
constexpr std::string_view kSubscriptionsOfUser = SUBSCRIPTION_COLUMNS "WHERE user_id = $1 ORDER BY id";
#undef SUBSCRIPTION_COLUMNS
constexpr std::string_view kPutSubscription =
    "INSERT INTO music_subscriptions (id, tenant_id, user_id, customer, status, plan, current_period_end, "
    "event_created, snapshot, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO UPDATE "
    "SET tenant_id = $2, user_id = $3, customer = $4, status = $5, plan = $6, current_period_end = $7, "
    "event_created = $8, snapshot = $9, updated_at = $10";
constexpr std::string_view kPutOrder =
    "INSERT INTO music_orders (id, tenant_id, user_id, kind, status, amount, currency, items, created, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO UPDATE SET status = $5, amount = $6, "
    "currency = $7, items = $8, created = $9, updated_at = $10";
constexpr std::string_view kOrdersOf =
    "SELECT id, tenant_id, user_id, kind, status, amount, currency, items, created FROM music_orders "
    "WHERE tenant_id = $1 AND user_id = $2 ORDER BY created DESC, id";

// Erasure.
constexpr std::string_view kEraseLookups = "DELETE FROM music_lookups WHERE user_id = $1 RETURNING object_id";
constexpr std::string_view kEraseNotifications = "DELETE FROM music_notifications WHERE user_id = $1";
constexpr std::string_view kEraseKarma = "DELETE FROM music_karma WHERE user_id = $1";
constexpr std::string_view kEraseMember = "DELETE FROM music_members WHERE user_id = $1";
constexpr std::string_view kEraseSubscriptions = "DELETE FROM music_subscriptions WHERE user_id = $1";
constexpr std::string_view kEraseOrders = "DELETE FROM music_orders WHERE user_id = $1";
constexpr std::string_view kForgetEditor = "UPDATE music_edits SET user_id = NULL WHERE user_id = $1";
constexpr std::string_view kForgetDecider = "UPDATE music_edits SET decided_by = NULL WHERE decided_by = $1";
constexpr std::string_view kForgetSongAuthor = "UPDATE music_songs SET created_by = NULL WHERE created_by = $1";
constexpr std::string_view kForgetMapAuthor = "UPDATE music_maps SET created_by = NULL WHERE created_by = $1";

json opt(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }
json opt_time(const std::optional<std::int64_t>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }
storage::Value null_or(const json& j) { return j.is_null() ? storage::Value() : storage::Value(j.dump()); }
json parse_or_null(const storage::Row& r, std::size_t i) {
  return r.is_null(i) ? json(nullptr) : json::parse(r.get<std::string>(i));
}

Song song_from(const storage::Row& r) {
  Song s;
  s.id = r.get<std::string>(0);
  s.tenant_id = r.get<std::string>(1);
  s.title = r.get<std::string>(2);
  s.artist = r.get<std::string>(3);
  s.bpm = r.get_optional<double>(4);
  s.duration_s = r.get_optional<double>(5);
  s.object_id = r.get_optional<std::string>(6);
  s.fingerprint = r.get_optional<std::string>(7);
  s.fingerprint_hash = r.get_optional<std::string>(8);
  s.canonical_map_id = r.get_optional<std::string>(9);
  s.status = r.get<std::string>(10);
  s.job_id = r.get_optional<std::string>(11);
  s.error = parse_or_null(r, 12);
  s.created_by = r.get_optional<std::string>(13);
  s.created_at = r.get<std::int64_t>(14);
  s.updated_at = r.get<std::int64_t>(15);
  return s;
}

Lookup lookup_from(const storage::Row& r) {
  Lookup l;
  l.id = r.get<std::string>(0);
  l.tenant_id = r.get<std::string>(1);
  l.user_id = r.get_optional<std::string>(2);
  l.object_id = r.get<std::string>(3);
  l.sha256 = r.get_optional<std::string>(4);
  l.job_id = r.get_optional<std::string>(5);
  l.status = r.get<std::string>(6);
  l.matches = parse_or_null(r, 7);
  l.offer = parse_or_null(r, 8);
  l.cached = r.get<bool>(9);
  l.generation = r.get_optional<std::int64_t>(10);
  l.fingerprint_hash = r.get_optional<std::string>(11);
  l.error = parse_or_null(r, 12);
  l.created_at = r.get<std::int64_t>(13);
  l.completed_at = r.get_optional<std::int64_t>(14);
  return l;
}

Map map_from(const storage::Row& r) {
  Map m;
  m.id = r.get<std::string>(0);
  m.tenant_id = r.get<std::string>(1);
  m.song_id = r.get<std::string>(2);
  m.lineage_id = r.get<std::string>(3);
  m.version = r.get<int>(4);
  m.difficulty = r.get<std::string>(5);
  m.state = r.get<std::string>(6);
  m.source = r.get<std::string>(7);
  m.object_id = r.get_optional<std::string>(8);
  m.stem_object_id = r.get_optional<std::string>(9);
  m.job_id = r.get_optional<std::string>(10);
  m.base_map_id = r.get_optional<std::string>(11);
  m.edit_id = r.get_optional<std::string>(12);
  m.notes = r.get<int>(13);
  m.bpm = r.get_optional<double>(14);
  m.metadata = json::parse(r.get<std::string>(15));
  m.error = parse_or_null(r, 16);
  m.created_by = r.get_optional<std::string>(17);
  m.created_at = r.get<std::int64_t>(18);
  m.updated_at = r.get<std::int64_t>(19);
  return m;
}

Edit edit_from(const storage::Row& r) {
  Edit e;
  e.id = r.get<std::string>(0);
  e.tenant_id = r.get<std::string>(1);
  e.map_id = r.get<std::string>(2);
  e.lineage_id = r.get<std::string>(3);
  e.base_version = r.get<int>(4);
  e.user_id = r.get_optional<std::string>(5);
  e.patch = json::parse(r.get<std::string>(6));
  e.comment = r.get<std::string>(7);
  e.status = r.get<std::string>(8);
  e.applied_patch = parse_or_null(r, 9);
  e.conflicts = parse_or_null(r, 10);
  e.decided_by = r.get_optional<std::string>(11);
  e.decision_comment = r.get_optional<std::string>(12);
  e.result_map_id = r.get_optional<std::string>(13);
  e.created_at = r.get<std::int64_t>(14);
  e.decided_at = r.get_optional<std::int64_t>(15);
  return e;
}

KarmaEntry karma_from(const storage::Row& r) {
  return {r.get<std::string>(0),          r.get<std::string>(1),
          r.get<std::string>(2),          r.get<int>(3),
          r.get<std::string>(4),          r.get_optional<std::string>(5),
          r.get_optional<std::string>(6), r.get_optional<std::string>(7),
          r.get<std::int64_t>(8)};
}

Notification notification_from(const storage::Row& r) {
  return {r.get<std::string>(0),
          r.get<std::string>(1),
          r.get<std::string>(2),
          r.get<std::string>(3),
          json::parse(r.get<std::string>(4)),
          r.get_optional<std::int64_t>(5),
          r.get<std::int64_t>(6)};
}

SubscriptionRow subscription_from(const storage::Row& r) {
  return {r.get<std::string>(0),           r.get<std::string>(1),  r.get<std::string>(2),
          r.get_optional<std::string>(3),  r.get<std::string>(4),  r.get_optional<std::string>(5),
          r.get_optional<std::int64_t>(6), r.get<std::int64_t>(7), json::parse(r.get<std::string>(8))};
}

Order order_from(const storage::Row& r) {
  return {r.get<std::string>(0),          r.get<std::string>(1),
          r.get_optional<std::string>(2), r.get<std::string>(3),
          r.get<std::string>(4),          r.get_optional<std::int64_t>(5),
          r.get_optional<std::string>(6), json::parse(r.get<std::string>(7)),
          r.get<std::int64_t>(8)};
}

template <class T, class F>
std::vector<T> all(const storage::Result& result, F from) {
  std::vector<T> out;
  out.reserve(result.rows.size());
  for (const auto& r : result.rows) out.push_back(from(r));
  return out;
}

std::string like_pattern(const std::string& q) {
  std::string p;
  for (const char c : q) {
    if (c == '%' || c == '_') continue;  // a search for text, not for a pattern
    p += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return p.empty() ? std::string() : "%" + p + "%";
}

}  // namespace

void check_id(std::string_view id, std::string_view what) {
  if (!is_uuid(id)) {
    throw Error(ErrorCode::kNotFound, "no such " + std::string(what), {{"id", std::string(id.substr(0, 64))}});
  }
}

// Songs.

void MusicStore::insert_song(storage::Session& s, const Song& g) {
  s.execute(kInsertSong,
            {g.id, g.tenant_id, g.title, g.artist, g.bpm, g.duration_s, g.object_id, g.fingerprint, g.fingerprint_hash,
             g.canonical_map_id, g.status, g.job_id, null_or(g.error), g.created_by, g.created_at});
}

std::optional<Song> MusicStore::song(storage::Session& s, const std::string& tenant_id, const std::string& id) {
  const auto r = s.query_one(kSong, {tenant_id, id});
  return r ? std::optional(song_from(*r)) : std::nullopt;
}

std::vector<Song> MusicStore::songs(const std::string& tenant_id, const std::string& q, const std::string& status,
                                    const std::string& before, int limit) {
  return all<Song>(db_.query(kSongs, {tenant_id, like_pattern(q), status, before, limit}), song_from);
}

void MusicStore::set_song_fingerprint(storage::Session& s, const Song& g) {
  s.execute(kSetSongFingerprint, {g.tenant_id, g.id, g.fingerprint, g.fingerprint_hash, g.duration_s, g.status,
                                  null_or(g.error), now_micros()});
}

void MusicStore::set_song_job(storage::Session& s, const std::string& tenant_id, const std::string& id,
                              const std::string& job) {
  s.execute(kSetSongJob, {tenant_id, id, job});
}

void MusicStore::set_canonical_map(storage::Session& s, const std::string& tenant_id, const std::string& song_id,
                                   const std::optional<std::string>& map_id, std::optional<double> bpm) {
  s.execute(kSetCanonical, {tenant_id, song_id, map_id, bpm, now_micros()});
}

void MusicStore::update_song(storage::Session& s, const Song& g) {
  s.execute(kUpdateSong, {g.tenant_id, g.id, g.title, g.artist, g.status, now_micros()});
}

std::vector<Song> MusicStore::indexed_songs(const std::string& tenant_id) {
  return all<Song>(db_.query(kIndexedSongs, {tenant_id}), song_from);
}

std::int64_t MusicStore::generation(const std::string& tenant_id) {
  const auto r = db_.query_one(kGeneration, {tenant_id});
  // The newest change and the count together: a song removed and another added in the same microsecond
  // still changes the count.
  return r->get<std::int64_t>(1) * 16 + (r->get<std::int64_t>(0) & 15);
}

std::optional<Song> MusicStore::song_by_hash(const std::string& tenant_id, const std::string& fingerprint_hash) {
  const auto r = db_.query_one(kSongByHash, {tenant_id, fingerprint_hash});
  return r ? std::optional(song_from(*r)) : std::nullopt;
}

// Fingerprints.

std::optional<Fingerprint> MusicStore::fingerprint(const std::string& tenant_id, const std::string& sha256) {
  const auto r = db_.query_one(kFingerprint, {tenant_id, sha256});
  if (!r) return std::nullopt;
  return Fingerprint{r->get<std::string>(0), r->get<std::string>(1), r->get<std::string>(2), r->get<double>(3),
                     r->get<std::string>(4)};
}

void MusicStore::put_fingerprint(const std::string& tenant_id, const Fingerprint& f) {
  db_.execute(kPutFingerprint,
              {tenant_id, f.sha256, f.fingerprint, f.fingerprint_hash, f.duration_s, f.scan, now_micros()});
}

// Lookups.

void MusicStore::insert_lookup(storage::Session& s, const Lookup& l) {
  s.execute(kInsertLookup, {l.id, l.tenant_id, l.user_id, l.object_id, l.sha256, l.job_id, l.status, l.created_at});
}

std::optional<Lookup> MusicStore::lookup(storage::Session& s, const std::string& tenant_id, const std::string& id) {
  const auto r = s.query_one(kLookup, {tenant_id, id});
  return r ? std::optional(lookup_from(*r)) : std::nullopt;
}

void MusicStore::finish_lookup(storage::Session& s, const Lookup& l) {
  s.execute(kFinishLookup, {l.tenant_id, l.id, l.status, null_or(l.matches), null_or(l.offer), l.cached ? 1 : 0,
                            l.generation, l.fingerprint_hash, null_or(l.error), l.sha256, l.completed_at});
}

std::optional<Lookup> MusicStore::cached_lookup(const std::string& tenant_id, const std::string& fingerprint_hash,
                                                std::int64_t generation) {
  const auto r = db_.query_one(kCachedLookup, {tenant_id, fingerprint_hash, generation});
  return r ? std::optional(lookup_from(*r)) : std::nullopt;
}

std::int64_t MusicStore::lookups_since(const std::string& tenant_id, const std::string& user_id, std::int64_t since) {
  return db_.query_one(kLookupsSince, {tenant_id, user_id, since})->get<std::int64_t>(0);
}

std::int64_t MusicStore::generations_since(const std::string& tenant_id, const std::string& user_id,
                                           std::int64_t since) {
  return db_.query_one(kGenerationsSince, {tenant_id, user_id, since})->get<std::int64_t>(0);
}

// Maps.

void MusicStore::insert_map(storage::Session& s, const Map& m) {
  s.execute(kInsertMap, {m.id, m.tenant_id, m.song_id, m.lineage_id, m.version, m.difficulty, m.state, m.source,
                         m.object_id, m.stem_object_id, m.job_id, m.base_map_id, m.edit_id, m.notes, m.bpm,
                         m.metadata.dump(), null_or(m.error), m.created_by, m.created_at});
}

std::optional<Map> MusicStore::map(storage::Session& s, const std::string& tenant_id, const std::string& id) {
  const auto r = s.query_one(kMap, {tenant_id, id});
  return r ? std::optional(map_from(*r)) : std::nullopt;
}

std::vector<Map> MusicStore::maps_of_song(const std::string& tenant_id, const std::string& song_id) {
  return all<Map>(db_.query(kMapsOfSong, {tenant_id, song_id}), map_from);
}

std::vector<Map> MusicStore::versions(storage::Session& s, const std::string& lineage_id) {
  return all<Map>(s.query(kVersions, {lineage_id}), map_from);
}

std::optional<Map> MusicStore::latest_version(storage::Session& s, const std::string& lineage_id) {
  const auto r = s.query_one(kLatestVersion, {lineage_id});
  return r ? std::optional(map_from(*r)) : std::nullopt;
}

bool MusicStore::update_map(storage::Session& s, const Map& m, std::initializer_list<std::string_view> from) {
  std::string sql(kUpdateMapPrefix);
  storage::Params params{m.tenant_id, m.id,  m.state,           m.object_id,      m.stem_object_id,
                         m.notes,     m.bpm, m.metadata.dump(), null_or(m.error), now_micros()};
  if (from.size() > 0) {
    sql += " AND state IN (";
    for (const auto state : from) {
      sql += (params.size() > 10 ? ", $" : "$") + std::to_string(params.size() + 1);
      params.emplace_back(state);
    }
    sql += ")";
  }
  return s.execute(sql, params) == 1;
}

std::vector<Map> MusicStore::stems_due(std::int64_t cutoff, int limit) {
  return all<Map>(db_.query(kStemsDue, {cutoff, limit}), map_from);
}

void MusicStore::clear_stem(storage::Session& s, const std::string& map_id) { s.execute(kClearStem, {map_id}); }

// Edits.

void MusicStore::insert_edit(storage::Session& s, const Edit& e) {
  s.execute(kInsertEdit, {e.id, e.tenant_id, e.map_id, e.lineage_id, e.base_version, e.user_id, e.patch.dump(),
                          e.comment, e.status, e.created_at});
}

std::optional<Edit> MusicStore::edit(storage::Session& s, const std::string& tenant_id, const std::string& id) {
  const auto r = s.query_one(kEdit, {tenant_id, id});
  return r ? std::optional(edit_from(*r)) : std::nullopt;
}

std::vector<Edit> MusicStore::edits(const std::string& tenant_id, const std::string& status,
                                    const std::string& lineage_id, const std::string& user_id,
                                    const std::string& before, int limit) {
  return all<Edit>(db_.query(kEdits, {tenant_id, status, lineage_id, user_id, before, limit}), edit_from);
}

bool MusicStore::decide_edit(storage::Session& s, const Edit& e, std::string_view from_status) {
  return s.execute(kDecideEdit,
                   {e.tenant_id, e.id, from_status, e.status, null_or(e.applied_patch), null_or(e.conflicts),
                    e.decided_by, e.decision_comment, e.result_map_id, e.decided_at}) == 1;
}

// Karma.

void MusicStore::insert_karma(storage::Session& s, const KarmaEntry& k) {
  s.execute(kInsertKarma,
            {k.id, k.tenant_id, k.user_id, k.delta, k.reason, k.edit_id, k.map_id, k.reverses_id, k.created_at});
}

std::vector<KarmaEntry> MusicStore::karma_entries(storage::Session& s, const std::string& tenant_id,
                                                  const std::string& user_id, const std::string& before, int limit) {
  return all<KarmaEntry>(s.query(kKarmaEntries, {tenant_id, user_id, before, limit}), karma_from);
}

std::vector<KarmaEntry> MusicStore::karma_of_edit(storage::Session& s, const std::string& tenant_id,
                                                  const std::string& edit_id) {
  return all<KarmaEntry>(s.query(kKarmaOfEdit, {tenant_id, edit_id}), karma_from);
}

int MusicStore::karma_sum(storage::Session& s, const std::string& tenant_id, const std::string& user_id) {
  return static_cast<int>(s.query_one(kKarmaSum, {tenant_id, user_id})->get<std::int64_t>(0));
}

Member MusicStore::member(storage::Session& s, const std::string& tenant_id, const std::string& user_id) {
  Member m{tenant_id, user_id, 0, {}, true};
  if (const auto r = s.query_one(kMember, {tenant_id, user_id})) {
    m.karma = r->get<int>(0);
    m.earned_roles = json::parse(r->get<std::string>(1)).get<std::vector<std::string>>();
    m.email_notifications = r->get<bool>(2);
  }
  return m;
}

void MusicStore::put_member(storage::Session& s, const Member& m) {
  s.execute(kPutMember, {m.tenant_id, m.user_id, m.karma, json(m.earned_roles).dump(), m.email_notifications ? 1 : 0,
                         now_micros()});
}

// Notifications.

void MusicStore::insert_notification(storage::Session& s, const Notification& n) {
  s.execute(kInsertNotification, {n.id, n.tenant_id, n.user_id, n.kind, n.data.dump(), n.created_at});
}

std::vector<Notification> MusicStore::notifications(const std::string& tenant_id, const std::string& user_id,
                                                    bool unread_only, const std::string& before, int limit) {
  return all<Notification>(db_.query(kNotifications, {tenant_id, user_id, unread_only ? 1 : 0, before, limit}),
                           notification_from);
}

std::int64_t MusicStore::unread(const std::string& tenant_id, const std::string& user_id) {
  return db_.query_one(kUnread, {tenant_id, user_id})->get<std::int64_t>(0);
}

std::int64_t MusicStore::mark_read(const std::string& tenant_id, const std::string& user_id,
                                   const std::vector<std::string>& ids) {
  const auto at = now_micros();
  if (ids.empty()) return db_.execute(kMarkAllRead, {tenant_id, user_id, at});
  std::int64_t n = 0;
  auto tx = db_.begin(storage::TxMode::kWrite);
  for (const auto& id : ids) n += tx->execute(kMarkRead, {tenant_id, user_id, id, at});
  tx->commit();
  return n;
}

// Billing.

bool MusicStore::insert_billing_event(storage::Session& s, const BillingEvent& e) {
  return s.execute(kInsertBillingEvent,
                   {e.id, e.tenant_id, e.type, e.created, e.payload.dump(), e.status, e.job_id, e.received_at}) == 1;
}

std::optional<BillingEvent> MusicStore::billing_event(storage::Session& s, const std::string& id) {
  const auto r = s.query_one(kBillingEvent, {id});
  if (!r) return std::nullopt;
  return BillingEvent{r->get<std::string>(0),
                      r->get<std::string>(1),
                      r->get<std::string>(2),
                      r->get<std::int64_t>(3),
                      json::parse(r->get<std::string>(4)),
                      r->get<std::string>(5),
                      r->get_optional<std::string>(6),
                      r->get<std::int64_t>(7)};
}

void MusicStore::set_billing_event_status(storage::Session& s, const std::string& id, std::string_view status,
                                          const std::optional<std::string>& job_id) {
  s.execute(kSetBillingEvent, {id, status, job_id, now_micros()});
}

std::optional<SubscriptionRow> MusicStore::subscription(storage::Session& s, const std::string& id) {
  const auto r = s.query_one(kSubscription, {id});
  return r ? std::optional(subscription_from(*r)) : std::nullopt;
}

void MusicStore::put_subscription(storage::Session& s, const SubscriptionRow& r) {
  s.execute(kPutSubscription, {r.id, r.tenant_id, r.user_id, r.customer, r.status, r.plan, r.current_period_end,
                               r.event_created, r.snapshot.dump(), now_micros()});
}

std::vector<SubscriptionRow> MusicStore::subscriptions_of(storage::Session& s, const std::string& tenant_id,
                                                          const std::string& user_id) {
  return all<SubscriptionRow>(s.query(kSubscriptionsOf, {tenant_id, user_id}), subscription_from);
}

void MusicStore::put_order(storage::Session& s, const Order& o) {
  s.execute(kPutOrder, {o.id, o.tenant_id, o.user_id, o.kind, o.status, o.amount, o.currency, o.items.dump(), o.created,
                        now_micros()});
}

std::vector<Order> MusicStore::orders_of(const std::string& tenant_id, const std::string& user_id) {
  return all<Order>(db_.query(kOrdersOf, {tenant_id, user_id}), order_from);
}

// One user's rows.

std::vector<Edit> MusicStore::edits_by_user(const std::string& user_id) {
  return all<Edit>(db_.query(kEditsByUser, {user_id}), edit_from);
}
std::vector<KarmaEntry> MusicStore::karma_of_user(const std::string& user_id) {
  return all<KarmaEntry>(db_.query(kKarmaOfUser, {user_id}), karma_from);
}
std::vector<Notification> MusicStore::notifications_of_user(const std::string& user_id) {
  return all<Notification>(db_.query(kNotificationsOfUser, {user_id}), notification_from);
}
std::vector<Lookup> MusicStore::lookups_of_user(const std::string& user_id) {
  return all<Lookup>(db_.query(kLookupsOfUser, {user_id}), lookup_from);
}
std::vector<SubscriptionRow> MusicStore::subscriptions_of_user(const std::string& user_id) {
  return all<SubscriptionRow>(db_.query(kSubscriptionsOfUser, {user_id}), subscription_from);
}

std::vector<std::string> MusicStore::erase_user(storage::Session& s, const std::string& user_id) {
  std::vector<std::string> objects;
  for (const auto& r : s.query(kEraseLookups, {user_id}).rows) objects.push_back(r.get<std::string>(0));
  for (const auto sql : {kEraseNotifications, kEraseKarma, kEraseMember, kEraseSubscriptions, kEraseOrders,
                         kForgetEditor, kForgetDecider, kForgetSongAuthor, kForgetMapAuthor}) {
    s.execute(sql, {user_id});
  }
  return objects;
}

// JSON forms.

json song_json(const Song& s) {
  return {{"id", s.id},
          {"title", s.title},
          {"artist", s.artist},
          {"bpm", s.bpm ? json(*s.bpm) : json(nullptr)},
          {"duration_s", s.duration_s ? json(*s.duration_s) : json(nullptr)},
          {"object_id", opt(s.object_id)},
          {"fingerprint_hash", opt(s.fingerprint_hash)},
          {"canonical_map_id", opt(s.canonical_map_id)},
          {"status", s.status},
          {"job_id", opt(s.job_id)},
          {"error", s.error},
          {"created_by", opt(s.created_by)},
          {"created_at", format_rfc3339(s.created_at)},
          {"updated_at", format_rfc3339(s.updated_at)}};
}

json lookup_json(const Lookup& l) {
  return {{"id", l.id},
          {"object_id", l.object_id},
          {"job_id", opt(l.job_id)},
          {"status", l.status},
          {"matches", l.matches.is_null() ? json::array() : l.matches},
          {"offer", l.offer},
          {"cached", l.cached},
          {"fingerprint_hash", opt(l.fingerprint_hash)},
          {"error", l.error},
          {"created_at", format_rfc3339(l.created_at)},
          {"completed_at", opt_time(l.completed_at)}};
}

json map_json(const Map& m) {
  return {{"id", m.id},
          {"song_id", m.song_id},
          {"lineage_id", m.lineage_id},
          {"version", m.version},
          {"difficulty", m.difficulty},
          {"state", m.state},
          {"source", m.source},
          {"job_id", opt(m.job_id)},
          {"base_map_id", opt(m.base_map_id)},
          {"edit_id", opt(m.edit_id)},
          {"notes", m.notes},
          {"bpm", m.bpm ? json(*m.bpm) : json(nullptr)},
          {"has_stem", m.stem_object_id.has_value()},
          {"metadata", m.metadata},
          {"error", m.error},
          {"created_by", opt(m.created_by)},
          {"created_at", format_rfc3339(m.created_at)},
          {"updated_at", format_rfc3339(m.updated_at)}};
}

json edit_json(const Edit& e) {
  return {{"id", e.id},
          {"map_id", e.map_id},
          {"lineage_id", e.lineage_id},
          {"base_version", e.base_version},
          {"user_id", opt(e.user_id)},
          {"patch", e.patch},
          {"comment", e.comment},
          {"status", e.status},
          {"applied_patch", e.applied_patch},
          {"conflicts", e.conflicts.is_null() ? json::array() : e.conflicts},
          {"decided_by", opt(e.decided_by)},
          {"decision_comment", opt(e.decision_comment)},
          {"result_map_id", opt(e.result_map_id)},
          {"created_at", format_rfc3339(e.created_at)},
          {"decided_at", opt_time(e.decided_at)}};
}

json karma_json(const KarmaEntry& k) {
  return {{"id", k.id},
          {"delta", k.delta},
          {"reason", k.reason},
          {"edit_id", opt(k.edit_id)},
          {"map_id", opt(k.map_id)},
          {"reverses_id", opt(k.reverses_id)},
          {"created_at", format_rfc3339(k.created_at)}};
}

json notification_json(const Notification& n) {
  return {{"id", n.id},
          {"kind", n.kind},
          {"data", n.data},
          {"read", n.read_at.has_value()},
          {"created_at", format_rfc3339(n.created_at)}};
}

json subscription_json(const SubscriptionRow& r) {
  return {{"id", r.id},
          {"status", r.status},
          {"plan", opt(r.plan)},
          {"current_period_end",
           r.current_period_end ? json(format_rfc3339(*r.current_period_end * 1'000'000)) : json(nullptr)}};
}

json order_json(const Order& o) {
  return {{"id", o.id},
          {"kind", o.kind},
          {"status", o.status},
          {"amount", o.amount ? json(*o.amount) : json(nullptr)},
          {"currency", opt(o.currency)},
          {"items", o.items},
          {"created", format_rfc3339(o.created * 1'000'000)}};
}

}  // namespace tyto::products::music
