// For recogniser backends: what a backend provides (an UtteranceDecoder), and what it can reuse around
// it: a pool of decoders, streams cut into utterances by the VAD, and batch recognition of a clip cut
// the same way. The pocketsphinx backend is built from these.
#pragma once

#include "tyto/audio/asr.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace tyto::audio {

// One decoder of a backend, decoding one utterance at a time. Not thread-safe (the pool hands it to one
// user at a time). Times in the transcripts it returns count from the utterance's first sample.
class UtteranceDecoder {
 public:
  virtual ~UtteranceDecoder() = default;
  // Forgets what earlier utterances taught it about the channel (pocketsphinx: the running cepstral mean),
  // so that what follows is decoded the same whatever came before. Streams call it when they begin (and
  // then adapt across their utterances); batch decoding calls it for every segment.
  virtual void reset() {}
  virtual void start() = 0;
  virtual void process(std::span<const std::int16_t> samples) = 0;
  // The current hypothesis of the utterance being decoded (may be empty).
  virtual std::string partial() = 0;
  virtual Transcript end() = 0;
  // A whole utterance at once; a backend may normalise better when it sees all of it. Default: reset,
  // start, process, end.
  virtual Transcript decode(std::span<const std::int16_t> samples);
};

// Up to `size` decoders, made by `make` when needed and kept. Thread-safe. The pool must outlive its leases.
class DecoderPool {
 public:
  using Factory = std::function<std::unique_ptr<UtteranceDecoder>()>;
  DecoderPool(std::size_t size, std::chrono::milliseconds wait, Factory make);

  // A decoder for one user; it goes back to the pool when the lease is destroyed.
  class Lease {
   public:
    Lease(DecoderPool* pool, std::unique_ptr<UtteranceDecoder> decoder) : pool_(pool), decoder_(std::move(decoder)) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    UtteranceDecoder& operator*() const { return *decoder_; }
    UtteranceDecoder* operator->() const { return decoder_.get(); }

   private:
    DecoderPool* pool_;
    std::unique_ptr<UtteranceDecoder> decoder_;
  };

  // Waits up to the pool's wait for a free decoder (making one if fewer than `size` exist); then throws
  // tyto::Error overloaded (reason "recognizer_busy"). A factory's exception propagates.
  Lease acquire();
  std::size_t size() const { return size_; }
  std::size_t made() const;

 private:
  void give_back(std::unique_ptr<UtteranceDecoder> decoder);

  const std::size_t size_;
  const std::chrono::milliseconds wait_;
  Factory make_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<UtteranceDecoder>> idle_;  // guarded by mutex_
  std::size_t made_ = 0;                                 // guarded by mutex_ (counts makes in progress)
};

// A stream over a leased decoder: the VAD cuts utterances, each is decoded as it arrives (with
// options.preroll_ms before the VAD's start), partials are asked for every options.partial_interval_ms.
// The decoder is reset when the stream begins; the final of the stream's first utterance comes from
// decoding that utterance again whole (decode()), which teaches the decoder the channel for the rest.
std::unique_ptr<RecognizerStream> make_vad_stream(DecoderPool::Lease lease, const StreamOptions& options);

// Batch recognition of a clip: speech segments found by the VAD (padded by pad_s each side, merged where
// they meet, split at max_utterance_s), each decoded whole; times from the clip's start.
Transcript recognize_segments(UtteranceDecoder& decoder, std::span<const std::int16_t> samples, const VadOptions& vad,
                              double pad_s = 0.25, double max_utterance_s = 30);

}  // namespace tyto::audio
