// The stage accessibility.scan {scan_id} (or {project_id}, when a project's schedule fires): one scan, in
// steps that share the live page, so one stage (docs/products/accessibility.md, "Pipeline"):
//   render     the page in a fresh browser context through the browser module (every request through the
//              outbound guard), with the scan's viewport and actions; or the uploaded DOM snapshot, offline
//   rules      axe-core injected into the page, every rule unless the scan selects some
//   checks     Tyto's pixel checks (tyto_checks.hpp), each streamed as it finishes
//   aggregate  counts by rule, impact and status, and the score
//   persist    issues (with their evidence crops, sensitive elements masked) as they are found; the summary,
//              the scan.finished event and the webhook a11y.scan_completed at the end
#pragma once

#include "projects.hpp"
#include "scans.hpp"
#include "tyto/events/events.hpp"
#include "tyto/pipeline/stage.hpp"
#include "tyto/product.hpp"

#include <functional>
#include <optional>

namespace tyto::browser {
class Renderer;
}
namespace tyto::vision {
class OcrPool;
}

namespace tyto::products::accessibility {

struct ScanOptions {
  std::int64_t evidence_per_scan = 200;    // evidence crops stored per scan at most (issues beyond get none)
  bool mask_sensitive = true;              // mask password, email, telephone, card inputs and data-tyto-sensitive
  std::int64_t max_dom_bytes = 1'500'000;  // an uploaded DOM snapshot, at most
};

class ScanStage {
 public:
  // renderer and ocr are resolved on first use (the modules start them lazily); ocr may answer nullptr.
  ScanStage(Services& services, ScanStore& scans, ProjectStore& projects, std::function<browser::Renderer&()> renderer,
            std::function<vision::OcrPool*()> ocr, ScanOptions options)
      : s_(services),
        scans_(scans),
        projects_(projects),
        renderer_(std::move(renderer)),
        ocr_(std::move(ocr)),
        options_(options) {}

  void register_stages(pipeline::StageRegistry& stages);
  nlohmann::json scan(pipeline::StageContext& ctx, const nlohmann::json& input);

 private:
  struct Run;
  // The scan a fired schedule runs: made for the project with its settings (the same one on a retry).
  std::string scheduled_scan(pipeline::StageContext& ctx, const std::string& project_id);
  void fail(const Scan& scan, const std::string& error);
  // Runs `change` and commits it with the events, in one transaction.
  void commit(const std::function<void(storage::Session&)>& change, std::vector<events::NewEvent> events);

  Services& s_;
  ScanStore& scans_;
  ProjectStore& projects_;
  std::function<browser::Renderer&()> renderer_;
  std::function<vision::OcrPool*()> ocr_;
  ScanOptions options_;
};

// The score of a scan, 0..100: the weight of the rules that passed over the weight of every rule that applied
// (passed or violated), each weighing by impact: critical 10, serious 7, moderate 3, minor 1; a passed rule
// whose impact axe does not say weighs 3. 100 when no rule applied.
std::int64_t scan_score(const std::vector<std::string>& passed_rules, const std::vector<Issue>& issues);

// An uploaded DOM snapshot as a document the renderer loads offline: a data: URL whose Content-Security-Policy
// allows no request at all (images, styles and fonts only from data: and blob:), scripts included.
std::string offline_document_url(std::string_view html);

}  // namespace tyto::products::accessibility
