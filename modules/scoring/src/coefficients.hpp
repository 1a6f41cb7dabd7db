// The fitted logistic model: modules/scoring/tools/fit_coefficients.py printed these numbers (seed 20261202,
// 4,000 synthetic training listings; docs/modules/scoring.md, "How the coefficients were fitted"). Rerun it and
// copy its output here when a signal's definition changes.
#pragma once

#include "tyto/modules/scoring/combiner.hpp"

namespace tyto::scoring::detail {

inline constexpr double kIntercept = -6.7998;

inline constexpr SignalSpec kSignals[] = {
    {"name_similarity", SignalGroup::kText, 5.3828, "best similarity of a brand name or alias to the title"},
    {"description_similarity", SignalGroup::kText, 4.5918,
     "how much better a brand name or alias matches the description than the title"},
    {"misspelling_hit", SignalGroup::kText, 2.2563, "a known misspelling of the brand appears"},
    {"image_similarity", SignalGroup::kImage, 4.0518, "image similarity to a reference image above chance"},
    {"keyword_hits", SignalGroup::kBonus, 9.9980, "brand keywords found (3 or more = 1)"},
    {"fraud_terms", SignalGroup::kBonus, 3.6229, "fraud terms found (2 or more = 1)"},
    {"price_below_band", SignalGroup::kBonus, 0.6993,
     "how far the price is below the brand's price band, for a title that names the brand"},
    {"seller_risk", SignalGroup::kBonus, 1.0229, "seller history: new account, low rating, earlier infringements"},
    {"accessory_terms", SignalGroup::kBonus, -6.7606,
     "terms of accessories that name the brand for what they fit (2 or more = 1); lowers the probability"},
};

}  // namespace tyto::scoring::detail
