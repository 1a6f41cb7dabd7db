// Known answers for every text metric. "Documented" values are the examples of the libraries' own
// documentation (RapidFuzz's fuzz docs, thefuzz's README, jellyfish's README) or published reference values
// (Winkler's MARTHA/DWAYNE/DIXON pairs); "by hand" values are worked out in the comment next to them.
#include "tyto/modules/scoring/text.hpp"

#include <catch2/catch.hpp>

using namespace tyto::scoring;

namespace {
// Values quoted to two decimals (RapidFuzz's docs) are compared at that precision.
Catch::Detail::Approx two_decimals(double v) { return Approx(v).margin(0.005); }
}  // namespace

TEST_CASE("UTF-8 decodes to code points and ill-formed bytes become U+FFFD", "[scoring][text]") {
  CHECK(decode_utf8("caf\xC3\xA9") == U"caf\u00E9");
  CHECK(decode_utf8("\xF0\x9F\x98\x80") == U"\U0001F600");
  CHECK(decode_utf8("a\xFF"
                    "b") ==
        U"a\uFFFD"
        "b");
  // A truncated three-byte sequence is one maximal subpart: one replacement.
  CHECK(decode_utf8("\xE2\x82"
                    "x") == U"\uFFFDx");
  // Overlong (C0 is never a lead byte) and a surrogate (ED A0 80): one replacement per bad byte.
  CHECK(decode_utf8("\xC0\xAF") == U"\uFFFD\uFFFD");
  CHECK(decode_utf8("\xED\xA0\x80") == U"\uFFFD\uFFFD\uFFFD");
  CHECK(decode_utf8("\xF4\x90\x80\x80") == U"\uFFFD\uFFFD\uFFFD\uFFFD");  // above U+10FFFF
  CHECK(encode_utf8(decode_utf8("Аррlе ✓ 😀")) == "Аррlе ✓ 😀");
  CHECK(encode_utf8(std::u32string(1, char32_t{0xD800})) == "\xEF\xBF\xBD");
}

TEST_CASE("Levenshtein distance and its normalised similarity", "[scoring][text]") {
  // kitten → sitting: k→s, e→i, +g (the textbook example).
  CHECK(levenshtein_distance(U"kitten", U"sitting") == 3);
  CHECK(levenshtein_similarity("kitten", "sitting") == Approx(1.0 - 3.0 / 7.0));
  // flaw → lawn: −f, +n.
  CHECK(levenshtein_distance(U"flaw", U"lawn") == 2);
  CHECK(levenshtein_distance(U"", U"") == 0);
  CHECK(levenshtein_distance(U"", U"abc") == 3);
  CHECK(levenshtein_similarity("", "") == 1.0);
  CHECK(levenshtein_similarity("", "abc") == 0.0);
  CHECK(levenshtein_similarity("same", "same") == 1.0);
  // Code points, not bytes: é is one substitution (two bytes would make it two edits).
  CHECK(levenshtein_similarity("café", "cafe") == Approx(0.75));
}

TEST_CASE("Optimal string alignment counts an adjacent transposition once, and never edits a substring twice",
          "[scoring][text]") {
  CHECK(osa_distance(U"ab", U"ba") == 1);
  CHECK(levenshtein_distance(U"ab", U"ba") == 2);
  CHECK(osa_distance(U"abcd", U"acbd") == 1);
  // The restriction: unrestricted Damerau-Levenshtein gives 2 (ca → ac → abc); OSA gives 3.
  CHECK(osa_distance(U"ca", U"abc") == 3);
  CHECK(osa_distance(U"kitten", U"sitting") == 3);
  CHECK(osa_similarity("adidsa", "adidas") == Approx(1.0 - 1.0 / 6.0));
  CHECK(osa_similarity("", "") == 1.0);
  CHECK(osa_similarity("abc", "") == 0.0);
}

