#include "tyto/vision/preprocess.hpp"

#include "detail/mat.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include <algorithm>
#include <cmath>

namespace tyto::vision {
namespace {

using detail::to_image;
using detail::view;

void require(bool ok, const char* field, const char* reason) {
  if (!ok) throw validation_error(fmt::format("{}: {}", field, reason), {{field, reason}});
}

cv::Scalar scalar_of(Rgb c, int channels) {
  if (channels == 1) return cv::Scalar(0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b);
  return cv::Scalar(c.r, c.g, c.b, 255);
}

}  // namespace

Image resize(const Image& image, int width, int height) {
  const cv::Mat src = view(image);
  require(width > 0 && height > 0 && width <= 65536 && height <= 65536, "size", "must be 1..65536 on each side");
  cv::Mat out;
  const bool shrinking = width < image.width && height < image.height;
  cv::resize(src, out, cv::Size(width, height), 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
  return to_image(out);
}

Letterboxed letterbox(const Image& image, int width, int height, Rgb fill) {
  const cv::Mat src = view(image);
  require(width > 0 && height > 0 && width <= 65536 && height <= 65536, "size", "must be 1..65536 on each side");
  const double scale = std::min(static_cast<double>(width) / image.width, static_cast<double>(height) / image.height);
  const int w = std::clamp(static_cast<int>(std::lround(image.width * scale)), 1, width);
  const int h = std::clamp(static_cast<int>(std::lround(image.height * scale)), 1, height);
  Letterboxed out;
  out.scale = scale;
  out.pad_x = (width - w) / 2;
  out.pad_y = (height - h) / 2;
  cv::Mat canvas(height, width, src.type(), scalar_of(fill, image.channels));
  cv::Mat inside = canvas(cv::Rect(out.pad_x, out.pad_y, w, h));  // same size and type: resize writes in place
  cv::resize(src, inside, cv::Size(w, h), 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  out.image = to_image(canvas);
  return out;
}

Image equalize_clahe(const Image& image, double clip_limit, int grid) {
  const cv::Mat src = view(image);
  require(clip_limit > 0 && clip_limit <= 100, "clip_limit", "must be in (0, 100]");
  require(grid >= 1 && grid <= 64, "grid", "must be 1..64");
  auto clahe = cv::createCLAHE(clip_limit, cv::Size(grid, grid));
  cv::Mat out;
  if (image.channels == 1) {
    clahe->apply(src, out);
    return to_image(out);
  }
  cv::Mat rgb, lab;
  if (image.channels == 4)
    cv::cvtColor(src, rgb, cv::COLOR_RGBA2RGB);
  else
    rgb = src;
  cv::cvtColor(rgb, lab, cv::COLOR_RGB2Lab);
  std::vector<cv::Mat> planes;
  cv::split(lab, planes);
  clahe->apply(planes[0], planes[0]);
  cv::merge(planes, lab);
  cv::cvtColor(lab, out, cv::COLOR_Lab2RGB);
  if (image.channels == 4) {
    std::vector<cv::Mat> rgba;
    cv::split(src, rgba);
    cv::Mat alpha = rgba[3];
    cv::split(out, rgba);
    rgba.push_back(alpha);
    cv::merge(rgba, out);
  }
  return to_image(out);
}

Image denoise(const Image& image, float strength) {
  const cv::Mat src = view(image);
  require(strength > 0 && strength <= 100, "strength", "must be in (0, 100]");
  cv::Mat out;
  if (image.channels == 1) {
    cv::fastNlMeansDenoising(src, out, strength);
  } else {
    cv::Mat rgb;
    if (image.channels == 4)
      cv::cvtColor(src, rgb, cv::COLOR_RGBA2RGB);
    else
      rgb = src;
    cv::fastNlMeansDenoisingColored(rgb, out, strength, strength);
  }
  return to_image(out);
}

std::vector<Tile> make_tiles(const Image& image, int tile_size, int overlap) {
  const cv::Mat src = view(image);
  require(tile_size >= 16, "tile_size", "must be at least 16");
  require(overlap >= 0 && overlap < tile_size, "overlap", "must be 0..tile_size-1");
  auto starts = [&](int length) {
    std::vector<int> out{0};
    const int step = tile_size - overlap;
    while (out.back() + tile_size < length) out.push_back(std::min(out.back() + step, length - tile_size));
    return out;
  };
  std::vector<Tile> tiles;
  for (const int y : starts(image.height))
    for (const int x : starts(image.width)) {
      const Box box = clip({x, y, tile_size, tile_size}, image.width, image.height);
      tiles.push_back({box, to_image(src(cv::Rect(box.x, box.y, box.width, box.height)))});
    }
  return tiles;
}

Image crop(const Image& image, const Box& box) {
  const cv::Mat src = view(image);
  const Box inside = clip(box, image.width, image.height);
  require(inside.width > 0, "box", "lies outside the image");
  return to_image(src(cv::Rect(inside.x, inside.y, inside.width, inside.height)));
}

Image to_rgb(const Image& image) {
  if (image.channels == 3) {
    detail::check_image(image);
    return image;
  }
  cv::Mat out;
  cv::cvtColor(view(image), out, image.channels == 1 ? cv::COLOR_GRAY2RGB : cv::COLOR_RGBA2RGB);
  return to_image(out);
}

}  // namespace tyto::vision
