// The music catalog's route table: the paths of the design document under /api/v1, each with its role, schemas
// and limits (the OpenAPI document is made from these), and its streams.
#include "routes.hpp"
#include "tyto/api/streams.hpp"
#include "tyto/core/error.hpp"
#include "tyto/http/page.hpp"

namespace tyto::products::music {
namespace {

using http::Method;
using nlohmann::json;

constexpr const char* kSongs = "music songs";
constexpr const char* kMaps = "music maps";
constexpr const char* kCommunity = "music community";
constexpr const char* kBilling = "music billing";

json string_field(int max) { return {{"type", "string"}, {"minLength", 1}, {"maxLength", max}}; }

json song_schema() {
  return {{"type", "object"},
          {"required", {"id", "title", "artist", "status"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"title", {{"type", "string"}}},
            {"artist", {{"type", "string"}}},
            {"bpm", {{"type", {"number", "null"}}}},
            {"status", {{"type", "string"}, {"enum", {"fingerprinting", "ready", "failed", "archived"}}}},
            {"canonical_map_id", {{"type", {"string", "null"}}}}}}};
}

json map_schema() {
  return {{"type", "object"},
          {"required", {"id", "song_id", "version", "state"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"song_id", {{"type", "string"}}},
            {"lineage_id", {{"type", "string"}}},
            {"version", {{"type", "integer"}}},
            {"difficulty", {{"type", "string"}}},
            {"state", {{"type", "string"}, {"enum", {"generating", "unverified", "verified", "archived", "failed"}}}},
            {"notes", {{"type", "integer"}}}}}};
}

json lookup_schema() {
  return {{"type", "object"},
          {"required", {"id", "status"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"status", {{"type", "string"}, {"enum", {"queued", "completed", "failed"}}}},
            {"matches",
             {{"type", "array"},
              {"items",
               {{"type", "object"},
                {"properties",
                 {{"song_id", {{"type", "string"}}},
                  {"score", {{"type", "number"}}},
                  {"offset_s", {{"type", "number"}}},
                  {"alignment", {{"type", "object"}}}}}}}}},
            {"offer", {{"type", {"object", "null"}}}},
            {"cached", {{"type", "boolean"}}}}}};
}

json edit_schema() {
  return {{"type", "object"},
          {"required", {"id", "map_id", "status", "patch"}},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"map_id", {{"type", "string"}}},
            {"base_version", {{"type", "integer"}}},
            {"status", {{"type", "string"}, {"enum", {"pending", "approved", "rejected", "conflict", "reverted"}}}},
            {"patch", {{"type", "array"}}},
            {"comment", {{"type", "string"}}}}}};
}

}  // namespace

Routes::Routes(Services& services, MusicStore& store, MusicStages& stages, Community& community, Billing& billing,
               const MusicOptions& options)
    : s_(services), store_(store), stages_(stages), community_(community), billing_(billing), options_(options) {}

void Routes::install(http::Router& router) {
  install_songs(router);
  install_edits(router);
  install_account(router);
}

