#include "tyto/modules/scoring/normalize.hpp"

#include "tyto/modules/scoring/text.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace tyto::scoring {
namespace {

// Code point → Latin letter it is mistaken for. Uppercase forms come first in the lookup (step 1 runs before
// case folding), so Greek Η → H and Cyrillic Н → H while lowercase η → n. Sorted by code point.
constexpr std::pair<char32_t, char32_t> kHomoglyphs[] = {
    {0x0131, U'i'},  // ı dotless i
    {0x0251, U'a'},  // ɑ Latin alpha
    {0x0261, U'g'},  // ɡ script g
    {0x0391, U'A'}, {0x0392, U'B'}, {0x0395, U'E'}, {0x0396, U'Z'}, {0x0397, U'H'}, {0x0399, U'I'},
    {0x039A, U'K'}, {0x039C, U'M'}, {0x039D, U'N'}, {0x039F, U'O'}, {0x03A1, U'P'}, {0x03A4, U'T'},
    {0x03A5, U'Y'}, {0x03A7, U'X'},  // Greek capitals
    {0x03B1, U'a'}, {0x03B3, U'y'}, {0x03B5, U'e'}, {0x03B7, U'n'}, {0x03B9, U'i'}, {0x03BA, U'k'},
    {0x03BD, U'v'}, {0x03BF, U'o'}, {0x03C1, U'p'}, {0x03C4, U't'}, {0x03C5, U'u'}, {0x03C7, U'x'},
    {0x03C9, U'w'},                                  // Greek small letters
    {0x03F2, U'c'}, {0x03F3, U'j'},                  // lunate sigma, yot
    {0x0405, U'S'}, {0x0406, U'I'}, {0x0408, U'J'},  // Ѕ І Ј
    {0x0410, U'A'}, {0x0412, U'B'}, {0x0415, U'E'}, {0x041A, U'K'}, {0x041C, U'M'}, {0x041D, U'H'},
    {0x041E, U'O'}, {0x0420, U'P'}, {0x0421, U'C'}, {0x0422, U'T'}, {0x0423, U'Y'}, {0x0425, U'X'},  // А … Х
    {0x0430, U'a'}, {0x0432, U'b'}, {0x0435, U'e'}, {0x043A, U'k'}, {0x043C, U'm'}, {0x043D, U'h'},
    {0x043E, U'o'}, {0x0440, U'p'}, {0x0441, U'c'}, {0x0442, U't'}, {0x0443, U'y'}, {0x0445, U'x'},
    {0x044C, U'b'},                                                                  // а … х, ь
    {0x0455, U's'}, {0x0456, U'i'}, {0x0458, U'j'},                                  // ѕ і ј
    {0x04AE, U'Y'}, {0x04AF, U'y'}, {0x04BB, U'h'}, {0x04C0, U'l'}, {0x04CF, U'l'},  // Ү ү һ Ӏ ӏ
    {0x0501, U'd'}, {0x051A, U'Q'}, {0x051B, U'q'}, {0x051C, U'W'}, {0x051D, U'w'},  // ԁ Ԛ ԛ Ԝ ԝ
    {0x2113, U'l'},                                                                  // ℓ
};
static_assert(std::is_sorted(std::begin(kHomoglyphs), std::end(kHomoglyphs)));

struct Range {
  char32_t first;
  char32_t last;
  const char32_t* base;  // what each code point in the range strips to
};

// Accent stripping of Latin-1 Supplement and Latin Extended-A (both cases: stripping also runs on text whose
// capitals folding did not reach). Sorted, non-overlapping.
constexpr Range kLatinBases[] = {
    {0x00C0, 0x00C5, U"a"},  {0x00C6, 0x00C6, U"ae"}, {0x00C7, 0x00C7, U"c"},  {0x00C8, 0x00CB, U"e"},
    {0x00CC, 0x00CF, U"i"},  {0x00D0, 0x00D0, U"d"},  {0x00D1, 0x00D1, U"n"},  {0x00D2, 0x00D6, U"o"},
    {0x00D8, 0x00D8, U"o"},  {0x00D9, 0x00DC, U"u"},  {0x00DD, 0x00DD, U"y"},  {0x00DE, 0x00DE, U"th"},
    {0x00E0, 0x00E5, U"a"},  {0x00E6, 0x00E6, U"ae"}, {0x00E7, 0x00E7, U"c"},  {0x00E8, 0x00EB, U"e"},
    {0x00EC, 0x00EF, U"i"},  {0x00F0, 0x00F0, U"d"},  {0x00F1, 0x00F1, U"n"},  {0x00F2, 0x00F6, U"o"},
    {0x00F8, 0x00F8, U"o"},  {0x00F9, 0x00FC, U"u"},  {0x00FD, 0x00FD, U"y"},  {0x00FE, 0x00FE, U"th"},
    {0x00FF, 0x00FF, U"y"},  {0x0100, 0x0105, U"a"},  {0x0106, 0x010D, U"c"},  {0x010E, 0x0111, U"d"},
    {0x0112, 0x011B, U"e"},  {0x011C, 0x0123, U"g"},  {0x0124, 0x0127, U"h"},  {0x0128, 0x0131, U"i"},
    {0x0132, 0x0133, U"ij"}, {0x0134, 0x0135, U"j"},  {0x0136, 0x0138, U"k"},  {0x0139, 0x0142, U"l"},
    {0x0143, 0x014B, U"n"},  {0x014C, 0x0151, U"o"},  {0x0152, 0x0153, U"oe"}, {0x0154, 0x0159, U"r"},
    {0x015A, 0x0161, U"s"},  {0x0162, 0x0167, U"t"},  {0x0168, 0x0173, U"u"},  {0x0174, 0x0175, U"w"},
    {0x0176, 0x0178, U"y"},  {0x0179, 0x017E, U"z"},  {0x017F, 0x017F, U"s"},  {0x0180, 0x0180, U"b"},
};

// Greek with tonos or dialytika, and Cyrillic letters with diacritics → base letter.
constexpr std::pair<char32_t, char32_t> kOtherBases[] = {
    {0x0390, 0x03B9}, {0x03AC, 0x03B1}, {0x03AD, 0x03B5}, {0x03AE, 0x03B7}, {0x03AF, 0x03B9},
    {0x03B0, 0x03C5}, {0x03CA, 0x03B9}, {0x03CB, 0x03C5}, {0x03CC, 0x03BF}, {0x03CD, 0x03C5},
    {0x03CE, 0x03C9}, {0x0439, 0x0438}, {0x0450, 0x0435}, {0x0451, 0x0435}, {0x0453, 0x0433},
    {0x0457, 0x0456}, {0x045C, 0x043A}, {0x045D, 0x0438}, {0x045E, 0x0443},
};

bool is_combining_mark(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
         (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE20 && c <= 0xFE2F);
}

// Characters that vanish inside a word instead of separating it.
bool is_invisible_joiner(char32_t c) {
  return c == U'\'' || c == 0x2019 || c == 0x02BC || c == 0x00AD || (c >= 0x200B && c <= 0x200D) || c == 0x2060 ||
         c == 0xFEFF || (c >= 0xFE00 && c <= 0xFE0F) || is_combining_mark(c);
}

bool is_lookalike_symbol(char32_t c) { return c == U'$' || c == U'@' || c == 0x20AC; }

// Letters or digits: ASCII alphanumerics, and anything from U+00C0 up that is not in a block of punctuation,
// symbols, marks, private use or specials.
bool is_word_char(char32_t c) {
  if (c < 0x80) return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z') || (c >= U'0' && c <= U'9');
  if (c < 0xC0 || c == 0xD7 || c == 0xF7) return false;
  if (c >= 0x2000 && c <= 0x2BFF) return false;  // punctuation, super/subscripts, currency, symbols, arrows, math
  if (c >= 0x2E00 && c <= 0x2E7F) return false;  // supplemental punctuation
  if (c >= 0x3000 && c <= 0x303F) return false;  // CJK symbols and punctuation
  if (c >= 0xD800 && c <= 0xF8FF) return false;  // surrogates, private use
  if (c >= 0xFE10 && c <= 0xFE6F) return false;  // vertical forms, small forms
  if (c >= 0xFF00 && c <= 0xFF0F) return false;  // fullwidth punctuation left after step 1
  if (c >= 0xFFF0) return c > 0xFFFF && !(c >= 0x1F000 && c <= 0x1FAFF) && c < 0xF0000;  // specials, emoji, PUA
  return true;
}

bool is_letter(char32_t c) { return is_word_char(c) && !(c >= U'0' && c <= U'9'); }

char32_t fullwidth_to_ascii(char32_t c) { return c >= 0xFF01 && c <= 0xFF5E ? c - 0xFEE0 : c; }

char32_t lookalike(char32_t c) {
  switch (c) {
    case U'0':
      return U'o';
    case U'1':
      return U'l';
    case U'3':
      return U'e';
    case U'4':
      return U'a';
    case U'5':
      return U's';
    case U'7':
      return U't';
    case U'$':
      return U's';
    case U'@':
      return U'a';
    case 0x20AC:
      return U'e';
    default:
      return c;
  }
}

// Step 5 on one word (already folded).
void respell(std::u32string& word) {
  bool has_letter = false;
  for (const char32_t c : word) has_letter = has_letter || is_letter(c);
  if (!has_letter) {
    std::erase_if(word, is_lookalike_symbol);
    return;
  }
  for (char32_t& c : word) c = lookalike(c);
  std::u32string out;
  out.reserve(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    const char32_t next = i + 1 < word.size() ? word[i + 1] : 0;
    if (word[i] == U'r' && next == U'n') {
      out.push_back(U'm');
      ++i;
    } else if (word[i] == U'v' && next == U'v') {
      out.push_back(U'w');
      ++i;
    } else if (word[i] == U'c' && next == U'l') {
      out.push_back(U'd');
      ++i;
    } else {
      out.push_back(word[i]);
    }
  }
  word = std::move(out);
}

}  // namespace

