// Text similarity on Unicode code points, with the scales and definitions of the widely used fuzzy-matching
// libraries (RapidFuzz, thefuzz/fuzzywuzzy, jellyfish). docs/modules/scoring.md gives each definition.
//
// Scales:
//   *_distance               edit counts (code points)
//   levenshtein_similarity, osa_similarity, jaro_similarity, jaro_winkler_similarity, trigram_jaccard   0..1
//   ratio, partial_ratio, token_sort_ratio, token_set_ratio                                              0..100
// Nothing here preprocesses: case, accents and punctuation count unless the caller normalises first
// (normalize.hpp), exactly like RapidFuzz without a processor. UTF-8 overloads decode first (decode_utf8).
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::scoring {

// UTF-8 → code points. Each ill-formed sequence (bad lead or continuation byte, truncated, overlong, a
// surrogate, above U+10FFFF) becomes one U+FFFD per maximal bad subpart, as the Unicode standard recommends.
std::u32string decode_utf8(std::string_view text);
// Code points → UTF-8; a surrogate or a value above U+10FFFF is written as U+FFFD.
std::string encode_utf8(std::u32string_view text);

// Whitespace (ASCII, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000).
bool is_space(char32_t c);
// Tokens separated by whitespace (runs of it); no empty tokens.
std::vector<std::u32string_view> split_tokens(std::u32string_view text);

// Insertions, deletions and substitutions (Levenshtein 1966).
std::size_t levenshtein_distance(std::u32string_view a, std::u32string_view b);
// Optimal string alignment: Levenshtein plus transposition of two adjacent code points, no substring edited
// twice ("ca" → "abc" is 3, where unrestricted Damerau-Levenshtein gives 2).
std::size_t osa_distance(std::u32string_view a, std::u32string_view b);
// Insertions and deletions only: |a| + |b| − 2·LCS(a, b).
std::size_t indel_distance(std::u32string_view a, std::u32string_view b);

// 1 − distance / max(|a|, |b|); 1 when both are empty (RapidFuzz's normalized_similarity).
double levenshtein_similarity(std::u32string_view a, std::u32string_view b);
double osa_similarity(std::u32string_view a, std::u32string_view b);

// Jaro: matches within max(|a|,|b|)/2 − 1 positions, m matches, t half the transposed ones:
// (m/|a| + m/|b| + (m − t)/m) / 3; 0 when m = 0, 1 when both are empty.
double jaro_similarity(std::u32string_view a, std::u32string_view b);
// Jaro-Winkler: when Jaro > 0.7, add ℓ·p·(1 − Jaro) for a common prefix of ℓ ≤ 4 code points; p = 0.1.
double jaro_winkler_similarity(std::u32string_view a, std::u32string_view b, double prefix_weight = 0.1);

// 100·(1 − indel / (|a| + |b|)): RapidFuzz's fuzz.ratio. 100 when both are empty, 0 when only one is.
double ratio(std::u32string_view a, std::u32string_view b);
// The best ratio of the shorter string against any window of the longer one of its length (and the partial
// windows at either end); with equal lengths, the better of both directions. 100 when both are empty, 0
// when only one is.
double partial_ratio(std::u32string_view a, std::u32string_view b);
// ratio of the whitespace tokens sorted and joined by one space.
double token_sort_ratio(std::u32string_view a, std::u32string_view b);
// RapidFuzz's token_set_ratio: with the token sets' intersection I and differences A−B, B−A (each sorted and
// joined): 100 when I is non-empty and a difference is empty, else the best of ratio(I, I+A−B),
// ratio(I, I+B−A) and ratio(I+A−B, I+B−A). 0 when either string has no token.
double token_set_ratio(std::u32string_view a, std::u32string_view b);
// |T(a) ∩ T(b)| / |T(a) ∪ T(b)| over the sets of 3-code-point substrings; a non-empty string shorter than 3
// is its own single gram. 1 when both are empty, 0 when only one is.
double trigram_jaccard(std::u32string_view a, std::u32string_view b);

// The same on UTF-8.
inline double levenshtein_similarity(std::string_view a, std::string_view b) {
  return levenshtein_similarity(decode_utf8(a), decode_utf8(b));
}
inline double osa_similarity(std::string_view a, std::string_view b) {
  return osa_similarity(decode_utf8(a), decode_utf8(b));
}
inline double jaro_similarity(std::string_view a, std::string_view b) {
  return jaro_similarity(decode_utf8(a), decode_utf8(b));
}
inline double jaro_winkler_similarity(std::string_view a, std::string_view b, double prefix_weight = 0.1) {
  return jaro_winkler_similarity(decode_utf8(a), decode_utf8(b), prefix_weight);
}
inline double ratio(std::string_view a, std::string_view b) { return ratio(decode_utf8(a), decode_utf8(b)); }
inline double partial_ratio(std::string_view a, std::string_view b) {
  return partial_ratio(decode_utf8(a), decode_utf8(b));
}
inline double token_sort_ratio(std::string_view a, std::string_view b) {
  return token_sort_ratio(decode_utf8(a), decode_utf8(b));
}
inline double token_set_ratio(std::string_view a, std::string_view b) {
  return token_set_ratio(decode_utf8(a), decode_utf8(b));
}
inline double trigram_jaccard(std::string_view a, std::string_view b) {
  return trigram_jaccard(decode_utf8(a), decode_utf8(b));
}

}  // namespace tyto::scoring
