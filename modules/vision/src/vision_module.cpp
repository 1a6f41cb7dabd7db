#include "tyto/modules/vision.hpp"

#include "cli/components.hpp"
#include "detail/schemas.hpp"
#include "tyto/core/error.hpp"
#include "tyto/pipeline/pipeline.hpp"
#include "tyto/vision/contrast.hpp"
#include "tyto/vision/faces.hpp"
#include "tyto/vision/models.hpp"
#include "tyto/vision/ocr.hpp"
#include "tyto/vision/overlay.hpp"
#include "tyto/vision/preprocess.hpp"
#include "tyto/vision/redact.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace tyto {
std::span<const EmbeddedFile> embedded_vision_pipelines();
}

namespace tyto::modules {
namespace {

using nlohmann::json;
using pipeline::StageError;
using namespace tyto::vision;

json box_json(const Box& b) { return {{"x", b.x}, {"y", b.y}, {"width", b.width}, {"height", b.height}}; }

Box box_from(const json& j) {
  return {j.at("x").get<int>(), j.at("y").get<int>(), j.at("width").get<int>(), j.at("height").get<int>()};
}

double rounded(double v, double places = 100.0) { return std::round(v * places) / places; }

// Runs f, turning the typed errors of bad input into permanent stage failures with the same code.
template <class F>
auto permanent_on_bad_input(F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    const bool retryable = e.code() == ErrorCode::kUnavailable || e.code() == ErrorCode::kInternal;
    throw StageError(std::string(error_code_name(e.code())), e.what(), retryable);
  }
}

std::vector<Box> boxes_of(const json& input, std::initializer_list<const char*> fields) {
  std::vector<Box> out;
  for (const char* field : fields)
    if (input.contains(field))
      for (const auto& b : input.at(field)) out.push_back(box_from(b.contains("box") ? b.at("box") : b));
  return out;
}

json lines_json(const OcrResult& result) {
  json lines = json::array();
  for (const auto& line : result.lines) {
    json words = json::array();
    for (const auto& w : line.words)
      words.push_back({{"text", w.text}, {"box", box_json(w.box)}, {"confidence", rounded(w.confidence, 10)}});
    lines.push_back({{"text", line.text},
                     {"box", box_json(line.box)},
                     {"confidence", rounded(line.confidence, 10)},
                     {"words", std::move(words)}});
  }
  return lines;
}

std::string output_purpose(const json& input) { return input.value("purpose", std::string("image")); }

}  // namespace

std::vector<ComponentOption> VisionModule::options() {
  return {{"ocr_engines", "integer", 2, "Tesseract engines kept initialised for OCR (each holds ~40 MB)"},
          {"tessdata", "string", "",
           "Folder of <lang>.traineddata (empty: $TESSDATA_PREFIX, else Debian's /usr/share/tesseract-ocr/*/tessdata)"},
          {"face_cascade", "string", "",
           "Haar cascade for vision.faces (empty: opencv-data's haarcascade_frontalface_default.xml)"},
          {"max_pixels", "integer", 50'000'000, "Largest image (width x height, as its header declares) decoded"},
          {"models_file", "string", "config/models.json",
           "The detection models' registry (relative: to the working directory; a missing file: no models)"},
          {"models_dir", "string", "models",
           "Where set-up installs model files: \"{models_dir}/...\" in models_file's paths (relative: to the working "
           "directory)"},
          {"models_poll_ms", "integer", 2000,
           "How often the models file and the model files are checked for changes to hot-reload (0: never)"}};
}

