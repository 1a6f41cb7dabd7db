// Listing and brand text as marketplaces and clients send it (the scoring module): line 1 and the rest are two
// strings, each cut to 200 code points. Asserts: UTF-8 decoding never fails and re-encodes to the same code
// points; every metric stays on its scale, is symmetric and is at its maximum for a string and itself; the
// distances are ordered (OSA ≤ Levenshtein ≤ Indel, Levenshtein ≥ the length difference); normalisation is
// idempotent and yields lower-case words joined by single spaces.
#include "fuzz_check.hpp"
#include "tyto/modules/scoring/normalize.hpp"
#include "tyto/modules/scoring/text.hpp"

#include <algorithm>
#include <cmath>

namespace {

using namespace tyto::scoring;

constexpr std::size_t kMaxCodePoints = 200;

bool within(double v, double max) { return std::isfinite(v) && v >= 0.0 && v <= max + 1e-9; }
bool same(double x, double y) { return std::fabs(x - y) <= 1e-9; }

void check_pair(const std::u32string& a, const std::u32string& b) {
  const std::size_t lev = levenshtein_distance(a, b);
  FUZZ_CHECK(lev == levenshtein_distance(b, a));
  FUZZ_CHECK(lev <= std::max(a.size(), b.size()));
  FUZZ_CHECK(lev >= std::max(a.size(), b.size()) - std::min(a.size(), b.size()));
  const std::size_t osa = osa_distance(a, b);
  FUZZ_CHECK(osa <= lev && osa == osa_distance(b, a));
  const std::size_t indel = indel_distance(a, b);
  FUZZ_CHECK(indel >= lev && indel == indel_distance(b, a));
  FUZZ_CHECK((lev == 0) == (a == b));

  const double unit[] = {levenshtein_similarity(a, b), osa_similarity(a, b), jaro_similarity(a, b),
                         jaro_winkler_similarity(a, b), trigram_jaccard(a, b)};
  const double unit_swapped[] = {levenshtein_similarity(b, a), osa_similarity(b, a), jaro_similarity(b, a),
                                 jaro_winkler_similarity(b, a), trigram_jaccard(b, a)};
  for (std::size_t i = 0; i < std::size(unit); ++i) {
    FUZZ_CHECK(within(unit[i], 1.0));
    FUZZ_CHECK(same(unit[i], unit_swapped[i]));
  }
  const double percent[] = {ratio(a, b), partial_ratio(a, b), token_sort_ratio(a, b), token_set_ratio(a, b)};
  const double percent_swapped[] = {ratio(b, a), partial_ratio(b, a), token_sort_ratio(b, a), token_set_ratio(b, a)};
  for (std::size_t i = 0; i < std::size(percent); ++i) {
    FUZZ_CHECK(within(percent[i], 100.0));
    FUZZ_CHECK(same(percent[i], percent_swapped[i]));
  }
}

void check_self(const std::u32string& a) {
  FUZZ_CHECK(levenshtein_similarity(a, a) == 1.0 && osa_similarity(a, a) == 1.0);
  FUZZ_CHECK(same(jaro_winkler_similarity(a, a), 1.0));
  FUZZ_CHECK(ratio(a, a) == 100.0 && partial_ratio(a, a) == 100.0 && token_sort_ratio(a, a) == 100.0);
  FUZZ_CHECK(token_set_ratio(a, a) == (split_tokens(a).empty() ? 0.0 : 100.0));
  FUZZ_CHECK(trigram_jaccard(a, a) == 1.0);
}

void check_normalize(const std::u32string& a) {
  const std::u32string once = normalize(a);
  FUZZ_CHECK(normalize(once) == once);
  FUZZ_CHECK(once.empty() || (once.front() != U' ' && once.back() != U' '));
  FUZZ_CHECK(once.find(U"  ") == std::u32string::npos);
  FUZZ_CHECK(std::none_of(once.begin(), once.end(), [](char32_t c) { return c >= U'A' && c <= U'Z'; }));
  FUZZ_CHECK(std::none_of(once.begin(), once.end(), [](char32_t c) { return c == 0xFFFD || c == U'\t'; }));
}

std::u32string cut(std::u32string text) {
  if (text.size() > kMaxCodePoints) text.resize(kMaxCodePoints);
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest = tyto::fuzz::as_text(data, size);
  const std::string_view first = tyto::fuzz::take_line(rest);

  const std::u32string decoded = decode_utf8(tyto::fuzz::as_text(data, size));
  FUZZ_CHECK(decode_utf8(encode_utf8(decoded)) == decoded);
  if (decoded.find(char32_t{0xFFFD}) == std::u32string::npos) {
    FUZZ_CHECK(encode_utf8(decoded) == tyto::fuzz::as_text(data, size));
  }

  const std::u32string a = cut(decode_utf8(first));
  const std::u32string b = cut(decode_utf8(rest));
  check_pair(a, b);
  check_self(a);
  check_normalize(a);
  check_normalize(b);
  check_pair(normalize(a), normalize(b));
  return 0;
}
