// The combiner: contributions, monotonicity, weights, thresholds, and the coefficients the docs state.
#include "tyto/modules/scoring/combiner.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace tyto::scoring;

namespace {

std::map<std::string, double, std::less<>> all_signals(double value) {
  std::map<std::string, double, std::less<>> values;
  for (const auto& spec : signal_specs()) values[std::string(spec.name)] = value;
  return values;
}

double sum_of_contributions(const Score& score) {
  double sum = score.intercept;
  for (const auto& c : score.contributions) sum += c.contribution;
  return sum;
}

}  // namespace

TEST_CASE("Contributions and the intercept sum to the logit, and the probability is its logistic",
          "[scoring][combiner]") {
  const std::map<std::string, double, std::less<>> values = {
      {"name_similarity", 0.93}, {"image_similarity", 0.4}, {"fraud_terms", 0.5}, {"seller_risk", 0.2}};
  const Score score = combine(values);
  CHECK(score.intercept == intercept());
  CHECK(score.logit == Approx(sum_of_contributions(score)));
  CHECK(score.probability == Approx(1.0 / (1.0 + std::exp(-score.logit))));
  REQUIRE(score.contributions.size() == signal_specs().size());
  for (const auto& c : score.contributions) {
    INFO(c.name);
    const auto it = values.find(c.name);
    CHECK(c.present == (it != values.end()));
    CHECK(c.contribution == Approx(c.present ? c.coefficient * c.value : 0.0));
    CHECK(c.coefficient == find_signal(c.name)->coefficient);
  }
  // By hand: b0 + c_name·0.93 + c_image·0.4 + c_fraud·0.5 + c_seller·0.2.
  const double by_hand = intercept() + find_signal("name_similarity")->coefficient * 0.93 +
                         find_signal("image_similarity")->coefficient * 0.4 +
                         find_signal("fraud_terms")->coefficient * 0.5 + find_signal("seller_risk")->coefficient * 0.2;
  CHECK(score.logit == Approx(by_hand));
}

TEST_CASE("The probability rises with every signal of evidence and falls with accessory terms", "[scoring][combiner]") {
  for (const auto& spec : signal_specs()) {
    INFO(spec.name);
    auto values = all_signals(0.3);
    double previous = -1.0;
    for (double x = 0.0; x <= 1.0001; x += 0.125) {
      values[std::string(spec.name)] = x;
      const double p = combine(values).probability;
      if (previous >= 0.0) {
        if (spec.name == "accessory_terms") {
          CHECK(p < previous);
        } else {
          CHECK(p > previous);
        }
      }
      previous = p;
    }
  }
}

TEST_CASE("Signal values are clamped to [0, 1] and absent signals contribute nothing", "[scoring][combiner]") {
  const Score above = combine({{"fraud_terms", 7.0}});
  const Score one = combine({{"fraud_terms", 1.0}});
  CHECK(above.logit == one.logit);
  CHECK(combine({{"fraud_terms", -2.0}}).logit == combine({{"fraud_terms", 0.0}}).logit);
  const Score none = combine({});
  CHECK(none.logit == intercept());
  for (const auto& c : none.contributions) CHECK_FALSE(c.present);
  CHECK(combine({{"seller_risk", std::nan("")}}).logit == intercept());
}

TEST_CASE("Client weights scale groups and single signals", "[scoring][combiner]") {
  const auto values = all_signals(0.6);
  const Score plain = combine(values);
  Weights no_image;
  no_image.image = 0.0;
  const Score without = combine(values, no_image);
  const double image = find_signal("image_similarity")->coefficient * 0.6;
  CHECK(without.logit == Approx(plain.logit - image));

  Weights text_double;
  text_double.text = 2.0;
  const Score doubled = combine(values, text_double);
  double text = 0.0;
  for (const auto& c : plain.contributions) {
    if (c.group == SignalGroup::kText) text += c.contribution;
  }
  CHECK(doubled.logit == Approx(plain.logit + text));

  Weights fraud;
  fraud.bonus = 0.5;
  fraud.signals["fraud_terms"] = 4.0;  // 0.5 · 4 = 2 times the fitted coefficient
  const Score weighted = combine(values, fraud);
  for (const auto& c : weighted.contributions) {
    INFO(c.name);
    if (c.name == "fraud_terms") {
      CHECK(c.weight == 2.0);
    } else if (c.group == SignalGroup::kBonus) {
      CHECK(c.weight == 0.5);
    } else {
      CHECK(c.weight == 1.0);
    }
    CHECK(c.contribution == Approx(c.coefficient * c.weight * c.value));
  }
  CHECK(weighted.logit == Approx(sum_of_contributions(weighted)));

  Weights unknown;
  unknown.signals["shoe_size"] = 1.0;
  CHECK_THROWS_AS(combine(values, unknown), std::invalid_argument);
  Weights negative;
  negative.text = -1.0;
  CHECK_THROWS_AS(combine(values, negative), std::invalid_argument);
  CHECK_THROWS_AS(combine({{"shoe_size", 1.0}}), std::invalid_argument);
}

TEST_CASE("Thresholds decide between clear, review and flag", "[scoring][combiner]") {
  const Score low = combine({});
  CHECK(low.probability < 0.01);
  CHECK(low.decision == "clear");
  CHECK(low.thresholds_passed.empty());

  const Score high = combine(all_signals(1.0));
  CHECK(high.probability > 0.99);
  CHECK(high.decision == "flag");
  CHECK(high.thresholds_passed == std::vector<std::string>{"review", "flag"});

  // Thresholds around a middling probability put it in review.
  const Score middle = combine({{"name_similarity", 1.0}});
  Thresholds around{middle.probability - 0.01, middle.probability + 0.01};
  const Score reviewed = combine({{"name_similarity", 1.0}}, {}, around);
  CHECK(reviewed.decision == "review");
  CHECK(reviewed.thresholds_passed == std::vector<std::string>{"review"});
  // A threshold is passed at equality.
  Thresholds exact{middle.probability, middle.probability};
  CHECK(combine({{"name_similarity", 1.0}}, {}, exact).decision == "flag");
}

TEST_CASE("The documentation states the fitted coefficients the code uses", "[scoring][combiner]") {
  const char* source = std::getenv("TYTO_SOURCE_DIR");
  REQUIRE(source != nullptr);
  std::ifstream file(std::string(source) + "/docs/modules/scoring.md");
  REQUIRE(file);
  std::stringstream text;
  text << file.rdbuf();
  const std::string doc = text.str();
  CHECK(doc.find(fmt::format("| (intercept) | {:.4f} |", intercept())) != std::string::npos);
  for (const auto& spec : signal_specs()) {
    INFO(spec.name);
    CHECK(doc.find(fmt::format("| `{}` | {:.4f} |", spec.name, spec.coefficient)) != std::string::npos);
  }
}
