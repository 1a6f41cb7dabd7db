// The measurement model's fixed parts that stay private: each measurement's definition and the uncertainty of a
// site's circumference coefficient (the public ones are in tyto/body/measure.hpp).
#pragma once

#include <string_view>

namespace tyto::body::detail {

// The definition of "height", "chest", "waist", "hip", "neck", "inseam", "shoulder_width" or "arm_length" in
// ISO 8559-1's wording, with how this module approximates it; empty for any other name.
std::string_view iso_definition(std::string_view name) noexcept;
// One standard deviation of circumference_coefficient(site), as a fraction of the girth.
double circumference_coefficient_sigma(std::string_view site) noexcept;

}  // namespace tyto::body::detail
