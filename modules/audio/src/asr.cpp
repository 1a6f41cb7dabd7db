// What every recogniser backend shares: fillers, the decoder pool, VAD-cut streams and batch segmentation.
#include "tyto/audio/backend.hpp"
#include "tyto/audio/decode.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <deque>

namespace tyto::audio {

bool is_filler(std::string_view word) {
  return word.empty() || word.front() == '<' || word.front() == '[' || word.starts_with("++");
}

std::string base_word(std::string_view word) {
  if (const auto paren = word.find('('); paren != std::string_view::npos && paren > 0 && word.back() == ')')
    word = word.substr(0, paren);
  return std::string(word);
}

Transcript UtteranceDecoder::decode(std::span<const std::int16_t> samples) {
  reset();
  start();
  process(samples);
  return end();
}

// ---- the pool

DecoderPool::DecoderPool(std::size_t size, std::chrono::milliseconds wait, Factory make)
    : size_(std::max<std::size_t>(size, 1)), wait_(wait), make_(std::move(make)) {}

DecoderPool::Lease::~Lease() {
  if (decoder_) pool_->give_back(std::move(decoder_));
}

DecoderPool::Lease DecoderPool::acquire() {
  std::unique_lock lock(mutex_);
  if (!freed_.wait_for(lock, wait_, [&] { return !idle_.empty() || made_ < size_; }))
    throw Error(ErrorCode::kOverloaded, fmt::format("all {} speech recognisers are busy", size_),
                {{"reason", "recognizer_busy"}});
  if (!idle_.empty()) {
    auto decoder = std::move(idle_.back());
    idle_.pop_back();
    return Lease(this, std::move(decoder));
  }
  ++made_;  // counted while it loads, so that no more than size_ are made
  lock.unlock();
  try {
    return Lease(this, make_());
  } catch (...) {
    lock.lock();
    --made_;
    freed_.notify_one();
    throw;
  }
}

std::size_t DecoderPool::made() const {
  std::lock_guard lock(mutex_);
  return made_;
}

void DecoderPool::give_back(std::unique_ptr<UtteranceDecoder> decoder) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(decoder));
  freed_.notify_one();
}

// ---- streams

namespace {

double seconds(std::uint64_t samples) { return static_cast<double>(samples) / kSampleRate; }

void shift(Transcript& t, double by) {
  for (Word& w : t.words) {
    w.start_s += by;
    w.end_s += by;
  }
}

class VadStream final : public RecognizerStream {
 public:
  VadStream(DecoderPool::Lease lease, const StreamOptions& options)
      : lease_(std::move(lease)),
        options_(options),
        vad_(options.vad),
        preroll_(static_cast<std::size_t>(options.preroll_ms) * kSampleRate / 1000),
        partial_every_(static_cast<std::size_t>(options.partial_interval_ms) * kSampleRate / 1000),
        max_utterance_(static_cast<std::uint64_t>(options.max_utterance_s * kSampleRate)) {
    lease_->reset();
  }

  ~VadStream() override {
    if (in_utterance_) {
      try {
        lease_->end();  // the decoder goes back clean
      } catch (...) {
      }
    }
  }

  std::vector<StreamResult> feed(std::span<const std::int16_t> samples) override {
    std::vector<StreamResult> out;
    const std::uint64_t first = pos_;
    std::size_t done = 0;
    for (const VadEvent& e : vad_.feed(samples)) {
      const auto cut =
          static_cast<std::size_t>(std::clamp<std::uint64_t>(stream_pos(e.decided_at) - first, done, samples.size()));
      consume(samples.subspan(done, cut - done), out);
      done = cut;
      if (e.kind == VadEvent::Kind::kStart)
        begin(e.sample);
      else if (in_utterance_)
        end(out);
    }
    consume(samples.subspan(done), out);
    return out;
  }

  std::vector<StreamResult> finish() override {
    std::vector<StreamResult> out;
    vad_.finish();
    if (in_utterance_) end(out);
    vad_ = Vad(options_.vad);
    vad_skip_ = pos_;
    return out;
  }

  std::uint64_t samples_fed() const override { return pos_; }

 private:
  // The stream's samples as the VAD counts them (it restarts from 0 after finish()).
  std::uint64_t stream_pos(std::uint64_t vad_sample) const { return vad_sample + vad_skip_; }

