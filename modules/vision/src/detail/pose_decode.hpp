// Decoding single-pose MoveNet's outputs into COCO's 17 key points (the pose model set-up converts from TF.js
// to ONNX; docs/models.md). Pure C++: no OpenCV here, so it is tested with hand-built tensors.
// Thread-safe: no shared state.
#pragma once

#include "detail/nanodet_decode.hpp"

#include <vector>

namespace tyto::vision::detail {

// A key point as MoveNet gives it: y and x 0..1 of the network's input, and its score.
struct NormalisedKeypoint {
  float y = 0;
  float x = 0;
  float score = 0;
};

// MoveNet's own output, [1, 1, K, 3] (y, x, score per key point). Throws tyto::Error validation_failed for
// another shape.
std::vector<NormalisedKeypoint> read_movenet_keypoints(const TensorRef& output);

// MoveNet's four heads over a grid of H x W cells, NHWC, as the converted model outputs them:
//   heatmaps   [1, H, W, K]  each key point's probability per cell (sigmoid applied)
//   centers    [1, H, W, 1]  the person's centre per cell, already weighted towards the image's centre
//   regression [1, H, W, 2K] from a centre cell, each key point's (dy, dx) in cells
//   offsets    [1, H, W, 2K] from a key point's cell, its (dy, dx) within the cell, in cells
// Decoded as MoveNet's graph does: the best centre cell; each key point regressed from it; the key point's
// cell the best of its heatmap divided by (distance to the regressed point + 1.8); its position that cell
// plus its offset, over the grid; its score the heatmap there. Ties go to the first cell, row-major.
// Throws tyto::Error validation_failed when the shapes do not fit together.
std::vector<NormalisedKeypoint> decode_movenet_heads(const TensorRef& heatmaps, const TensorRef& centers,
                                                     const TensorRef& regression, const TensorRef& offsets);

}  // namespace tyto::vision::detail
