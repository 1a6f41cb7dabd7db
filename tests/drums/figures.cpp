// Prints the drums module's quality figures on the synthesised song set (docs/quality.md, "Drum
// transcription"): onset F-measure, per-lane F-measures and lane accuracy, tempo ACC1/ACC2, metre and
// downbeats, and the error of estimate_alignment on stretched and shifted songs.
//   build/tests/tyto_drums_figures
#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "evaluate.hpp"
#include "synth.hpp"
#include "tyto/drums/generate.hpp"
#include "tyto/drums/retime.hpp"
#include "tyto/fingerprint/audio.hpp"

using namespace tyto::drums;
using namespace tyto::drums::test;

int main() {
  Evaluation total;
  int n = 0, acc1 = 0, acc2 = 0, metre = 0, downbeat = 0;
  double audio_s = 0, cpu_s = 0;
  for (const auto& spec : song_set()) {
    const auto song = make_song(spec);
    const auto start = std::chrono::steady_clock::now();
    const auto g = generate_map(song.mix, kRate);
    cpu_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    audio_s += song.duration_s();
    const auto e = evaluate(song, g);
    total += e;
    ++n;
    acc1 += e.acc1, acc2 += e.acc2, metre += e.metre, downbeat += e.downbeat;
    fmt::print(
        "{:5.0f} BPM {}/4{}{}: bpm {:6.2f} {} onsets F {:.3f} notes F {:.3f} lanes {:.3f} metre {} downbeat {}\n",
        spec.bpm, spec.beats_per_bar, spec.swing ? " swing" : "", spec.sixteenths ? " 16ths" : "", e.bpm,
        e.acc1   ? "ACC1"
        : e.acc2 ? "ACC2"
                 : "miss",
        e.onsets.f(), e.notes.f(), e.lane_accuracy(), e.metre ? "ok" : "wrong", e.downbeat ? "ok" : "wrong");
  }
  fmt::print("\n{} songs, {:.0f} s of audio, generated at {:.0f}x real time\n", n, audio_s, audio_s / cpu_s);
  fmt::print("{}", describe(total));
  fmt::print("tempo ACC1 {}/{} ({:.0f} %), ACC2 {}/{} ({:.0f} %); metre {}/{}; bars start on the downbeat {}/{}\n",
             acc1, n, 100.0 * acc1 / n, acc2, n, 100.0 * acc2 / n, metre, n, downbeat, n);

  // Alignment: a 120 BPM song against itself at other tempos (re-synthesised, so pitch is unchanged) and
  // shifted by silence before it.
  SongSpec ref_spec;
  ref_spec.bars = 40;
  ref_spec.lead_in_s = 0.3;
  ref_spec.pad_gain = 0.3;
  const auto reference = make_song(ref_spec);
  const auto ref_fp = tyto::fingerprint::fingerprint_bytes(wav_bytes(reference.mix)).raw;
  double worst_offset = 0, worst_ratio = 0;
  for (const auto& [ratio, lead] : {std::pair{1.0, 2.3}, {0.92, 0.3}, {1.08, 1.7}, {0.97, 4.1}, {1.12, 0.8}}) {
    auto spec = ref_spec;
    spec.bpm = ref_spec.bpm / ratio;
    spec.lead_in_s = lead;
    const auto fresh = make_song(spec);
    const auto fp = tyto::fingerprint::fingerprint_bytes(wav_bytes(fresh.mix)).raw;
    const double true_offset = lead - ratio * ref_spec.lead_in_s;
    const auto est = estimate_alignment(ref_fp, fp);
    if (!est) {
      fmt::print("alignment ratio {:.2f} offset {:.3f}: not found\n", ratio, true_offset);
      worst_offset = worst_ratio = INFINITY;
      continue;
    }
    fmt::print("alignment ratio {:.3f} offset {:.3f} s: estimated {:.4f}, {:.3f} s (score {:.2f})\n", ratio,
               true_offset, est->ratio, est->offset_s, est->score);
    worst_offset = std::max(worst_offset, std::abs(est->offset_s - true_offset));
    worst_ratio = std::max(worst_ratio, std::abs(est->ratio - ratio));
  }
  fmt::print("alignment: worst offset error {:.3f} s, worst ratio error {:.4f}\n", worst_offset, worst_ratio);
}
