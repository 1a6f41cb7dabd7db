// Normalisation of listing and brand text before comparison, so that "Аррlе" (Cyrillic А, р, р, е), "APPLE",
// "Äpple", "app1e" and "@pple" all read "apple". The tables are in src/normalize.cpp and docs/modules/scoring.md.
//
// normalize(text) runs, in order:
//   1. homoglyphs: Cyrillic and Greek letters that look like Latin ones, case-aware (Greek Η looks like H, η like
//      n), fullwidth ASCII, and a few Latin look-alikes (ɑ ɡ ı ℓ) → ASCII
//   2. case folding: ASCII, Latin-1 Supplement, Latin Extended-A and -Additional, Greek, Cyrillic (ß → ss)
//   3. accents: combining marks dropped; Latin-1 Supplement, Latin Extended-A, Greek tonos and Cyrillic letters
//      with diacritics → their base letter (æ → ae, œ → oe, þ → th); then step 1 again for what that uncovered
//   4. words: letters and digits (and, inside a word, the look-alike symbols $ @ €) form words; apostrophes,
//      soft hyphens, zero-width characters and variation selectors vanish ("levi's" → "levis", "app\u200Ble" →
//      "apple"); every other character separates words
//   5. look-alike spellings, only in words holding a letter (so "2024" and "15" keep their digits): 0→o 1→l 3→e
//      4→a 5→s 7→t $→s @→a €→e, then rn→m vv→w cl→d, left to right
//   6. the words joined by single spaces
// Both sides of a comparison must be normalised the same way: the result is a skeleton for matching (it may
// turn "clear" into "dear"), never text to show. Options turn steps 1 and 5 off.
#pragma once

#include <string>
#include <string_view>

namespace tyto::scoring {

struct NormalizeOptions {
  bool homoglyphs = true;  // step 1 (and its second pass in step 3)
  bool lookalikes = true;  // step 5 (otherwise $ @ € separate words like other symbols)
};

std::u32string normalize(std::u32string_view text, NormalizeOptions options = {});
// UTF-8 in and out; ill-formed input reads as U+FFFD, which separates words.
std::string normalize(std::string_view text, NormalizeOptions options = {});

// The single steps, for tests and for the documentation's tables.
// Appends the case folding of c (ß → "ss"; characters without case as they are).
void fold_case(char32_t c, std::u32string& out);
// Appends c without its diacritics (nothing for a combining mark; "ae" for æ); c itself when it has none.
void strip_accents(char32_t c, std::u32string& out);
// The Latin letter c looks like, or c itself.
char32_t homoglyph(char32_t c);

}  // namespace tyto::scoring