VisionModule::VisionModule(const cli::ModuleServices& services) {
  const auto& config = services.config;
  if (const auto& v = config.option("modules.vision.ocr_engines"); v.is_number_integer() && v.get<std::int64_t>() > 0)
    options_.ocr_engines = v.get<std::size_t>();
  if (const auto& v = config.option("modules.vision.tessdata"); v.is_string()) options_.tessdata = v.get<std::string>();
  if (const auto& v = config.option("modules.vision.face_cascade"); v.is_string())
    options_.face_cascade = v.get<std::string>();
  if (const auto& v = config.option("modules.vision.max_pixels"); v.is_number_integer() && v.get<std::int64_t>() > 0)
    options_.max_pixels = v.get<std::uint64_t>();
  if (const auto& v = config.option("modules.vision.models_file"); v.is_string() && !v.get<std::string>().empty())
    options_.models_file = v.get<std::string>();
  if (const auto& v = config.option("modules.vision.models_dir"); v.is_string() && !v.get<std::string>().empty())
    options_.models_dir = v.get<std::string>();
  if (const auto& v = config.option("modules.vision.models_poll_ms");
      v.is_number_integer() && v.get<std::int64_t>() >= 0)
    options_.models_poll_ms = v.get<std::int64_t>();
}

VisionModule::VisionModule(VisionOptions options) : options_(std::move(options)) {}

VisionModule::~VisionModule() = default;

OcrPool& VisionModule::ocr_pool() {
  std::lock_guard lock(mutex_);
  if (!ocr_) ocr_ = std::make_unique<OcrPool>(OcrPool::Options{options_.ocr_engines, options_.tessdata, "eng"});
  return *ocr_;
}

FaceDetector& VisionModule::face_detector() {
  std::lock_guard lock(mutex_);
  if (!faces_)
    faces_ =
        std::make_unique<FaceDetector>(options_.face_cascade.empty() ? default_cascade_path() : options_.face_cascade);
  return *faces_;
}

vision::ModelRegistry& VisionModule::models() {
  std::lock_guard lock(models_mutex_);
  if (!models_)
    models_ = std::make_unique<ModelRegistry>(ModelRegistry::Options{
        options_.models_file, options_.models_dir, std::chrono::milliseconds(options_.models_poll_ms)});
  return *models_;
}

void VisionModule::start() { models().start(); }

void VisionModule::stop() {
  std::lock_guard lock(models_mutex_);
  if (models_) models_->stop();
}

std::vector<std::pair<std::string, std::string>> VisionModule::readiness() const {
  std::lock_guard lock(models_mutex_);
  return models_ ? models_->readiness() : std::vector<std::pair<std::string, std::string>>{};
}

namespace {

Image read_image(pipeline::StageContext& ctx, const std::string& object_id, const VisionOptions& options) {
  const std::string bytes = ctx.artifacts().get(object_id, options.max_bytes);
  ctx.check_cancelled();
  return permanent_on_bad_input(
      [&] { return decode(bytes, {.max_bytes = options.max_bytes, .max_pixels = options.max_pixels}); });
}

json store_png(pipeline::StageContext& ctx, const Image& image, const json& input, const std::string& filename) {
  const auto artifact = ctx.artifacts().put({output_purpose(input), filename, "image/png"}, encode_png(image));
  return {{"object_id", artifact.id},
          {"source_object_id", input.at("object_id")},
          {"width", image.width},
          {"height", image.height}};
}

}  // namespace

json VisionModule::ocr(pipeline::StageContext& ctx, const json& input) {
  const std::string object_id = input.at("object_id").get<std::string>();
  Image image = read_image(ctx, object_id, options_);
  OcrOptions options;
  options.page_segmentation = input.value("page_segmentation", 3);
  options.min_confidence = input.value("min_confidence", 0.0f);
  options.upscale = input.value("upscale", 1.0);
  const OcrResult result = permanent_on_bad_input([&] {
    if (input.value("denoise", false)) image = denoise(image);
    if (input.value("clahe", false)) image = equalize_clahe(image);
    ctx.progress(0.2, "recognising");
    return ocr_pool().recognize(image, options);
  });
  return {{"object_id", object_id},
          {"width", image.width},
          {"height", image.height},
          {"text", result.text()},
          {"word_count", result.word_count()},
          {"lines", lines_json(result)}};
}

