#include "detail/nanodet_decode.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>

namespace tyto::vision::detail {
namespace {

struct Level {
  const TensorRef* scores = nullptr;
  const TensorRef* boxes = nullptr;
  int stride = 0;
  int grid_width = 0;
  int reg_max = 0;
};

[[noreturn]] void bad_outputs(const std::string& why) {
  throw Error(ErrorCode::kValidationFailed, "the model's outputs are not NanoDet's: " + why,
              {{"reason", "model_outputs"}});
}

int ceil_div(int a, int b) { return (a + b - 1) / b; }

// [1, rows, columns] (or [rows, columns]) -> rows, columns.
std::array<std::int64_t, 2> matrix_shape(const TensorRef& t) {
  const auto& s = t.shape;
  const bool ok = (s.size() == 3 && s[0] == 1) || s.size() == 2;
  if (!ok) bad_outputs(fmt::format("an output of shape [{}]", fmt::join(s, ", ")));
  const std::int64_t rows = s[s.size() - 2], columns = s.back();
  if (rows <= 0 || columns <= 0 || static_cast<std::int64_t>(t.data.size()) != rows * columns)
    bad_outputs(fmt::format("an output of shape [{}] holds {} values", fmt::join(s, ", "), t.data.size()));
  return {rows, columns};
}

std::vector<Level> match_levels(std::span<const TensorRef> outputs, std::size_t classes,
                                const NanodetOptions& options) {
  if (options.input_width <= 0 || options.input_height <= 0) bad_outputs("the input size is not positive");
  std::map<std::int64_t, Level> by_rows;
  for (const auto& t : outputs) {
    const auto [rows, columns] = matrix_shape(t);
    auto& level = by_rows[rows];
    const bool is_scores = static_cast<std::size_t>(columns) == classes;
    if (!is_scores && (columns % 4 != 0 || columns < 8))
      bad_outputs(fmt::format("an output of {} columns, neither {} classes nor 4 distributions", columns, classes));
    auto& slot = is_scores ? level.scores : level.boxes;
    if (slot) bad_outputs(fmt::format("two outputs of {} rows and {} columns", rows, columns));
    slot = &t;
    if (!is_scores) level.reg_max = static_cast<int>(columns / 4) - 1;
  }
  std::vector<Level> levels;
  for (auto& [rows, level] : by_rows) {
    if (!level.scores || !level.boxes) bad_outputs(fmt::format("the level of {} rows lacks scores or boxes", rows));
    for (int stride : {8, 16, 32, 64, 128}) {
      const int w = ceil_div(options.input_width, stride), h = ceil_div(options.input_height, stride);
      if (static_cast<std::int64_t>(w) * h == rows) {
        level.stride = stride;
        level.grid_width = w;
        break;
      }
    }
    if (level.stride == 0)
      bad_outputs(
          fmt::format("{} rows match no stride of a {}x{} input", rows, options.input_width, options.input_height));
    levels.push_back(level);
  }
  if (levels.empty()) bad_outputs("no outputs");
  return levels;
}

// The expected distance, in strides, of one side's distribution (softmax over reg_max + 1 logits).
float expected_distance(const float* logits, int bins) {
  const float top = *std::max_element(logits, logits + bins);
  float sum = 0, weighted = 0;
  for (int i = 0; i < bins; ++i) {
    const float e = std::exp(logits[i] - top);
    sum += e;
    weighted += e * static_cast<float>(i);
  }
  return weighted / sum;
}

void decode_level(const Level& level, std::size_t classes, const NanodetOptions& options, std::vector<ScoredBox>& out) {
  const auto rows = static_cast<std::size_t>(level.scores->data.size() / classes);
  const int bins = level.reg_max + 1;
  const auto stride = static_cast<float>(level.stride);
  for (std::size_t row = 0; row < rows; ++row) {
    const float* scores = level.scores->data.data() + row * classes;
    const auto best = static_cast<std::size_t>(std::max_element(scores, scores + classes) - scores);
    float score = scores[best];
    if (!options.scores_are_probabilities) score = 1.0f / (1.0f + std::exp(-score));
    if (!(score > options.score_threshold)) continue;
    const float cx = (static_cast<float>(row % level.grid_width) + options.center_offset) * stride;
    const float cy = (static_cast<float>(row / level.grid_width) + options.center_offset) * stride;
    const float* dist = level.boxes->data.data() + row * 4 * bins;
    ScoredBox box;
    box.x1 = cx - expected_distance(dist, bins) * stride;
    box.y1 = cy - expected_distance(dist + bins, bins) * stride;
    box.x2 = cx + expected_distance(dist + 2 * bins, bins) * stride;
    box.y2 = cy + expected_distance(dist + 3 * bins, bins) * stride;
    box.score = score;
    box.class_id = static_cast<int>(best);
    out.push_back(box);
  }
}

float box_iou(const ScoredBox& a, const ScoredBox& b) {
  const float w = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  const float h = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  if (w <= 0 || h <= 0) return 0;
  const float inter = w * h;
  const float area_a = (a.x2 - a.x1) * (a.y2 - a.y1), area_b = (b.x2 - b.x1) * (b.y2 - b.y1);
  return inter / (area_a + area_b - inter);
}

Detection to_image(const ScoredBox& b, std::span<const std::string> class_names, const NanodetFit& lb) {
  const auto map = [](float v, float pad, float scale) { return (v - pad) / scale; };
  const float x1 = std::clamp(map(b.x1, lb.pad_x, lb.scale_x), 0.0f, static_cast<float>(lb.image_width));
  const float y1 = std::clamp(map(b.y1, lb.pad_y, lb.scale_y), 0.0f, static_cast<float>(lb.image_height));
  const float x2 = std::clamp(map(b.x2, lb.pad_x, lb.scale_x), 0.0f, static_cast<float>(lb.image_width));
  const float y2 = std::clamp(map(b.y2, lb.pad_y, lb.scale_y), 0.0f, static_cast<float>(lb.image_height));
  Detection d;
  d.class_id = b.class_id;
  d.label = static_cast<std::size_t>(b.class_id) < class_names.size() ? class_names[b.class_id] : std::string();
  d.score = b.score;
  d.box.x = static_cast<int>(std::lround(x1));
  d.box.y = static_cast<int>(std::lround(y1));
  d.box.width = static_cast<int>(std::lround(x2)) - d.box.x;
  d.box.height = static_cast<int>(std::lround(y2)) - d.box.y;
  return d;
}

}  // namespace

std::vector<ScoredBox> non_maximum_suppression(std::vector<ScoredBox> boxes, float iou_threshold, std::size_t max_keep,
                                               bool class_aware) {
  std::stable_sort(boxes.begin(), boxes.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
  std::vector<ScoredBox> kept;
  for (const auto& box : boxes) {
    if (kept.size() >= max_keep) break;
    const bool suppressed = std::any_of(kept.begin(), kept.end(), [&](const ScoredBox& k) {
      return (!class_aware || k.class_id == box.class_id) && box_iou(k, box) > iou_threshold;
    });
    if (!suppressed) kept.push_back(box);
  }
  return kept;
}

std::vector<Detection> decode_nanodet(std::span<const TensorRef> outputs, std::span<const std::string> class_names,
                                      const NanodetOptions& options, const NanodetFit& letterbox) {
  if (class_names.empty()) bad_outputs("no class names");
  if (letterbox.scale_x <= 0 || letterbox.scale_y <= 0) bad_outputs("the letterbox's scale is not positive");
  const auto levels = match_levels(outputs, class_names.size(), options);
  std::vector<ScoredBox> candidates;
  for (const auto& level : levels) decode_level(level, class_names.size(), options, candidates);
  std::vector<Detection> detections;
  for (const auto& box :
       non_maximum_suppression(std::move(candidates), options.iou_threshold, options.max_detections)) {
    auto d = to_image(box, class_names, letterbox);
    if (d.box.width > 0 && d.box.height > 0) detections.push_back(std::move(d));
  }
  return detections;
}

}  // namespace tyto::vision::detail
