#include "captures.hpp"

#include "routes.hpp"
#include "stages.hpp"
#include "store.hpp"
#include "tyto/api/personal_data.hpp"
#include "tyto/auth/audit.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/periodic.hpp"
#include "tyto/core/time.hpp"
#include "tyto/modules/vision.hpp"
#include "tyto/objects/catalog.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <stdexcept>

namespace tyto {
std::span<const EmbeddedFile> embedded_captures_migrations();
std::span<const EmbeddedFile> embedded_captures_pipelines();
std::span<const EmbeddedFile> embedded_captures_console();
}  // namespace tyto

namespace tyto::products {

using namespace captures;
using nlohmann::json;

namespace {

// Everything of a user's captures, and what they did to other users' captures as labeler or tailor.
class CapturesPersonalData final : public api::PersonalData {
 public:
  CapturesPersonalData(CaptureStore& store, objects::Catalog& objects) : store_(store), objects_(objects) {}
  std::string_view section() const override { return "captures"; }

  api::ExportPart export_user(const std::string& user_id) override {
    api::ExportPart part{{{"captures", json::array()},
                          {"labels_made", json::array()},
                          {"batches", json::array()},
                          {"decisions", json::array()}},
                         {}};
    for (const auto& c : store_.captures_of_user(user_id)) {
      json j = capture_json(c);
      j["consent"] = [&] {
        const auto k = store_.consent(store_.db(), c.tenant_id, user_id);
        return json{{"store_images", k.store_images}, {"training", k.training}};
      }();
      j["runs"] = json::array();
      for (const auto& r : store_.runs(store_.db(), c.id)) {
        j["runs"].push_back({{"version", r.version},
                             {"origin", r.origin},
                             {"results", r.results},
                             {"created_at", format_rfc3339(r.created_at)}});
      }
      j["adjustments"] = json::array();
      for (const auto& a : store_.adjustments(store_.db(), c.id)) j["adjustments"].push_back(adjustment_json(a));
      j["labels"] = json::array();
      for (const auto& l : store_.labels(store_.db(), c.id)) j["labels"].push_back(label_json(l));
      j["artifacts"] = json::array();
      for (const auto& a : store_.artifacts(store_.db(), c.id)) {
        j["artifacts"].push_back({{"kind", a.kind}, {"object_id", a.object_id}});
        part.object_ids.push_back(a.object_id);
      }
      for (const auto& [view, id] : c.images.items()) part.object_ids.push_back(id.get<std::string>());
      j["exports"] = json::array();
      for (const auto& e : store_.exports_of_capture(store_.db(), c.id)) {
        j["exports"].push_back(export_json(e));
        part.object_ids.push_back(e.object_id);
      }
      part.data["captures"].push_back(j);
    }
    for (const auto& l : store_.labels_by(user_id)) part.data["labels_made"].push_back(label_json(l));
    for (const auto& b : store_.batches_of_partner(user_id)) part.data["batches"].push_back(batch_json(b, true));
    for (const auto& a : store_.adjustments_decided_by(user_id)) {
      part.data["decisions"].push_back({{"adjustment_id", a.id}, {"capture_id", a.capture_id}, {"status", a.status}});
    }
    return part;
  }

  void erase_user(storage::Session& tx, const std::string& user_id, api::AfterCommit& after_commit) override {
    auto objects = store_.erase_user(tx, user_id);
    after_commit.push_back([this, objects = std::move(objects)] {
      for (const auto& id : objects) {
        try {
          if (const auto o = objects_.find_object(id)) objects_.remove_object(o->tenant_id, id);
        } catch (const std::exception& e) {
          log::warn("captures: an erased user's object stays for the retention sweep",
                    {{"object_id", id}, {"error", e.what()}});
        }
      }
    });
  }

 private:
  CaptureStore& store_;
  objects::Catalog& objects_;
};

}  // namespace

struct Captures::State {
  State(Services& s, vision::ModelRegistry& models, vision::FaceDetector& faces, CaptureOptions options)
      : services(s),
        store(s.db),
        stages(s, store, models, faces),
        routes(s, store, stages, options),
        personal(store, s.objects),
        options(options) {}
  Services& services;
  CaptureStore store;
  CaptureStages stages;
  Routes routes;
  CapturesPersonalData personal;
  CaptureOptions options;
  std::unique_ptr<PeriodicThread> sweeper;

