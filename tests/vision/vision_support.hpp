// Shared by the vision tests: a stand-in job context with an in-memory object store, images drawn with
// OpenCV, and Debian's opencv-doc sample photos.
#pragma once

#include "tyto/pipeline/stage.hpp"
#include "tyto/vision/image.hpp"

#include <opencv2/core.hpp>

#include <filesystem>
#include <map>
#include <string>

namespace tyto::test::vis {

class FakeArtifacts final : public pipeline::Artifacts {
 public:
  std::map<std::string, std::string> objects;
  std::map<std::string, pipeline::NewArtifact> written;
  pipeline::Artifact put(const pipeline::NewArtifact& what, std::string_view bytes) override;
  std::string get(std::string_view id, std::size_t max_bytes) override;
  pipeline::Artifact stat(std::string_view id) override;
};

class FakeContext final : public pipeline::StageContext {
 public:
  FakeArtifacts store;
  const std::string& job_id() const override { return job_; }
  const std::string& tenant_id() const override { return tenant_; }
  int attempt() const override { return 1; }
  void progress(double, std::string_view) override {}
  void partial_result(const nlohmann::json&) override {}
  const pipeline::CancellationToken& token() const override { return token_; }
  bool sleep_for(std::chrono::milliseconds) override { return true; }
  void log(log::Level, std::string_view, std::initializer_list<log::Field>) override {}
  metrics::Registry& metrics() override { throw std::logic_error("unused"); }
  pipeline::Artifacts& artifacts() override { return store; }

 private:
  std::string job_ = "job";
  std::string tenant_ = "tenant";
  pipeline::CancellationToken token_;
};

// A path of Debian's opencv-doc sample data (scripts/packages/test.txt); throws when it is missing.
std::filesystem::path sample(const std::string& name);
std::string read_bytes(const std::filesystem::path& p);

// Between OpenCV's BGR Mats (what the tests draw on) and the module's RGB images.
vision::Image from_bgr(const cv::Mat& bgr);
cv::Mat to_bgr(const vision::Image& image);
std::string encode_bgr(const cv::Mat& bgr, const std::string& ext, int jpeg_quality = 95);

// Text drawn with OpenCV's Hershey simplex font, anti-aliased: the box it covers (baseline included).
vision::Box put_text(cv::Mat& bgr, const std::string& text, cv::Point origin, double scale, cv::Scalar bgr_colour,
                     int thickness = 2);

}  // namespace tyto::test::vis