char32_t homoglyph(char32_t c) {
  c = fullwidth_to_ascii(c);
  const auto* it = std::lower_bound(std::begin(kHomoglyphs), std::end(kHomoglyphs), c,
                                    [](const auto& entry, char32_t value) { return entry.first < value; });
  return it != std::end(kHomoglyphs) && it->first == c ? it->second : c;
}

void fold_case(char32_t c, std::u32string& out) {
  const auto even_to_odd = [&](char32_t first, char32_t last) { return c >= first && c <= last && c % 2 == 0; };
  const auto odd_to_even = [&](char32_t first, char32_t last) { return c >= first && c <= last && c % 2 == 1; };
  if (c >= U'A' && c <= U'Z') {
    c += 32;
  } else if (c >= 0xC0 && c <= 0xDE && c != 0xD7) {
    c += 32;
  } else if (c == 0xDF || c == 0x1E9E) {  // ß, ẞ
    out += U"ss";
    return;
  } else if (c == 0x130) {  // İ
    c = U'i';
  } else if (even_to_odd(0x100, 0x12F) || even_to_odd(0x132, 0x137) || even_to_odd(0x14A, 0x177)) {
    c += 1;
  } else if (odd_to_even(0x139, 0x148) || odd_to_even(0x179, 0x17E)) {
    c += 1;
  } else if (c == 0x178) {
    c = 0xFF;
  } else if (c == 0x17F) {  // long s
    c = U's';
  } else if (even_to_odd(0x1E00, 0x1E95) || even_to_odd(0x1EA0, 0x1EFF)) {
    c += 1;
  } else if (c == 0x386) {
    c = 0x3AC;
  } else if (c >= 0x388 && c <= 0x38A) {
    c += 37;
  } else if (c == 0x38C) {
    c = 0x3CC;
  } else if (c == 0x38E || c == 0x38F) {
    c += 63;
  } else if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) {
    c += 32;
  } else if (c == 0x3C2) {  // final sigma
    c = 0x3C3;
  } else if (c >= 0x400 && c <= 0x40F) {
    c += 80;
  } else if (c >= 0x410 && c <= 0x42F) {
    c += 32;
  } else if (even_to_odd(0x460, 0x481) || even_to_odd(0x48A, 0x4BF) || even_to_odd(0x4D0, 0x52F)) {
    c += 1;
  } else if (c == 0x4C0) {
    c = 0x4CF;
  } else if (odd_to_even(0x4C1, 0x4CE)) {
    c += 1;
  }
  out.push_back(c);
}

