// config/models.json: parsing and validation, every error naming its entry and field.
#include "tyto/core/error.hpp"
#include "tyto/vision/models.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <fstream>
#include <set>

namespace tyto::vision {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class EntryReader {
 public:
  EntryReader(const json& entry, std::size_t index, std::string_view file) : entry_(entry), file_(file) {
    label_ = fmt::format("#{}", index);
    if (entry.is_object() && entry.contains("name") && entry["name"].is_string())
      label_ = entry["name"].get<std::string>();
  }

  [[noreturn]] void fail(std::string_view field, std::string_view why) const {
    throw Error(ErrorCode::kValidationFailed, fmt::format("{}: model \"{}\": {}: {}", file_, label_, field, why),
                {{"file", file_},
                 {"model", label_},
                 {"field", field},
                 {"fields", {{fmt::format("{}.{}", label_, field), why}}}});
  }

  const json* find(const char* field) const {
    const auto it = entry_.find(field);
    return it == entry_.end() || it->is_null() ? nullptr : &*it;
  }

  std::string string(const char* field, bool required, std::string fallback = {}) const {
    const json* v = find(field);
    if (!v) {
      if (required) fail(field, "is required");
      return fallback;
    }
    if (!v->is_string() || v->get_ref<const std::string&>().empty()) fail(field, "must be a non-empty string");
    return v->get<std::string>();
  }

  float fraction(const char* field, float fallback) const {
    const json* v = find(field);
    if (!v) return fallback;
    if (!v->is_number() || v->get<double>() < 0 || v->get<double>() > 1) fail(field, "must be a number in 0..1");
    return v->get<float>();
  }

  const std::string& label() const { return label_; }

 private:
  const json& entry_;
  std::string_view file_;
  std::string label_;
};

fs::path resolve(const std::string& path, const fs::path& base_dir, const fs::path& models_dir) {
  constexpr std::string_view kPrefix = "{models_dir}";
  if (path.starts_with(kPrefix)) {
    std::string rest = path.substr(kPrefix.size());
    while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
    return (models_dir / rest).lexically_normal();
  }
  const fs::path p(path);
  return p.is_absolute() ? p : (base_dir / p).lexically_normal();
}

std::vector<std::string> read_classes(const EntryReader& r, const json& value, const fs::path& base_dir,
                                      const fs::path& models_dir) {
  std::vector<std::string> classes;
  if (value.is_array()) {
    for (const auto& c : value) {
      if (!c.is_string() || c.get_ref<const std::string&>().empty()) r.fail("classes", "must hold non-empty strings");
      classes.push_back(c.get<std::string>());
    }
    return classes;
  }
  if (!value.is_string()) r.fail("classes", "must be an array of names or the path of a file of names");
  const fs::path file = resolve(value.get<std::string>(), base_dir, models_dir);
  std::ifstream in(file);
  if (!in) r.fail("classes", fmt::format("the file {} cannot be read", file.string()));
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) classes.push_back(line);
  }
  if (classes.empty()) r.fail("classes", fmt::format("the file {} names no class", file.string()));
  return classes;
}

ModelSpec read_entry(const json& entry, std::size_t index, std::string_view file, const fs::path& base_dir,
                     const fs::path& models_dir) {
  const EntryReader r(entry, index, file);
  if (!entry.is_object()) r.fail("entry", "must be an object");
  ModelSpec spec;
  spec.name = r.string("name", true);
  for (char c : spec.name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      r.fail("name", "may hold letters, digits, '-', '_' and '.' only");
  spec.version = r.string("version", false, "0");
  const auto kind = parse_kind(r.string("kind", true));
  if (!kind) r.fail("kind", "must be torchscript, onnx, cascade or hog");
  spec.kind = *kind;
  const bool network = spec.kind == ModelKind::kTorchScript || spec.kind == ModelKind::kOnnx;
  if (r.find("format")) {
    const auto format = parse_format(r.string("format", true));
    if (!format || !network)
      r.fail("format", "must be yolov5, yolov8, blazeface, nanodet, movenet or selfie (torchscript and onnx only)");
    const bool yolo =
        *format == OutputFormat::kAuto || *format == OutputFormat::kYoloV5 || *format == OutputFormat::kYoloV8;
    if (!yolo && spec.kind != ModelKind::kOnnx) r.fail("format", fmt::format("{} is onnx only", format_name(*format)));
    spec.format = *format;
  }
  const std::string path = r.string("path", network);
  if (!path.empty()) {
    if (spec.kind == ModelKind::kHog) r.fail("path", "hog takes no file");
    spec.path = resolve(path, base_dir, models_dir).string();
  }
  spec.device = r.string("device", false, "cpu");
  if (spec.device != "cpu" && spec.device != "cuda") r.fail("device", "must be cpu or cuda");
  if (const json* classes = r.find("classes")) spec.classes = read_classes(r, *classes, base_dir, models_dir);
  const bool one_label = spec.format == OutputFormat::kBlazeFace || spec.format == OutputFormat::kMoveNet ||
                         spec.format == OutputFormat::kSelfie;
  if (network && !one_label && spec.classes.empty())
    r.fail("classes", "is required for a YOLO model (the names of its classes, by index)");
  if (const json* size = r.find("input_size")) {
    if (!size->is_array() || size->size() != 2 || !(*size)[0].is_number_integer() || !(*size)[1].is_number_integer() ||
        (*size)[0].get<int>() < 16 || (*size)[1].get<int>() < 16 || (*size)[0].get<int>() > 8192 ||
        (*size)[1].get<int>() > 8192)
      r.fail("input_size", "must be [width, height], integers in 16..8192");
    spec.input_width = (*size)[0].get<int>();
    spec.input_height = (*size)[1].get<int>();
  } else if (spec.format == OutputFormat::kBlazeFace || spec.format == OutputFormat::kSelfie) {
    spec.input_width = spec.input_height = 256;
  } else if (spec.format == OutputFormat::kMoveNet) {
    spec.input_width = spec.input_height = 192;
  }
  spec.profile = r.find("profile") ? r.string("profile", true) : "";
  if (!spec.profile.empty() && spec.profile != "fast" && spec.profile != "accurate" && spec.profile != "cpu-only")
    r.fail("profile", "must be fast, accurate or cpu-only");
  const float default_threshold = spec.kind == ModelKind::kHog ? 0.5f : spec.kind == ModelKind::kCascade ? 0.0f : 0.25f;
  spec.score_threshold = r.fraction("score_threshold", default_threshold);
  spec.nms_iou = r.fraction("nms_iou", spec.format == OutputFormat::kBlazeFace ? 0.3f : 0.45f);
  return spec;
}

}  // namespace

std::vector<ModelSpec> parse_models(std::string_view json_text, const fs::path& base_dir, const fs::path& models_dir,
                                    std::string_view file_name) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw Error(ErrorCode::kValidationFailed, fmt::format("{}: not valid JSON: {}", file_name, e.what()),
                {{"file", file_name}, {"field", "json"}, {"fields", {{"json", e.what()}}}});
  }
  if (!doc.is_array())
    throw Error(ErrorCode::kValidationFailed, fmt::format("{}: must be an array of models", file_name),
                {{"file", file_name}, {"field", "json"}, {"fields", {{"json", "must be an array of models"}}}});
  std::vector<ModelSpec> specs;
  std::set<std::string> names;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    specs.push_back(read_entry(doc[i], i, file_name, base_dir, models_dir));
    if (!names.insert(specs.back().name).second)
      EntryReader(doc[i], i, file_name).fail("name", "is used by an earlier entry");
  }
  return specs;
}

}  // namespace tyto::vision
