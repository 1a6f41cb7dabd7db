#include "music.hpp"

#include "billing_glue.hpp"
#include "catalog_index.hpp"
#include "community.hpp"
#include "routes.hpp"
#include "stages.hpp"
#include "store.hpp"
#include "tyto/api/personal_data.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/periodic.hpp"
#include "tyto/core/time.hpp"
#include "tyto/mail/mailer.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/pipeline/pipeline.hpp"
#if TYTO_MUSIC_ANTIVIRUS
#include "tyto/modules/antivirus.hpp"
#endif

namespace tyto {
std::span<const EmbeddedFile> embedded_music_migrations();
std::span<const EmbeddedFile> embedded_music_pipelines();
std::span<const EmbeddedFile> embedded_music_console();
}  // namespace tyto

namespace tyto::products {

using namespace music;
using nlohmann::json;

namespace {

// A member's lookups, notifications, karma ledger, subscriptions and orders; the fixes they wrote and decided.
class MusicPersonalData final : public api::PersonalData {
 public:
  MusicPersonalData(MusicStore& store, objects::Catalog& objects) : store_(store), objects_(objects) {}
  std::string_view section() const override { return "music"; }

  api::ExportPart export_user(const std::string& user_id) override {
    api::ExportPart part{{{"lookups", json::array()},
                          {"edits", json::array()},
                          {"karma", json::array()},
                          {"notifications", json::array()},
                          {"subscriptions", json::array()}},
                         {}};
    for (const auto& l : store_.lookups_of_user(user_id)) {
      part.data["lookups"].push_back(lookup_json(l));
      part.object_ids.push_back(l.object_id);
    }
    for (const auto& e : store_.edits_by_user(user_id)) part.data["edits"].push_back(edit_json(e));
    for (const auto& k : store_.karma_of_user(user_id)) part.data["karma"].push_back(karma_json(k));
    for (const auto& n : store_.notifications_of_user(user_id))
      part.data["notifications"].push_back(notification_json(n));
    for (const auto& s : store_.subscriptions_of_user(user_id))
      part.data["subscriptions"].push_back(subscription_json(s));
    return part;
  }

  void erase_user(storage::Session& tx, const std::string& user_id, api::AfterCommit& after_commit) override {
    auto objects = store_.erase_user(tx, user_id);
    after_commit.push_back([this, objects = std::move(objects)] {
      for (const auto& id : objects) {
        try {
          if (const auto o = objects_.find_object(id)) objects_.remove_object(o->tenant_id, id);
        } catch (const std::exception& e) {
          log::warn("music: an erased user's upload stays for the retention sweep",
                    {{"object_id", id}, {"error", e.what()}});
        }
      }
    });
  }

 private:
  MusicStore& store_;
  objects::Catalog& objects_;
};

}  // namespace

struct MusicCatalog::State {
  State(Services& s, MusicOptions o, KarmaRules rules)
      : services(s),
        options(std::move(o)),
        store(s.db),
        index(store),
        community(s, store, rules),
        stages(s, store, index, community, options),
        billing(s, store, community, options),
        routes(s, store, stages, community, billing, options),
        personal(store, s.objects) {}
  Services& services;
  MusicOptions options;
  MusicStore store;
  CatalogIndex index;
  Community community;
  MusicStages stages;
  Billing billing;
  Routes routes;
  MusicPersonalData personal;
  std::unique_ptr<PeriodicThread> sweeper;

