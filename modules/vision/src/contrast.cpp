#include "tyto/vision/contrast.hpp"

#include "detail/mat.hpp"
#include "tyto/core/error.hpp"
#include "tyto/vision/preprocess.hpp"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>

namespace tyto::vision {
namespace {

using Vec3 = std::array<double, 3>;

double distance2(const Vec3& a, const std::uint8_t* p) {
  const double d0 = a[0] - p[0], d1 = a[1] - p[1], d2 = a[2] - p[2];
  return d0 * d0 + d1 * d1 + d2 * d2;
}

// sRGB to linear light, one table for the 256 values (a pow per channel per pixel otherwise).
const std::array<double, 256>& linear_table() {
  static const std::array<double, 256> table = [] {
    std::array<double, 256> t{};
    for (int v = 0; v < 256; ++v) {
      const double c = v / 255.0;
      t[v] = c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
    }
    return t;
  }();
  return table;
}

double linear(std::uint8_t v) { return linear_table()[v]; }

// Two-means in RGB, seeded by the means of the darkest and the lightest 5% (deterministic, unlike
// cv::kmeans's random seeding). labels[i] is 0 or 1.
std::array<Vec3, 2> two_means(const cv::Mat& rgb, cv::Mat& labels) {
  const int n = rgb.rows * rgb.cols;
  const auto* px = rgb.ptr<std::uint8_t>();
  // Luma in 256 bins: the darkest and lightest 5 % without sorting the pixels.
  std::vector<std::uint8_t> luma(n);
  std::array<int, 256> histogram{};
  for (int i = 0; i < n; ++i) {
    luma[i] = static_cast<std::uint8_t>((54 * px[3 * i] + 183 * px[3 * i + 1] + 19 * px[3 * i + 2]) >> 8);
    ++histogram[luma[i]];
  }
  const int tail = std::max(1, n / 20);
  int low = 0, high = 255;
  for (int seen = histogram[0]; seen < tail; seen += histogram[++low]) {
  }
  for (int seen = histogram[255]; seen < tail; seen += histogram[--high]) {
  }
  std::array<Vec3, 2> centre{};
  std::array<int, 2> seeds{0, 0};
  for (int i = 0; i < n; ++i) {
    const int k = luma[i] <= low ? 0 : luma[i] >= high ? 1 : -1;
    if (k < 0) continue;
    ++seeds[k];
    for (int c = 0; c < 3; ++c) centre[k][c] += px[3 * i + c];
  }
  for (int k = 0; k < 2; ++k)
    for (int c = 0; c < 3; ++c) centre[k][c] /= std::max(1, seeds[k]);
  labels.create(rgb.rows, rgb.cols, CV_8U);
  auto* label = labels.ptr<std::uint8_t>();
  for (int iteration = 0; iteration < 30; ++iteration) {
    std::array<Vec3, 2> sum{};
    std::array<int, 2> count{0, 0};
    bool changed = false;
    for (int i = 0; i < n; ++i) {
      const std::uint8_t k = distance2(centre[1], px + 3 * i) < distance2(centre[0], px + 3 * i) ? 1 : 0;
      changed |= iteration == 0 || label[i] != k;
      label[i] = k;
      ++count[k];
      for (int c = 0; c < 3; ++c) sum[k][c] += px[3 * i + c];
    }
    for (int k = 0; k < 2; ++k)
      if (count[k] > 0)
        for (int c = 0; c < 3; ++c) centre[k][c] = sum[k][c] / count[k];
    if (!changed) break;
  }
  return centre;
}

Rgb median_colour(const cv::Mat& rgb, const std::vector<int>& indices) {
  const auto* px = rgb.ptr<std::uint8_t>();
  std::array<std::vector<std::uint8_t>, 3> channels;
  for (auto& ch : channels) ch.reserve(indices.size());
  for (int i : indices)
    for (int c = 0; c < 3; ++c) channels[c].push_back(px[3 * i + c]);
  std::array<std::uint8_t, 3> out{};
  for (int c = 0; c < 3; ++c) {
    auto& v = channels[c];
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    out[c] = v[v.size() / 2];
  }
  return {out[0], out[1], out[2]};
}

// The pixels a colour is measured on: the cluster's core (3x3 erosion), or, for strokes too thin to have
// one, the twentieth of the cluster lying farthest toward its own centre from the other.
std::vector<int> core_pixels(const cv::Mat& rgb, const cv::Mat& labels, int k, const std::array<Vec3, 2>& centre) {
  cv::Mat mask = labels == k, core;
  cv::erode(mask, core, cv::Mat::ones(3, 3, CV_8U), cv::Point(-1, -1), 1, cv::BORDER_REPLICATE);
  std::vector<int> member, inner;
  for (int i = 0; i < rgb.rows * rgb.cols; ++i) {
    if (mask.data[i]) member.push_back(i);
    if (core.data[i]) inner.push_back(i);
  }
  if (inner.size() >= 12 && inner.size() * 10 >= member.size()) return inner;
  const Vec3 axis{centre[k][0] - centre[1 - k][0], centre[k][1] - centre[1 - k][1], centre[k][2] - centre[1 - k][2]};
  const auto* px = rgb.ptr<std::uint8_t>();
  std::vector<std::pair<double, int>> along;
  for (int i : member) along.push_back({-(axis[0] * px[3 * i] + axis[1] * px[3 * i + 1] + axis[2] * px[3 * i + 2]), i});
  const std::size_t keep = std::max<std::size_t>(1, member.size() / 20);
  std::partial_sort(along.begin(), along.begin() + keep, along.end());
  std::vector<int> out;
  for (std::size_t j = 0; j < keep; ++j) out.push_back(along[j].second);
  return out;
}

// How many of a cluster's pixels lie on the region's outermost rows and columns.
std::array<int, 2> border_counts(const cv::Mat& labels) {
  std::array<int, 2> count{0, 0};
  for (int y = 0; y < labels.rows; ++y)
    for (int x = 0; x < labels.cols; ++x)
      if (y == 0 || x == 0 || y == labels.rows - 1 || x == labels.cols - 1) ++count[labels.at<std::uint8_t>(y, x)];
  return count;
}

}  // namespace

double relative_luminance(Rgb c) noexcept { return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) + 0.0722 * linear(c.b); }

