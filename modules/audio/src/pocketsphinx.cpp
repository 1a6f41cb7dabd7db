// The pocketsphinx backend: one ps_decoder_t per UtteranceDecoder, pooled.
#include "tyto/audio/pocketsphinx.hpp"

#include "tyto/audio/backend.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>
#include <pocketsphinx.h>
#include <sphinxbase/cmn.h>
#include <sphinxbase/fe.h>
#include <sphinxbase/feat.h>

#include <algorithm>
#include <filesystem>

namespace tyto::audio {
namespace {

constexpr double kFrameSeconds = 0.01;  // pocketsphinx's default frame rate: 100 frames a second
constexpr const char* kModelDir = "/usr/share/pocketsphinx/model/en-us";

[[noreturn]] void model_error(std::string_view reason, std::string message) {
  throw Error(ErrorCode::kUnavailable, std::move(message), {{"reason", reason}});
}

class PocketsphinxDecoder final : public UtteranceDecoder {
 public:
  explicit PocketsphinxDecoder(const PocketsphinxOptions& o) {
    config_ = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", o.hmm.c_str(), "-lm", o.lm.c_str(), "-dict", o.dict.c_str(),
                          "-logfn", "/dev/null", nullptr);
    if (!config_) model_error("model_failed", "pocketsphinx refused its configuration");
    ps_ = ps_init(config_);
    if (!ps_) {
      cmd_ln_free_r(config_);
      model_error("model_failed",
                  fmt::format("pocketsphinx could not load the model {} / {} / {}", o.hmm, o.lm, o.dict));
    }
    cmn_t* cmn = ps_get_feat(ps_)->cmn_struct;
    initial_cmn_.resize(static_cast<std::size_t>(cmn->veclen));
    cmn_live_get(cmn, initial_cmn_.data());  // the model's cmninit
  }
  ~PocketsphinxDecoder() override {
    ps_free(ps_);
    cmd_ln_free_r(config_);
  }
  PocketsphinxDecoder(const PocketsphinxDecoder&) = delete;
  PocketsphinxDecoder& operator=(const PocketsphinxDecoder&) = delete;

  // Decoding in pieces normalises the cepstra by a running mean that carries over from one utterance to the
  // next (and is updated at each end); back to the model's initial mean.
  void reset() override { cmn_live_set(ps_get_feat(ps_)->cmn_struct, initial_cmn_.data()); }

  void start() override {
    if (ps_start_utt(ps_) < 0) throw Error(ErrorCode::kInternal, "pocketsphinx could not start an utterance");
    dither_ = 0x9E3779B9u;  // the same dither for the same audio: results do not depend on what came before
  }

  void process(std::span<const std::int16_t> samples) override { feed(samples); }

  std::string partial() override {
    std::int32_t score = 0;
    const char* hyp = ps_get_hyp(ps_, &score);
    return hyp ? hyp : "";
  }

  Transcript end() override {
    ps_end_utt(ps_);
    return collect();
  }

  Transcript decode(std::span<const std::int16_t> samples) override {
    start();
    dither(samples);
    set_mean_of(buffer_);
    if (ps_process_raw(ps_, buffer_.data(), buffer_.size(), FALSE, TRUE) < 0)
      throw Error(ErrorCode::kInternal, "pocketsphinx could not process the audio");
    return end();
  }

 private:
  // Batch normalisation, which this pocketsphinx does not do by itself when fed raw audio: the cepstral mean
  // of the segment itself, computed with the decoder's own front end, becomes the running mean the decoder
  // starts from, so a clip decodes the same whatever came before (and better than from the model's default).
  void set_mean_of(std::span<const std::int16_t> samples) {
    fe_t* fe = ps_get_fe(ps_);
    const auto width = static_cast<std::size_t>(fe_get_output_size(fe));
    constexpr std::size_t kBlock = 64;
    std::vector<mfcc_t> block(kBlock * width);
    std::vector<mfcc_t*> rows(kBlock);
    for (std::size_t i = 0; i < kBlock; ++i) rows[i] = block.data() + i * width;
    std::vector<mfcc_t> all;
    const auto add = [&](const mfcc_t* row) { all.insert(all.end(), row, row + width); };
    fe_start_utt(fe);
    const std::int16_t* at = samples.data();
    std::size_t left = samples.size();
    while (left > 0) {
      auto n = static_cast<std::int32_t>(kBlock);
      if (fe_process_frames(fe, &at, &left, rows.data(), &n, nullptr) < 0) break;
      for (std::int32_t i = 0; i < n; ++i) add(rows[static_cast<std::size_t>(i)]);
      if (n == 0) break;
    }
    std::int32_t last = 0;
    fe_end_utt(fe, rows[0], &last);
    if (last > 0) add(rows[0]);
    cmn_t* cmn = ps_get_feat(ps_)->cmn_struct;
    const std::size_t count = all.size() / std::max<std::size_t>(width, 1);
    if (count == 0 || static_cast<std::size_t>(cmn->veclen) != width) return reset();
    std::vector<double> sum(width, 0.0);
    for (std::size_t f = 0; f < count; ++f)
      for (std::size_t j = 0; j < width; ++j) sum[j] += all[f * width + j];
    std::vector<mfcc_t> mean(width);
    for (std::size_t j = 0; j < width; ++j) mean[j] = static_cast<mfcc_t>(sum[j] / static_cast<double>(count));
    cmn_live_set(cmn, mean.data());
  }

