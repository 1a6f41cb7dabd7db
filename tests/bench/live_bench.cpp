// A live session's pipeline on this machine: a 1280x720 video decoded by the media module at its own
// rate (25 fps, as a camera delivers), through the session engine (the fast profile: decode, detect with a
// model of the registry, track), the way an RTSP session runs. Prints every second's metric (fps in and
// out, capture-to-event latency p50/p95, drops) and the process's RSS, then the run's medians.
// Measures; never asserts. Usage: tyto_bench_live VIDEO MODELS_JSON MODELS_DIR MODEL SECONDS [PROFILE]
#include "products/live/engine.hpp"
#include "tyto/media/source.hpp"
#include "tyto/vision/models.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

using namespace tyto;
using nlohmann::json;

namespace {

double rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      double kib = 0;
      in >> kib;
      return kib / 1024.0;
    }
    in.ignore(1 << 10, '\n');
  }
  return 0;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::cerr << "usage: tyto_bench_live VIDEO MODELS_JSON MODELS_DIR MODEL SECONDS [PROFILE]\n";
    return 2;
  }
  const std::string video = argv[1], model = argv[4], profile = argc > 6 ? argv[6] : "fast";
  const double seconds = std::stod(argv[5]);
  vision::ModelRegistry registry({argv[2], argv[3], std::chrono::milliseconds(0)});
  products::live::EngineSettings settings;
  settings.pipelines = {"detect", "track"};
  settings.profile = profile;
  settings.detect_model = model;
  settings.adaptive = false;  // measure the profile asked for
  settings.frame_queue = 1;   // as a session of a live source has it (runtime.cpp)
  products::live::EngineParts parts;
  parts.detector = [&registry](const std::string& name) { return registry.get(name); };
  std::mutex mutex;
  std::vector<json> metrics;
  products::live::Engine engine(settings, parts, [&](std::vector<products::live::EngineEvent> batch) {
    std::lock_guard lock(mutex);
    for (auto& e : batch) {
      if (e.type != "metric") continue;
      e.data["rss_mib"] = rss_mib();
      fmt::print("fps_in {:3} fps_out {:3} latency p50 {:6.1f} ms p95 {:6.1f} ms dropped {:3} rss {:6.1f} MiB\n",
                 e.data["fps_in"].get<int>(), e.data["fps_out"].get<int>(), e.data["latency_ms"]["p50"].get<double>(),
                 e.data["latency_ms"]["p95"].get<double>(), e.data["dropped"].get<int>(), e.data["rss_mib"].get<double>());
      std::fflush(stdout);
      metrics.push_back(std::move(e.data));
    }
  });
  const auto start = std::chrono::steady_clock::now();
  std::int64_t index = 0;
  double offset = 0;  // the file loops: media time goes on
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < seconds) {
    media::SourceOptions o;
    o.url = video;
    auto src = media::MediaSource::open(o);
    double last = 0;
    while (auto item = src->next()) {
      auto* frame = std::get_if<media::VideoFrame>(&*item);
      if (!frame) continue;
      const double t = offset + frame->pts_s;
      last = t;
      // Paced as a camera: a frame is handed over when its time comes.
      std::this_thread::sleep_until(start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                std::chrono::duration<double>(t)));
      engine.push_frame(std::move(frame->image), index++, t);
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= seconds) break;
    }
    offset = last + 0.04;
  }
  engine.stop();
  std::vector<double> out, p50, p95, rss;
  std::lock_guard lock(mutex);
  for (std::size_t i = 2; i < metrics.size(); ++i) {  // the first seconds warm the model up
    out.push_back(metrics[i]["fps_out"].get<double>());
    p50.push_back(metrics[i]["latency_ms"]["p50"].get<double>());
    p95.push_back(metrics[i]["latency_ms"]["p95"].get<double>());
    rss.push_back(metrics[i]["rss_mib"].get<double>());
  }
  fmt::print("== {} profile, model {}: median fps out {:.1f}, latency p50 {:.1f} ms, p95 {:.1f} ms; RSS first {:.1f} "
             "MiB, last {:.1f} MiB, max {:.1f} MiB\n",
             profile, model, median(out), median(p50), median(p95), rss.empty() ? 0 : rss.front(),
             rss.empty() ? 0 : rss.back(), rss.empty() ? 0 : *std::max_element(rss.begin(), rss.end()));
  return 0;
}
