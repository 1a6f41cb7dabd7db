#include "analysis.hpp"

#include "tyto/core/error.hpp"
#include "tyto/pipeline/stage.hpp"
#include "tyto/vision/faces.hpp"
#include "tyto/vision/models.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

namespace tyto::products::captures {
namespace {

using nlohmann::json;

double round_to(double v, int decimals) {
  const double f = std::pow(10.0, decimals);
  return std::round(v * f) / f;
}

cv::Mat view_of(const vision::Image& img) {
  const int type = img.channels == 1 ? CV_8UC1 : (img.channels == 4 ? CV_8UC4 : CV_8UC3);
  return cv::Mat(img.height, img.width, type, const_cast<std::uint8_t*>(img.pixels.data()));
}

vision::Image image_of(const cv::Mat& m) {
  vision::Image out;
  out.width = m.cols;
  out.height = m.rows;
  out.channels = m.channels();
  const cv::Mat c = m.isContinuous() ? m : m.clone();
  out.pixels.assign(c.data, c.data + c.total() * c.elemSize());
  return out;
}

vision::ModelRegistry::Served served(vision::ModelRegistry& models, const char* name) {
  try {
    return models.acquire(name);
  } catch (const Error& e) {
    throw pipeline::StageError("model_unavailable", std::string("the ") + name + " model is not available: " + e.what(),
                               true);
  }
}

}  // namespace

json calibration_json(const body::CardDetection& card, const body::WhiteBalance& balance) {
  json corners = json::array();
  if (card.detected) {
    for (const auto& p : card.corners) corners.push_back({round_to(p.x, 2), round_to(p.y, 2)});
  }
  json out = {{"card_detected", card.detected},
              {"corners", corners},
              {"px_per_mm", card.detected ? json(round_to(card.px_per_mm, 4)) : json(nullptr)},
              {"px_per_mm_uncertainty", card.detected ? json(round_to(card.px_per_mm_uncertainty, 4)) : json(nullptr)},
              {"tilt_degrees", card.detected ? json(round_to(card.tilt_degrees, 1)) : json(nullptr)},
              {"score", round_to(card.score, 3)},
              {"white_balance",
               {{"method", balance.method},
                {"estimated_white", vision::to_hex(balance.estimated_white)},
                {"source_white_xyz",
                 {round_to(balance.source_white.x, 4), round_to(balance.source_white.y, 4),
                  round_to(balance.source_white.z, 4)}},
                {"confidence", round_to(balance.confidence, 3)}}}};
  if (!card.detected) out["refused"] = card.refused;
  return out;
}

json calibrate(const vision::Image& rgb) {
  const auto card = body::detect_card(rgb, kCardOptions);
  const auto balance = body::estimate_white_balance(rgb, &card);
  return calibration_json(card, balance);
}

PoseResult estimate_pose(vision::ModelRegistry& models, const vision::Image& rgb) {
  const auto model = served(models, kPoseModel);
  const auto found = model.detector->detect(rgb);
  const auto best = std::find_if(found.begin(), found.end(), [](const auto& d) { return d.keypoints.size() >= 17; });
  if (best == found.end()) throw pipeline::StageError("no_person", "no person was found in the photo", false);
  PoseResult out;
  out.version = model.version;
  double sum = 0;
  for (std::size_t i = 0; i < 17; ++i) {
    out.keypoints[i] = {best->keypoints[i].x, best->keypoints[i].y, best->keypoints[i].score};
    sum += best->keypoints[i].score;
  }
  out.score = sum / 17;
  return out;
}

MaskResult segment_person(vision::ModelRegistry& models, const vision::Image& rgb, const body::Keypoints* keypoints) {
  const auto model = served(models, kSegmentationModel);
  cv::Rect crop(0, 0, rgb.width, rgb.height);
  if (keypoints) {
    double x0 = rgb.width, y0 = rgb.height, x1 = 0, y1 = 0;
    int sure = 0;
    for (const auto& k : *keypoints) {
      if (k.score < 0.3) continue;
      x0 = std::min(x0, k.x), y0 = std::min(y0, k.y), x1 = std::max(x1, k.x), y1 = std::max(y1, k.y);
      ++sure;
    }
    if (sure >= 4 && x1 > x0 && y1 > y0) {
      // Keypoints sit inside the body: widen by the arms' and the head's reach, and to the feet.
      const double w = x1 - x0, h = y1 - y0;
      const double pad_x = std::max(0.35 * w, 0.12 * h), pad_top = 0.18 * h, pad_bottom = 0.1 * h;
      const cv::Rect wide(cv::Point(static_cast<int>(x0 - pad_x), static_cast<int>(y0 - pad_top)),
                          cv::Point(static_cast<int>(x1 + pad_x), static_cast<int>(y1 + pad_bottom)));
      crop = wide & crop;
    }
  }
  const cv::Mat full = view_of(rgb);
  const auto found =
      model.detector->detect(crop.width == rgb.width && crop.height == rgb.height ? rgb : image_of(full(crop).clone()));
  const auto best = std::find_if(found.begin(), found.end(), [](const auto& d) { return d.mask && !d.mask->empty(); });
  if (best == found.end()) throw pipeline::StageError("no_person", "no person was segmented in the photo", false);
  MaskResult out;
  out.version = model.version;
  cv::Mat part = view_of(*best->mask).clone();
  if (part.cols != crop.width || part.rows != crop.height) cv::resize(part, part, crop.size());
  cv::Mat mask(rgb.height, rgb.width, CV_8UC1, cv::Scalar(0));
  part.copyTo(mask(crop));
  // The margin: of the pixels on the silhouette's edge band, how many are decided (far from 0.5).
  cv::Mat hard;
  cv::threshold(mask, hard, 127, 255, cv::THRESH_BINARY);
  cv::Mat edge;
  cv::morphologyEx(hard, edge, cv::MORPH_GRADIENT, cv::getStructuringElement(cv::MORPH_RECT, {5, 5}));
  double decided = 0;
  int count = 0;
  for (int y = 0; y < edge.rows; ++y) {
    for (int x = 0; x < edge.cols; ++x) {
      if (!edge.at<std::uint8_t>(y, x)) continue;
      decided += std::abs(mask.at<std::uint8_t>(y, x) - 127.5) / 127.5;
      ++count;
    }
  }
  out.margin = count ? std::clamp(0.5 + decided / count, 0.0, 1.0) : 0.0;
  out.mask = image_of(mask);
  return out;
}

std::vector<body::SkinPatch> skin_patches(const vision::Image& rgb, vision::FaceDetector& faces,
                                          const body::Keypoints* keypoints) {
  std::vector<body::SkinPatch> patches;
  auto found = faces.detect(rgb);
  if (!found.empty()) {
    const auto face = *std::max_element(found.begin(), found.end(), [](const auto& a, const auto& b) {
      return a.width * a.height < b.width * b.height;
    });
    // Cheeks: below the eyes, beside the nose; the neck: below the chin, narrower than the face.
    const int cw = face.width / 5, ch = face.height / 6;
    patches.push_back({"face", {face.x + face.width / 5, face.y + face.height * 55 / 100, cw, ch}});
    patches.push_back({"face", {face.x + face.width * 3 / 5, face.y + face.height * 55 / 100, cw, ch}});
    patches.push_back(
        {"neck", {face.x + face.width * 2 / 5, face.y + face.height * 115 / 100, face.width / 5, face.height / 6}});
  }
  if (keypoints) {
    for (const auto& [elbow, wrist] : {std::pair{7, 9}, std::pair{8, 10}}) {
      const auto& e = (*keypoints)[elbow];
      const auto& w = (*keypoints)[wrist];
      if (e.score < 0.3 || w.score < 0.3) continue;
      const double len = std::hypot(w.x - e.x, w.y - e.y);
      const int side = std::max(4, static_cast<int>(len * 0.15));
      const int cx = static_cast<int>((e.x + w.x) / 2), cy = static_cast<int>((e.y + w.y) / 2);
      patches.push_back({"inner_arm", {cx - side / 2, cy - side / 2, side, side}});
    }
  }
  return patches;
}

json skin_json(const body::SkinTone& t) {
  if (!t.measured) return nullptr;
  json patches = json::array();
  for (const auto& p : t.patches) {
    patches.push_back({{"name", p.name},
                       {"lab", {round_to(p.lab.l, 2), round_to(p.lab.a, 2), round_to(p.lab.b, 2)}},
                       {"pixels", p.pixels}});
  }
  const auto swatch = body::monk_scale()[static_cast<std::size_t>(std::clamp(t.monk, 1, 10) - 1)];
  return {{"lab", {{"l", round_to(t.lab.l, 2)}, {"a", round_to(t.lab.a, 2)}, {"b", round_to(t.lab.b, 2)}}},
          {"hex", vision::to_hex(t.rgb)},
          {"ita", round_to(t.ita, 1)},
          {"ita_category", t.category},
          {"monk", t.monk},
          {"monk_hex", "#" + std::string(swatch.hex)},
          {"monk_delta_e", round_to(t.monk_delta_e, 2)},
          {"undertone", t.undertone},
          {"spread_delta_e", round_to(t.spread, 2)},
          {"patches", patches}};
}

json keypoints_json(const body::Keypoints& k) {
  json out = json::object();
  for (std::size_t i = 0; i < k.size(); ++i) {
    out[std::string(body::kKeypointNames[i])] = {
        {"x", round_to(k[i].x, 1)}, {"y", round_to(k[i].y, 1)}, {"score", round_to(k[i].score, 3)}};
  }
  return out;
}

body::Keypoints keypoints_from_json(const json& j, const body::Keypoints& base, int width, int height) {
  body::Keypoints out = base;
  json fields = json::object();
  const auto set = [&](std::size_t i, const json& p, const std::string& name) {
    double x = 0, y = 0, score = 1;
    if (p.is_object() && p.contains("x") && p.contains("y") && p["x"].is_number() && p["y"].is_number()) {
      x = p["x"].get<double>();
      y = p["y"].get<double>();
      if (p.contains("score") && p["score"].is_number()) score = p["score"].get<double>();
    } else if (p.is_array() && p.size() >= 2 && p[0].is_number() && p[1].is_number()) {
      x = p[0].get<double>();
      y = p[1].get<double>();
      if (p.size() > 2 && p[2].is_number()) score = p[2].get<double>();
    } else {
      fields[name] = "a point {x, y} in the photo's pixels";
      return;
    }
    if (!std::isfinite(x) || !std::isfinite(y) || x < 0 || y < 0 || x >= width || y >= height) {
      fields[name] = "outside the photo";
      return;
    }
    out[i] = {x, y, std::clamp(score, 0.0, 1.0)};
  };
  if (j.is_object()) {
    for (const auto& [name, p] : j.items()) {
      const auto it = std::find(body::kKeypointNames.begin(), body::kKeypointNames.end(), name);
      if (it == body::kKeypointNames.end()) {
        fields[name] = "not a keypoint name";
        continue;
      }
      set(static_cast<std::size_t>(it - body::kKeypointNames.begin()), p, name);
    }
  } else if (j.is_array() && j.size() == 17) {
    for (std::size_t i = 0; i < 17; ++i) set(i, j[i], std::string(body::kKeypointNames[i]));
  } else {
    fields["keypoints"] = "an object of named points or an array of 17";
  }
  if (!fields.empty()) throw Error(ErrorCode::kValidationFailed, "invalid keypoints", {{"fields", fields}});
  return out;
}

json measurements_json(const body::Measurements& m) {
  json metrics = json::object();
  const auto lines = [](const std::vector<std::pair<body::Point, body::Point>>& segments) {
    json out = json::array();
    for (const auto& [a, b] : segments) {
      out.push_back({round_to(a.x, 1), round_to(a.y, 1), round_to(b.x, 1), round_to(b.y, 1)});
    }
    return out;
  };
  for (const auto& item : m.items) {
    metrics[item.name] = {{"front_lines", lines(item.front_lines)},
                          {"side_lines", lines(item.side_lines)},
                          {"value_cm", round_to(item.value_cm, 1)},
                          {"uncertainty_cm", round_to(item.uncertainty_cm, 1)},
                          {"confidence", round_to(item.confidence, 3)},
                          {"definition", item.definition},
                          {"method", item.method}};
    if (item.width_cm > 0) metrics[item.name]["width_cm"] = round_to(item.width_cm, 1);
    if (item.depth_cm > 0) metrics[item.name]["depth_cm"] = round_to(item.depth_cm, 1);
    if (item.arm_cut) metrics[item.name]["arm_cut"] = true;
  }
  return {{"metrics", metrics},
          {"shape", m.shape.empty() ? json(nullptr) : json(m.shape)},
          {"quality",
           {{"overall_confidence", round_to(m.overall_confidence, 3)},
            {"pose_quality", round_to(m.pose_quality, 3)},
            {"needs_review", m.needs_review},
            {"review_reasons", m.review_reasons}}}};
}

vision::Image annotate(const vision::Image& rgb, const vision::Image& mask, const body::Keypoints& keypoints,
                       const body::CardDetection& card, const body::Measurements& measurements, bool front) {
  cv::Mat out = view_of(rgb).clone();
  if (out.channels() == 4) cv::cvtColor(out, out, cv::COLOR_RGBA2RGB);
  const int thick = std::max(2, out.cols / 400);
  if (!mask.empty() && mask.width == rgb.width && mask.height == rgb.height) {
    cv::Mat hard;
    cv::threshold(view_of(mask), hard, 127, 255, cv::THRESH_BINARY);
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(hard, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    cv::drawContours(out, contours, -1, cv::Scalar(0, 200, 255), thick);
  }
  if (card.detected) {
    std::vector<cv::Point> quad;
    for (const auto& p : card.corners) quad.emplace_back(static_cast<int>(p.x), static_cast<int>(p.y));
    cv::polylines(out, quad, true, cv::Scalar(255, 200, 0), thick);
  }
  for (const auto& item : measurements.items) {
    for (const auto& [a, b] : front ? item.front_lines : item.side_lines) {
      cv::line(out, {static_cast<int>(a.x), static_cast<int>(a.y)}, {static_cast<int>(b.x), static_cast<int>(b.y)},
               cv::Scalar(230, 40, 40), thick);
      cv::putText(out, item.name, {static_cast<int>(b.x) + 4, static_cast<int>(b.y)}, cv::FONT_HERSHEY_SIMPLEX,
                  std::max(0.4, out.cols / 1600.0), cv::Scalar(230, 40, 40), std::max(1, thick / 2));
    }
  }
  for (const auto& k : keypoints) {
    if (k.score < 0.3) continue;
    cv::circle(out, {static_cast<int>(k.x), static_cast<int>(k.y)}, thick * 2, cv::Scalar(40, 230, 40), cv::FILLED);
  }
  return image_of(out);
}

std::string mask_png(const vision::Image& mask) {
  std::vector<std::uint8_t> buf;
  cv::imencode(".png", view_of(mask), buf);
  return {buf.begin(), buf.end()};
}

vision::Image mask_from_png(const std::string& png) {
  const cv::Mat raw(1, static_cast<int>(png.size()), CV_8UC1, const_cast<char*>(png.data()));
  const cv::Mat m = cv::imdecode(raw, cv::IMREAD_GRAYSCALE);
  if (m.empty()) throw pipeline::StageError("corrupt_artifact", "a stored silhouette could not be read", false);
  return image_of(m);
}

}  // namespace tyto::products::captures
