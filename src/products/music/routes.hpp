// The music catalog's HTTP API (docs/products/music-catalog.md): songs, lookups and map generation
// (song_routes.cpp); maps, edits, verification and reverts (edit_routes.cpp); karma, notifications and
// billing (account_routes.cpp); the table with schemas and roles (route_table.cpp).
#pragma once

#include "billing_glue.hpp"
#include "catalog_index.hpp"
#include "community.hpp"
#include "stages.hpp"
#include "store.hpp"
#include "tyto/http/router.hpp"
#include "tyto/product.hpp"

namespace tyto::products::music {

class Routes {
 public:
  Routes(Services& services, MusicStore& store, MusicStages& stages, Community& community, Billing& billing,
         const MusicOptions& options);
  void install(http::Router& router);

 private:
  void install_songs(http::Router& router);
  void install_edits(http::Router& router);
  void install_account(http::Router& router);

  // song_routes.cpp
  http::Response lookup(http::Request& req);
  http::Response get_lookup(http::Request& req);
  http::Response create_song(http::Request& req);
  http::Response list_songs(http::Request& req);
  http::Response get_song(http::Request& req);
  http::Response update_song(http::Request& req);
  http::Response generate(http::Request& req);
  http::Response get_map(http::Request& req);
  http::Response map_content(http::Request& req);
  http::Response map_stem(http::Request& req);

  // edit_routes.cpp
  http::Response submit_edit(http::Request& req);
  http::Response map_edits(http::Request& req);
  http::Response list_edits(http::Request& req);
  http::Response get_edit(http::Request& req);
  http::Response decide(http::Request& req);
  http::Response revert(http::Request& req);
  http::Response verify_map(http::Request& req);

  // account_routes.cpp
  http::Response karma(http::Request& req);
  http::Response notifications(http::Request& req);
  http::Response mark_read(http::Request& req);
  http::Response notification_settings(http::Request& req);
  http::Response billing_status(http::Request& req);
  http::Response stripe_webhook(http::Request& req);

  Song song_of(const std::string& tenant_id, std::string_view id);
  Map map_of(const std::string& tenant_id, std::string_view id);
  // The map file of a version, read from the object store.
  nlohmann::json content_of(const Map& m);
  // The next verified version of latest's lineage with its file stored. Outside any transaction: the object
  // catalog writes on its own (on SQLite, inside a write transaction it would wait for itself).
  Map draft_version(const Map& latest, const nlohmann::json& file, const std::string& source,
                    const std::optional<std::string>& edit_id, const auth::Principal& who);
  // In tx: inserts the drafted version, archives `latest` (409 when it is not the newest any more) and moves the
  // song's canonical map along the lineage.
  void publish(storage::Transaction& tx, const Map& latest, const Map& next);
  // Removes a drafted version's file after its transaction failed; never throws.
  void discard(const Map& next);
  // 429 with Retry-After when the user started `per_minute` of these in the last minute.
  void rate_limit(const auth::Principal& who, std::int64_t started_last_minute, int per_minute, std::string_view what);

  Services& s_;
  MusicStore& store_;
  MusicStages& stages_;
  Community& community_;
  Billing& billing_;
  const MusicOptions& options_;
};

}  // namespace tyto::products::music
