#include "tyto/modules/scoring/combiner.hpp"

#include "coefficients.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tyto::scoring {

std::string_view group_name(SignalGroup group) {
  switch (group) {
    case SignalGroup::kText:
      return "text";
    case SignalGroup::kImage:
      return "image";
    case SignalGroup::kBonus:
      return "bonus";
  }
  return "unknown";
}

double intercept() { return detail::kIntercept; }

std::span<const SignalSpec> signal_specs() { return detail::kSignals; }

const SignalSpec* find_signal(std::string_view name) {
  for (const auto& spec : detail::kSignals) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

double logistic(double logit) {
  // Written for both signs so that neither branch overflows.
  if (logit >= 0) return 1.0 / (1.0 + std::exp(-logit));
  const double e = std::exp(logit);
  return e / (1.0 + e);
}

Score combine(const std::map<std::string, double, std::less<>>& values, const Weights& weights,
              const Thresholds& thresholds) {
  const auto check_weight = [](double w, std::string_view what) {
    if (!std::isfinite(w) || w < 0)
      throw std::invalid_argument(std::string(what) + ": a weight must be finite and >= 0");
  };
  check_weight(weights.text, "text");
  check_weight(weights.image, "image");
  check_weight(weights.bonus, "bonus");
  for (const auto& [name, w] : weights.signals) {
    if (!find_signal(name)) throw std::invalid_argument("unknown signal in weights: " + name);
    check_weight(w, name);
  }
  for (const auto& [name, x] : values) {
    if (!find_signal(name)) throw std::invalid_argument("unknown signal: " + name);
  }

  Score score;
  score.intercept = intercept();
  score.logit = score.intercept;
  for (const auto& spec : signal_specs()) {
    Contribution c;
    c.name = std::string(spec.name);
    c.group = spec.group;
    c.coefficient = spec.coefficient;
    const double group_weight = spec.group == SignalGroup::kText    ? weights.text
                                : spec.group == SignalGroup::kImage ? weights.image
                                                                    : weights.bonus;
    const auto own = weights.signals.find(spec.name);
    c.weight = group_weight * (own != weights.signals.end() ? own->second : 1.0);
    if (const auto it = values.find(spec.name); it != values.end() && std::isfinite(it->second)) {
      c.present = true;
      c.value = std::clamp(it->second, 0.0, 1.0);
      c.contribution = c.value == 0.0 ? 0.0 : c.coefficient * c.weight * c.value;  // no -0 from a negative c
    }
    score.logit += c.contribution;
    score.contributions.push_back(std::move(c));
  }
  score.probability = logistic(score.logit);
  if (score.probability >= thresholds.review) score.thresholds_passed.emplace_back("review");
  if (score.probability >= thresholds.flag) score.thresholds_passed.emplace_back("flag");
  score.decision = score.probability >= thresholds.flag     ? "flag"
                   : score.probability >= thresholds.review ? "review"
                                                            : "clear";
  return score;
}

}  // namespace tyto::scoring
