// Preprocessing: resizing, letterboxing, local contrast (CLAHE), denoising and tiling.
//
// Every function takes an image of 1, 3 or 4 channels and returns a new one with the same channel count;
// it throws tyto::Error validation_failed for an empty image or a nonsensical parameter. CPU-bound: call
// from job threads, never from an I/O thread. Thread-safe: no shared state.
#pragma once

#include "tyto/vision/image.hpp"

#include <vector>

namespace tyto::vision {

// Scales to exactly width x height (area averaging when shrinking, bilinear when enlarging).
Image resize(const Image& image, int width, int height);

// Scales to fit inside width x height keeping the aspect ratio, centred on a fill colour: what a model
// with a fixed input size expects. A point (x, y) of the original is at (x * scale + pad_x, y * scale + pad_y).
struct Letterboxed {
  Image image;
  double scale = 1;
  int pad_x = 0;
  int pad_y = 0;
};
Letterboxed letterbox(const Image& image, int width, int height, Rgb fill = {114, 114, 114});

// Contrast-limited adaptive histogram equalisation on the lightness (L of CIE Lab for colour images), so
// hues are kept. clip_limit as OpenCV's (2..4 typical), grid: tiles per side.
Image equalize_clahe(const Image& image, double clip_limit = 2.0, int grid = 8);

// Non-local means denoising (OpenCV's fastNlMeansDenoising[Colored]); strength is its h (3..15 typical).
Image denoise(const Image& image, float strength = 5.0f);

// Overlapping square-ish tiles covering the image: each at most tile_size on a side, neighbours sharing
// `overlap` pixels, the last row and column shifted back so that every tile is full-sized when the image
// is at least tile_size. The box is the tile's place in the image. overlap < tile_size.
struct Tile {
  Box box;
  Image image;
};
std::vector<Tile> make_tiles(const Image& image, int tile_size, int overlap);

// The part of an image inside a box (clipped to the image), as a new image.
Image crop(const Image& image, const Box& box);
// The image as 3-channel RGB (grey repeated, alpha dropped).
Image to_rgb(const Image& image);

}  // namespace tyto::vision
