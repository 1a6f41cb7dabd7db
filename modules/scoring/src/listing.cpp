#include "tyto/modules/scoring/listing.hpp"

#include "tyto/modules/scoring/normalize.hpp"
#include "tyto/modules/scoring/text.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

namespace tyto::scoring {
namespace {

std::u32string without_spaces(std::u32string_view text) {
  std::u32string out;
  for (const char32_t c : text) {
    if (c != U' ') out.push_back(c);
  }
  return out;
}

std::u32string join(const std::vector<std::u32string_view>& words, std::size_t from, std::size_t count) {
  std::u32string out;
  for (std::size_t i = from; i < from + count && i < words.size(); ++i) {
    if (!out.empty()) out.push_back(U' ');
    out += words[i];
  }
  return out;
}

// Whether the normalised phrase occurs as consecutive whole words of the normalised text.
bool contains_phrase(const std::vector<std::u32string_view>& words, const std::u32string& phrase) {
  const auto wanted = split_tokens(phrase);
  if (wanted.empty() || wanted.size() > words.size()) return false;
  for (std::size_t i = 0; i + wanted.size() <= words.size(); ++i) {
    if (std::equal(wanted.begin(), wanted.end(), words.begin() + static_cast<std::ptrdiff_t>(i))) return true;
  }
  return false;
}

std::vector<std::string> phrases_found(const std::vector<std::string>& phrases,
                                       const std::vector<std::u32string_view>& title,
                                       const std::vector<std::u32string_view>& description) {
  std::vector<std::string> found;
  std::set<std::u32string> seen;
  for (const auto& phrase : phrases) {
    const auto normal = normalize(decode_utf8(phrase));
    if (normal.empty() || !seen.insert(normal).second) continue;
    if (contains_phrase(title, normal) || contains_phrase(description, normal)) found.push_back(phrase);
  }
  return found;
}

std::u32string truncated(const std::string& text, std::size_t limit) {
  std::u32string decoded = decode_utf8(text);
  if (decoded.size() > limit) decoded.resize(limit);
  return decoded;
}

// The best match of one name among the words of an already normalised text.
NameMatch match_normalized(const std::string& name, const std::u32string& text_normal) {
  NameMatch match;
  match.name = name;
  const std::u32string name_normal = normalize(decode_utf8(name));
  const auto words = split_tokens(text_normal);
  const std::size_t name_words = std::max<std::size_t>(1, split_tokens(name_normal).size());
  const std::u32string name_joined = without_spaces(name_normal);

  // Windows of as many words as the name, one fewer and one more, compared without spaces so that "adi das"
  // and "louisvuitton" match.
  double window_best = 0.0;
  std::u32string window_text;
  std::set<std::size_t> counts;
  for (std::size_t count = name_words > 1 ? name_words - 1 : 1; count <= name_words + 1; ++count) {
    counts.insert(std::min(count, words.size()));
  }
  for (const std::size_t count : counts) {
    for (std::size_t i = 0; count > 0 && i + count <= words.size(); ++i) {
      const std::u32string window = join(words, i, count);
      const double r = ratio(name_joined, without_spaces(window));
      if (r > window_best) {
        window_best = r;
        window_text = window;
      }
    }
  }
  const double set_ratio = token_set_ratio(name_normal, text_normal);
  match.similarity = std::max(window_best, set_ratio) / 100.0;
  match.matched = encode_utf8(window_text);
  match.metrics = {
      {"levenshtein", levenshtein_similarity(name_normal, window_text)},
      {"damerau_levenshtein_osa", osa_similarity(name_normal, window_text)},
      {"jaro_winkler", jaro_winkler_similarity(name_normal, window_text)},
      {"ratio", ratio(name_normal, window_text)},
      {"partial_ratio", partial_ratio(name_normal, window_text)},
      {"token_sort_ratio", token_sort_ratio(name_normal, window_text)},
      {"token_set_ratio", set_ratio},
      {"trigram_jaccard", trigram_jaccard(name_normal, window_text)},
  };
  return match;
}

std::optional<NameMatch> best_match(const std::vector<std::string>& names, const std::u32string& text_normal) {
  std::optional<NameMatch> best;
  for (const auto& name : names) {
    NameMatch match = match_normalized(name, text_normal);
    if (!best || match.similarity > best->similarity) best = std::move(match);
  }
  return best;
}

bool same_currency(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return true;
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  });
}