json VisionModule::contrast(pipeline::StageContext& ctx, const json& input) {
  const std::string object_id = input.at("object_id").get<std::string>();
  if (!input.contains("regions") && !input.contains("lines"))
    throw StageError("validation_failed", "contrast needs regions (or the lines of vision.ocr)", false);
  const json& regions = input.contains("regions") ? input.at("regions") : input.at("lines");
  if (regions.empty()) return {{"object_id", object_id}, {"regions", json::array()}};
  const Image image = read_image(ctx, object_id, options_);
  json out = json::array();
  std::size_t done = 0;
  for (const auto& region : regions) {
    ctx.check_cancelled();
    Box box = box_from(region.contains("box") ? region.at("box") : region);
    if (region.contains("box")) {
      // OCR's boxes hug the glyphs; a margin puts background on the box's border, which decides the clusters.
      const int margin = std::max(2, box.height / 8);
      box = clip({box.x - margin, box.y - margin, box.width + 2 * margin, box.height + 2 * margin}, image.width,
                 image.height);
    }
    json entry = {{"box", box_json(box)}};
    if (region.contains("id")) entry["id"] = region.at("id");
    if (region.contains("text")) entry["text"] = region.at("text");
    try {
      const auto m = measure_contrast(image, box);
      entry.update({{"text_colour", to_hex(m.text)},
                    {"background_colour", to_hex(m.background)},
                    {"ratio", rounded(m.ratio)},
                    {"min_ratio", rounded(m.min_ratio)},
                    {"separated", m.separated},
                    {"text_pixels", m.text_pixels},
                    {"background_pixels", m.background_pixels}});
    } catch (const Error& e) {
      entry["error"] = {{"code", error_code_name(e.code())}, {"message", e.what()}};  // one bad box, not the job
    }
    out.push_back(std::move(entry));
    ctx.progress(static_cast<double>(++done) / regions.size());
  }
  return {{"object_id", object_id}, {"regions", std::move(out)}};
}

json VisionModule::faces(pipeline::StageContext& ctx, const json& input) {
  const std::string object_id = input.at("object_id").get<std::string>();
  const Image image = read_image(ctx, object_id, options_);
  FaceOptions options;
  options.min_size = input.value("min_size", options.min_size);
  options.min_neighbors = input.value("min_neighbors", options.min_neighbors);
  options.scale_factor = input.value("scale_factor", options.scale_factor);
  const auto found = permanent_on_bad_input([&] { return face_detector().detect(image, options); });
  json faces = json::array();
  for (const Box& b : found) faces.push_back(box_json(b));
  json out = {{"object_id", object_id}, {"width", image.width}, {"height", image.height}, {"faces", faces}};
  for (const char* passed : {"mode", "colour", "purpose"})  // for a vision.redact after this stage
    if (input.contains(passed)) out[passed] = input[passed];
  return out;
}

json VisionModule::redact(pipeline::StageContext& ctx, const json& input) {
  Image image = read_image(ctx, input.at("object_id").get<std::string>(), options_);
  const auto boxes = boxes_of(input, {"boxes", "faces"});
  const RedactMode mode = input.value("mode", std::string("blur")) == "fill" ? RedactMode::kFill : RedactMode::kBlur;
  const int touched = permanent_on_bad_input([&] {
    const Rgb fill = input.contains("colour") ? parse_hex_colour(input.at("colour").get<std::string>()) : Rgb{};
    return vision::redact(image, boxes, mode, fill);
  });
  json out = store_png(ctx, image, input, "redacted.png");
  out["redacted"] = touched;
  return out;
}

json VisionModule::overlay(pipeline::StageContext& ctx, const json& input) {
  const Image image = read_image(ctx, input.at("object_id").get<std::string>(), options_);
  std::vector<Annotation> annotations;
  const auto result = permanent_on_bad_input([&] {
    for (const auto& b : input.value("boxes", json::array()))
      annotations.push_back(
          {box_from(b), b.value("label", std::string()),
           b.contains("colour") ? parse_hex_colour(b.at("colour").get<std::string>()) : Rgb{230, 40, 40}});
    for (const auto& b : input.value("faces", json::array()))
      annotations.push_back({box_from(b), "face", {40, 120, 230}});
    for (const auto& line : input.value("lines", json::array()))
      annotations.push_back({box_from(line.at("box")), line.value("text", std::string()), {20, 160, 60}});
    return draw_overlay(image, annotations);
  });
  json out = store_png(ctx, result, input, "overlay.png");
  out["annotations"] = annotations.size();
  return out;
}

