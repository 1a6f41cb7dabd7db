// How each hash holds up under the edits a copy goes through, on the 59 opencv-doc photos: recall at
// >= 99% precision per hash and transform (the table of docs/quality.md, "Image fingerprints"), and
// the default match radii checked against it.
#include "fingerprint/fingerprint_support.hpp"
#include "tyto/fingerprint/fingerprint_index.hpp"

#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <functional>
#include <iostream>
#include <regex>

using namespace tyto::fingerprint;
using namespace tyto::test;

namespace {

struct Transform {
  std::string name;
  bool hard;                                         // rotation and padding: reported, not expected to match
  std::function<std::string(const cv::Mat&)> apply;  // returns the encoded file
};

std::string png(const cv::Mat& m) { return fp::encode(m, "png"); }

std::vector<Transform> transforms() {
  return {
      {"JPEG quality 40", false, [](const cv::Mat& m) { return fp::encode(m, "jpg", 40); }},
      {"resize 50%", false,
       [](const cv::Mat& m) {
         cv::Mat out;
         cv::resize(m, out, {}, 0.5, 0.5, cv::INTER_AREA);
         return png(out);
       }},
      {"resize 200%", false,
       [](const cv::Mat& m) {
         cv::Mat out;
         cv::resize(m, out, {}, 2.0, 2.0, cv::INTER_CUBIC);
         return png(out);
       }},
      {"crop 5%", false,  // 2.5% off each edge
       [](const cv::Mat& m) {
         const int dx = m.cols / 40, dy = m.rows / 40;
         return png(m(cv::Rect(dx, dy, m.cols - 2 * dx, m.rows - 2 * dy)).clone());
       }},
      {"brightness +20%", false,
       [](const cv::Mat& m) {
         cv::Mat out;
         m.convertTo(out, -1, 1.2, 0);
         return png(out);
       }},
      {"blur (Gaussian, sigma 2)", false,
       [](const cv::Mat& m) {
         cv::Mat out;
         cv::GaussianBlur(m, out, {0, 0}, 2.0);
         return png(out);
       }},
      {"watermark (text, 50% opaque)", false,
       [](const cv::Mat& m) {
         cv::Mat overlay = m.clone(), out;
         const double scale = m.cols / 250.0;
         cv::putText(overlay, "SAMPLE", {m.cols / 8, m.rows / 2}, cv::FONT_HERSHEY_SIMPLEX, scale,
                     cv::Scalar(255, 255, 255), std::max(2, m.cols / 100));
         cv::addWeighted(overlay, 0.5, m, 0.5, 0, out);
         return png(out);
       }},
      {"grayscale", false,
       [](const cv::Mat& m) {
         cv::Mat grey, out;
         cv::cvtColor(m, grey, cv::COLOR_BGR2GRAY);
         cv::cvtColor(grey, out, cv::COLOR_GRAY2BGR);
         return png(out);
       }},
      {"rotation 10° (hard)", true,
       [](const cv::Mat& m) {
         cv::Mat out;
         const auto r = cv::getRotationMatrix2D({m.cols / 2.0f, m.rows / 2.0f}, 10, 1.0);
         cv::warpAffine(m, out, r, m.size());
         return png(out);
       }},
      {"padding 10% black (hard)", true,
       [](const cv::Mat& m) {
         cv::Mat out;
         const int dx = m.cols / 10, dy = m.rows / 10;
         cv::copyMakeBorder(m, out, dy, dy, dx, dx, cv::BORDER_CONSTANT, cv::Scalar::all(0));
         return png(out);
       }},
  };
}

// Photos of one scene (the stereo and chessboard series, A/B pairs) are not negatives of each other.
std::string scene_of(const std::string& stem) {
  if (stem.starts_with("left") || stem.starts_with("right")) return "chessboard";
  if (stem.starts_with("ela_")) return "ela";
  std::string s = std::regex_replace(stem, std::regex("[0-9]+$"), "");
  if (s.size() > 1 && (s.back() == 'L' || s.back() == 'R' || s.back() == 'A' || s.back() == 'B')) s.pop_back();
  return s;
}

int distance(const ImageHashes& a, const ImageHashes& b, HashKind kind) {
  switch (kind) {
    case HashKind::kAhash:
      return hamming(a.ahash, b.ahash);
    case HashKind::kDhash:
      return hamming(a.dhash, b.dhash);
    case HashKind::kPhash:
      return hamming(a.phash, b.phash);
    case HashKind::kPdq:
      return hamming(a.pdq, b.pdq);
  }
  return 0;
}

struct Pairs {
  std::vector<int> positives, negatives;
};

// The largest radius with precision >= 99% and its recall.
std::pair<int, double> best_radius(const Pairs& p, int max_bits) {
  int best = -1;
  double recall = 0;
  for (int r = 0; r <= max_bits; ++r) {
    const auto tp = std::count_if(p.positives.begin(), p.positives.end(), [&](int d) { return d <= r; });
    const auto fp = std::count_if(p.negatives.begin(), p.negatives.end(), [&](int d) { return d <= r; });
    if (tp + fp > 0 && tp >= 0.99 * static_cast<double>(tp + fp)) {
      best = r;
      recall = static_cast<double>(tp) / p.positives.size();
    } else if (tp + fp > 0) {
      break;
    }
  }
  return {best, recall};
}

double recall_at(const Pairs& p, int r) {
  return static_cast<double>(std::count_if(p.positives.begin(), p.positives.end(), [&](int d) { return d <= r; })) /
         p.positives.size();
}

double precision_at(const Pairs& p, int r) {
  const auto tp = std::count_if(p.positives.begin(), p.positives.end(), [&](int d) { return d <= r; });
  const auto fp = std::count_if(p.negatives.begin(), p.negatives.end(), [&](int d) { return d <= r; });
  return tp + fp == 0 ? 1.0 : static_cast<double>(tp) / (tp + fp);
}

}  // namespace