TEST_CASE("Jaro and Jaro-Winkler match the published reference pairs", "[scoring][text]") {
  // Winkler's examples: MARTHA/MARHTA m=6, t=1 → (1 + 1 + 5/6)/3 = 17/18; prefix MAR (3).
  CHECK(jaro_similarity("MARTHA", "MARHTA") == Approx(17.0 / 18.0));
  CHECK(jaro_winkler_similarity("MARTHA", "MARHTA") == Approx(17.0 / 18.0 + 0.3 * (1.0 / 18.0)));
  CHECK(jaro_winkler_similarity("MARTHA", "MARHTA") == Approx(0.9611).margin(0.00005));
  // DWAYNE/DUANE m=4, t=0 → (4/6 + 4/5 + 1)/3 = 0.8222; prefix D (1) → 0.84.
  CHECK(jaro_similarity("DWAYNE", "DUANE") == Approx(0.8222).margin(0.00005));
  CHECK(jaro_winkler_similarity("DWAYNE", "DUANE") == Approx(0.84));
  // DIXON/DICKSONX m=4, t=0 → (4/5 + 4/8 + 1)/3 = 0.7667; prefix DI (2) → 0.8133.
  CHECK(jaro_similarity("DIXON", "DICKSONX") == Approx(0.7667).margin(0.00005));
  CHECK(jaro_winkler_similarity("DIXON", "DICKSONX") == Approx(0.8133).margin(0.00005));
  // jellyfish's README: jellyfish/smellyfish = 0.8962962962962963 (m=8, t=0: (8/9 + 8/10 + 1)/3); no common
  // prefix, so Jaro-Winkler is the same.
  CHECK(jaro_similarity("jellyfish", "smellyfish") == Approx(0.8962962962962963));
  CHECK(jaro_winkler_similarity("jellyfish", "smellyfish") == Approx(0.8962962962962963));
  // The prefix counts at most 4 code points: abcdefgh/abcdefgX Jaro = (7/8 + 7/8 + 1)/3 = 11/12.
  CHECK(jaro_winkler_similarity("abcdefgh", "abcdefgX") == Approx(11.0 / 12.0 + 0.4 * (1.0 / 12.0)));
  // Below the boost threshold (0.7) there is no prefix bonus: ab/ax Jaro = (1/2 + 1/2 + 1)/3 = 2/3.
  CHECK(jaro_winkler_similarity("ab", "ax") == Approx(2.0 / 3.0));
  CHECK(jaro_similarity("", "") == 1.0);
  CHECK(jaro_similarity("abc", "") == 0.0);
  CHECK(jaro_similarity("abc", "xyz") == 0.0);
  CHECK(jaro_winkler_similarity("same", "same") == 1.0);
}

TEST_CASE("ratio is the normalised Indel similarity on a 0 to 100 scale", "[scoring][text]") {
  // Documented (RapidFuzz): 96.55 and 90.91; thefuzz rounds them to 97 and 91.
  CHECK(ratio("this is a test", "this is a test!") == two_decimals(96.55));
  CHECK(ratio("fuzzy wuzzy was a bear", "wuzzy fuzzy was a bear") == two_decimals(90.91));
  // By hand: YANKEES in NEW YORK YANKEES: LCS 7, indel 9, 1 − 9/23.
  CHECK(ratio("YANKEES", "NEW YORK YANKEES") == Approx(100.0 * (1.0 - 9.0 / 23.0)));
  // Code points: café/cafe indel 2 over 8 (bytes would give 3 over 9).
  CHECK(ratio("café", "cafe") == Approx(75.0));
  CHECK(ratio("", "") == 100.0);
  CHECK(ratio("abc", "") == 0.0);
  CHECK(ratio("abc", "abc") == 100.0);
  CHECK(indel_distance(U"kitten", U"sitting") == 5);  // LCS "ittn" (4): 6 + 7 − 8
}