double contrast_ratio(Rgb a, Rgb b) noexcept {
  const double la = relative_luminance(a), lb = relative_luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

ContrastMeasurement measure_contrast(const Image& image, const Box& region) {
  detail::check_image(image);
  const Box inside = clip(region, image.width, image.height);
  if (inside.width < 4 || inside.height < 4)
    throw validation_error("the region holds fewer than 4x4 pixels of the image", {{"box", "too small or outside"}});
  const Image rgb_image = to_rgb(crop(image, inside));
  const cv::Mat rgb = detail::view(rgb_image);
  cv::Mat labels;
  const auto centre = two_means(rgb, labels);
  ContrastMeasurement out;
  const int n = rgb.rows * rgb.cols;
  const int ones = cv::countNonZero(labels);
  const double gap2 = (centre[0][0] - centre[1][0]) * (centre[0][0] - centre[1][0]) +
                      (centre[0][1] - centre[1][1]) * (centre[0][1] - centre[1][1]) +
                      (centre[0][2] - centre[1][2]) * (centre[0][2] - centre[1][2]);
  if (ones == 0 || ones == n || gap2 < 12.0 * 12.0) {
    std::vector<int> all(n);
    for (int i = 0; i < n; ++i) all[i] = i;
    out.text = out.background = median_colour(rgb, all);
    out.text_pixels = out.background_pixels = n;
    return out;
  }
  const auto border = border_counts(labels);
  const int sizes[2] = {n - ones, ones};
  const int bg = border[0] != border[1] ? (border[1] > border[0] ? 1 : 0) : (sizes[1] > sizes[0] ? 1 : 0);
  const auto text_core = core_pixels(rgb, labels, 1 - bg, centre);
  const auto background_core = core_pixels(rgb, labels, bg, centre);
  out.separated = true;
  out.text = median_colour(rgb, text_core);
  out.background = median_colour(rgb, background_core);
  out.text_pixels = static_cast<int>(text_core.size());
  out.background_pixels = static_cast<int>(background_core.size());
  out.ratio = contrast_ratio(out.text, out.background);
  // The background's worst tenth against the text: over a gradient or a photo, where it is hardest to read.
  const auto* px = rgb.ptr<std::uint8_t>();
  std::vector<double> ratios;
  ratios.reserve(background_core.size());
  for (int i : background_core) ratios.push_back(contrast_ratio(out.text, {px[3 * i], px[3 * i + 1], px[3 * i + 2]}));
  std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 10, ratios.end());
  out.min_ratio = ratios[ratios.size() / 10];
  return out;
}

}  // namespace tyto::vision
