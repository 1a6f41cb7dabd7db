#include "vision/vision_support.hpp"

#include "tyto/core/hash.hpp"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <stdexcept>

namespace tyto::test::vis {

pipeline::Artifact FakeArtifacts::put(const pipeline::NewArtifact& what, std::string_view bytes) {
  const std::string id = "artifact-" + std::to_string(objects.size() + 1);
  objects[id] = std::string(bytes);
  written[id] = what;
  return {id, what.purpose, what.filename, what.content_type, bytes.size(), sha256_hex(bytes)};
}

std::string FakeArtifacts::get(std::string_view id, std::size_t max_bytes) {
  const auto it = objects.find(std::string(id));
  if (it == objects.end()) throw pipeline::StageError("not_found", "no such object", false);
  if (it->second.size() > max_bytes) throw pipeline::StageError("artifact_too_large", "too large", false);
  return it->second;
}

pipeline::Artifact FakeArtifacts::stat(std::string_view id) {
  const auto& bytes = objects.at(std::string(id));
  return {std::string(id), "image", "x", "image/png", bytes.size(), sha256_hex(bytes)};
}

std::filesystem::path sample(const std::string& name) {
  const auto path = std::filesystem::path("/usr/share/doc/opencv-doc/examples/data") / name;
  if (!std::filesystem::is_regular_file(path))
    throw std::runtime_error(path.string() + " is missing: install opencv-doc (scripts/packages/test.txt)");
  return path;
}

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

vision::Image from_bgr(const cv::Mat& bgr) {
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  vision::Image out{rgb.cols, rgb.rows, 3, {}};
  out.pixels.assign(rgb.data, rgb.data + rgb.total() * 3);
  return out;
}

cv::Mat to_bgr(const vision::Image& image) {
  const cv::Mat view(image.height, image.width, CV_8UC(image.channels), const_cast<std::uint8_t*>(image.pixels.data()));
  cv::Mat bgr;
  if (image.channels == 3)
    cv::cvtColor(view, bgr, cv::COLOR_RGB2BGR);
  else if (image.channels == 4)
    cv::cvtColor(view, bgr, cv::COLOR_RGBA2BGR);
  else
    cv::cvtColor(view, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
}

std::string encode_bgr(const cv::Mat& bgr, const std::string& ext, int jpeg_quality) {
  std::vector<uchar> buf;
  if (!cv::imencode("." + ext, bgr, buf, {cv::IMWRITE_JPEG_QUALITY, jpeg_quality}))
    throw std::runtime_error("cannot encode ." + ext);
  return {buf.begin(), buf.end()};
}

vision::Box put_text(cv::Mat& bgr, const std::string& text, cv::Point origin, double scale, cv::Scalar colour,
                     int thickness) {
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
  cv::putText(bgr, text, origin, cv::FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv::LINE_AA);
  return {origin.x, origin.y - size.height, size.width, size.height + baseline};
}

}  // namespace tyto::test::vis
