#include "scan_stage.hpp"

#include "axe.hpp"
#include "evidence.hpp"
#include "tyto/browser/renderer.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/time.hpp"
#include "tyto/vision/image.hpp"
#include "tyto/webhooks/webhooks.hpp"
#include "tyto_checks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <future>
#include <map>
#include <optional>
#include <set>

namespace tyto::products::accessibility {
namespace {

using nlohmann::json;

int impact_weight(const std::string& impact) {
  if (impact == "critical") return 10;
  if (impact == "serious") return 7;
  if (impact == "minor") return 1;
  return 3;
}

json summary_of(const std::vector<Issue>& issues) {
  json by_impact = {{"critical", 0}, {"serious", 0}, {"moderate", 0}, {"minor", 0}};
  json by_rule = json::object(), by_status = {{"violation", 0}, {"needs_review", 0}};
  for (const auto& i : issues) {
    by_impact[i.impact] = by_impact.value(i.impact, 0) + 1;
    by_status[i.status] = by_status.value(i.status, 0) + 1;
    json& r = by_rule[i.rule];
    if (r.is_null()) r = {{"count", 0}, {"impact", i.impact}, {"source", i.source}, {"wcag", i.wcag}};
    r["count"] = r["count"].get<int>() + 1;
    if (impact_weight(i.impact) > impact_weight(r["impact"])) r["impact"] = i.impact;
  }
  return {{"issues", issues.size()}, {"by_impact", by_impact}, {"by_status", by_status}, {"by_rule", by_rule}};
}

std::string percent_encoded(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (unsigned char c : text) {
    // What a URL parser would strip or read specially: controls, space, %, #, and bytes beyond ASCII.
    if (c <= 0x20 || c >= 0x7f || c == '%' || c == '#' || c == '"' || c == '<' || c == '>') {
      out += fmt::format("%{:02X}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

browser::RenderRequest render_request(const Scan& scan, const std::optional<std::string>& dom) {
  json input = {{"url", dom ? offline_document_url(*dom) : scan.url}};
  for (const char* key : {"viewport", "actions", "wait_ms", "cookies", "headers"}) {
    if (scan.request.contains(key) &&
        !(dom && (std::string_view(key) == "cookies" || std::string_view(key) == "headers"))) {
      input[key] = scan.request[key];
    }
  }
  auto r = browser::render_request_from_json(input);
  // axe computes names and roles itself, and the checks ask the live page: neither the AX tree nor the DOM
  // snapshot (computed styles of every node, a large answer) is read.
  r.accessibility = false;
  r.dom = false;
  return r;
}

std::vector<std::string> strings_of(const json& j) {
  std::vector<std::string> out;
  if (j.is_array())
    for (const auto& s : j)
      if (s.is_string()) out.push_back(s.get<std::string>());
  return out;
}

}  // namespace

std::int64_t scan_score(const std::vector<std::string>& passed_rules, const std::vector<Issue>& issues) {
  std::map<std::string, int> failed;  // rule → heaviest impact among its violations
  for (const auto& i : issues) {
    if (i.status != "violation") continue;
    failed[i.rule] = std::max(failed[i.rule], impact_weight(i.impact));
  }
  double pass = 0, fail = 0;
  for (const auto& r : passed_rules)
    if (!failed.count(r)) pass += 3;
  for (const auto& [rule, weight] : failed) fail += weight;
  if (pass + fail == 0) return 100;
  return static_cast<std::int64_t>(std::lround(100 * pass / (pass + fail)));
}

std::string offline_document_url(std::string_view html) {
  constexpr std::string_view kPolicy =
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data: blob:; "
      "style-src 'unsafe-inline' data: blob:; font-src data: blob:; media-src data: blob:\">";
  // After a doctype (before it, the page would render in quirks mode), else first.
  std::size_t at = 0;
  std::size_t start = html.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (start != std::string_view::npos && html.size() - start > 9) {
    std::string head(html.substr(start, 9));
    std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return std::tolower(c); });
    if (head == "<!doctype") {
      const auto end = html.find('>', start);
      if (end != std::string_view::npos) at = end + 1;
    }
  }
  std::string document(html.substr(0, at));
  document += kPolicy;
  document += html.substr(at);
  return "data:text/html;charset=utf-8," + percent_encoded(document);
}

// One scan's run, step by step; the issues so far, numbered as they are found, each persisted and streamed at
// once.
struct ScanStage::Run {
  ScanStage& stage;
  pipeline::StageContext& ctx;
  const Scan& scan;
  const bool upload = scan.request.contains("dom_object_id");
  browser::RenderRequest request;
  std::unique_ptr<browser::Page> page;
  browser::RenderResult render;
  json axe;
  AxeIssues axe_issues;
  std::string screenshot;
  std::vector<IssueBox> sensitive;
  std::optional<Evidence> evidence;
  std::future<double> screenshot_kept;  // keep_screenshot's storing: its milliseconds
  std::vector<Issue> issues;
  json checks = json::object();
  std::int64_t crops = 0;
  // What changed while axe ran before the capture ({mutations, resources, loaded}), when axe ran again for it;
  // null otherwise.
  json axe_changes;
  // The checks that ran on the early capture, before the network was idle (CheckSet::kAsCaptured), when
  // nothing changed by then: streamed after axe's issues, in their order. Empty: the checks run afterwards.
  struct EarlyCheck {
    std::string name;
    CheckOutcome outcome;
    double ms = 0;
  };
  std::optional<std::vector<EarlyCheck>> early;
  // The render's screenshot decoded, when it was captured early and nothing changed after: the checks and the
  // evidence use it rather than decoding it again.
  std::optional<vision::Image> captured;
  // Where the scan's time went, by phase (summary.timings, milliseconds).
  json timings = json::object();
  std::chrono::steady_clock::time_point lap = std::chrono::steady_clock::now();

  void time_phase(const char* name) {
    const auto now = std::chrono::steady_clock::now();
    timings[name] = std::round(std::chrono::duration<double, std::milli>(now - lap).count());
    lap = now;
  }

  void event(const char* type, json data) {
    stage.commit([](storage::Session&) {}, {{scan.tenant_id, scan_topic(scan.id), type, std::move(data)}});
  }

  // render → rules: the page loaded (or the uploaded DOM, offline), captured, axe run in it, the checks that
  // look at the page as captured run early where they can (`early`), the sensitive elements measured. The
  // page stays open for the rest of the checks.
  void render_and_rules() {
    std::optional<std::string> dom;
    if (upload) {
      dom = ctx.artifacts().get(scan.request["dom_object_id"].get<std::string>(),
                                static_cast<std::size_t>(stage.options_.max_dom_bytes));
      screenshot = ctx.artifacts().get(scan.request["screenshot_object_id"].get<std::string>(), 25u << 20);
    }
    request = render_request(scan, dom);
    ctx.progress(0.05, "rendering");
    page = stage.renderer_().open(request);
    time_phase("load_ms");
    ctx.progress(0.3, "running axe-core");
    const AxeSelection selection{strings_of(scan.request.value("tags", json())),
                                 strings_of(scan.request.value("rules", json()))};
    const auto run_axe = [&] { axe = page->evaluate(axe_run_script(selection), std::chrono::seconds(120)); };
    // axe, the capture and the checks that look at the page as captured run while the page's network goes
    // quiet (the wait for network idle, 500 ms by default, passes meanwhile), the page watched for change. A
    // page that changed or loaded anything more by then is captured again once idle and axe and the checks
    // run again, so the results are those of the page as it settled. A scan that asks for a wait runs them
    // after the capture.
    if (request.wait.count() == 0) {
      page->evaluate(watch_changes_script());
      run_axe();
      time_phase("axe_ms");
      render = page->capture_now();
      // The checks cut their pictures of the page as painted from the capture, which the watch vouches for.
      const json nothing_focused =
          page->evaluate("!document.activeElement || document.activeElement === document.body");
      const bool unfocused = nothing_focused.is_boolean() && nothing_focused.get<bool>();
      try {
        captured = vision::decode(render.screenshot_png);
      } catch (const Error&) {
        // the checks photograph the page instead
      }
      time_phase("capture_ms");
      ctx.check_cancelled();
      std::vector<EarlyCheck> found;
      const TytoCheckContext check_ctx{{render, axe, *page, captured ? &*captured : nullptr, unfocused}, stage.ocr_()};
      run_tyto_checks(
          check_ctx,
          [&](std::string_view name, CheckOutcome outcome, double ms) {
            found.push_back({std::string(name), std::move(outcome), ms});
          },
          CheckSet::kAsCaptured);
      time_phase("checks_early_ms");
      render.network_idle = page->wait_for_network_idle();
      time_phase("idle_wait_ms");
      const json changes = page->evaluate(changes_since_watch_script());
      if (render.network_idle && changes.value("mutations", -1) == 0 && changes.value("resources", -1) == 0) {
        early = std::move(found);
      } else {
        axe_changes = changes;
        captured.reset();
        // A page whose network never went quiet (network_idle_timeout passed) is not waited for a second time.
        const bool idle = render.network_idle;
        render = idle ? page->capture() : page->capture_now();
        if (!idle) render.network_idle = false;
        time_phase("capture_again_ms");
        run_axe();
        time_phase("axe_again_ms");
      }
    } else {
      render = page->capture();
      time_phase("capture_ms");
      ctx.check_cancelled();
      run_axe();
      time_phase("axe_ms");
    }
    if (stage.options_.mask_sensitive) {
      for (const auto& b : page->evaluate(sensitive_boxes_script())) {
        sensitive.push_back({b.value("x", 0.0), b.value("y", 0.0), b.value("width", 0.0), b.value("height", 0.0)});
      }
    }
    if (!upload) screenshot = render.screenshot_png;  // a copy: text_in_images reads the render's own
  }

  // The screenshot, masked, kept as the scan's; evidence crops come from it. Throws tyto::Error for bytes that
  // are no image. Its PNG encoding and storing (~0.1 s for a 1280 × 800 page) run on a thread of their own,
  // beside the checks, which mostly wait for Chromium; finish() waits for them.
  void keep_screenshot() {
    if (!upload && captured)
      evidence.emplace(*captured, render.device_scale_factor, sensitive);
    else
      evidence.emplace(screenshot, upload ? 1.0 : render.device_scale_factor, sensitive);
    pipeline::Artifacts& artifacts = ctx.artifacts();
    screenshot_kept = std::async(std::launch::async, [this, &artifacts] {
      const auto started = std::chrono::steady_clock::now();
      const auto shot = artifacts.put({"image", "screenshot.png", "image/png", std::nullopt}, evidence->png());
      stage.commit([&](storage::Session& tx) { stage.scans_.set_screenshot(tx, scan.tenant_id, scan.id, shot.id); },
                   {});
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    });
    time_phase("screenshot_ms");
  }

  void add(std::vector<Issue> found) {
    if (found.empty()) return;
    std::vector<events::NewEvent> events;
    for (auto& issue : found) {
      if (evidence && issue.bbox && crops < stage.options_.evidence_per_scan) {
        if (auto png = evidence->crop(*issue.bbox)) {
          issue.evidence_object_id =
              ctx.artifacts()
                  .put({"image", fmt::format("evidence-{}.png", issues.size() + 1), "image/png", std::nullopt}, *png)
                  .id;
          ++crops;
        }
      }
      issues.push_back(issue);
      json body = issue_json(issue);
      body["seq"] = issues.size();
      events.push_back({scan.tenant_id, scan_topic(scan.id), "issue.found", std::move(body)});
    }
    const auto first = static_cast<std::int64_t>(issues.size() - found.size());
    stage.commit(
        [&](storage::Session& tx) {
          for (std::size_t i = 0; i < found.size(); ++i) {
            stage.scans_.add_issue(tx, scan.tenant_id, scan.id, first + static_cast<std::int64_t>(i) + 1,
                                   issues[first + i]);
          }
        },
        std::move(events));
  }

  // axe's issues first, then each of Tyto's checks as it finishes.
  void rules_and_checks() {
    axe_issues = issues_from_axe(axe);
    add(std::move(axe_issues.issues));
    event("check.finished", {{"check", "axe"}, {"issues", issues.size()}, {"passes", axe_issues.passed_rules.size()}});
    time_phase("axe_issues_ms");
    ctx.progress(0.6, "Tyto's checks");
    const TytoCheckContext check_ctx{{render, axe, *page}, stage.ocr_()};
    // Each check's own time (persisting its issues left out), in the summary: where a scan's time goes.
    const CheckDone stream = [&](std::string_view name, CheckOutcome outcome, double ms) {
      const auto n = outcome.issues.size();
      add(std::move(outcome.issues));
      checks[std::string(name)] = {{"issues", n}, {"passes", outcome.passes}, {"duration_ms", std::round(ms)}};
      event("check.finished", {{"check", name}, {"issues", n}, {"passes", outcome.passes}});
    };
    std::vector<std::string> ran;
    if (early) {
      for (auto& check : *early)
        if (report_check(stream, check.name, std::move(check.outcome), check.ms)) ran.push_back(check.name);
      for (auto& name : run_tyto_checks(check_ctx, stream, CheckSet::kReflow)) ran.push_back(std::move(name));
    } else {
      ran = run_tyto_checks(check_ctx, stream);
    }
    // Without the pixel check, the nodes axe could not decide stay for a person to review.
    if (std::find(ran.begin(), ran.end(), "contrast_from_pixels") == ran.end()) {
      add(std::move(axe_issues.contrast_incomplete));
    }
    page.reset();  // the browser goes back to the pool
    time_phase("checks_ms");
  }

  // aggregate → persist: the summary and score, scan.summary and scan.finished, then the webhook.
  json finish() {
    timings["screenshot_stored_ms"] = std::round(screenshot_kept.get());  // its errors are the scan's
    json summary = summary_of(issues);
    const auto score = scan_score(axe_issues.passed_rules, issues);
    summary["score"] = score;
    summary["axe"] = {{"version", axe.value("version", std::string(axe_version()))},
                      {"rules_run", axe.value("rules_run", 0)},
                      {"passed_rules", axe_issues.passed_rules.size()},
                      {"inapplicable_rules", axe.value("inapplicable", 0)},
                      {"unknown_rules", axe.value("unknown_rules", json::array())},
                      {"reruns", axe_changes.is_null() ? 0 : 1}};
    if (!axe_changes.is_null()) summary["axe"]["changed"] = axe_changes;
    summary["checks"] = checks;
    summary["timings"] = timings;
    json refused = json::array();
    for (const auto& r : render.refused) refused.push_back(browser::to_json(r));
    summary["refused"] = refused;
    summary["masked"] = evidence->masked();
    summary["page"] = {{"title", render.title},
                       {"final_url", upload ? scan.url : render.final_url},
                       {"status", render.status},
                       {"network_idle", render.network_idle}};
    const auto count = static_cast<std::int64_t>(issues.size());
    const auto& tenant = scan.tenant_id;
    auto tx = stage.s_.db.begin(storage::TxMode::kWrite);
    stage.scans_.finish(*tx, tenant, scan.id, true, score, summary, count, std::nullopt);
    const auto done = stage.scans_.get(*tx, tenant, scan.id);
    stage.s_.events.commit(*tx, {{tenant, scan_topic(scan.id), "scan.summary", summary},
                                 {tenant, scan_topic(scan.id), "scan.finished", scan_json(*done)}});
    stage.s_.webhooks.emit(stage.s_.db, tenant, "a11y.scan_completed",
                           {{"scan_id", scan.id},
                            {"project_id", scan.project_id ? json(*scan.project_id) : json(nullptr)},
                            {"url", scan.url},
                            {"score", score},
                            {"issues", count},
                            {"by_impact", summary["by_impact"]}});
    return {{"scan_id", scan.id}, {"issues", count}, {"score", score}};
  }
};

void ScanStage::commit(const std::function<void(storage::Session&)>& change, std::vector<events::NewEvent> events) {
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  change(*tx);
  s_.events.commit(*tx, events);
}

void ScanStage::register_stages(pipeline::StageRegistry& stages) {
  stages.add({"accessibility.scan",
              "Renders a page (or an uploaded DOM snapshot), runs axe-core and Tyto's pixel checks, and keeps the "
              "issues with their evidence",
              {{"type", "object"},
               {"additionalProperties", false},
               {"properties", {{"scan_id", {{"type", "string"}}}, {"project_id", {{"type", "string"}}}}}},
              {{"type", "object"}},
              [this](pipeline::StageContext& ctx, const json& input) { return scan(ctx, input); }});
}

std::string ScanStage::scheduled_scan(pipeline::StageContext& ctx, const std::string& project_id) {
  const auto project = project_id.empty() ? std::nullopt : projects_.get(ctx.tenant_id(), project_id);
  if (!project) throw pipeline::StageError("not_found", "neither a scan nor a project to scan", false);
  if (const auto existing = scans_.of_job(ctx.tenant_id(), ctx.job_id())) return existing->id;
  Scan s;
  s.id = new_uuid_v7();
  s.tenant_id = ctx.tenant_id();
  s.project_id = project->id;
  s.url = project->url;
  s.request = project->settings;
  s.request["url"] = project->url;
  s.request["project_id"] = project->id;
  s.created_at = now_micros();
  auto tx = s_.db.begin(storage::TxMode::kWrite);
  scans_.insert(*tx, s);
  scans_.set_job(*tx, s.tenant_id, s.id, ctx.job_id());
  tx->commit();
  return s.id;
}

void ScanStage::fail(const Scan& scan, const std::string& error) {
  commit(
      [&](storage::Session& tx) { scans_.finish(tx, scan.tenant_id, scan.id, false, std::nullopt, nullptr, 0, error); },
      {});
  if (const auto now = scans_.get(scan.tenant_id, scan.id)) {
    commit([](storage::Session&) {}, {{scan.tenant_id, scan_topic(scan.id), "scan.finished", scan_json(*now)}});
  }
}

json ScanStage::scan(pipeline::StageContext& ctx, const json& input) {
  const std::string& tenant = ctx.tenant_id();
  std::string scan_id = input.value("scan_id", std::string());
  if (scan_id.empty()) scan_id = scheduled_scan(ctx, input.value("project_id", std::string()));
  const auto found = scans_.get(tenant, scan_id);
  if (!found) throw pipeline::StageError("not_found", "the scan is gone", false);
  const Scan& scan = *found;
  commit(
      [&](storage::Session& tx) {
        scans_.clear_issues(tx, tenant, scan_id);  // what an earlier attempt left
        scans_.set_running(tx, tenant, scan_id);
      },
      {{tenant, scan_topic(scan_id), "scan.running", {{"id", scan_id}, {"url", scan.url}, {"status", "running"}}}});

  Run run{*this, ctx, scan};
  try {
    run.render_and_rules();
  } catch (const Error& e) {
    const bool retryable = e.code() == ErrorCode::kUnavailable || e.code() == ErrorCode::kTimeout;
    if (!retryable || ctx.last_attempt()) fail(scan, e.what());
    throw pipeline::StageError(std::string(error_code_name(e.code())), e.what(), retryable);
  } catch (const pipeline::StageError& e) {
    if (!e.retryable() || ctx.last_attempt()) fail(scan, e.what());
    throw;
  }
  try {
    run.keep_screenshot();
  } catch (const Error& e) {
    if (!run.upload) throw pipeline::StageError("bad_screenshot", e.what(), true);
    fail(scan, std::string("the uploaded screenshot is no image: ") + e.what());
    throw pipeline::StageError("invalid_screenshot", e.what(), false);
  }
  run.rules_and_checks();
  return run.finish();
}

}  // namespace tyto::products::accessibility
