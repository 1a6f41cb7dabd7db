#include "fingerprint/fingerprint_support.hpp"

#include "support/test_support.hpp"

#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace tyto::test::fp {

std::vector<std::filesystem::path> sample_photos() {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator("/usr/share/doc/opencv-doc/examples/data"))
    if (e.path().extension() == ".jpg") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  if (out.size() < 50) throw std::runtime_error("the opencv-doc sample photos are missing (scripts/packages/test.txt)");
  return out;
}

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string encode(const cv::Mat& bgr, const std::string& ext, int jpeg_quality) {
  std::vector<uchar> buf;
  cv::imencode("." + ext, bgr, buf, {cv::IMWRITE_JPEG_QUALITY, jpeg_quality});
  return {buf.begin(), buf.end()};
}

fingerprint::ImageHashes hash_bytes(const std::string& bytes, int min_side) {
  return fingerprint::hash_image(fingerprint::decode_image(bytes, {.min_side = min_side}));
}

nlohmann::json python_reference(const std::vector<std::filesystem::path>& files) {
  std::string command = "/usr/bin/python3 " + (source_dir() / "tests/fingerprint/reference_hashes.py").string();
  for (const auto& f : files) command += " '" + f.string() + "'";
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) out.append(buf, n);
  if (pclose(pipe) != 0) throw std::runtime_error("the Python reference failed: " + command);
  return nlohmann::json::parse(out);
}

}  // namespace tyto::test::fp
