// Drum-map generation (modules/drums) as a multiple of real time, on a synthesised three-minute song
// (tests/drums/synth.cpp: 120 BPM rock loop with fills and a pad). Writes the song's WAV and its true onset
// times for tests/bench/drums.sh, which runs aubio's onset and tempo tools on the same WAV beside it.
//   tyto_bench_drums OUT_DIR [REPEATS]
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>

#include "drums/evaluate.hpp"
#include "drums/synth.hpp"
#include "tyto/drums/generate.hpp"

using namespace tyto::drums;
using namespace tyto::drums::test;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: tyto_bench_drums OUT_DIR [REPEATS]\n");
    return 2;
  }
  const std::string out = argv[1];
  const int repeats = argc > 2 ? std::stoi(argv[2]) : 3;
  SongSpec spec;
  spec.bars = 90;  // 3:00 at 120 BPM
  const auto song = make_song(spec);
  std::ofstream(out + "/song.wav", std::ios::binary) << wav_bytes(song.mix);
  std::ofstream truth(out + "/onsets.txt");
  double last = -1;
  for (const auto& h : song.hits)
    if (h.t - last > 0.01) truth << fmt::format("{:.4f}\n", last = h.t);

  double best = 1e9;
  std::map<std::string, double> stages;  // seconds per stage of the best run
  Generated g;
  for (int r = 0; r < repeats; ++r) {
    std::map<std::string, double> these;
    auto mark = Clock::now();
    std::string current;
    GenerateOptions options;
    options.progress = [&](double, std::string_view stage) {
      const auto now = Clock::now();
      if (!current.empty()) these[current] = std::chrono::duration<double>(now - mark).count();
      current = stage;
      mark = now;
    };
    const auto start = Clock::now();
    g = generate_map(song.mix, kRate, options);
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (s < best) best = s, stages = these;
  }
  const auto e = evaluate(song, g);
  fmt::print("  {:<34} {:8.2f}s {:7.0f}x   onsets F {:.3f}  bpm {:.2f}\n", "tyto generate_map (1 thread)", best,
             song.duration_s() / best, e.onsets.f(), g.expert.bpm);
  for (const auto& [stage, s] : stages) fmt::print("    {:<32} {:8.3f}s\n", stage, s);
  fmt::print("  notes F {:.3f}, lane accuracy {:.3f}, {} notes in the expert map\n", e.notes.f(), e.lane_accuracy(),
             g.expert.notes.size());
}
