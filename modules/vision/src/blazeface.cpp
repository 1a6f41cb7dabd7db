// BlazeFace's anchors and output decoding, after MediaPipe's SsdAnchorsCalculator and
// TensorsToDetectionsCalculator as configured for the face detection back model (256x256: strides 16, 32,
// 32, 32; anchor offset 0.5; fixed anchor size; two anchors per layer) and its weighted NMS.
#include "detail/detection.hpp"

#include <algorithm>
#include <cmath>

namespace tyto::vision::detail {

std::vector<Anchor> ssd_anchors(int input_size, std::span<const int> strides) {
  std::vector<Anchor> anchors;
  std::size_t layer = 0;
  while (layer < strides.size()) {
    // Consecutive layers of one stride share the grid; each adds two anchors per cell.
    std::size_t last = layer;
    while (last < strides.size() && strides[last] == strides[layer]) ++last;
    const int per_cell = static_cast<int>(2 * (last - layer));
    const int cells = (input_size + strides[layer] - 1) / strides[layer];
    for (int y = 0; y < cells; ++y)
      for (int x = 0; x < cells; ++x)
        for (int a = 0; a < per_cell; ++a)
          anchors.push_back({(x + 0.5f) / static_cast<float>(cells), (y + 0.5f) / static_cast<float>(cells)});
    layer = last;
  }
  return anchors;
}

namespace {

struct Face {
  float cx, cy, w, h;  // normalised to the network's input
  float score;
};

float face_iou(const Face& a, const Face& b) {
  const float x0 = std::max(a.cx - a.w / 2, b.cx - b.w / 2), y0 = std::max(a.cy - a.h / 2, b.cy - b.h / 2);
  const float x1 = std::min(a.cx + a.w / 2, b.cx + b.w / 2), y1 = std::min(a.cy + a.h / 2, b.cy + b.h / 2);
  const float inner = std::max(0.0f, x1 - x0) * std::max(0.0f, y1 - y0);
  const float both = a.w * a.h + b.w * b.h - inner;
  return both > 0 ? inner / both : 0.0f;
}

// MediaPipe's weighted NMS: the best face absorbs those overlapping it, its box the score-weighted mean of them.
std::vector<Face> weighted_nms(std::vector<Face> faces, float iou_threshold) {
  std::sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) { return a.score > b.score; });
  std::vector<bool> used(faces.size(), false);
  std::vector<Face> out;
  for (std::size_t i = 0; i < faces.size(); ++i) {
    if (used[i]) continue;
    Face sum{0, 0, 0, 0, faces[i].score};
    float weights = 0;
    for (std::size_t j = i; j < faces.size(); ++j) {
      if (used[j] || (j != i && face_iou(faces[i], faces[j]) <= iou_threshold)) continue;
      used[j] = true;
      const float w = faces[j].score;
      sum.cx += faces[j].cx * w;
      sum.cy += faces[j].cy * w;
      sum.w += faces[j].w * w;
      sum.h += faces[j].h * w;
      weights += w;
    }
    out.push_back({sum.cx / weights, sum.cy / weights, sum.w / weights, sum.h / weights, sum.score});
  }
  return out;
}

}  // namespace

std::vector<Detection> decode_blazeface(std::span<const float> scores, std::span<const float> boxes,
                                        std::span<const Anchor> anchors, int input_size, const ModelSpec& spec,
                                        const Letterbox& fit) {
  std::vector<Face> faces;
  const float size = static_cast<float>(input_size);
  for (std::size_t i = 0; i < anchors.size() && i < scores.size() && (i + 1) * 16 <= boxes.size(); ++i) {
    const float logit = std::clamp(scores[i], -100.0f, 100.0f);
    const float score = 1.0f / (1.0f + std::exp(-logit));
    if (!(score >= spec.score_threshold)) continue;
    const float* b = boxes.data() + i * 16;
    faces.push_back({anchors[i].cx + b[0] / size, anchors[i].cy + b[1] / size, b[2] / size, b[3] / size, score});
  }
  std::vector<Detection> out;
  for (const Face& f : weighted_nms(std::move(faces), spec.nms_iou)) {
    Detection d;
    d.label = spec.classes.empty() ? "face" : spec.classes.front();
    d.class_id = 0;
    d.score = f.score;
    d.box = to_source(f.cx * size, f.cy * size, f.w * size, f.h * size, fit);
    if (d.box.width > 0 && d.box.height > 0) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace tyto::vision::detail
