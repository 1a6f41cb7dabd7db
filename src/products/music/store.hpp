// The music catalog's rows and the named SQL that keeps them (migrations/). Every query names its tenant,
// except those of one user across tenants (export and erasure) and the retention sweep. Blocking: call from
// handlers on the blocking pool and from stages.
#pragma once

#include "tyto/storage/database.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::products::music {

struct Song {
  std::string id;
  std::string tenant_id;
  std::string title;
  std::string artist;
  std::optional<double> bpm;
  std::optional<double> duration_s;
  std::optional<std::string> object_id;
  std::optional<std::string> fingerprint;  // compressed
  std::optional<std::string> fingerprint_hash;
  std::optional<std::string> canonical_map_id;
  std::string status = "fingerprinting";  // fingerprinting, ready, failed, archived
  std::optional<std::string> job_id;
  nlohmann::json error;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct Fingerprint {
  std::string sha256;
  std::string fingerprint;  // compressed
  std::string fingerprint_hash;
  double duration_s = 0;
  std::string scan = "not_scanned";
};

struct Lookup {
  std::string id;
  std::string tenant_id;
  std::optional<std::string> user_id;
  std::string object_id;
  std::optional<std::string> sha256;
  std::optional<std::string> job_id;
  std::string status = "queued";  // queued, completed, failed
  nlohmann::json matches;         // null until completed
  nlohmann::json offer;
  bool cached = false;
  std::optional<std::int64_t> generation;
  std::optional<std::string> fingerprint_hash;
  nlohmann::json error;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> completed_at;
};

struct Map {
  std::string id;
  std::string tenant_id;
  std::string song_id;
  std::string lineage_id;
  int version = 1;
  std::string difficulty = "expert";
  std::string state = "generating";  // generating, unverified, verified, archived, failed
  std::string source = "generated";  // generated, edit, ported
  std::optional<std::string> object_id;
  std::optional<std::string> stem_object_id;
  std::optional<std::string> job_id;
  std::optional<std::string> base_map_id;
  std::optional<std::string> edit_id;
  int notes = 0;
  std::optional<double> bpm;
  nlohmann::json metadata = nlohmann::json::object();
  nlohmann::json error;
  std::optional<std::string> created_by;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct Edit {
  std::string id;
  std::string tenant_id;
  std::string map_id;
  std::string lineage_id;
  int base_version = 1;
  std::optional<std::string> user_id;
  nlohmann::json patch;
  std::string comment;
  std::string status = "pending";  // pending, approved, rejected, conflict, reverted
  nlohmann::json applied_patch;
  nlohmann::json conflicts;
  std::optional<std::string> decided_by;
  std::optional<std::string> decision_comment;
  std::optional<std::string> result_map_id;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> decided_at;
};

struct KarmaEntry {
  std::string id;
  std::string tenant_id;
  std::string user_id;
  int delta = 0;
  std::string reason;
  std::optional<std::string> edit_id;
  std::optional<std::string> map_id;
  std::optional<std::string> reverses_id;
  std::int64_t created_at = 0;
};

struct Member {
  std::string tenant_id;
  std::string user_id;
  int karma = 0;
  std::vector<std::string> earned_roles;
  bool email_notifications = true;
};

struct Notification {
  std::string id;
  std::string tenant_id;
  std::string user_id;
  std::string kind;
  nlohmann::json data;
  std::optional<std::int64_t> read_at;
  std::int64_t created_at = 0;
};

struct BillingEvent {
  std::string id;
  std::string tenant_id;
  std::string type;
  std::int64_t created = 0;
  nlohmann::json payload;
  std::string status = "received";  // received, processed, ignored, failed
  std::optional<std::string> job_id;
  std::int64_t received_at = 0;
};

struct SubscriptionRow {
  std::string id;
  std::string tenant_id;
  std::string user_id;
  std::optional<std::string> customer;
  std::string status;
  std::optional<std::string> plan;
  std::optional<std::int64_t> current_period_end;
  std::int64_t event_created = 0;
  nlohmann::json snapshot;
};

struct Order {
  std::string id;
  std::string tenant_id;
  std::optional<std::string> user_id;
  std::string kind;
  std::string status;
  std::optional<std::int64_t> amount;
  std::optional<std::string> currency;
  nlohmann::json items = nlohmann::json::array();
  std::int64_t created = 0;
};

class MusicStore {
 public:
  explicit MusicStore(storage::Database& db) : db_(db) {}
  storage::Database& db() { return db_; }

  // Songs.
  void insert_song(storage::Session& s, const Song& song);
  std::optional<Song> song(storage::Session& s, const std::string& tenant_id, const std::string& id);
  // Newest first, ids below `before`; `q` matches title or artist (case-insensitive substring), "" any.
  std::vector<Song> songs(const std::string& tenant_id, const std::string& q, const std::string& status,
                          const std::string& before, int limit);
  void set_song_fingerprint(storage::Session& s, const Song& song);  // fingerprint, hash, duration, status, error
  void set_song_job(storage::Session& s, const std::string& tenant_id, const std::string& id, const std::string& job);
  void set_canonical_map(storage::Session& s, const std::string& tenant_id, const std::string& song_id,
                         const std::optional<std::string>& map_id, std::optional<double> bpm);
  void update_song(storage::Session& s, const Song& song);  // title, artist, status
  // Ready songs of the tenant with their fingerprints (the index), and the catalog's generation: a number that
  // changes whenever a song is added, changed or archived (count and newest update).
  std::vector<Song> indexed_songs(const std::string& tenant_id);
  std::int64_t generation(const std::string& tenant_id);
  std::optional<Song> song_by_hash(const std::string& tenant_id, const std::string& fingerprint_hash);