TEST_CASE("Each hash finds edited copies among the sample photos at 99% precision", "[fingerprint][quality]") {
  const auto photos = fp::sample_photos();
  std::vector<ImageHashes> originals;
  std::vector<cv::Mat> images;
  std::vector<std::string> scenes;
  for (const auto& p : photos) {
    const std::string bytes = fp::read_bytes(p);
    originals.push_back(fp::hash_bytes(bytes));
    images.push_back(cv::imread(p.string(), cv::IMREAD_COLOR));
    scenes.push_back(scene_of(p.stem().string()));
  }
  const HashKind kinds[4] = {HashKind::kAhash, HashKind::kDhash, HashKind::kPhash, HashKind::kPdq};
  const int bits[4] = {64, 64, 64, 256};
  std::string table =
      "| transform | aHash | dHash | pHash | PDQ |\n"
      "|---|---|---|---|---|\n";
  std::array<Pairs, 4> easy;  // every transform but the hard ones, pooled
  std::map<std::string, std::array<Pairs, 4>> by_transform;
  for (const auto& t : transforms()) {
    std::array<Pairs, 4> pairs;
    for (std::size_t i = 0; i < photos.size(); ++i) {
      const ImageHashes copy = fp::hash_bytes(t.apply(images[i]));
      for (std::size_t j = 0; j < photos.size(); ++j) {
        if (j != i && scenes[j] == scenes[i]) continue;
        for (int k = 0; k < 4; ++k) {
          const int d = distance(copy, originals[j], kinds[k]);
          (j == i ? pairs[k].positives : pairs[k].negatives).push_back(d);
          if (!t.hard) (j == i ? easy[k].positives : easy[k].negatives).push_back(d);
        }
      }
    }
    table += "| " + t.name + " |";
    for (int k = 0; k < 4; ++k) {
      const auto [radius, recall] = best_radius(pairs[k], bits[k]);
      table += fmt::format(" {:.0f}% / {:.0f}% ({}) |", recall_at(pairs[k], default_match_radius(kinds[k])) * 100,
                           recall * 100, radius);
    }
    table += "\n";
    by_transform[t.name] = pairs;
  }
  table += "| **all but the hard ones** |";
  for (int k = 0; k < 4; ++k) {
    const auto [radius, recall] = best_radius(easy[k], bits[k]);
    table += fmt::format(" {:.0f}% / {:.0f}% ({}) |", recall_at(easy[k], default_match_radius(kinds[k])) * 100,
                         recall * 100, radius);
  }
  table += "\n| default radius (precision there) |";
  for (int k = 0; k < 4; ++k)
    table += fmt::format(" {} ({:.1f}%) |", default_match_radius(kinds[k]),
                         precision_at(easy[k], default_match_radius(kinds[k])) * 100);
  table += "\n| nearest other scene (distance) |";
  for (int k = 0; k < 4; ++k)
    table += fmt::format(" {} |", *std::min_element(easy[k].negatives.begin(), easy[k].negatives.end()));
  std::cout << "\n" << table << "\n";

  // The default radii keep precision at 99% on every transform pooled…
  for (int k = 0; k < 4; ++k) {
    INFO(hash_kind_name(kinds[k]));
    CHECK(precision_at(easy[k], default_match_radius(kinds[k])) >= 0.99);
  }
  // …and find nearly every recompressed, rescaled, brightened or greyed copy with pHash and PDQ.
  for (const char* name : {"JPEG quality 40", "resize 50%", "resize 200%", "brightness +20%", "grayscale"}) {
    INFO(name);
    CHECK(recall_at(by_transform[name][2], default_match_radius(HashKind::kPhash)) >= 0.9);
    CHECK(recall_at(by_transform[name][3], default_match_radius(HashKind::kPdq)) >= 0.9);
  }
}