  void consume(std::span<const std::int16_t> piece, std::vector<StreamResult>& out) {
    while (!piece.empty()) {
      if (!in_utterance_) {
        history_.insert(history_.end(), piece.begin(), piece.end());
        if (history_.size() > keep())
          history_.erase(history_.begin(), history_.end() - static_cast<std::ptrdiff_t>(keep()));
        pos_ += piece.size();
        return;
      }
      // An utterance that reaches the longest allowed is ended there; the next begins at once.
      const std::uint64_t room = max_utterance_ - (pos_ - utterance_start_);
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(room, piece.size()));
      lease_->process(piece.first(n));
      if (redecode_) first_.insert(first_.end(), piece.begin(), piece.begin() + static_cast<std::ptrdiff_t>(n));
      pos_ += n;
      since_partial_ += n;
      piece = piece.subspan(n);
      if (pos_ - utterance_start_ >= max_utterance_) {
        end(out);
        start_decoder(pos_);
      } else if (partial_every_ > 0 && since_partial_ >= partial_every_) {
        since_partial_ = 0;
        std::string text = lease_->partial();
        if (!text.empty() && text != last_partial_) {
          last_partial_ = text;
          out.push_back({false,
                         utterance_,
                         {.text = std::move(text), .start_s = seconds(utterance_start_), .end_s = seconds(pos_)}});
        }
      }
    }
  }

  // The history kept between utterances: the preroll plus the VAD's onset run.
  std::size_t keep() const {
    return preroll_ +
           static_cast<std::size_t>(options_.vad.onset_frames + 1) * options_.vad.frame_ms * kSampleRate / 1000;
  }

  void begin(std::uint64_t vad_start) {
    const std::uint64_t wanted = stream_pos(vad_start) >= preroll_ ? stream_pos(vad_start) - preroll_ : 0;
    const std::uint64_t held_from = pos_ - history_.size();
    const std::uint64_t from = std::max(wanted, held_from);
    start_decoder(from);
    std::vector<std::int16_t> before(history_.begin() + static_cast<std::ptrdiff_t>(from - held_from), history_.end());
    history_.clear();
    if (!before.empty()) lease_->process(before);
    if (redecode_) first_ = std::move(before);
  }

  void start_decoder(std::uint64_t from) {
    lease_->start();
    in_utterance_ = true;
    utterance_start_ = from;
    since_partial_ = 0;
    last_partial_.clear();
  }

  void end(std::vector<StreamResult>& out) {
    in_utterance_ = false;
    Transcript t = lease_->end();
    if (redecode_) {
      // The stream's first utterance was decoded live from the decoder's default normalisation, which fits
      // no real channel: its final comes from decoding it again whole (the decoder keeps what it learnt).
      t = lease_->decode(first_);
      redecode_ = false;
      first_ = {};
    }
    shift(t, seconds(utterance_start_));
    t.start_s = seconds(utterance_start_);
    t.end_s = seconds(pos_);
    out.push_back({true, utterance_++, std::move(t)});
  }

  DecoderPool::Lease lease_;
  StreamOptions options_;
  Vad vad_;
  std::uint64_t vad_skip_ = 0;
  std::size_t preroll_;
  std::size_t partial_every_;
  std::uint64_t max_utterance_;
  std::vector<std::int16_t> history_;  // the latest samples outside an utterance
  std::uint64_t pos_ = 0;              // samples consumed
  bool in_utterance_ = false;
  std::uint64_t utterance_start_ = 0;
  std::uint64_t utterance_ = 0;
  std::size_t since_partial_ = 0;
  std::string last_partial_;
  bool redecode_ = true;             // the first utterance's final is decoded again, whole
  std::vector<std::int16_t> first_;  // its audio
};

}  // namespace

std::unique_ptr<RecognizerStream> make_vad_stream(DecoderPool::Lease lease, const StreamOptions& options) {
  return std::make_unique<VadStream>(std::move(lease), options);
}

// ---- batch

Transcript recognize_segments(UtteranceDecoder& decoder, std::span<const std::int16_t> samples, const VadOptions& vad,
                              double pad_s, double max_utterance_s) {
  const double length = seconds(samples.size());
  std::vector<SpeechSegment> cuts;
  for (SpeechSegment s : detect_speech(samples, vad)) {
    s.start_s = std::max(0.0, s.start_s - pad_s);
    s.end_s = std::min(length, s.end_s + pad_s);
    if (!cuts.empty() && s.start_s <= cuts.back().end_s) {
      cuts.back().end_s = s.end_s;
      continue;
    }
    cuts.push_back(s);
  }
  Transcript out{.start_s = 0, .end_s = length};
  double confidence = 0;
  for (const SpeechSegment& cut : cuts) {
    for (double from = cut.start_s; from < cut.end_s; from += max_utterance_s) {
      const auto a = static_cast<std::size_t>(from * kSampleRate);
      const auto b =
          std::min(samples.size(), static_cast<std::size_t>(std::min(cut.end_s, from + max_utterance_s) * kSampleRate));
      if (b <= a) continue;
      Transcript t = decoder.decode(samples.subspan(a, b - a));
      shift(t, seconds(a));
      for (Word& w : t.words) {
        confidence += w.confidence;
        out.text += (out.text.empty() ? "" : " ") + w.word;
        out.words.push_back(std::move(w));
      }
    }
  }
  out.confidence = out.words.empty() ? 0 : confidence / static_cast<double>(out.words.size());
  return out;
}

}  // namespace tyto::audio
