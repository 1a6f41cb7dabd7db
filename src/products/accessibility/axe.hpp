// axe-core, the rules engine (the npm package pinned in axe/package.json, compiled in): the script injected
// into a rendered page, and its results translated into Issues.
//
// Every rule runs unless the scan names tags or rules, the ones axe ships disabled included (target-size,
// the duplicate-id family, experimental ones) and best practices: the script lists axe's rules and passes
// them to axe.run as runOnly {type: rule}, which runs a rule whatever its default. With tags, the rules
// carrying any of them; with rule ids, those rules too. The same script measures each reported node's box
// (getBoundingClientRect plus the scroll offsets, so page coordinates), so boxes are of the DOM as axe saw it.
#pragma once

#include "issue.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace tyto::products::accessibility {

struct AxeSelection {
  std::vector<std::string> tags;   // wcag2a, wcag2aa, wcag21aa, wcag22aa, best-practice… (any of them)
  std::vector<std::string> rules;  // axe rule ids, added to what the tags select
};

// The tags a scan may name, as axe spells them.
const std::vector<std::string>& known_axe_tags();

// axe-core's minified source and version, as compiled in.
std::string_view axe_source();
std::string_view axe_version();

// One expression for Page::evaluate: defines axe (once per page), runs it with the selection, and answers
// {version, unknown_rules, rules_run, violations, incomplete, passes: [rule ids], inapplicable: n}, where
// each node of violations and incomplete carries its page box as "bbox" (null when it has none).
std::string axe_run_script(const AxeSelection& selection);

// The boxes of the elements whose pixels must never leave the scan unmasked: password, email, telephone and
// card inputs, one-time codes, and anything inside an element marked data-tyto-sensitive. An expression
// answering [{x, y, width, height}] in page coordinates.
std::string sensitive_boxes_script();

// The page watched for change while axe runs before the network is idle (the scan overlaps the two): the
// first starts counting DOM mutations and resource loads; the second answers {mutations, resources, loaded},
// the counts since the watch began and the first five resources' URLs, and stops counting.
// Mutations from axe's own work do not count (axe-core reads the DOM, it does not change it), nor do the marks
// Tyto's checks leave while they run early (attributes data-tyto-*, elements whose id starts with __tyto).
std::string watch_changes_script();
std::string changes_since_watch_script();

// "wcag143" → "1.4.3", "wcag1410" → "1.4.10"; tags that name no success criterion are left out.
std::vector<std::string> wcag_criteria(const nlohmann::json& tags);

struct AxeIssues {
  std::vector<Issue> issues;               // violations and needs_review, in axe's order
  std::vector<Issue> contrast_incomplete;  // color-contrast nodes axe could not decide: for the pixel check
  std::vector<std::string> passed_rules;   // rules that found nothing wrong
};

// axe's results (axe_run_script's answer) as issues: rule = axe's id, source "axe", impact (the node's, else
// the rule's, else moderate), wcag from the tags, status violation (violations) or needs_review (incomplete),
// selector from the target, html, bbox, message (the rule's help and the node's failure summary), help_url.
AxeIssues issues_from_axe(const nlohmann::json& results);

}  // namespace tyto::products::accessibility
