#include "detail/pose_decode.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace tyto::vision::detail {
namespace {

// MoveNet's graph: a key point's heatmap is divided by its distance to the regressed point plus this.
constexpr float kDistanceOffset = 1.8f;

[[noreturn]] void bad_output(const std::string& why) {
  throw Error(ErrorCode::kValidationFailed, "the model's outputs are not MoveNet's: " + why,
              {{"reason", "model_outputs"}});
}

void expect_shape(const TensorRef& t, const char* what, std::int64_t h, std::int64_t w, std::int64_t c) {
  const std::vector<std::int64_t> want = {1, h, w, c};
  if (t.shape != want || static_cast<std::int64_t>(t.data.size()) != h * w * c)
    bad_output(fmt::format("{} is [{}], not [{}]", what, fmt::join(t.shape, ", "), fmt::join(want, ", ")));
}

}  // namespace

std::vector<NormalisedKeypoint> read_movenet_keypoints(const TensorRef& output) {
  const auto& s = output.shape;
  if (s.size() != 4 || s[0] != 1 || s[1] != 1 || s[2] <= 0 || s[3] != 3 ||
      static_cast<std::int64_t>(output.data.size()) != s[2] * 3)
    bad_output(fmt::format("an output of shape [{}], not [1, 1, K, 3]", fmt::join(s, ", ")));
  std::vector<NormalisedKeypoint> out;
  for (std::int64_t k = 0; k < s[2]; ++k) {
    const float* p = output.data.data() + k * 3;
    out.push_back({p[0], p[1], p[2]});
  }
  return out;
}

std::vector<NormalisedKeypoint> decode_movenet_heads(const TensorRef& heatmaps, const TensorRef& centers,
                                                     const TensorRef& regression, const TensorRef& offsets) {
  if (heatmaps.shape.size() != 4 || heatmaps.shape[0] != 1 || heatmaps.shape[1] <= 0 || heatmaps.shape[2] <= 0 ||
      heatmaps.shape[3] <= 0)
    bad_output(fmt::format("heatmaps is [{}], not [1, H, W, K]", fmt::join(heatmaps.shape, ", ")));
  const std::int64_t h = heatmaps.shape[1], w = heatmaps.shape[2], k = heatmaps.shape[3];
  expect_shape(heatmaps, "heatmaps", h, w, k);
  expect_shape(centers, "centers", h, w, 1);
  expect_shape(regression, "regression", h, w, 2 * k);
  expect_shape(offsets, "offsets", h, w, 2 * k);
  const auto cells = static_cast<std::size_t>(h * w);
  const auto kp = static_cast<std::size_t>(k);

  const auto centre = static_cast<std::size_t>(
      std::max_element(centers.data.begin(), centers.data.begin() + static_cast<std::ptrdiff_t>(cells)) -
      centers.data.begin());
  const auto centre_y = static_cast<float>(centre / w), centre_x = static_cast<float>(centre % w);
  const float* regressed = regression.data.data() + centre * 2 * kp;

  std::vector<NormalisedKeypoint> out;
  for (std::size_t i = 0; i < kp; ++i) {
    const float ry = centre_y + regressed[2 * i], rx = centre_x + regressed[2 * i + 1];
    std::size_t best = 0;
    float best_value = -1;
    for (std::size_t cell = 0; cell < cells; ++cell) {
      const float dy = static_cast<float>(cell / w) - ry, dx = static_cast<float>(cell % w) - rx;
      const float value = heatmaps.data[cell * kp + i] / (std::sqrt(dy * dy + dx * dx) + kDistanceOffset);
      if (value > best_value) {
        best_value = value;
        best = cell;
      }
    }
    const float* offset = offsets.data.data() + best * 2 * kp + 2 * i;
    out.push_back({(static_cast<float>(best / w) + offset[0]) / static_cast<float>(h),
                   (static_cast<float>(best % w) + offset[1]) / static_cast<float>(w), heatmaps.data[best * kp + i]});
  }
  return out;
}

}  // namespace tyto::vision::detail
