// Tyto's four pixel checks behind the seam (tyto_checks.hpp). Built when checks/ (the library tyto_a11y_checks)
// is in the tree; CMakeLists.txt builds tyto_checks_none.cpp otherwise.
#include "tyto_checks.hpp"

#include "tyto/core/logging.hpp"

#include <chrono>
#include <future>
#include <optional>

namespace tyto::products::accessibility {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void warn(std::string_view check, const std::exception& e) {
  log::warn("an accessibility check failed; the scan goes on without it", {{"check", check}, {"error", e.what()}});
}

}  // namespace

std::vector<std::string> run_tyto_checks(const TytoCheckContext& ctx, const CheckDone& done, CheckSet which) {
  std::vector<std::string> ran;
  const auto report = [&](std::string_view name, CheckOutcome outcome, double ms) {
    if (report_check(done, name, std::move(outcome), ms)) ran.emplace_back(name);
  };
  const auto attempt = [&](std::string_view name, const auto& check) -> std::optional<std::pair<CheckOutcome, double>> {
    const auto started = Clock::now();
    try {
      CheckOutcome outcome = check();
      return std::pair{std::move(outcome), ms_since(started)};
    } catch (const std::exception& e) {
      warn(name, e);
      return std::nullopt;
    }
  };
  const auto run = [&](std::string_view name, const auto& check) {
    if (auto result = attempt(name, check)) report(name, std::move(result->first), result->second);
  };
  const CheckInputs& in = ctx.inputs;
  if (which == CheckSet::kReflow) {
    run("reflow", [&] { return reflow(in.page); });
    return ran;
  }
  run("contrast_from_pixels", [&] { return contrast_from_pixels(in); });

  // text_in_images reads its elements from the page, then OCRs their pixels on a thread of its own while the
  // page serves visible_focus: Tesseract's time no longer adds to the scan's. Both are reported in this order.
  nlohmann::json images;
  std::future<std::pair<CheckOutcome, double>> reading;
  const auto images_started = Clock::now();
  if (ctx.ocr) {
    try {
      images = image_elements(in.page);
      reading = std::async(std::launch::async, [&] {
        CheckOutcome outcome = text_in_images(in.render, images, *ctx.ocr, in.captured);
        return std::pair{std::move(outcome), ms_since(images_started)};
      });
    } catch (const std::exception& e) {
      warn("text_in_images", e);
    }
  }
  auto focus = attempt("visible_focus", [&] { return visible_focus(in); });
  if (reading.valid()) {
    try {
      auto [outcome, ms] = reading.get();
      report("text_in_images", std::move(outcome), ms);
    } catch (const std::exception& e) {
      warn("text_in_images", e);
    }
  }
  if (focus) report("visible_focus", std::move(focus->first), focus->second);
  if (which == CheckSet::kAll) run("reflow", [&] { return reflow(in.page); });
  return ran;
}

}  // namespace tyto::products::accessibility