  // Fingerprints by content.
  std::optional<Fingerprint> fingerprint(const std::string& tenant_id, const std::string& sha256);
  void put_fingerprint(const std::string& tenant_id, const Fingerprint& f);

  // Lookups.
  void insert_lookup(storage::Session& s, const Lookup& l);
  std::optional<Lookup> lookup(storage::Session& s, const std::string& tenant_id, const std::string& id);
  void finish_lookup(storage::Session& s, const Lookup& l);  // status, matches, offer, cached, generation, error
  // A completed lookup of the same fingerprint in this catalog generation, if any.
  std::optional<Lookup> cached_lookup(const std::string& tenant_id, const std::string& fingerprint_hash,
                                      std::int64_t generation);
  // Lookups and generations the user started since `since` (quota and rate counting).
  std::int64_t lookups_since(const std::string& tenant_id, const std::string& user_id, std::int64_t since);
  std::int64_t generations_since(const std::string& tenant_id, const std::string& user_id, std::int64_t since);

  // Maps.
  void insert_map(storage::Session& s, const Map& m);
  std::optional<Map> map(storage::Session& s, const std::string& tenant_id, const std::string& id);
  std::vector<Map> maps_of_song(const std::string& tenant_id, const std::string& song_id);
  std::vector<Map> versions(storage::Session& s, const std::string& lineage_id);  // oldest first
  std::optional<Map> latest_version(storage::Session& s, const std::string& lineage_id);
  // Sets state and object ids, notes, bpm, metadata, error; returns false when the map is not in one of `from`.
  bool update_map(storage::Session& s, const Map& m, std::initializer_list<std::string_view> from);
  // Unverified generated maps older than `cutoff` with a stem still kept (the 30-day retention).
  std::vector<Map> stems_due(std::int64_t cutoff, int limit);
  void clear_stem(storage::Session& s, const std::string& map_id);

  // Edits.
  void insert_edit(storage::Session& s, const Edit& e);
  std::optional<Edit> edit(storage::Session& s, const std::string& tenant_id, const std::string& id);
  std::vector<Edit> edits(const std::string& tenant_id, const std::string& status, const std::string& lineage_id,
                          const std::string& user_id, const std::string& before, int limit);
  bool decide_edit(storage::Session& s, const Edit& e, std::string_view from_status);

  // Karma.
  void insert_karma(storage::Session& s, const KarmaEntry& k);  // duplicates (same user, reason, edit) are kept once
  std::vector<KarmaEntry> karma_entries(storage::Session& s, const std::string& tenant_id, const std::string& user_id,
                                        const std::string& before, int limit);
  std::vector<KarmaEntry> karma_of_edit(storage::Session& s, const std::string& tenant_id, const std::string& edit_id);
  int karma_sum(storage::Session& s, const std::string& tenant_id, const std::string& user_id);
  Member member(storage::Session& s, const std::string& tenant_id, const std::string& user_id);
  void put_member(storage::Session& s, const Member& m);

  // Notifications.
  void insert_notification(storage::Session& s, const Notification& n);
  std::vector<Notification> notifications(const std::string& tenant_id, const std::string& user_id, bool unread_only,
                                          const std::string& before, int limit);
  std::int64_t unread(const std::string& tenant_id, const std::string& user_id);
  std::int64_t mark_read(const std::string& tenant_id, const std::string& user_id,
                         const std::vector<std::string>& ids);  // empty: all

  // Billing.
  bool insert_billing_event(storage::Session& s, const BillingEvent& e);  // false: the id was seen before
  std::optional<BillingEvent> billing_event(storage::Session& s, const std::string& id);
  void set_billing_event_status(storage::Session& s, const std::string& id, std::string_view status,
                                const std::optional<std::string>& job_id);
  std::optional<SubscriptionRow> subscription(storage::Session& s, const std::string& id);
  void put_subscription(storage::Session& s, const SubscriptionRow& r);
  std::vector<SubscriptionRow> subscriptions_of(storage::Session& s, const std::string& tenant_id,
                                                const std::string& user_id);
  void put_order(storage::Session& s, const Order& o);
  std::vector<Order> orders_of(const std::string& tenant_id, const std::string& user_id);

  // One user's rows in every tenant, for export and erasure.
  std::vector<Edit> edits_by_user(const std::string& user_id);
  std::vector<KarmaEntry> karma_of_user(const std::string& user_id);
  std::vector<Notification> notifications_of_user(const std::string& user_id);
  std::vector<Lookup> lookups_of_user(const std::string& user_id);
  std::vector<SubscriptionRow> subscriptions_of_user(const std::string& user_id);
  // Deletes what is the user's own (lookups, notifications, ledger, member row, subscriptions and orders) and
  // anonymises what the community keeps (their edits, the songs and maps they made). Returns object ids of
  // their lookups' uploads.
  std::vector<std::string> erase_user(storage::Session& s, const std::string& user_id);

 private:
  storage::Database& db_;
};

nlohmann::json song_json(const Song& s);
nlohmann::json lookup_json(const Lookup& l);
nlohmann::json map_json(const Map& m);
nlohmann::json edit_json(const Edit& e);
nlohmann::json karma_json(const KarmaEntry& k);
nlohmann::json notification_json(const Notification& n);
nlohmann::json subscription_json(const SubscriptionRow& r);
nlohmann::json order_json(const Order& o);

// Not found (404) unless the id is a UUID; never says whether another tenant has it.
void check_id(std::string_view id, std::string_view what);

}  // namespace tyto::products::music