TEST_CASE("partial_ratio aligns the shorter string with the best window of the longer", "[scoring][text]") {
  // Documented: 100.
  CHECK(partial_ratio("this is a test", "this is a test!") == 100.0);
  CHECK(partial_ratio("YANKEES", "NEW YORK YANKEES") == 100.0);
  // By hand: abcd against the windows of xxabcyy; the best (xabc, abcy) share 3: 1 − 2/8 = 75.
  CHECK(partial_ratio("abcd", "xxabcyy") == Approx(75.0));
  // Order of the arguments does not matter.
  CHECK(partial_ratio("xxabcyy", "abcd") == Approx(75.0));
  // A window that overhangs the start wins: the longer string's prefix "cd" (LCS 2 with bcde) gives 1 − 2/6,
  // every full window at most 1 − 4/8 (cdxx).
  CHECK(partial_ratio("bcde", "cdxxxxxx") == Approx(100.0 * (1.0 - 2.0 / 6.0)));
  CHECK(partial_ratio("", "") == 100.0);
  CHECK(partial_ratio("", "abc") == 0.0);
  CHECK(partial_ratio("abc", "abc") == 100.0);
}

TEST_CASE("token_sort_ratio compares the sorted words", "[scoring][text]") {
  // Documented: 100 and 84 (84.21 unrounded: "a bear fuzzy was" vs "a bear fuzzy fuzzy was", indel 6 over 38).
  CHECK(token_sort_ratio("fuzzy wuzzy was a bear", "wuzzy fuzzy was a bear") == 100.0);
  CHECK(token_sort_ratio("fuzzy was a bear", "fuzzy fuzzy was a bear") == Approx(100.0 * (1.0 - 6.0 / 38.0)));
  CHECK(token_sort_ratio("fuzzy was a bear", "wuzzy fuzzy was a bear") == two_decimals(84.21));
  // Runs of whitespace of any kind separate words.
  CHECK(token_sort_ratio("new\u00A0york  \t jets", "jets new york") == 100.0);
  CHECK(token_sort_ratio("", "") == 100.0);
  CHECK(token_sort_ratio("abc", "") == 0.0);
}

TEST_CASE("token_set_ratio compares the shared and the different words", "[scoring][text]") {
  // Documented: 100 (one side's words all shared).
  CHECK(token_set_ratio("fuzzy was a bear", "fuzzy fuzzy was a bear") == 100.0);
  // Published: South Korea / North Korea = 81.82: ratio("korea south", "korea north") = 1 − 4/22.
  CHECK(token_set_ratio("South Korea", "North Korea") == two_decimals(81.82));
  CHECK(token_set_ratio("South Korea", "North Korea") == Approx(100.0 * (1.0 - 4.0 / 22.0)));
  // By hand, no shared word: ratio("abc", "abd") = 1 − 2/6.
  CHECK(token_set_ratio("abc", "abd") == Approx(100.0 * (1.0 - 2.0 / 6.0)));
  // By hand: shared "a", differences "bb" / "cccc": ratio("a", "a bb") = 1 − 3/5, as good as "a bb"/"a cccc"
  // (1 − 6/10) and better than "a"/"a cccc" (1 − 5/7).
  CHECK(token_set_ratio("a bb", "a cccc") == Approx(100.0 * (1.0 - 3.0 / 5.0)));
  CHECK(token_set_ratio("", "") == 0.0);
  CHECK(token_set_ratio("abc", "") == 0.0);
  CHECK(token_set_ratio("same words", "words same") == 100.0);
}

TEST_CASE("Trigram Jaccard is shared over all 3-code-point substrings", "[scoring][text]") {
  // By hand: {abc, bcd, cde} vs {abc, bcd, cdf}: 2 shared of 4.
  CHECK(trigram_jaccard("abcde", "abcdf") == Approx(0.5));
  CHECK(trigram_jaccard("night", "nacht") == 0.0);
  // Sets, not multisets: aaaa has the one gram aaa.
  CHECK(trigram_jaccard("aaaa", "aaa") == 1.0);
  // Shorter than 3: the string is its own gram.
  CHECK(trigram_jaccard("ab", "ab") == 1.0);
  CHECK(trigram_jaccard("ab", "abc") == 0.0);
  // Code points: "née" has the single gram née; "nee" does not share it.
  CHECK(trigram_jaccard("née", "nee") == 0.0);
  CHECK(trigram_jaccard("", "") == 1.0);
  CHECK(trigram_jaccard("abc", "") == 0.0);
}
