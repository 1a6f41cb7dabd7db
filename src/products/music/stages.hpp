// The music catalog's pipelines (pipelines/) and their stages:
//   music.song_fingerprint:  a new song's reference recording → scanned, fingerprinted, indexed
//   music.lookup:            an upload → scanned, fingerprinted (once per content), matched → candidates and an offer
//   music.generate_map:      a song's recording → a draft drum map (HPSS, onsets, tempo, lanes, grid) and its stem
//   music.billing_event:     a verified billing webhook event → subscriptions, orders, entitlements
// Each stage is idempotent: a retried job rewrites the same rows.
#pragma once

#include "catalog_index.hpp"
#include "community.hpp"
#include "external_lookup.hpp"
#include "store.hpp"
#include "tyto/pipeline/stage.hpp"
#include "tyto/product.hpp"

#include <functional>

namespace tyto::products::music {

// What the antivirus said of some bytes: "clean", "infected" (with the signature), or "not_scanned" (no
// signature database). Set from the antivirus module when the build has it.
struct ScanVerdict {
  std::string verdict = "not_scanned";
  std::string signature;
};
using ScanFn = std::function<ScanVerdict(std::string_view bytes)>;

struct MusicOptions {
  std::uint64_t max_audio_bytes = 64u << 20;
  double max_song_seconds = 900;             // a reference recording or a song to map
  double max_lookup_seconds = 600;           // an upload to identify
  int stem_retention_days = 30;              // unverified stems are deleted after this unless the map is verified
  int lookups_per_minute = 20;               // per user
  int generations_per_minute = 3;            // per user
  std::vector<std::string> webhook_secrets;  // Stripe-compatible signing secrets, newest first
  ExternalProvider provider;                 // asked when the catalog recognises nothing; url empty: none
  nlohmann::json plans = nlohmann::json::object();
};

class MusicStages {
 public:
  MusicStages(Services& services, MusicStore& store, CatalogIndex& index, Community& community,
              const MusicOptions& options);
  void register_stages(pipeline::StageRegistry& stages);
  void set_scanner(ScanFn scan) { scan_ = std::move(scan); }

  // The offer of a lookup: the verified map of the best match (ported when the upload is another recording of
  // it), or map generation.
  nlohmann::json offer_for(const std::string& tenant_id, const nlohmann::json& matches);

 private:
  nlohmann::json song_fingerprint(pipeline::StageContext& ctx, const nlohmann::json& in);
  nlohmann::json lookup(pipeline::StageContext& ctx, const nlohmann::json& in);
  nlohmann::json generate(pipeline::StageContext& ctx, const nlohmann::json& in);
  nlohmann::json billing(pipeline::StageContext& ctx, const nlohmann::json& in);

  // Scans bytes; infected ones fail the stage for good (code "infected").
  std::string scan(const std::string& bytes);
  // The upload's fingerprint, from the content cache or computed (and cached) now; sets *cached.
  Fingerprint fingerprint_of(pipeline::StageContext& ctx, const std::string& object_id, bool* cached);
  void fail_map(const std::string& tenant_id, const std::string& map_id, const std::string& code,
                const std::string& message);

  Services& s_;
  MusicStore& store_;
  CatalogIndex& index_;
  Community& community_;
  const MusicOptions& options_;
  ScanFn scan_;
};

}  // namespace tyto::products::music