  // Raw photos of users who did not consent to keeping them go image_retention_hours after processing.
  void sweep_images() {
    const auto cutoff = now_micros() - std::int64_t{options.image_retention_hours} * 3'600'000'000;
    for (;;) {
      const auto due = store.images_due(cutoff, 100);
      if (due.empty()) return;
      for (const auto& c : due) {
        for (const auto& [view, id] : c.images.items())
          services.objects.remove_object(c.tenant_id, id.get<std::string>());
        auto tx = services.db.begin(storage::TxMode::kWrite);
        store.set_images(*tx, c.tenant_id, c.id, json::object(), now_micros());
        services.audit.record(*tx, {c.tenant_id,
                                    "system",
                                    "captures.raw_images_delete",
                                    "capture:" + c.id,
                                    "",
                                    "",
                                    {{"photos", c.images.size()}, {"reason", "no consent to keep them"}}});
        tx->commit();
      }
      if (due.size() < 100) return;
    }
  }
};

Captures::Captures() = default;
Captures::~Captures() = default;

std::span<const EmbeddedFile> Captures::migrations() const { return embedded_captures_migrations(); }

std::vector<auth::ProductRole> Captures::roles() const {
  return {
      {.name = std::string(kPartnerRole),
       .description = "Tailors and retail partners: read captures, review and approve edits, export sheets, upload "
                      "measurement batches"},
      {.name = std::string(kLabelerRole), .description = "Labels captures with ground truth and corrects keypoints"}};
}

std::vector<ComponentOption> Captures::options() {
  return {{"max_photo_bytes", "integer", 15 << 20,
           "The largest photo a capture takes (each of front, side, portrait, ref)"},
          {"image_retention_hours", "integer", 24,
           "Raw photos of users who did not consent to keeping them are deleted this long after processing"},
          {"sweep_interval_s", "integer", 300, "How often raw photos due for deletion are looked for"},
          {"max_batch_rows", "integer", 5000, "The most rows a partner's batch may have"},
          {"export_link_ttl_s", "integer", 3600, "How long a signed link to an export works"}};
}

std::vector<pipeline::PipelineFile> Captures::pipelines() const {
  return pipeline::pipeline_files(embedded_captures_pipelines(), "src/products/captures/pipelines");
}

std::vector<ConsolePage> Captures::console_pages() const {
  return {{"captures.capture", "Capture", "Captures", auth::Role::kUser, "/console/products/captures/capture.js"},
          {"captures.list", "My captures", "Captures", auth::Role::kViewer, "/console/products/captures/list.js"},
          {"captures.review", "Review", "Captures", partner_role(), "/console/products/captures/review.js"},
          {"captures.label", "Labelling", "Captures", labeler_role(), "/console/products/captures/label.js"},
          {"captures.partner", "Partner batches", "Captures", partner_role(), "/console/products/captures/partner.js"}};
}

std::span<const EmbeddedFile> Captures::console_files() const { return embedded_captures_console(); }

std::vector<std::string> Captures::webhook_events() const {
  return {"capture.completed", "capture.failed", "capture.edited", "capture.approved", "capture.rejected"};
}

std::vector<api::PersonalData*> Captures::personal_data() { return {&state_->personal}; }

void Captures::install(Services& services, pipeline::StageRegistry& stages, http::Router& router) {
  auto* vision = services.module<modules::VisionModule>();
  if (!vision) throw std::runtime_error("the captures product needs the vision module (modules/vision)");
  const auto option = [&](const char* key) { return services.config.option(std::string("products.captures.") + key); };
  CaptureOptions o;
  o.max_photo_bytes = option("max_photo_bytes").get<std::uint64_t>();
  o.image_retention_hours = option("image_retention_hours").get<int>();
  o.max_batch_rows = option("max_batch_rows").get<std::int64_t>();
  o.export_link_ttl_s = option("export_link_ttl_s").get<std::int64_t>();
  state_ = std::make_unique<State>(services, vision->models(), vision->face_detector(), o);
  state_->stages.register_stages(stages);
  state_->routes.install(router);
  const auto interval = std::chrono::seconds(option("sweep_interval_s").get<std::int64_t>());
  state_->sweeper =
      std::make_unique<PeriodicThread>("captures-sweep", interval, [s = state_.get()] { s->sweep_images(); });
}

void Captures::start() {
  if (state_ && state_->sweeper) state_->sweeper->start();
}

void Captures::stop() {
  if (state_ && state_->sweeper) state_->sweeper->stop();
}

}  // namespace tyto::products
