// Reads labelled examples, one JSON object a line ({"brand": …, "listing": …, "label": 0 or 1}), and writes
// CSV: the label, then each signal's value as score.listing computes it (0 when absent, which is what an absent
// signal contributes). tools/fit_coefficients.py fits the combiner's coefficients on it.
#include "tyto/modules/scoring.hpp"
#include "tyto/modules/scoring/combiner.hpp"

#include <iostream>
#include <string>

int main() {
  std::cout << "label";
  for (const auto& spec : tyto::scoring::signal_specs()) std::cout << ',' << spec.name;
  std::cout << '\n';
  std::string line;
  int number = 0;
  while (std::getline(std::cin, line)) {
    ++number;
    if (line.empty()) continue;
    try {
      auto example = nlohmann::json::parse(line);
      const int label = example.at("label").get<int>();
      example.erase("label");
      const auto out = tyto::modules::scoring_stage::score(example);
      std::cout << label;
      for (const auto& signal : out.at("signals")) std::cout << ',' << signal.at("value").get<double>();
      std::cout << '\n';
    } catch (const std::exception& e) {
      std::cerr << "line " << number << ": " << e.what() << '\n';
      return 1;
    }
  }
  return 0;
}
