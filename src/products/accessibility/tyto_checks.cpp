// Tyto's four pixel checks behind the seam (tyto_checks.hpp). Built when checks/ (the library tyto_a11y_checks)
// is in the tree; CMakeLists.txt builds tyto_checks_none.cpp otherwise.
#include "tyto_checks.hpp"

#include "tyto/core/logging.hpp"

namespace tyto::products::accessibility {

std::vector<std::string> run_tyto_checks(const TytoCheckContext& ctx, const CheckDone& done) {
  std::vector<std::string> ran;
  auto run = [&](std::string_view name, const std::function<CheckOutcome()>& check) {
    try {
      done(name, check());
      ran.emplace_back(name);
    } catch (const std::exception& e) {
      log::warn("an accessibility check failed; the scan goes on without it", {{"check", name}, {"error", e.what()}});
    }
  };
  run("contrast_from_pixels", [&] { return contrast_from_pixels(ctx.inputs); });
  if (ctx.ocr) run("text_in_images", [&] { return text_in_images(ctx.inputs, *ctx.ocr); });
  run("visible_focus", [&] { return visible_focus(ctx.inputs); });
  run("reflow", [&] { return reflow(ctx.inputs.page); });
  return ran;
}

}  // namespace tyto::products::accessibility
