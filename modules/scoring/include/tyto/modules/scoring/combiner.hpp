// The combiner: text, image and bonus signals (each in [0, 1]) into a calibrated infringement probability
//
//   logit = b0 + Σ_i c_i · g_i · s_i · x_i        p = 1 / (1 + e^(−logit))
//
// where c_i is signal i's fitted coefficient (src/coefficients.hpp; fitted by tools/fit_coefficients.py and
// documented in docs/modules/scoring.md; positive for evidence of infringement, negative for accessory_terms), g_i the
// client's weight for the signal's group (text, image, bonus) and s_i the client's weight for that one signal (both
// default 1; a weight of 1 everywhere is the calibrated model). Every term is reported as a contribution, so
// contributions plus the intercept sum to the logit and a reviewer sees why. A signal that is absent (no image, no
// price band) contributes 0. Pure functions, thread-safe.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::scoring {

enum class SignalGroup { kText, kImage, kBonus };
std::string_view group_name(SignalGroup group);

struct SignalSpec {
  std::string_view name;
  SignalGroup group;
  double coefficient;        // fitted, on the logit scale per unit of the signal
  std::string_view meaning;  // one line for the output and the docs
};

// The fitted intercept b0 and the signals in their fixed order.
double intercept();
std::span<const SignalSpec> signal_specs();
const SignalSpec* find_signal(std::string_view name);

struct Weights {
  double text = 1.0;
  double image = 1.0;
  double bonus = 1.0;
  std::map<std::string, double, std::less<>> signals;  // per-signal multipliers, by name
};

// The brand-protection product's names: a listing at or above `flag` is flagged as a likely copy, one at or
// above `review` waits for a reviewer.
struct Thresholds {
  double review = 0.5;
  double flag = 0.8;
};

struct Contribution {
  std::string name;
  SignalGroup group;
  bool present = false;
  double value = 0.0;         // x_i
  double coefficient = 0.0;   // c_i
  double weight = 1.0;        // g_i · s_i
  double contribution = 0.0;  // c_i · g_i · s_i · x_i (0 when absent)
};

struct Score {
  double intercept = 0.0;
  double logit = 0.0;
  double probability = 0.0;
  std::vector<Contribution> contributions;     // in signal_specs() order
  std::vector<std::string> thresholds_passed;  // "review", "flag"
  std::string decision;                        // "flag", "review" or "clear"
};

// values: signal name → x in [0, 1] (clamped); signals not named, or not finite, are absent. Throws
// std::invalid_argument for an unknown signal name or a negative or non-finite weight.
Score combine(const std::map<std::string, double, std::less<>>& values, const Weights& weights = {},
              const Thresholds& thresholds = {});

double logistic(double logit);

}  // namespace tyto::scoring
