// TorchScript YOLO models through LibTorch. The only file of Tyto that includes LibTorch's headers (each
// inclusion costs ~12 s and 1 GB to compile).
#include "detail/detection.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <torch/cuda.h>
#include <torch/script.h>

#include <cstdlib>
#include <mutex>

namespace tyto::vision::detail {
namespace {

bool forced_cpu() {
  const char* v = std::getenv("FORCE_CPU");
  return v && std::string_view(v) == "1";
}

// The first tensor of what forward returned: YOLOv5's exports return (predictions, ...) tuples.
at::Tensor first_tensor(const c10::IValue& value) {
  if (value.isTensor()) return value.toTensor();
  if (value.isTuple() && !value.toTupleRef().elements().empty()) return first_tensor(value.toTupleRef().elements()[0]);
  if (value.isList() && value.toListRef().size() > 0) return first_tensor(value.toListRef()[0]);
  throw std::runtime_error("the model returned no tensor");
}

class TorchDetector final : public DeviceDetector {
 public:
  explicit TorchDetector(ModelSpec spec) : spec_(std::move(spec)) {
    cuda_ = spec_.device == "cuda" && !forced_cpu() && torch::cuda::is_available();
    try {
      module_ = torch::jit::load(spec_.path, cuda_ ? torch::kCUDA : torch::kCPU);
      module_.eval();
    } catch (const c10::Error& e) {
      throw Error(ErrorCode::kUnavailable,
                  fmt::format("model {}: LibTorch cannot load {}: {}", spec_.name, spec_.path,
                              first_line(e.what_without_backtrace())),
                  {{"model", spec_.name}, {"path", spec_.path}, {"reason", "load_failed"}});
    }
  }

  std::vector<Detection> detect(const Image& rgb) override {
    Letterbox fit;
    const cv::Mat input = letterbox(rgb_of(rgb), spec_.input_width, spec_.input_height, fit);
    std::vector<float> blob = planar(input, 1.0f / 255.0f);
    at::Tensor output;
    try {
      c10::InferenceMode guard;
      at::Tensor tensor = torch::from_blob(blob.data(), {1, 3, spec_.input_height, spec_.input_width});
      if (cuda_) tensor = tensor.to(torch::kCUDA);
      std::lock_guard lock(mutex_);  // a Module's forward is not documented as safe concurrently
      output = first_tensor(module_.forward({tensor})).to(torch::kCPU, torch::kFloat).contiguous();
    } catch (const c10::Error& e) {
      throw Error(ErrorCode::kInternal,
                  fmt::format("model {}: inference failed: {}", spec_.name, first_line(e.what_without_backtrace())));
    } catch (const std::runtime_error& e) {
      throw Error(ErrorCode::kInternal, fmt::format("model {}: inference failed: {}", spec_.name, e.what()));
    }
    const auto sizes = output.sizes();
    const std::vector<std::int64_t> shape(sizes.begin(), sizes.end());
    return decode_yolo(output.data_ptr<float>(), shape, spec_, fit);
  }

  std::string_view kind() const override { return "torchscript"; }
  std::string_view device() const noexcept override { return cuda_ ? "cuda" : "cpu"; }

 private:
  static std::string first_line(const char* text) {
    std::string s(text);
    return s.substr(0, s.find('\n'));
  }

  ModelSpec spec_;
  bool cuda_ = false;
  std::mutex mutex_;
  torch::jit::Module module_;  // forward guarded by mutex_
};

}  // namespace

std::shared_ptr<Detector> make_torch_detector(const ModelSpec& spec) {
  if (spec.format == OutputFormat::kBlazeFace || spec.format == OutputFormat::kNanoDet)
    throw validation_error(fmt::format("model {}: torchscript models decode YOLO outputs only", spec.name),
                           {{"format", "yolov5 or yolov8 for torchscript"}});
  return std::make_shared<TorchDetector>(spec);
}

}  // namespace tyto::vision::detail
