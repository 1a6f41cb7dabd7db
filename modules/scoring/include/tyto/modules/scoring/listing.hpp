// Signals of one listing against one brand: what the combiner (combiner.hpp) weighs. Each signal is in
// [0, 1]; docs/modules/scoring.md defines each one. All text is normalised (normalize.hpp) before matching.
// Pure functions, thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tyto::scoring {

struct PriceBand {
  double min = 0;
  double max = 0;
  std::string currency;  // ISO 4217; empty matches any
};

struct Brand {
  std::string name;
  std::vector<std::string> aliases;
  std::vector<std::string> misspellings;     // known misspellings, matched as whole words
  std::vector<std::string> keywords;         // product words of the brand ("iphone", "airpods")
  std::vector<std::string> fraud_terms;      // in addition to default_fraud_terms()
  std::vector<std::string> accessory_terms;  // in addition to default_accessory_terms()
  std::optional<PriceBand> price_band;
};

struct Seller {
  std::optional<double> account_age_days;
  std::optional<double> rating;  // 0–5
  std::optional<double> prior_infringements;
};

struct Listing {
  std::string title;
  std::string description;
  std::optional<double> price;
  std::string currency;
  Seller seller;
  std::optional<double> image_similarity;  // 0–1, from the fingerprint stages (a Hamming distance converted)
};

// Descriptions are compared up to this many code points.
inline constexpr std::size_t kMaxDescriptionCodePoints = 5000;
// price_below_band is present only when the title names the brand at least this well (name_similarity).
inline constexpr double kNamesBrand = 0.85;

// The brand name or alias that best matched one field, where, and every text metric on that pair, so a
// reviewer sees the evidence (metric name → value on the metric's own scale).
struct NameMatch {
  std::string name;         // as the brand gives it
  std::string matched;      // the normalised words of the field that matched best
  double similarity = 0.0;  // the signal: max(token_set_ratio, best window ratio) / 100
  std::map<std::string, double> metrics;
};

struct Evidence {
  std::map<std::string, double, std::less<>> signals;  // present signals only
  std::optional<NameMatch> title_match;
  std::optional<NameMatch> description_match;
  std::vector<std::string> misspellings_found;
  std::vector<std::string> keywords_found;
  std::vector<std::string> fraud_terms_found;
  std::vector<std::string> accessory_terms_found;
};

Evidence extract_signals(const Brand& brand, const Listing& listing);

// Terms that sellers of counterfeits use: "replica", "1:1", "aaa", "mirror quality" …
const std::vector<std::string>& default_fraud_terms();
// Terms of listings that name a brand for what they fit, legitimately: "case for", "compatible with" …
const std::vector<std::string>& default_accessory_terms();

// The best match of `name` among the normalised words of `text` (both raw UTF-8).
NameMatch match_name(const std::string& name, const std::string& text);

}  // namespace tyto::scoring
