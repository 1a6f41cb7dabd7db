// Shared by the fingerprint tests: the sample photos, images made with OpenCV, and the Python reference.
#pragma once

#include "tyto/fingerprint/image_hash.hpp"

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace tyto::test::fp {

// The JPEG photos Debian's opencv-doc ships (scripts/packages/test.txt), sorted by name.
std::vector<std::filesystem::path> sample_photos();
std::string read_bytes(const std::filesystem::path& p);
// Encodes a BGR image ("png", "jpg" with quality).
std::string encode(const cv::Mat& bgr, const std::string& ext, int jpeg_quality = 95);
fingerprint::ImageHashes hash_bytes(const std::string& bytes, int min_side = 256);
// {path: {ahash, dhash, phash, pdq, pdq_quality}} from tests/fingerprint/reference_hashes.py.
nlohmann::json python_reference(const std::vector<std::filesystem::path>& files);

}  // namespace tyto::test::fp