  // Digital silence (exact zeros, as synthesisers and some encoders write) makes the log energies
  // degenerate; one bit of dither from our own generator keeps them finite and the decoder deterministic.
  void feed(std::span<const std::int16_t> samples) {
    dither(samples);
    if (ps_process_raw(ps_, buffer_.data(), buffer_.size(), FALSE, FALSE) < 0)
      throw Error(ErrorCode::kInternal, "pocketsphinx could not process the audio");
  }

  void dither(std::span<const std::int16_t> samples) {
    buffer_.resize(samples.size());
    for (std::size_t i = 0; i < samples.size(); ++i) {
      dither_ ^= dither_ << 13;
      dither_ ^= dither_ >> 17;
      dither_ ^= dither_ << 5;
      const int v = samples[i] + static_cast<int>(dither_ & 1u);
      buffer_[i] = static_cast<std::int16_t>(std::min(v, 32767));
    }
  }

  Transcript collect() {
    Transcript t;
    ps_get_prob(ps_);  // computes the lattice's posteriors, which ps_seg_prob reads
    logmath_t* lmath = ps_get_logmath(ps_);
    double sum = 0;
    // Segment frames keep counting across the utterances of a decoder fed in pieces (0.8+5prealpha), but
    // the first segment (<s>) always starts at the utterance's first frame.
    int origin = -1;
    for (ps_seg_t* seg = ps_seg_iter(ps_); seg; seg = ps_seg_next(seg)) {
      int sf = 0, ef = 0;
      ps_seg_frames(seg, &sf, &ef);
      if (origin < 0) origin = sf;
      sf -= origin;
      ef -= origin;
      const char* word = ps_seg_word(seg);
      if (!word || is_filler(word)) continue;
      std::int32_t ascr = 0, lscr = 0, lback = 0;
      const double p = std::clamp(logmath_exp(lmath, ps_seg_prob(seg, &ascr, &lscr, &lback)), 0.0, 1.0);
      Word w{base_word(word), sf * kFrameSeconds, (ef + 1) * kFrameSeconds, p};
      sum += p;
      t.text += (t.text.empty() ? "" : " ") + w.word;
      t.words.push_back(std::move(w));
    }
    t.confidence = t.words.empty() ? 0 : sum / static_cast<double>(t.words.size());
    if (!t.words.empty()) t.end_s = t.words.back().end_s;
    return t;
  }

  cmd_ln_t* config_ = nullptr;
  ps_decoder_t* ps_ = nullptr;
  std::vector<mfcc_t> initial_cmn_;
  std::vector<std::int16_t> buffer_;
  std::uint32_t dither_ = 0x9E3779B9u;
};

class PocketsphinxRecognizer final : public Recognizer {
 public:
  explicit PocketsphinxRecognizer(PocketsphinxOptions options)
      : options_(with_default_paths(std::move(options))), pool_(options_.decoders, options_.acquire_timeout, [this] {
          return std::make_unique<PocketsphinxDecoder>(options_);
        }) {
    for (const std::string* path : {&options_.hmm, &options_.lm, &options_.dict}) {
      std::error_code ec;
      if (!std::filesystem::exists(*path, ec))
        model_error("model_missing",
                    fmt::format("pocketsphinx model file {} is missing (Debian: pocketsphinx-en-us)", *path));
    }
  }

  std::string_view backend() const override { return "pocketsphinx"; }

  Transcript recognize(std::span<const std::int16_t> samples) override {
    auto lease = pool_.acquire();
    return recognize_segments(*lease, samples, options_.vad);
  }

  std::unique_ptr<RecognizerStream> stream(const StreamOptions& options) override {
    return make_vad_stream(pool_.acquire(), options);
  }

 private:
  PocketsphinxOptions options_;
  DecoderPool pool_;
};

}  // namespace

PocketsphinxOptions with_default_paths(PocketsphinxOptions o) {
  if (o.hmm.empty()) o.hmm = fmt::format("{}/en-us", kModelDir);
  if (o.lm.empty()) o.lm = fmt::format("{}/en-us.lm.bin", kModelDir);
  if (o.dict.empty()) o.dict = fmt::format("{}/cmudict-en-us.dict", kModelDir);
  return o;
}

std::unique_ptr<Recognizer> make_pocketsphinx_recognizer(PocketsphinxOptions options) {
  return std::make_unique<PocketsphinxRecognizer>(std::move(options));
}

}  // namespace tyto::audio
