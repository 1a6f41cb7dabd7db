#include "tyto/modules/scoring/text.hpp"

#include <algorithm>
#include <set>

namespace tyto::scoring {
namespace {

// 100·(1 − distance / length sum), the normalisation every fuzz.* ratio shares.
double normalized_ratio(std::size_t distance, std::size_t length_sum) {
  if (length_sum == 0) return 100.0;
  return 100.0 * (1.0 - static_cast<double>(distance) / static_cast<double>(length_sum));
}

double normalized_similarity(std::size_t distance, std::size_t a, std::size_t b) {
  const std::size_t longest = std::max(a, b);
  if (longest == 0) return 1.0;
  return 1.0 - static_cast<double>(distance) / static_cast<double>(longest);
}

std::size_t lcs_length(std::u32string_view a, std::u32string_view b) {
  if (a.size() < b.size()) std::swap(a, b);
  std::vector<std::size_t> row(b.size() + 1, 0);
  for (const char32_t ca : a) {
    std::size_t diagonal = 0;  // row[j - 1] of the previous row
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = ca == b[j - 1] ? diagonal + 1 : std::max(above, row[j - 1]);
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::u32string join(const std::vector<std::u32string>& tokens) {
  std::u32string out;
  for (const auto& token : tokens) {
    if (!out.empty()) out.push_back(U' ');
    out += token;
  }
  return out;
}

std::vector<std::u32string> sorted_tokens(std::u32string_view text) {
  std::vector<std::u32string> tokens;
  for (const auto token : split_tokens(text)) tokens.emplace_back(token);
  std::sort(tokens.begin(), tokens.end());
  return tokens;
}

// The shorter string against every window of the longer (RapidFuzz's alignment, including the windows that
// overhang either end, which can only be shorter than the needle).
double partial_ratio_one_way(std::u32string_view needle, std::u32string_view haystack) {
  const std::size_t n = needle.size();
  const std::size_t h = haystack.size();
  double best = 0.0;
  const auto consider = [&](std::size_t start, std::size_t length) {
    const auto window = haystack.substr(start, length);
    best = std::max(best, ratio(needle, window));
  };
  for (std::size_t length = 1; length < n && length <= h; ++length) consider(0, length);
  for (std::size_t start = 0; start + n <= h; ++start) {
    consider(start, n);
    if (best == 100.0) return best;
  }
  for (std::size_t start = h > n ? h - n + 1 : 1; start < h; ++start) consider(start, h - start);
  return best;
}

}  // namespace

std::size_t levenshtein_distance(std::u32string_view a, std::u32string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::size_t osa_distance(std::u32string_view a, std::u32string_view b) {
  // Three rows: two back for the transposition.
  std::vector<std::size_t> before(b.size() + 1), previous(b.size() + 1), current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::size_t indel_distance(std::u32string_view a, std::u32string_view b) {
  return a.size() + b.size() - 2 * lcs_length(a, b);
}

double levenshtein_similarity(std::u32string_view a, std::u32string_view b) {
  return normalized_similarity(levenshtein_distance(a, b), a.size(), b.size());
}

double osa_similarity(std::u32string_view a, std::u32string_view b) {
  return normalized_similarity(osa_distance(a, b), a.size(), b.size());
}

double jaro_similarity(std::u32string_view a, std::u32string_view b) {
  if (a.empty() && b.empty()) return 1.0;
  if (a.empty() || b.empty()) return 0.0;
  const std::size_t longest = std::max(a.size(), b.size());
  const std::size_t window = longest / 2 > 0 ? longest / 2 - 1 : 0;
  std::vector<bool> a_matched(a.size(), false), b_matched(b.size(), false);
  std::size_t matches = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const std::size_t from = i > window ? i - window : 0;
    const std::size_t to = std::min(b.size(), i + window + 1);
    for (std::size_t j = from; j < to; ++j) {
      if (!b_matched[j] && a[i] == b[j]) {
        a_matched[i] = b_matched[j] = true;
        ++matches;
        break;
      }
    }
  }
  if (matches == 0) return 0.0;
  std::size_t out_of_order = 0;
  std::size_t j = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a_matched[i]) continue;
    while (!b_matched[j]) ++j;
    if (a[i] != b[j]) ++out_of_order;
    ++j;
  }
  const double m = static_cast<double>(matches);
  const double t = static_cast<double>(out_of_order) / 2.0;
  return (m / static_cast<double>(a.size()) + m / static_cast<double>(b.size()) + (m - t) / m) / 3.0;
}

double jaro_winkler_similarity(std::u32string_view a, std::u32string_view b, double prefix_weight) {
  const double jaro = jaro_similarity(a, b);
  if (jaro <= 0.7) return jaro;
  std::size_t prefix = 0;
  while (prefix < 4 && prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  return jaro + static_cast<double>(prefix) * prefix_weight * (1.0 - jaro);
}

double ratio(std::u32string_view a, std::u32string_view b) {
  return normalized_ratio(indel_distance(a, b), a.size() + b.size());
}

double partial_ratio(std::u32string_view a, std::u32string_view b) {
  if (a.empty() && b.empty()) return 100.0;
  if (a.empty() || b.empty()) return 0.0;
  if (a.size() > b.size()) std::swap(a, b);
  double best = partial_ratio_one_way(a, b);
  if (a.size() == b.size() && best < 100.0) best = std::max(best, partial_ratio_one_way(b, a));
  return best;
}

double token_sort_ratio(std::u32string_view a, std::u32string_view b) {
  return ratio(join(sorted_tokens(a)), join(sorted_tokens(b)));
}

double token_set_ratio(std::u32string_view a, std::u32string_view b) {
  const auto a_tokens = sorted_tokens(a);
  const auto b_tokens = sorted_tokens(b);
  if (a_tokens.empty() || b_tokens.empty()) return 0.0;
  const std::set<std::u32string> a_set(a_tokens.begin(), a_tokens.end());
  const std::set<std::u32string> b_set(b_tokens.begin(), b_tokens.end());
  std::vector<std::u32string> common, only_a, only_b;
  std::set_intersection(a_set.begin(), a_set.end(), b_set.begin(), b_set.end(), std::back_inserter(common));
  std::set_difference(a_set.begin(), a_set.end(), b_set.begin(), b_set.end(), std::back_inserter(only_a));
  std::set_difference(b_set.begin(), b_set.end(), a_set.begin(), a_set.end(), std::back_inserter(only_b));
  if (!common.empty() && (only_a.empty() || only_b.empty())) return 100.0;

  const std::u32string sect = join(common);
  const std::u32string diff_ab = join(only_a);
  const std::u32string diff_ba = join(only_b);
  // "sect diff": the separating space counts only when both parts are non-empty.
  const std::size_t sep = sect.empty() ? 0 : 1;
  const std::size_t sect_ab_len = sect.size() + sep + diff_ab.size();
  const std::size_t sect_ba_len = sect.size() + sep + diff_ba.size();
  // ratio(sect+ab, sect+ba): the shared prefix costs nothing, so the distance is that of the differences.
  double best = normalized_ratio(indel_distance(diff_ab, diff_ba), sect_ab_len + sect_ba_len);
  if (sect.empty()) return best;
  // ratio(sect, sect+ab): only the appended " ab" differs.
  best = std::max(best, normalized_ratio(sep + diff_ab.size(), sect.size() + sect_ab_len));
  best = std::max(best, normalized_ratio(sep + diff_ba.size(), sect.size() + sect_ba_len));
  return best;
}

double trigram_jaccard(std::u32string_view a, std::u32string_view b) {
  const auto grams = [](std::u32string_view text) {
    std::set<std::u32string_view> out;
    if (text.empty()) return out;
    if (text.size() < 3) {
      out.insert(text);
      return out;
    }
    for (std::size_t i = 0; i + 3 <= text.size(); ++i) out.insert(text.substr(i, 3));
    return out;
  };
  const auto a_grams = grams(a);
  const auto b_grams = grams(b);
  if (a_grams.empty() && b_grams.empty()) return 1.0;
  std::size_t common = 0;
  for (const auto& gram : a_grams) common += b_grams.count(gram);
  const std::size_t together = a_grams.size() + b_grams.size() - common;
  return static_cast<double>(common) / static_cast<double>(together);
}

}  // namespace tyto::scoring
