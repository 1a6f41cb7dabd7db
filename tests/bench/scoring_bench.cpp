// Text metrics per second on brand-name/title pairs (the scoring module), and normalisation per second.
// Writes the pairs to the file named by its first argument (if any) so that tests/bench/scoring.sh can time
// Python's difflib and a pure-Python Levenshtein on exactly the same pairs.
#include "tyto/modules/scoring/normalize.hpp"
#include "tyto/modules/scoring/text.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace tyto::scoring;

namespace {

std::string random_word(std::mt19937& rng, int min, int max) {
  std::uniform_int_distribution<int> length(min, max), letter('a', 'z');
  std::string out(static_cast<std::size_t>(length(rng)), 'a');
  for (auto& c : out) c = static_cast<char>(letter(rng));
  return out;
}

template <class F>
void measure(const char* name, const std::vector<std::pair<std::u32string, std::u32string>>& pairs, F metric) {
  using clock = std::chrono::steady_clock;
  double sink = 0.0;
  std::size_t done = 0;
  const auto start = clock::now();
  auto elapsed = clock::duration::zero();
  while (elapsed < std::chrono::milliseconds(500)) {
    for (const auto& [a, b] : pairs) sink += metric(a, b);
    done += pairs.size();
    elapsed = clock::now() - start;
  }
  const double seconds = std::chrono::duration<double>(elapsed).count();
  fmt::print("{:<26} {:>12.0f} pairs/s   ({:.2f} µs/pair, checksum {:.1f})\n", name, done / seconds,
             seconds * 1e6 / done, sink / done);
}

}  // namespace

int main(int argc, char** argv) {
  std::mt19937 rng(20261202);
  std::vector<std::pair<std::u32string, std::u32string>> pairs;
  std::vector<std::pair<std::string, std::string>> utf8;
  for (int i = 0; i < 2000; ++i) {
    std::string name = random_word(rng, 4, 10);
    std::string title;
    for (int w = 0; w < 6; ++w) title += (w ? " " : "") + random_word(rng, 3, 8);  // ≈ 40 code points
    utf8.emplace_back(name, title);
    pairs.emplace_back(decode_utf8(name), decode_utf8(title));
  }
  if (argc > 1) {
    std::ofstream out(argv[1]);
    for (const auto& [a, b] : utf8) out << a << '\t' << b << '\n';
  }
  fmt::print("{} pairs: a name of 4-10 letters against a title of 6 words (about 40 code points)\n", pairs.size());
  measure("levenshtein_similarity", pairs, [](auto& a, auto& b) { return levenshtein_similarity(a, b); });
  measure("osa_similarity", pairs, [](auto& a, auto& b) { return osa_similarity(a, b); });
  measure("jaro_winkler_similarity", pairs, [](auto& a, auto& b) { return jaro_winkler_similarity(a, b); });
  measure("ratio", pairs, [](auto& a, auto& b) { return ratio(a, b); });
  measure("partial_ratio", pairs, [](auto& a, auto& b) { return partial_ratio(a, b); });
  measure("token_sort_ratio", pairs, [](auto& a, auto& b) { return token_sort_ratio(a, b); });
  measure("token_set_ratio", pairs, [](auto& a, auto& b) { return token_set_ratio(a, b); });
  measure("trigram_jaccard", pairs, [](auto& a, auto& b) { return trigram_jaccard(a, b); });
  measure("normalize (title)", pairs, [](auto&, auto& b) { return static_cast<double>(normalize(b).size()); });
  return 0;
}
