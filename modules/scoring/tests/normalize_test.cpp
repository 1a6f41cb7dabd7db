// The normalisation steps and their tables (docs/modules/scoring.md, "Normalisation").
#include "tyto/modules/scoring/normalize.hpp"
#include "tyto/modules/scoring/text.hpp"

#include <catch2/catch.hpp>

using namespace tyto::scoring;

TEST_CASE("A homoglyph attack in Cyrillic or Greek reads as the Latin brand", "[scoring][normalize]") {
  const std::string cyrillic = "\u0410\u0440\u0440l\u0435";  // Аррlе: Cyrillic А, р, р, Latin l, Cyrillic е
  REQUIRE(cyrillic != "Apple");
  CHECK(ratio(cyrillic, "Apple") == Approx(20.0));  // raw, only "l" is shared: 1 − 8/10
  CHECK(normalize(cyrillic) == "apple");
  CHECK(ratio(normalize(cyrillic), normalize("Apple")) == 100.0);
  CHECK(normalize("\u0391\u03A1\u03A1L\u0395") == "apple");  // ΑΡΡLΕ in Greek capitals
  CHECK(normalize("\u03BD\u03BF\u03C1\u03B1") == "vopa");    // νορα: small letters by their own shapes
  CHECK(normalize("\u041D\u0415\u0421\u0422\u041B\u0415") == "hect\u043Be");  // НЕСТЛЕ: Л has no Latin twin
  CHECK(normalize("\uFF21\uFF30\uFF30\uFF2C\uFF25") == "apple");              // fullwidth ＡＰＰＬＥ
  CHECK(normalize("s\u0430ms\u0443ng") == "samsyng");                         // а → a; у looks like y, not u
  // Case-aware: Greek capital Η looks like H, small η like n.
  CHECK(homoglyph(0x0397) == U'H');
  CHECK(homoglyph(0x03B7) == U'n');
  CHECK(homoglyph(0x041D) == U'H');
  CHECK(homoglyph(U'x') == U'x');
  // Turned off, the Cyrillic letters stay.
  CHECK(normalize(cyrillic, {.homoglyphs = false}) != "apple");
}

TEST_CASE("Every homoglyph maps Cyrillic and Greek look-alikes to ASCII letters", "[scoring][normalize]") {
  const std::u32string lookalikes = U"АВЕКМНОРСТУХЅІЈҮӀԚԜаеорсухіјѕԁһԛԝӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧαεικνορτυχω";
  for (const char32_t c : lookalikes) {
    const char32_t latin = homoglyph(c);
    INFO("U+" << std::hex << static_cast<unsigned>(c));
    CHECK(((latin >= U'a' && latin <= U'z') || (latin >= U'A' && latin <= U'Z')));
  }
}

TEST_CASE("Case folding covers Latin, Greek and Cyrillic", "[scoring][normalize]") {
  const auto fold = [](std::u32string_view text) {
    std::u32string out;
    for (const char32_t c : text) fold_case(c, out);
    return out;
  };
  CHECK(fold(U"HELLO") == U"hello");
  CHECK(fold(U"ÀÉÎÕÜÇÑØÞ") == U"àéîõüçñøþ");
  CHECK(fold(U"×") == U"×");  // the multiplication sign has no case
  CHECK(fold(U"Straße") == U"strasse");
  CHECK(fold(U"ĀĂĄĆĐĘĞĦĨĲĶĹŁŃŊŌŒŔŚŠŢŦŨŲŴŶŸŹŽ") == U"āăąćđęğħĩĳķĺłńŋōœŕśšţŧũųŵŷÿźž");
  CHECK(fold(U"ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ") == U"αβγδεζηθικλμνξοπρστυφχψω");
  CHECK(fold(U"ΆΈΉΊΌΎΏ") == U"άέήίόύώ");
  CHECK(fold(U"ς") == U"σ");
  CHECK(fold(U"АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ") == U"абвгдежзийклмнопрстуфхцчшщъыьэюя");
  CHECK(fold(U"ЀЁЂЃЄЅІЇЈЉЊЋЌЍЎЏ") == U"ѐёђѓєѕіїјљњћќѝўџ");
  CHECK(fold(U"ҐӁӐ") == U"ґӂӑ");
  CHECK(fold(U"日本") == U"日本");
}

TEST_CASE("Accents are stripped to the base letter", "[scoring][normalize]") {
  CHECK(normalize("Crème Brûlée") == "creme brulee");
  CHECK(normalize("Łódź") == "lodz");
  CHECK(normalize("Ærøskøbing") == "aeroskobing");
  CHECK(normalize("Œuvre") == "oeuvre");
  CHECK(normalize("Þór") == "thor");
  CHECK(normalize("Ĳssel") == "ijssel");
  CHECK(normalize("Cafe\u0301") == "cafe");  // a combining acute accent
  CHECK(normalize("Ёлка", {.homoglyphs = false}) == "елка");
  CHECK(normalize("ἀ") != "");  // outside the tables: kept as a letter, not dropped
  std::u32string stripped;
  for (const char32_t c : std::u32string_view(U"àáâãäåçèéêëìíîïñòóôõöøùúûüýÿ")) strip_accents(c, stripped);
  CHECK(stripped == U"aaaaaaceeeeiiiinoooooouuuuyy");
}

TEST_CASE("Punctuation separates words, apostrophes and invisible characters vanish", "[scoring][normalize]") {
  CHECK(normalize("Ray-Ban® (original)!!") == "ray ban original");
  CHECK(normalize("Levi's") == "levis");
  CHECK(normalize("Levi\u2019s") == "levis");
  CHECK(normalize("App\u200Ble") == "apple");  // zero-width space inside the word
  CHECK(normalize("Sho\u00ADes") == "shoes");  // soft hyphen
  CHECK(normalize("  many\t\tspaces \n here ") == "many spaces here");
  CHECK(normalize("a\u2014b\u00B7c") == "a b c");  // em dash, middle dot
  CHECK(normalize("🔥 hot 🔥") == "hot");
  CHECK(normalize("") == "");
  CHECK(normalize("!!!") == "");
  CHECK(normalize("app\xFFle") == "app le");  // ill-formed UTF-8 separates, like any other non-letter
}

TEST_CASE("Look-alike spellings are undone inside words, and numbers keep their digits", "[scoring][normalize]") {
  CHECK(normalize("app1e") == "apple");
  CHECK(normalize("@didas") == "adidas");
  CHECK(normalize("$upreme") == "supreme");
  CHECK(normalize("R0LEX") == "rolex");
  CHECK(normalize("n1k3") == "nlke");  // 1 → l: the skeleton, not the word
  CHECK(normalize("gucc1") == normalize("guccl"));
  CHECK(normalize("€xpress") == "express");
  CHECK(normalize("rnicrosoft") == "microsoft");
  CHECK(normalize("vvalmart") == "walmart");
  CHECK(normalize("Clior") == normalize("Dior"));
  CHECK(normalize("iPhone 15 Pro 2024") == "iphone 15 pro 2024");
  CHECK(normalize("$100") == "100");
  CHECK(normalize("1:1") == "1 1");
  CHECK(normalize("app1e", {.lookalikes = false}) == "app1e");
  CHECK(normalize("$upreme", {.lookalikes = false}) == "upreme");
}