  // Stems of maps nobody verified go after stem_retention_days; a verified map keeps its stem.
  void sweep_stems() {
    const auto cutoff = now_micros() - std::int64_t{options.stem_retention_days} * 86'400'000'000;
    for (;;) {
      const auto due = store.stems_due(cutoff, 100);
      for (const auto& m : due) {
        services.objects.remove_object(m.tenant_id, *m.stem_object_id);
        store.clear_stem(services.db, m.id);
        log::info("music: deleted the stem of an unverified map", {{"map_id", m.id}});
      }
      if (due.size() < 100) return;
    }
  }
};

MusicCatalog::MusicCatalog() = default;
MusicCatalog::~MusicCatalog() = default;

std::span<const EmbeddedFile> MusicCatalog::migrations() const { return embedded_music_migrations(); }

std::vector<auth::ProductRole> MusicCatalog::roles() const {
  return {{.name = std::string(kFixerRole),
           .description = "Submits fixes to drum maps (earned by karma; see docs/products/music-catalog.md)"},
          {.name = std::string(kVerifierRole),
           .description = "Reviews the fix queue: approves or rejects fixes, verifies generated maps (earned by karma "
                          "or granted)"},
          {.name = std::string(kCuratorRole),
           .description = "Curates the catalog: song details, archiving, canonical maps, reverting fixes"}};
}

std::vector<ComponentOption> MusicCatalog::options() {
  return {{"max_audio_bytes", "integer", 64 << 20, "The largest audio object a lookup or generation reads"},
          {"max_song_seconds", "integer", 900, "The longest recording fingerprinted as a song or mapped"},
          {"stem_retention_days", "integer", 30, "Percussive stems of maps nobody verified are deleted after this"},
          {"sweep_interval_s", "integer", 3600, "How often stems due for deletion are looked for"},
          {"lookups_per_minute", "integer", 20, "Lookups one member may start per minute (cached ones are free)"},
          {"generations_per_minute", "integer", 3, "Map generations one member may start per minute"},
          {"fixer_karma", "integer", -20, "Karma from which a member may submit fixes (the fixer role)"},
          {"verifier_karma", "integer", 50, "Karma that earns the verifier role"},
          {"webhook_secrets", "string", "",
           "Signing secrets of the billing webhook (Stripe's whsec_…), comma-separated, newest first; empty refuses "
           "every webhook",
           true},
          {"lookup_provider_url", "string", "",
           "An AcoustID-shaped lookup service (https://api.acoustid.org/v2/lookup) asked when the catalog recognises "
           "nothing; empty: none. Its address passes the outbound policy"},
          {"lookup_provider_key", "string", "",
           "The lookup provider's application key (give it through the environment)", true},
          {"plans", "string", "",
           "Plans as JSON (docs/products/music-billing.md): prices to quotas; empty: the documented defaults"}};
}

std::vector<pipeline::PipelineFile> MusicCatalog::pipelines() const {
  return pipeline::pipeline_files(embedded_music_pipelines(), "src/products/music/pipelines");
}

std::vector<ConsolePage> MusicCatalog::console_pages() const {
  return {{"music.songs", "Songs", "Music", auth::Role::kViewer, "/console/products/music/songs.js"},
          {"music.queue", "Fix queue", "Music", verifier_role(), "/console/products/music/queue.js"},
          {"music.me", "Karma & billing", "Music", auth::Role::kViewer, "/console/products/music/me.js"}};
}

std::span<const EmbeddedFile> MusicCatalog::console_files() const { return embedded_music_console(); }

std::vector<std::string> MusicCatalog::webhook_events() const {
  return {"music.map.ready",    "music.map.failed",    "music.map.verified", "music.edit.submitted",
          "music.edit.decided", "music.karma.changed", "music.role.changed", "music.subscription.changed"};
}

std::vector<api::PersonalData*> MusicCatalog::personal_data() { return {&state_->personal}; }

void MusicCatalog::install(Services& services, pipeline::StageRegistry& stages, http::Router& router) {
  const auto option = [&](const char* key) { return services.config.option(std::string("products.music.") + key); };
  MusicOptions o;
  o.max_audio_bytes = option("max_audio_bytes").get<std::uint64_t>();
  o.max_song_seconds = option("max_song_seconds").get<double>();
  o.stem_retention_days = option("stem_retention_days").get<int>();
  o.lookups_per_minute = option("lookups_per_minute").get<int>();
  o.generations_per_minute = option("generations_per_minute").get<int>();
  const auto secrets = option("webhook_secrets").get<std::string>();
  for (std::size_t at = 0; at < secrets.size();) {
    const auto comma = std::min(secrets.find(',', at), secrets.size());
    if (comma > at) o.webhook_secrets.push_back(secrets.substr(at, comma - at));
    at = comma + 1;
  }
  o.provider.url = option("lookup_provider_url").get<std::string>();
  o.provider.api_key = option("lookup_provider_key").get<std::string>();
  const auto plans = option("plans").get<std::string>();
  if (!plans.empty()) {
    try {
      o.plans = json::parse(plans);
    } catch (const json::exception& e) {
      throw std::runtime_error(std::string("products.music.plans is not JSON: ") + e.what());
    }
  }
  KarmaRules rules;
  rules.fixer_karma = option("fixer_karma").get<int>();
  rules.verifier_karma = option("verifier_karma").get<int>();
  state_ = std::make_unique<State>(services, o, rules);
  state_->community.set_mail([&mail = services.mail](const std::string& tenant_id, const std::string& to,
                                                     const std::string& subject, const std::string& text) {
    mail.send(tenant_id, mail::Message{.to = {to}, .subject = subject, .text = text});
  });
#if TYTO_MUSIC_ANTIVIRUS
  if (auto* av = services.module<modules::AntivirusModule>()) {
    state_->stages.set_scanner([&scanner = av->scanner()](std::string_view bytes) {
      const auto r = scanner.scan(bytes);
      return ScanVerdict{std::string(antivirus::verdict_name(r.verdict)), r.signature};
    });
  }
#endif
  state_->stages.register_stages(stages);
  state_->billing.register_stages(stages);
  state_->routes.install(router);
  const auto interval = std::chrono::seconds(option("sweep_interval_s").get<std::int64_t>());
  state_->sweeper = std::make_unique<PeriodicThread>("music-sweep", interval, [s = state_.get()] { s->sweep_stems(); });
}

void MusicCatalog::start() {
  if (state_ && state_->sweeper) state_->sweeper->start();
}

void MusicCatalog::stop() {
  if (state_ && state_->sweeper) state_->sweeper->stop();
}

}  // namespace tyto::products
