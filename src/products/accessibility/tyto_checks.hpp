// The seam between the scan and Tyto's own checks (checks/checks.hpp): the scan calls run_tyto_checks after
// axe, and streams each check's issues as the check finishes.
//   tyto_checks.cpp       runs contrast_from_pixels, text_in_images, visible_focus and then reflow (which
//                         narrows the viewport) on the live page, the OCR beside visible_focus
//   tyto_checks_none.cpp  runs none: the build without checks/ (CMakeLists.txt says which is built)
#pragma once

#include "checks/checks.hpp"
#include "tyto/core/logging.hpp"

#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::products::accessibility {

struct TytoCheckContext {
  CheckInputs inputs;              // the capture, axe's results, the live page
  vision::OcrPool* ocr = nullptr;  // the vision module's OCR engines (nullptr: text_in_images is skipped)
};

// Called after each check, on the caller's thread, with its name ("contrast_from_pixels"…), what it found and
// its own time in milliseconds.
using CheckDone = std::function<void(std::string_view check, CheckOutcome outcome, double ms)>;

// Hands a check's findings to `done`; a `done` that throws (its issues could not be stored) is logged and the
// check counts as not run. True when reported. run_tyto_checks reports through it, and so does a caller that
// held findings back and reports them later.
inline bool report_check(const CheckDone& done, std::string_view name, CheckOutcome outcome, double ms) {
  try {
    done(name, std::move(outcome), ms);
    return true;
  } catch (const std::exception& e) {
    log::warn("an accessibility check failed; the scan goes on without it", {{"check", name}, {"error", e.what()}});
    return false;
  }
}

// Which checks run_tyto_checks runs: all four; the three that look at the page as captured (contrast, text in
// images, focus), which the scan may run before the network is idle and keep when nothing changed; or reflow
// alone, which narrows the viewport and so comes last.
enum class CheckSet { kAll, kAsCaptured, kReflow };

// Runs the checks and reports them in order (contrast_from_pixels, text_in_images, visible_focus, reflow);
// text_in_images's OCR runs on a thread of its own beside visible_focus. Returns the names of those that ran.
// A check that throws is logged and left out (not in the answer, done not called): the scan goes on without
// it.
std::vector<std::string> run_tyto_checks(const TytoCheckContext& ctx, const CheckDone& done,
                                         CheckSet which = CheckSet::kAll);

}  // namespace tyto::products::accessibility