json VisionModule::detections_json(const std::vector<vision::Detection>& found, float min_score) {
  json out = json::array();
  for (const auto& d : found) {
    if (d.score < min_score) continue;
    json detection = {
        {"label", d.label}, {"class_id", d.class_id}, {"score", rounded(d.score, 1000)}, {"box", box_json(d.box)}};
    if (!d.keypoints.empty()) {
      json points = json::array();
      for (std::size_t k = 0; k < d.keypoints.size(); ++k) {
        const auto& p = d.keypoints[k];
        const bool coco = d.keypoints.size() == vision::kCocoKeypoints.size();
        points.push_back({{"name", coco ? std::string(vision::kCocoKeypoints[k]) : std::to_string(k)},
                          {"x", rounded(p.x, 10)},
                          {"y", rounded(p.y, 10)},
                          {"score", rounded(p.score, 1000)}});
      }
      detection["keypoints"] = std::move(points);
    }
    out.push_back(std::move(detection));
  }
  return out;
}

json VisionModule::detect(pipeline::StageContext& ctx, const json& input) {
  const std::string object_id = input.at("object_id").get<std::string>();
  const std::string model = input.at("model").get<std::string>();
  const auto served = permanent_on_bad_input([&] { return models().acquire(model); });
  const Image image = read_image(ctx, object_id, options_);
  ctx.progress(0.2, "detecting");
  const auto found = permanent_on_bad_input([&] { return served.detector->detect(image); });
  // The stage's threshold can only raise the model's own.
  const float min_score = input.value("score_threshold", 0.0f);
  json detections = detections_json(found, min_score);
  std::size_t kept = 0;
  for (const auto& d : found) {
    if (d.score < min_score) continue;
    if (d.mask) {
      json mask = store_png(ctx, *d.mask, input, fmt::format("mask-{}.png", kept));
      mask.erase("source_object_id");
      detections[kept]["mask"] = std::move(mask);
    }
    ++kept;
  }
  return {{"object_id", object_id},
          {"model", model},
          {"version", served.version},
          {"kind", std::string(served.detector->kind())},
          {"width", image.width},
          {"height", image.height},
          {"detections", std::move(detections)}};
}

void VisionModule::register_stages(pipeline::StageRegistry& registry) {
  using namespace vision::detail;
  auto bind = [this](json (VisionModule::*f)(pipeline::StageContext&, const json&)) {
    return [this, f](pipeline::StageContext& ctx, const json& input) { return (this->*f)(ctx, input); };
  };
  registry.add({"vision.ocr", "Words and lines of text in an image object, with boxes and confidence (Tesseract)",
                ocr_input_schema(), ocr_output_schema(), bind(&VisionModule::ocr)});
  registry.add({"vision.contrast",
                "Text and background colours of regions of an image object and their WCAG contrast ratio",
                contrast_input_schema(), contrast_output_schema(), bind(&VisionModule::contrast)});
  registry.add({"vision.faces", "Faces in an image object (OpenCV Haar cascade)", faces_input_schema(),
                faces_output_schema(), bind(&VisionModule::faces)});
  registry.add({"vision.redact", "A copy of an image object with boxes blurred or filled, stored as a PNG",
                redact_input_schema(), image_output_schema("redacted"), bind(&VisionModule::redact)});
  registry.add({"vision.overlay", "A copy of an image object with labelled boxes drawn on it, stored as a PNG",
                overlay_input_schema(), image_output_schema("annotations"), bind(&VisionModule::overlay)});
  registry.add(
      {"vision.detect",
       "Objects in an image object, by a model of the registry (config/models.json): labelled boxes with scores",
       detect_input_schema(), detect_output_schema(), bind(&VisionModule::detect)});
}

std::vector<pipeline::PipelineFile> VisionModule::pipelines() const {
  return pipeline::pipeline_files(embedded_vision_pipelines(), "modules/vision/pipelines");
}

}  // namespace tyto::modules
