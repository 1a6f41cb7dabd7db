#include "stages.hpp"

#include "map_file.hpp"
#include "tyto/audio/decode.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/time.hpp"
#include "tyto/drums/generate.hpp"
#include "tyto/drums/retime.hpp"
#include "tyto/fingerprint/audio.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/webhooks/webhooks.hpp"

#include <fmt/format.h>

#include <cstring>

namespace tyto::products::music {

using nlohmann::json;

namespace {

constexpr int kMapSampleRate = 22050;

// tyto::Error → a stage error: bad media fails for good, a timeout or an outage is retried.
template <class F>
auto as_stage(F&& fn) {
  try {
    return fn();
  } catch (const Error& e) {
    const bool retry = e.code() == ErrorCode::kTimeout || e.code() == ErrorCode::kUnavailable;
    throw pipeline::StageError(std::string(error_code_name(e.code())), e.what(), retry);
  }
}

std::string fingerprint_hash(const std::vector<std::uint32_t>& raw) {
  std::string bytes(raw.size() * 4, '\0');
  for (std::size_t i = 0; i < raw.size(); ++i) {
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((raw[i] >> (8 * b)) & 0xff);
  }
  return sha256_hex(bytes);
}

objects::Object put_bytes(Services& s, const std::string& tenant_id, const std::optional<std::string>& owner,
                          const std::string& key, const std::string& purpose, const std::string& filename,
                          const std::string& type, const std::string& bytes) {
  std::size_t at = 0;
  objects::NewObject spec{tenant_id, owner, purpose, filename, type, 0};
  spec.key = key;
  return s.objects.put_object(spec, [&](char* buf, std::size_t cap) {
    const std::size_t n = std::min(cap, bytes.size() - at);
    std::memcpy(buf, bytes.data() + at, n);
    at += n;
    return n;
  });
}

}  // namespace

MusicStages::MusicStages(Services& services, MusicStore& store, CatalogIndex& index, Community& community,
                         const MusicOptions& options)
    : s_(services), store_(store), index_(index), community_(community), options_(options) {}

void MusicStages::register_stages(pipeline::StageRegistry& stages) {
  const json object_input = {{"type", "object"}};
  stages.add({"music.song_fingerprint",
              "Scans and fingerprints a song's reference recording and adds it to the catalog's index", object_input,
              object_input, [this](pipeline::StageContext& ctx, const json& in) { return song_fingerprint(ctx, in); }});
  stages.add({"music.lookup",
              "Identifies an upload against the catalog: candidates with score and offset, and an offer", object_input,
              object_input, [this](pipeline::StageContext& ctx, const json& in) { return lookup(ctx, in); }});
  stages.add({"music.generate_map",
              "Generates a draft drum map: percussive separation, onsets, tempo and beats, lanes, the beat grid",
              object_input, object_input,
              [this](pipeline::StageContext& ctx, const json& in) { return generate(ctx, in); }});
}

std::string MusicStages::scan(const std::string& bytes) {
  if (!scan_) return "not_scanned";
  const auto v = scan_(bytes);
  if (v.verdict == "infected") {
    throw pipeline::StageError("infected", fmt::format("the audio holds malware ({})", v.signature), false);
  }
  // Fail closed: audio the scanner could not judge is not decoded (retried: the engine may be reloading).
  if (v.verdict == "error") throw pipeline::StageError("scan_failed", "the antivirus could not scan the audio", true);
  return v.verdict;
}

Fingerprint MusicStages::fingerprint_of(pipeline::StageContext& ctx, const std::string& object_id, bool* cached) {
  const auto stat = ctx.artifacts().stat(object_id);
  if (auto f = store_.fingerprint(ctx.tenant_id(), stat.sha256)) {
    *cached = true;
    return *f;
  }
  *cached = false;
  const auto bytes = ctx.artifacts().get(object_id, options_.max_audio_bytes);
  ctx.progress(0.1, "scanning");
  Fingerprint f;
  f.sha256 = stat.sha256;
  f.scan = scan(bytes);
  ctx.progress(0.3, "fingerprinting");
  const auto fp = as_stage([&] {
    fingerprint::FingerprintOptions o;
    o.max_seconds = 0;  // all of it: a snippet of a song may come from anywhere in it
    o.max_decode_seconds = options_.max_song_seconds;
    o.should_stop = [&ctx] { return ctx.cancelled(); };
    return fingerprint::fingerprint_bytes(bytes, o, object_id);
  });
  f.fingerprint = fingerprint::compress_fingerprint(fp.raw);
  f.fingerprint_hash = fingerprint_hash(fp.raw);
  f.duration_s = fp.duration_s > 0 ? fp.duration_s : fp.fingerprinted_s;
  store_.put_fingerprint(ctx.tenant_id(), f);
  return f;
}

json MusicStages::song_fingerprint(pipeline::StageContext& ctx, const json& in) {
  const auto song_id = in.at("song_id").get<std::string>();
  auto song = store_.song(s_.db, ctx.tenant_id(), song_id);
  if (!song) throw pipeline::StageError("not_found", "the song is gone", false);
  try {
    bool cached = false;
    const auto f = fingerprint_of(ctx, *song->object_id, &cached);
    song->fingerprint = f.fingerprint;
    song->fingerprint_hash = f.fingerprint_hash;
    song->duration_s = f.duration_s;
    song->status = "ready";
    song->error = nullptr;
  } catch (const pipeline::StageError& e) {
    if (e.retryable() && !ctx.last_attempt()) throw;
    song->status = "failed";
    song->error = {{"code", e.code()}, {"message", e.what()}};
    store_.set_song_fingerprint(s_.db, *song);
    throw;
  }
  std::vector<events::NewEvent> pending{{ctx.tenant_id(), "music.songs", "song.ready", song_json(*song)}};
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.set_song_fingerprint(*tx, *song);
  s_.events.commit(*tx, pending);
  return {{"song_id", song_id}, {"fingerprint_hash", *song->fingerprint_hash}, {"duration_s", *song->duration_s}};
}

json MusicStages::offer_for(const std::string& tenant_id, const json& matches) {
  if (matches.empty()) return {{"kind", "generate"}, {"reason", "not_recognised"}};
  const auto& best = matches.front();
  const auto song = store_.song(s_.db, tenant_id, best["song_id"].get<std::string>());
  if (!song || !song->canonical_map_id) {
    return {{"kind", "generate"}, {"reason", "no_verified_map"}, {"song_id", best["song_id"]}};
  }
  const auto map = store_.map(s_.db, tenant_id, *song->canonical_map_id);
  if (!map || map->state != "verified") {
    return {{"kind", "generate"}, {"reason", "no_verified_map"}, {"song_id", best["song_id"]}};
  }
  return {{"kind", "map"},
          {"song_id", song->id},
          {"map_id", map->id},
          {"version", map->version},
          {"alignment", best.value("alignment", json::object())}};
}

json MusicStages::lookup(pipeline::StageContext& ctx, const json& in) {
  const auto lookup_id = in.at("lookup_id").get<std::string>();
  auto l = store_.lookup(s_.db, ctx.tenant_id(), lookup_id);
  if (!l) throw pipeline::StageError("not_found", "the lookup is gone", false);
  try {
    bool cached_fp = false;
    const auto f = fingerprint_of(ctx, l->object_id, &cached_fp);
    l->sha256 = f.sha256;
    l->fingerprint_hash = f.fingerprint_hash;
    ctx.progress(0.7, "matching");
    const auto generation = store_.generation(ctx.tenant_id());
    if (auto hit = store_.cached_lookup(ctx.tenant_id(), f.fingerprint_hash, generation); hit && hit->id != l->id) {
      l->matches = hit->matches;
      l->cached = true;
      l->generation = generation;
    } else {
      const auto query = fingerprint::decompress_fingerprint(f.fingerprint);
      auto [found, gen] = index_.match(ctx.tenant_id(), query);
      l->generation = gen;
      l->cached = false;
      l->matches = json::array();
      for (const auto& m : found) {
        const auto song = store_.song(s_.db, ctx.tenant_id(), m.song_id);
        if (!song) continue;
        json match = {{"song_id", song->id},
                      {"title", song->title},
                      {"artist", song->artist},
                      {"score", m.alignment.score},
                      {"offset_s", m.alignment.offset_s}};
        // Where the upload sits against the song's reference recording, tempo included: what a map of the
        // reference needs to play on this upload.
        if (const auto ref = index_.reference(ctx.tenant_id(), song->id)) {
          const auto a = drums::estimate_alignment(*ref, query);
          if (a) {
            match["alignment"] = {{"offset_s", a->offset_s}, {"ratio", a->ratio}, {"score", a->score}};
          }
        }
        if (!match.contains("alignment")) {
          // Same speed: the reference's item `offset` is the upload's item 0.
          match["alignment"] = {{"offset_s", -m.alignment.offset_s}, {"ratio", 1.0}, {"score", m.alignment.score}};
        }
        l->matches.push_back(std::move(match));
      }
    }
    l->offer = offer_for(ctx.tenant_id(), l->matches);
    if (l->matches.empty() && !options_.provider.url.empty()) {
      // Not in the catalog: what the outside world calls it, so the player can add it under its name.
      ctx.progress(0.9, "asking the lookup provider");
      try {
        l->offer["external"] = external_lookup(s_.http_client, options_.provider, f.fingerprint, f.duration_s);
      } catch (const Error& e) {
        log::warn("music: the lookup provider failed", {{"lookup_id", l->id}, {"error", e.what()}});
        l->offer["external_error"] = {{"code", std::string(error_code_name(e.code()))}, {"message", e.what()}};
      }
    }
    l->status = "completed";
  } catch (const pipeline::StageError& e) {
    if (e.retryable() && !ctx.last_attempt()) throw;
    l->status = "failed";
    l->error = {{"code", e.code()}, {"message", e.what()}};
  }
  l->completed_at = now_micros();
  const json data = lookup_json(*l);
  std::vector<events::NewEvent> pending{{ctx.tenant_id(), "music.lookup:" + l->id, "lookup." + l->status, data}};
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  store_.finish_lookup(*tx, *l);
  s_.events.commit(*tx, pending);
  if (l->status == "failed") {
    throw pipeline::StageError(l->error["code"].get<std::string>(), l->error["message"].get<std::string>(), false);
  }
  return {{"lookup_id", l->id}, {"matches", l->matches.size()}, {"cached", l->cached}};
}

void MusicStages::fail_map(const std::string& tenant_id, const std::string& map_id, const std::string& code,
                           const std::string& message) {
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  auto m = store_.map(*tx, tenant_id, map_id);
  if (!m) return;
  m->state = "failed";
  m->error = {{"code", code}, {"message", message}};
  if (!store_.update_map(*tx, *m, {"generating"})) return;
  std::vector<events::NewEvent> pending{{tenant_id, "music.map:" + map_id, "map.failed", map_json(*m)}};
  std::vector<std::function<void()>> mails;
  if (m->created_by) {
    const auto song = store_.song(*tx, tenant_id, m->song_id);
    community_.notify(
        *tx, pending, mails, tenant_id, *m->created_by, "map.failed",
        {{"map_id", m->id}, {"song_id", m->song_id}, {"title", song ? song->title : ""}, {"error", m->error}});
  }
  s_.events.commit(*tx, pending);
  for (auto& send : mails) send();
}

json MusicStages::generate(pipeline::StageContext& ctx, const json& in) {
  const auto map_id = in.at("map_id").get<std::string>();
  auto map = store_.map(s_.db, ctx.tenant_id(), map_id);
  if (!map) throw pipeline::StageError("not_found", "the map is gone", false);
  const auto song = store_.song(s_.db, ctx.tenant_id(), map->song_id);
  if (!song || !song->object_id) throw pipeline::StageError("not_found", "the song has no recording", false);
  if (map->state != "generating") return {{"map_id", map_id}, {"state", map->state}};  // done by an earlier attempt
  try {
    const auto bytes = ctx.artifacts().get(*song->object_id, options_.max_audio_bytes);
    ctx.progress(0.02, "scanning");
    scan(bytes);
    ctx.progress(0.05, "decoding");
    const auto pcm = as_stage([&] {
      audio::DecodeOptions o;
      o.max_bytes = options_.max_audio_bytes;
      o.max_seconds = options_.max_song_seconds;
      o.should_stop = [&ctx] { return ctx.cancelled(); };
      return audio::decode_pcm(bytes, kMapSampleRate, o, *song->object_id);
    });
    drums::GenerateOptions g;
    g.progress = [&ctx](double fraction, std::string_view stage) { ctx.progress(0.1 + 0.8 * fraction, stage); };
    g.should_stop = [&ctx] { return ctx.cancelled(); };
    g.max_seconds = options_.max_song_seconds;
    g.deadline = std::chrono::minutes(10);
    auto generated = as_stage([&] { return drums::generate_map(pcm.samples, kMapSampleRate, g); });
    ctx.check_cancelled();
    ctx.progress(0.92, "storing");
    const json file = map_file(generated.expert, *song, *song->object_id, song->fingerprint_hash.value_or(""));
    const std::string prefix = fmt::format("maps/unverified/{}/{}", song->id, ctx.job_id());
    const auto stored = put_bytes(s_, ctx.tenant_id(), map->created_by, prefix + "/map.json", "document", "map.json",
                                  "application/json", file.dump());
    const auto stem = put_bytes(s_, ctx.tenant_id(), map->created_by, prefix + "/stem.wav", "audio", "stem.wav",
                                "audio/wav", wav_bytes(generated.percussive, kMapSampleRate));
    map->state = "unverified";
    map->object_id = stored.id;
    map->stem_object_id = stem.id;
    map->notes = static_cast<int>(file["notes"].size());
    map->bpm = file["bpm"].get<double>();
    map->metadata["generator"] = file["generator"];
    map->metadata["lanes"] = lane_counts(file);
    map->metadata["uncertain_notes"] = uncertain_count(file);
  } catch (const pipeline::StageError& e) {
    if (e.retryable() && !ctx.last_attempt()) throw;
    fail_map(ctx.tenant_id(), map_id, e.code(), e.what());
    throw;
  }
  std::vector<events::NewEvent> pending{{ctx.tenant_id(), "music.map:" + map_id, "map.ready", map_json(*map)}};
  std::vector<std::function<void()>> mails;
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  if (!store_.update_map(*tx, *map, {"generating"})) return {{"map_id", map_id}, {"state", "changed meanwhile"}};
  if (map->created_by) {
    community_.notify(*tx, pending, mails, ctx.tenant_id(), *map->created_by, "map.ready",
                      {{"map_id", map->id}, {"song_id", song->id}, {"title", song->title}, {"notes", map->notes}});
  } else {
    s_.webhooks.emit(*tx, ctx.tenant_id(), "music.map.ready", map_json(*map), &pending);
  }
  s_.events.commit(*tx, pending);
  for (auto& send : mails) send();
  return {{"map_id", map_id}, {"notes", map->notes}, {"bpm", *map->bpm}};
}

}  // namespace tyto::products::music