std::optional<double> seller_risk(const Seller& seller) {
  // Noisy-or of three risks, each in [0, 1]: monotonic in each, and 1 as soon as one is certain.
  std::vector<double> risks;
  if (seller.account_age_days) risks.push_back(std::clamp(1.0 - *seller.account_age_days / 365.0, 0.0, 1.0));
  if (seller.rating) risks.push_back(std::clamp((4.5 - *seller.rating) / 2.5, 0.0, 1.0));
  if (seller.prior_infringements) risks.push_back(std::clamp(*seller.prior_infringements / 3.0, 0.0, 1.0));
  if (risks.empty()) return std::nullopt;
  double safe = 1.0;
  for (const double r : risks) safe *= 1.0 - r;
  return 1.0 - safe;
}

}  // namespace

const std::vector<std::string>& default_fraud_terms() {
  static const std::vector<std::string> terms = {
      "replica",        "fake",       "counterfeit", "knockoff",  "knock off",   "1:1",  "aaa",
      "mirror quality", "super copy", "high copy",   "copy",      "inspired by", "dupe", "imitation",
      "not original",   "unbranded",  "oem",         "lookalike", "look alike",
  };
  return terms;
}

const std::vector<std::string>& default_accessory_terms() {
  static const std::vector<std::string> terms = {
      "compatible with", "compatible for",   "for use with", "case for",       "cover for", "charger for",
      "cable for",       "adapter for",      "strap for",    "band for",       "stand for", "holder for",
      "replacement for", "screen protector", "cleaning kit", "not affiliated", "fits",
  };
  return terms;
}

NameMatch match_name(const std::string& name, const std::string& text) {
  return match_normalized(name, normalize(decode_utf8(text)));
}

Evidence extract_signals(const Brand& brand, const Listing& listing) {
  Evidence evidence;
  std::vector<std::string> names;
  names.push_back(brand.name);
  names.insert(names.end(), brand.aliases.begin(), brand.aliases.end());

  const std::u32string title = decode_utf8(listing.title);
  const std::u32string description = truncated(listing.description, kMaxDescriptionCodePoints);
  const std::u32string title_normal = normalize(title);
  const std::u32string description_normal = normalize(description);
  const auto title_words = split_tokens(title_normal);
  const auto description_words = split_tokens(description_normal);

  evidence.title_match = best_match(names, title_normal);
  const double title_similarity = evidence.title_match ? evidence.title_match->similarity : 0.0;
  evidence.signals["name_similarity"] = title_similarity;
  if (!description_words.empty()) {
    // Only what the description adds: a title that already names the brand makes it redundant (and accessories
    // name the brand in both).
    evidence.description_match = best_match(names, description_normal);
    evidence.signals["description_similarity"] =
        std::max(0.0, evidence.description_match->similarity - title_similarity);
  }

  evidence.misspellings_found = phrases_found(brand.misspellings, title_words, description_words);
  evidence.signals["misspelling_hit"] = evidence.misspellings_found.empty() ? 0.0 : 1.0;
  evidence.keywords_found = phrases_found(brand.keywords, title_words, description_words);
  evidence.signals["keyword_hits"] = std::min(1.0, static_cast<double>(evidence.keywords_found.size()) / 3.0);
  std::vector<std::string> fraud_terms = default_fraud_terms();
  fraud_terms.insert(fraud_terms.end(), brand.fraud_terms.begin(), brand.fraud_terms.end());
  evidence.fraud_terms_found = phrases_found(fraud_terms, title_words, description_words);
  evidence.signals["fraud_terms"] = std::min(1.0, static_cast<double>(evidence.fraud_terms_found.size()) / 2.0);
  std::vector<std::string> accessory_terms = default_accessory_terms();
  accessory_terms.insert(accessory_terms.end(), brand.accessory_terms.begin(), brand.accessory_terms.end());
  evidence.accessory_terms_found = phrases_found(accessory_terms, title_words, description_words);
  evidence.signals["accessory_terms"] = std::min(1.0, static_cast<double>(evidence.accessory_terms_found.size()) / 2.0);

  // A price says something only about a listing of the brand's goods: a cheap garden hose is not a cheap Rolex.
  if (listing.price && brand.price_band && brand.price_band->min > 0 && title_similarity >= kNamesBrand &&
      same_currency(listing.currency, brand.price_band->currency)) {
    const double floor = brand.price_band->min;
    evidence.signals["price_below_band"] = std::clamp((floor - *listing.price) / floor, 0.0, 1.0);
  }
  if (const auto risk = seller_risk(listing.seller)) evidence.signals["seller_risk"] = *risk;
  if (listing.image_similarity) {
    evidence.signals["image_similarity"] = std::clamp((*listing.image_similarity - 0.5) / 0.5, 0.0, 1.0);
  }
  return evidence;
}

}  // namespace tyto::scoring
