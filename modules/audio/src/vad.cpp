#include "tyto/audio/vad.hpp"

#include "tyto/audio/decode.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace tyto::audio {
namespace {

constexpr double kSilenceDb = -100;

double energy_db(std::span<const std::int16_t> frame) {
  double sum = 0;
  for (const std::int16_t s : frame) sum += static_cast<double>(s) * s;
  const double rms = std::sqrt(sum / static_cast<double>(frame.size())) / 32768.0;
  return rms > 0 ? std::max(kSilenceDb, 20 * std::log10(rms)) : kSilenceDb;
}

}  // namespace

Vad::Vad(VadOptions options) : options_(options) {
  if (options_.frame_ms < 10 || options_.frame_ms > 50 || options_.onset_frames < 1 || options_.hangover_ms < 0 ||
      options_.floor_window_ms < options_.frame_ms)
    throw std::invalid_argument(
        "VadOptions: frame_ms 10..50, onset_frames >= 1, hangover_ms >= 0, floor window >= a frame");
  frame_samples_ = static_cast<std::size_t>(kSampleRate * options_.frame_ms / 1000);
  pending_.reserve(frame_samples_);
}

std::vector<VadEvent> Vad::feed(std::span<const std::int16_t> samples) {
  std::vector<VadEvent> out;
  while (!samples.empty()) {
    const std::size_t take = std::min(frame_samples_ - pending_.size(), samples.size());
    pending_.insert(pending_.end(), samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(take));
    samples = samples.subspan(take);
    seen_ += take;
    if (pending_.size() == frame_samples_) {
      frame(energy_db(pending_), seen_ - frame_samples_, out);
      pending_.clear();
    }
  }
  return out;
}

void Vad::frame(double db, std::uint64_t frame_start, std::vector<VadEvent>& out) {
  // Sliding minimum over the window: drop what is louder than this frame, and what left the window.
  const auto window = static_cast<std::uint64_t>(options_.floor_window_ms / options_.frame_ms);
  while (!window_.empty() && window_.back().second >= db) window_.pop_back();
  window_.emplace_back(frames_, db);
  while (window_.front().first + window <= frames_) window_.pop_front();
  ++frames_;
  floor_db_ = window_.front().second;

  const bool loud = db >= floor_db_ + options_.threshold_db && db >= options_.min_energy_db;
  const std::uint64_t frame_end = frame_start + frame_samples_;
  switch (state_) {
    case State::kSilence:
      if (!loud) break;
      state_ = State::kOnset;
      start_ = frame_start;
      run_ = 0;
      [[fallthrough]];
    case State::kOnset:
      if (!loud) {
        state_ = State::kSilence;
        break;
      }
      last_loud_end_ = frame_end;
      if (++run_ >= options_.onset_frames) {
        state_ = State::kSpeech;
        out.push_back({VadEvent::Kind::kStart, start_, frame_end});
      }
      break;
    case State::kSpeech:
      if (loud)
        last_loud_end_ = frame_end;
      else if ((frame_end - last_loud_end_) * 1000 >= static_cast<std::uint64_t>(options_.hangover_ms) * kSampleRate)
        close(frame_end, out);
      break;
  }
}

void Vad::close(std::uint64_t decided_at, std::vector<VadEvent>& out) {
  state_ = State::kSilence;
  out.push_back({VadEvent::Kind::kEnd, last_loud_end_, decided_at});
}

std::vector<VadEvent> Vad::finish() {
  std::vector<VadEvent> out;
  if (state_ == State::kSpeech) close(seen_, out);
  state_ = State::kSilence;
  pending_.clear();
  return out;
}

std::vector<SpeechSegment> detect_speech(std::span<const std::int16_t> samples, const VadOptions& options) {
  Vad vad(options);
  std::vector<VadEvent> events = vad.feed(samples);
  for (const VadEvent& e : vad.finish()) events.push_back(e);
  std::vector<SpeechSegment> out;
  for (const VadEvent& e : events) {
    const double at = static_cast<double>(e.sample) / kSampleRate;
    if (e.kind == VadEvent::Kind::kStart)
      out.push_back({at, at});
    else
      out.back().end_s = at;
  }
  return out;
}

}  // namespace tyto::audio