void Routes::install_songs(http::Router& router) {
  router.add(
      Method::kPost, "/api/v1/songs/lookup", [this](http::Request& r) { return lookup(r); },
      {.summary = "Identify an uploaded recording (or a 10-second snippet): 202 {lookup_id, job_id}, or 200 with "
                  "the matches when the same audio was identified before in this catalog",
       .tag = kSongs,
       .request_schema = {{"type", "object"},
                          {"required", {"object_id"}},
                          {"additionalProperties", false},
                          {"properties", {{"object_id", string_field(64)}}}},
       .response_schema = lookup_schema(),
       .success_status = 202},
      {.max_body_bytes = 4096, .role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/songs/lookups/{id}", [this](http::Request& r) { return get_lookup(r); },
             {.summary = "A lookup: candidate songs with score and offset, and the offer (a verified map, ported to "
                         "the upload, or map generation)",
              .tag = kSongs,
              .response_schema = lookup_schema()});
  router.add(Method::kPost, "/api/v1/songs", [this](http::Request& r) { return create_song(r); },
             {.summary = "Add a song from its reference recording (an audio upload): 202, fingerprinted by a job",
              .tag = kSongs,
              .request_schema =
                  {{"type", "object"},
                   {"required", {"title", "artist", "object_id"}},
                   {"additionalProperties", false},
                   {"properties",
                    {{"title", string_field(300)}, {"artist", string_field(300)}, {"object_id", string_field(64)}}}},
              .response_schema = song_schema(),
              .success_status = 202},
             {.max_body_bytes = 8192, .role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/songs", [this](http::Request& r) { return list_songs(r); },
             {.summary = "Songs of the catalog, newest first; ?q= searches title and artist, ?status=",
              .tag = kSongs,
              .response_schema = http::page_schema(song_schema())});
  router.add(Method::kGet, "/api/v1/songs/{id}", [this](http::Request& r) { return get_song(r); },
             {.summary = "A song with its maps (the newest version of each)",
              .tag = kSongs,
              .response_schema = song_schema()});
  router.add(Method::kPatch, "/api/v1/songs/{id}", [this](http::Request& r) { return update_song(r); },
             {.summary = "Curate a song: title, artist, archive or restore, the canonical (default) map",
              .tag = kSongs,
              .request_schema = {{"type", "object"},
                                 {"additionalProperties", false},
                                 {"properties",
                                  {{"title", string_field(300)},
                                   {"artist", string_field(300)},
                                   {"status", {{"type", "string"}, {"enum", {"ready", "archived"}}}},
                                   {"canonical_map_id", string_field(64)}}}},
              .response_schema = song_schema()},
             {.max_body_bytes = 8192, .role = curator_role()});
  router.add(Method::kPost, "/api/v1/songs/{id}/maps/generate", [this](http::Request& r) { return generate(r); },
             {.summary = "Generate a draft drum map from the song's recording: 202 {job_id, map_id}; progress on the "
                         "job's stream",
              .tag = kMaps,
              .request_schema = {{"type", "object"}, {"additionalProperties", false}, {"properties", json::object()}},
              .response_schema = {{"type", "object"},
                                  {"properties",
                                   {{"job_id", {{"type", "string"}}},
                                    {"map_id", {{"type", "string"}}},
                                    {"state", {{"type", "string"}}}}}},
              .success_status = 202,
              .request_body_optional = true},
             {.max_body_bytes = 1024, .role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/maps/{id}", [this](http::Request& r) { return get_map(r); },
             {.summary = "A map version: state, version, metadata, and every version of its lineage",
              .tag = kMaps,
              .response_schema = map_schema()});
  router.add(Method::kGet, "/api/v1/maps/{id}/content", [this](http::Request& r) { return map_content(r); },
             {.summary = "The map file (format tyto.drum_map): ?difficulty=expert|hard|medium|easy, ?lookup_id= "
                         "retimes it onto the recording that lookup identified",
              .tag = kMaps,
              .response_schema = {{"type", "object"}, {"required", {"format", "version", "notes"}}}});
  router.add(
      Method::kGet, "/api/v1/maps/{id}/stem", [this](http::Request& r) { return map_stem(r); },
      {.summary = "A signed link to the percussive stem the map was generated from",
       .tag = kMaps,
       .response_schema = {{"type", "object"},
                           {"properties", {{"url", {{"type", "string"}}}, {"expires_at", {{"type", "string"}}}}}}});
  router.add(
      Method::kPost, "/api/v1/maps/{id}/verify", [this](http::Request& r) { return verify_map(r); },
      {.summary = "Verify a generated map as it is (verifiers)",
       .tag = kMaps,
       .request_schema = {{"type", "object"}, {"properties", {{"comment", {{"type", "string"}, {"maxLength", 2000}}}}}},
       .response_schema = map_schema(),
       .request_body_optional = true},
      {.max_body_bytes = 8192, .role = verifier_role()});
  // A map's state changes (ready, failed, new versions, edits submitted) as they happen.
  s_.streams.add(router, {.sse_path = "/api/v1/maps/{id}/events",
                          .websocket_path = "/ws/music/maps/{id}",
                          .resolve =
                              [this](const http::Request& req) {
                                const auto m = map_of(req.who().tenant_id, req.param("id"));
                                return api::StreamSource{req.who().tenant_id, "music.map:" + m.id, map_json(m), {}};
                              },
                          .what = "a map",
                          .tag = kMaps});
}

void Routes::install_edits(http::Router& router) {
  router.add(Method::kPost, "/api/v1/maps/{id}/edits", [this](http::Request& r) { return submit_edit(r); },
             {.summary = "Submit a fix: a JSON Patch (RFC 6902) against this map version, with a comment; stored "
                         "pending for verifiers (fixers: earned by karma)",
              .tag = kMaps,
              .request_schema = {{"type", "object"},
                                 {"required", {"patch"}},
                                 {"additionalProperties", false},
                                 {"properties",
                                  {{"patch", {{"type", "array"}, {"maxItems", 2000}}},
                                   {"comment", {{"type", "string"}, {"maxLength", 4000}}}}}},
              .response_schema = edit_schema(),
              .success_status = 201},
             {.max_body_bytes = 1u << 20, .role = auth::Role::kUser});
  router.add(Method::kGet, "/api/v1/maps/{id}/edits", [this](http::Request& r) { return map_edits(r); },
             {.summary = "The fixes of a map (every version of it), newest first; ?status=",
              .tag = kMaps,
              .response_schema = http::page_schema(edit_schema())});
  router.add(Method::kGet, "/api/v1/edits", [this](http::Request& r) { return list_edits(r); },
             {.summary = "The verifiers' queue: fixes, newest first; ?status=pending, ?user_id=",
              .tag = kMaps,
              .response_schema = http::page_schema(edit_schema())},
             {.role = verifier_role()});
  router.add(Method::kGet, "/api/v1/edits/{id}", [this](http::Request& r) { return get_edit(r); },
             {.summary = "A fix with its diff against the version it was written for (notes added, removed)",
              .tag = kMaps,
              .response_schema = edit_schema()},
             {.role = verifier_role()});
  router.add(Method::kPost, "/api/v1/edits/{id}/decision", [this](http::Request& r) { return decide(r); },
             {.summary = "Approve (publishes the next map version, rebased when the map moved on) or reject a fix",
              .tag = kMaps,
              .request_schema = {{"type", "object"},
                                 {"required", {"decision"}},
                                 {"additionalProperties", false},
                                 {"properties",
                                  {{"decision", {{"type", "string"}, {"enum", {"approve", "reject"}}}},
                                   {"comment", {{"type", "string"}, {"maxLength", 4000}}}}}},
              .response_schema = edit_schema()},
             {.max_body_bytes = 8192, .role = verifier_role()});
  router.add(
      Method::kPost, "/api/v1/edits/{id}/revert", [this](http::Request& r) { return revert(r); },
      {.summary = "Revert an approved fix (curators): a new version with the content before it, and karma "
                  "reversal entries",
       .tag = kMaps,
       .request_schema = {{"type", "object"}, {"properties", {{"comment", {{"type", "string"}, {"maxLength", 4000}}}}}},
       .response_schema = {{"type", "object"}},
       .request_body_optional = true},
      {.max_body_bytes = 8192, .role = curator_role()});
}

void Routes::install_account(http::Router& router) {
  router.add(Method::kGet, "/api/v1/users/{id}/karma", [this](http::Request& r) { return karma(r); },
             {.summary = "A member's karma, roles, and ledger (newest first); {id} may be me",
              .tag = kCommunity,
              .response_schema = http::page_schema(json{{"type", "object"}})});
  router.add(Method::kGet, "/api/v1/notifications", [this](http::Request& r) { return notifications(r); },
             {.summary = "The caller's notifications, newest first, with the unread count; ?unread=true",
              .tag = kCommunity,
              .response_schema = http::page_schema(json{{"type", "object"}})});
  router.add(Method::kPost, "/api/v1/notifications/read", [this](http::Request& r) { return mark_read(r); },
             {.summary = "Mark notifications read: {ids} or all of them",
              .tag = kCommunity,
              .request_schema = {{"type", "object"}, {"properties", {{"ids", {{"type", "array"}, {"maxItems", 500}}}}}},
              .response_schema = {{"type", "object"}},
              .request_body_optional = true},
             {.max_body_bytes = 65536});
  router.add(Method::kPut, "/api/v1/notifications/settings",
             [this](http::Request& r) { return notification_settings(r); },
             {.summary = "Whether notifications also come by e-mail",
              .tag = kCommunity,
              .request_schema = {{"type", "object"},
                                 {"required", {"email"}},
                                 {"additionalProperties", false},
                                 {"properties", {{"email", {{"type", "boolean"}}}}}},
              .response_schema = {{"type", "object"}}},
             {.max_body_bytes = 1024});
  s_.streams.add(router, {.sse_path = "/api/v1/notifications/events",
                          .websocket_path = "/ws/notifications",
                          .resolve =
                              [this](const http::Request& req) {
                                const auto& who = req.who();
                                // The snapshot: how many are unread now, so a badge is right before the first event.
                                return api::StreamSource{who.tenant_id,
                                                         Community::topic(who.owner_id()),
                                                         json{{"unread", store_.unread(who.tenant_id, who.owner_id())}},
                                                         {}};
                              },
                          .what = "the caller's notifications",
                          .tag = kCommunity});
  router.add(Method::kGet, "/api/v1/billing", [this](http::Request& r) { return billing_status(r); },
             {.summary = "The caller's plan, entitlements, usage, subscriptions and orders",
              .tag = kBilling,
              .response_schema = {{"type", "object"}}});
  router.add(Method::kPost, "/api/v1/billing/stripe/webhook", [this](http::Request& r) { return stripe_webhook(r); },
             {.summary = "Stripe-compatible webhook: Stripe-Signature verified over the raw body, each event kept "
                         "once and processed by a job",
              .tag = kBilling,
              .response_schema = {{"type", "object"}}},
             {.max_body_bytes = 512u << 10, .public_route = true});
}

}  // namespace tyto::products::music
