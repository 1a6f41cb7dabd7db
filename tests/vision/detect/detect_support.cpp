#include "vision/detect/detect_support.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>

namespace tyto::test::detect {

namespace fs = std::filesystem;

fs::path model_file(const std::string& name) {
  const char* dir = std::getenv("TYTO_TEST_SERVICES_DIR");
  if (!dir) throw std::runtime_error("TYTO_TEST_SERVICES_DIR is not set (run through ctest)");
  const auto path = fs::path(dir) / "detect-models" / name;
  if (!fs::is_regular_file(path))
    throw std::runtime_error(path.string() + " is missing: the ctest fixture detect_models (make_models.py) makes it");
  return path;
}

vision::ModelSpec tiny_yolo(const std::string& file, vision::ModelKind kind, vision::OutputFormat format) {
  vision::ModelSpec spec;
  spec.name = "tiny";
  spec.version = "1";
  spec.kind = kind;
  spec.format = format;
  spec.path = model_file(file).string();
  spec.classes = {"square", "cat", "dog"};
  spec.input_width = spec.input_height = 320;
  spec.score_threshold = 0.25f;
  spec.nms_iou = 0.45f;
  return spec;
}

vision::Image white_square(int width, int height, int x, int y, int side) {
  vision::Image image{width, height, 3, std::vector<std::uint8_t>(static_cast<std::size_t>(width) * height * 3, 0)};
  for (int r = y; r < y + side; ++r)
    for (int c = x; c < x + side; ++c)
      for (int k = 0; k < 3; ++k) image.pixels[(static_cast<std::size_t>(r) * width + c) * 3 + k] = 255;
  return image;
}

Folder::Folder() {
  std::random_device rd;
  path_ = fs::temp_directory_path() / ("tyto-detect-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}

Folder::~Folder() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

fs::path Folder::write(const std::string& name, const std::string& text) const {
  const auto p = path_ / name;
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
  return p;
}

}  // namespace tyto::test::detect
