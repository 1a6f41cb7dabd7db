// Maps' edits: fixes as JSON Patches, the verifiers' queue and decisions, verification of generated maps, and
// curators' reverts. Every decision writes the map version, the edit, the karma entries, the notifications, the
// stream events and the webhooks in one transaction.
#include "map_file.hpp"
#include "routes.hpp"
#include "tyto/api/auth_routes.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/json_patch.hpp"
#include "tyto/core/time.hpp"
#include "tyto/http/page.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/webhooks/webhooks.hpp"

#include <fmt/format.h>

#include <cstring>

namespace tyto::products::music {

using nlohmann::json;

namespace {

void refuse_invalid_map(const json& file) {
  const auto problems = map_problems(file);
  if (problems.empty()) return;
  throw Error(ErrorCode::kValidationFailed, "the fix would make an invalid map",
              {{"fields", {{"patch", problems.front()}}}, {"problems", problems}});
}

// What a patch changes in the notes, for the verifiers' diff view: notes only in the result, only in the base,
// and the count of each.
json notes_diff(const json& before, const json& after) {
  const auto key = [](const json& n) {
    return fmt::format("{:.4f}|{}|{:.3f}", n.value("t", 0.0), n.value("lane", ""), n.value("velocity", 0.0));
  };
  std::map<std::string, json> a, b;
  for (const auto& n : before.value("notes", json::array())) a[key(n)] = n;
  for (const auto& n : after.value("notes", json::array())) b[key(n)] = n;
  json added = json::array(), removed = json::array();
  for (const auto& [k, n] : b)
    if (!a.contains(k)) added.push_back(n);
  for (const auto& [k, n] : a)
    if (!b.contains(k)) removed.push_back(n);
  json other = json::array();
  for (const auto& field : {"bpm", "offset_s", "time_signature", "beats"}) {
    if (before.value(field, json()) != after.value(field, json())) other.push_back(field);
  }
  return {{"added", added}, {"removed", removed}, {"fields", other}};
}

}  // namespace

Map Routes::draft_version(const Map& latest, const json& file, const std::string& source,
                          const std::optional<std::string>& edit_id, const auth::Principal& who) {
  Map next;
  next.id = new_uuid_v7();
  next.tenant_id = latest.tenant_id;
  next.song_id = latest.song_id;
  next.lineage_id = latest.lineage_id;
  next.version = latest.version + 1;
  next.difficulty = latest.difficulty;
  next.state = "verified";
  next.source = source;
  next.stem_object_id = latest.stem_object_id;
  next.base_map_id = latest.id;
  next.edit_id = edit_id;
  next.notes = static_cast<int>(file.value("notes", json::array()).size());
  next.bpm = file.value("bpm", 0.0);
  next.metadata = latest.metadata;
  next.metadata["lanes"] = lane_counts(file);
  next.metadata["uncertain_notes"] = uncertain_count(file);
  next.created_by = who.owner_id();
  next.created_at = now_micros();
  const std::string bytes = file.dump();
  std::size_t at = 0;
  objects::NewObject spec{next.tenant_id, std::nullopt, "document", "map.json", "application/json", 0};
  spec.key = fmt::format("maps/verified/{}/{}/map.json", next.song_id, next.id);
  next.object_id = s_.objects
                       .put_object(spec,
                                   [&](char* buf, std::size_t cap) {
                                     const std::size_t n = std::min(cap, bytes.size() - at);
                                     std::memcpy(buf, bytes.data() + at, n);
                                     at += n;
                                     return n;
                                   })
                       .id;
  return next;
}

void Routes::publish(storage::Transaction& tx, const Map& latest, const Map& next) {
  const auto newest = store_.latest_version(tx, latest.lineage_id);
  if (!newest || newest->id != latest.id) {
    throw Error(ErrorCode::kConflict, "the map has a newer version since; decide again", {{"map_id", latest.id}});
  }
  store_.insert_map(tx, next);
  Map archived = latest;
  archived.state = "archived";
  if (!store_.update_map(tx, archived, {"unverified", "verified"})) {
    throw Error(ErrorCode::kConflict, "the map changed meanwhile; try again", {{"map_id", latest.id}});
  }
  const auto song = store_.song(tx, next.tenant_id, next.song_id);
  if (song &&
      (!song->canonical_map_id || *song->canonical_map_id == latest.id ||
       store_.map(tx, next.tenant_id, *song->canonical_map_id).value_or(Map{}).lineage_id == latest.lineage_id)) {
    store_.set_canonical_map(tx, next.tenant_id, next.song_id, next.id, next.bpm);
  }
}

void Routes::discard(const Map& next) {
  try {
    if (next.object_id) s_.objects.remove_object(next.tenant_id, *next.object_id);
  } catch (const std::exception&) {
    // Left for nobody to find but harmless: a file no version names.
  }
}

http::Response Routes::submit_edit(http::Request& req) {
  const auto& who = req.who();
  if (!community_.ensure_fixer(who)) {
    throw Error(ErrorCode::kForbidden, "your karma is too low to submit fixes",
                {{"reason", "karma_below_fixer"}, {"fixer_karma", community_.rules().fixer_karma}});
  }
  const auto base = map_of(who.tenant_id, req.param("id"));
  if (base.state == "generating" || base.state == "failed") {
    throw Error(ErrorCode::kConflict, "the map has no file to fix yet", {{"state", base.state}});
  }
  const json body = req.json();
  const json& patch = body.at("patch");
  if (patch.empty()) {
    throw Error(ErrorCode::kValidationFailed, "a fix changes something",
                {{"fields", {{"patch", "at least one operation"}}}});
  }
  validate_patch(patch, 2000);
  // The fix must apply to the version it was written against and leave a valid map.
  const json result = apply_patch(content_of(base), patch);
  refuse_invalid_map(result);
  Edit e;
  e.id = new_uuid_v7();
  e.tenant_id = who.tenant_id;
  e.map_id = base.id;
  e.lineage_id = base.lineage_id;
  e.base_version = base.version;
  e.user_id = who.owner_id();
  e.patch = patch;
  e.comment = body.value("comment", "");
  e.created_at = now_micros();
  const json data = edit_json(e);
  std::vector<events::NewEvent> pending{{who.tenant_id, "music.edits", "EditSubmitted", data},
                                        {who.tenant_id, "music.map:" + base.id, "EditSubmitted", data}};
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.insert_edit(*tx, e);
  s_.audit.record(*tx, api::audit_entry(req, "music.edit_submit", "edit:" + e.id, {{"map_id", base.id}}));
  s_.webhooks.emit(*tx, who.tenant_id, "music.edit.submitted", data, &pending);
  s_.events.commit(*tx, pending);
  return http::Response::json(data, 201);
}

http::Response Routes::map_edits(http::Request& req) {
  const auto& who = req.who();
  const auto m = map_of(who.tenant_id, req.param("id"));
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const auto rows = store_.edits(who.tenant_id, req.query("status").value_or(""), m.lineage_id, "",
                                 q.cursor.value_or("~"), q.fetch());
  return http::Response::json(http::page_body(q, rows, edit_json, [](const Edit& e) { return e.id; }));
}

http::Response Routes::list_edits(http::Request& req) {
  const auto& who = req.who();
  const auto q = http::page_query(req, 50, 200, [](std::string_view c) { return is_uuid(c); });
  const auto status = req.query("status").value_or("");
  if (!status.empty() && status != "pending" && status != "approved" && status != "rejected" && status != "conflict" &&
      status != "reverted") {
    throw Error(ErrorCode::kValidationFailed, "unknown status",
                {{"fields", {{"status", "pending, approved, rejected, conflict or reverted"}}}});
  }
  const auto rows =
      store_.edits(who.tenant_id, status, "", req.query("user_id").value_or(""), q.cursor.value_or("~"), q.fetch());
  return http::Response::json(http::page_body(q, rows, edit_json, [](const Edit& e) { return e.id; }));
}

http::Response Routes::get_edit(http::Request& req) {
  const auto& who = req.who();
  check_id(req.param("id"), "edit");
  const auto e = store_.edit(s_.db, who.tenant_id, std::string(req.param("id")));
  if (!e) throw Error(ErrorCode::kNotFound, "no such edit", {{"id", std::string(req.param("id"))}});
  json out = edit_json(*e);
  // The diff a verifier reviews: the base version and what the patch makes of it.
  const auto base = store_.map(s_.db, who.tenant_id, e->map_id);
  if (base && base->object_id) {
    const json before = content_of(*base);
    try {
      const json after = apply_patch(before, e->applied_patch.is_null() ? e->patch : e->applied_patch);
      out["diff"] = notes_diff(before, after);
    } catch (const Error&) {
      out["diff"] = nullptr;  // an applied patch was rebased onto a newer version: its diff is against that one
    }
  }
  const auto latest = store_.latest_version(s_.db, e->lineage_id);
  out["latest_version"] = latest ? latest->version : e->base_version;
  return http::Response::json(out);
}

http::Response Routes::decide(http::Request& req) {
  const auto& who = req.who();
  check_id(req.param("id"), "edit");
  const json body = req.json();
  const auto decision = body.at("decision").get<std::string>();
  const auto comment = body.value("comment", "");
  auto e = store_.edit(s_.db, who.tenant_id, std::string(req.param("id")));
  if (!e) throw Error(ErrorCode::kNotFound, "no such edit", {{"id", std::string(req.param("id"))}});
  if (e->status != "pending")
    throw Error(ErrorCode::kConflict, "the edit was decided already", {{"status", e->status}});
  if (e->user_id && *e->user_id == who.owner_id()) {
    throw Error(ErrorCode::kForbidden, "a verifier never decides their own fix", {{"reason", "own_edit"}});
  }
  e->decided_by = who.owner_id();
  e->decision_comment = comment;
  e->decided_at = now_micros();
  // Everything that reads or writes objects happens first, outside the transaction.
  std::optional<Map> latest, next;
  if (decision == "approve") {
    latest = store_.latest_version(s_.db, e->lineage_id);
    const auto base = store_.map(s_.db, who.tenant_id, e->map_id);
    if (!latest || !base) throw Error(ErrorCode::kNotFound, "the edit's map is gone", {{"map_id", e->map_id}});
    const json base_file = content_of(*base);
    json patch = e->patch;
    json current = base_file;
    if (latest->version != e->base_version) {
      // Written against an older version: rebased onto the newest when it touches nothing that changed since.
      current = content_of(*latest);
      const auto rebased = rebase_patch(e->patch, base_file, current);
      if (!rebased.ok) {
        e->status = "conflict";
        e->conflicts = json::array();
        for (const auto& c : rebased.conflicts) e->conflicts.push_back({{"path", c.path}, {"reason", c.reason}});
      } else {
        patch = rebased.patch;
      }
    }
    if (e->status != "conflict") {
      const json result = apply_patch(current, patch);
      refuse_invalid_map(result);
      next = draft_version(*latest, result, "edit", e->id, who);
      e->status = "approved";
      e->applied_patch = patch;
      e->result_map_id = next->id;
    }
  } else if (decision == "reject") {
    e->status = "rejected";
  } else {
    throw Error(ErrorCode::kValidationFailed, "decision is approve or reject",
                {{"fields", {{"decision", "approve or reject"}}}});
  }
  std::vector<events::NewEvent> pending;
  std::vector<std::function<void()>> after_commit;
  const json data = edit_json(*e);
  try {
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    if (!store_.decide_edit(*tx, *e, "pending")) {
      throw Error(ErrorCode::kConflict, "the edit was decided meanwhile", {{"edit_id", e->id}});
    }
    if (next) {
      publish(*tx, *latest, *next);
      pending.push_back({who.tenant_id, "music.map:" + latest->id, "map.version", map_json(*next)});
    }
    if (e->user_id && e->status == "approved") {
      community_.add_karma(*tx, pending, after_commit,
                           {.tenant_id = who.tenant_id,
                            .user_id = *e->user_id,
                            .delta = community_.rules().fix_approved,
                            .reason = "fix_approved",
                            .edit_id = e->id,
                            .map_id = e->result_map_id});
    } else if (e->user_id && e->status == "rejected") {
      community_.add_karma(*tx, pending, after_commit,
                           {.tenant_id = who.tenant_id,
                            .user_id = *e->user_id,
                            .delta = community_.rules().fix_rejected,
                            .reason = "fix_rejected",
                            .edit_id = e->id,
                            .map_id = e->map_id});
    }
    if (e->status != "conflict" && !who.user_id.empty()) {
      community_.add_karma(*tx, pending, after_commit,
                           {.tenant_id = who.tenant_id,
                            .user_id = who.user_id,
                            .delta = community_.rules().verification,
                            .reason = "verification",
                            .edit_id = e->id,
                            .map_id = e->map_id});
    }
    pending.push_back({who.tenant_id, "music.edits", "EditDecided", data});
    if (e->user_id) {
      community_.notify(*tx, pending, after_commit, who.tenant_id, *e->user_id, "edit.decided",
                        {{"edit_id", e->id},
                         {"status", e->status},
                         {"comment", comment},
                         {"result_map_id", e->result_map_id ? json(*e->result_map_id) : json(nullptr)},
                         {"conflicts", e->conflicts}});
    } else {
      s_.webhooks.emit(*tx, who.tenant_id, "music.edit.decided", data, &pending);
    }
    s_.audit.record(*tx, api::audit_entry(req, "music.edit_decide", "edit:" + e->id, {{"status", e->status}}));
    s_.events.commit(*tx, pending);
  } catch (...) {
    if (next) discard(*next);
    throw;
  }
  // A verified map keeps its stem: the retention sweep deletes only unverified ones.
  if (next && next->stem_object_id) s_.objects.set_retention(who.tenant_id, *next->stem_object_id, std::nullopt);
  for (auto& send : after_commit) send();
  return http::Response::json(data);
}

http::Response Routes::revert(http::Request& req) {
  const auto& who = req.who();
  check_id(req.param("id"), "edit");
  const auto comment = req.json().value("comment", "");
  auto e = store_.edit(s_.db, who.tenant_id, std::string(req.param("id")));
  if (!e) throw Error(ErrorCode::kNotFound, "no such edit", {{"id", std::string(req.param("id"))}});
  if (e->status != "approved" || !e->result_map_id) {
    throw Error(ErrorCode::kConflict, "only an approved edit is reverted", {{"status", e->status}});
  }
  const auto latest = store_.latest_version(s_.db, e->lineage_id);
  if (!latest || latest->id != *e->result_map_id) {
    throw Error(ErrorCode::kConflict, "later versions build on this edit: revert those first",
                {{"latest_map_id", latest ? json(latest->id) : json(nullptr)}});
  }
  const auto before = store_.map(s_.db, who.tenant_id, *latest->base_map_id);
  if (!before) throw Error(ErrorCode::kNotFound, "the version before the edit is gone");
  const auto next = draft_version(*latest, content_of(*before), "revert", e->id, who);
  e->status = "reverted";
  e->decision_comment = comment;
  std::vector<events::NewEvent> pending;
  std::vector<std::function<void()>> after_commit;
  const json data = edit_json(*e);
  try {
    auto tx = s_.db.begin(storage::TxMode::kWrite);
    if (!store_.decide_edit(*tx, *e, "approved")) throw Error(ErrorCode::kConflict, "the edit changed meanwhile");
    publish(*tx, *latest, next);
    // The entries the edit earned are reversed by new entries, never deleted.
    community_.reverse_edit(*tx, pending, after_commit, who.tenant_id, e->id);
    pending.push_back({who.tenant_id, "music.edits", "EditReverted", data});
    pending.push_back({who.tenant_id, "music.map:" + latest->id, "map.version", map_json(next)});
    if (e->user_id) {
      community_.notify(*tx, pending, after_commit, who.tenant_id, *e->user_id, "edit.decided",
                        {{"edit_id", e->id}, {"status", "reverted"}, {"comment", comment}});
    }
    s_.audit.record(*tx, api::audit_entry(req, "music.edit_revert", "edit:" + e->id, {{"map_id", next.id}}));
    s_.events.commit(*tx, pending);
  } catch (...) {
    discard(next);
    throw;
  }
  for (auto& send : after_commit) send();
  return http::Response::json({{"edit", data}, {"map", map_json(next)}});
}

http::Response Routes::verify_map(http::Request& req) {
  const auto& who = req.who();
  std::vector<events::NewEvent> pending;
  std::vector<std::function<void()>> after_commit;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  check_id(req.param("id"), "map");
  auto m = store_.map(*tx, who.tenant_id, std::string(req.param("id")));
  if (!m) throw Error(ErrorCode::kNotFound, "no such map", {{"id", std::string(req.param("id"))}});
  if (m->state != "unverified")
    throw Error(ErrorCode::kConflict, "only an unverified map is verified", {{"state", m->state}});
  if (m->created_by && *m->created_by == who.owner_id()) {
    throw Error(ErrorCode::kForbidden, "a verifier never verifies their own map", {{"reason", "own_map"}});
  }
  m->state = "verified";
  m->metadata["verified_by"] = who.owner_id();
  if (!store_.update_map(*tx, *m, {"unverified"})) throw Error(ErrorCode::kConflict, "the map changed meanwhile");
  const auto song = store_.song(*tx, who.tenant_id, m->song_id);
  if (song && !song->canonical_map_id) store_.set_canonical_map(*tx, who.tenant_id, m->song_id, m->id, m->bpm);
  if (!who.user_id.empty()) {
    community_.add_karma(*tx, pending, after_commit,
                         {.tenant_id = who.tenant_id,
                          .user_id = who.user_id,
                          .delta = community_.rules().verification,
                          .reason = "verification",
                          .map_id = m->id});
  }
  if (m->created_by) {
    community_.add_karma(*tx, pending, after_commit,
                         {.tenant_id = who.tenant_id,
                          .user_id = *m->created_by,
                          .delta = community_.rules().generation_verified,
                          .reason = "generation_verified",
                          .map_id = m->id});
  }
  pending.push_back({who.tenant_id, "music.map:" + m->id, "map.verified", map_json(*m)});
  s_.webhooks.emit(*tx, who.tenant_id, "music.map.verified", map_json(*m), &pending);
  s_.audit.record(*tx, api::audit_entry(req, "music.map_verify", "map:" + m->id, {}));
  s_.events.commit(*tx, pending);
  if (m->stem_object_id) s_.objects.set_retention(who.tenant_id, *m->stem_object_id, std::nullopt);
  for (auto& send : after_commit) send();
  return http::Response::json(map_json(*m));
}

}  // namespace tyto::products::music