void strip_accents(char32_t c, std::u32string& out) {
  if (is_combining_mark(c)) return;
  for (const Range& range : kLatinBases) {
    if (c >= range.first && c <= range.last) {
      out += range.base;
      return;
    }
  }
  for (const auto& [from, to] : kOtherBases) {
    if (c == from) {
      out.push_back(to);
      return;
    }
  }
  out.push_back(c);
}

std::u32string normalize(std::u32string_view text, NormalizeOptions options) {
  std::u32string folded;
  folded.reserve(text.size());
  for (char32_t c : text) fold_case(options.homoglyphs ? homoglyph(c) : c, folded);
  std::u32string stripped;
  stripped.reserve(folded.size());
  for (const char32_t c : folded) strip_accents(c, stripped);
  if (options.homoglyphs) {
    for (char32_t& c : stripped) {
      c = homoglyph(c);
      if (c >= U'A' && c <= U'Z') c += 32;  // an uppercase look-alike uncovered by stripping
    }
  }

  std::u32string out;
  std::u32string word;
  const auto finish_word = [&] {
    if (options.lookalikes) respell(word);
    if (word.empty()) return;
    if (!out.empty()) out.push_back(U' ');
    out += word;
    word.clear();
  };
  for (const char32_t c : stripped) {
    if (is_word_char(c) || (options.lookalikes && is_lookalike_symbol(c))) {
      word.push_back(c);
    } else if (is_invisible_joiner(c)) {
      continue;
    } else {
      finish_word();
    }
  }
  finish_word();
  return out;
}

std::string normalize(std::string_view text, NormalizeOptions options) {
  return encode_utf8(normalize(decode_utf8(text), options));
}

}  // namespace tyto::scoring
