// The audio module: speech in audio objects. Its stage reads an audio object (an upload or an artifact
// of the job's tenant), decodes it to 16 kHz mono and transcribes it on a job thread:
//   audio.transcribe  {object_id, max_seconds?}
//                     → {object_id, backend, duration_s, text, confidence,
//                        words: [{word, start_s, end_s, confidence}], segments: [{start_s, end_s}]}
// Options (modules.audio.*): hmm, lm, dict (the pocketsphinx model; Debian's pocketsphinx-en-us by
// default), decoders (pool size), max_clip_seconds, max_bytes (docs/modules/audio.md).
// Command: `tyto transcribe [--json] FILE…`.
// Other code (the live product) calls recognizer() directly: batch for clips, streams for live audio.
#pragma once

#include "tyto/cli_command.hpp"
#include "tyto/core/config.hpp"
#include "tyto/pipeline/stage.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace tyto::cli {
struct ModuleServices;
}

namespace tyto::audio {
class Recognizer;
struct Transcript;
}  // namespace tyto::audio

namespace tyto::modules {

struct AudioOptions {
  std::string hmm;                      // empty: /usr/share/pocketsphinx/model/en-us/en-us
  std::string lm;                       // empty: …/en-us.lm.bin
  std::string dict;                     // empty: …/cmudict-en-us.dict
  std::size_t decoders = 2;             // pocketsphinx decoders kept loaded (each ~90 MiB, one per stream)
  double max_clip_seconds = 300;        // the longest clip audio.transcribe decodes
  std::uint64_t max_bytes = 64u << 20;  // the largest object read
};

class AudioModule final : public pipeline::Module {
 public:
  static constexpr std::string_view kName = "audio";
  static std::vector<ComponentOption> options();
  static std::vector<CliCommand> commands();

  explicit AudioModule(const cli::ModuleServices& services);
  explicit AudioModule(AudioOptions options);
  ~AudioModule() override;

  std::string_view name() const override { return kName; }
  void register_stages(pipeline::StageRegistry& registry) override;
  std::vector<pipeline::PipelineFile> pipelines() const override;  // modules/audio/pipelines/
  // "pocketsphinx" (/ready shows "audio.pocketsphinx"): "ok", or why the model cannot be used (a missing file, a model
  // that fails to load).
  std::vector<std::pair<std::string, std::string>> readiness() const override;

  // The stage's work, callable without a job (tests). Bad input throws StageError (not retryable) with
  // the decoder's code: unsupported_media_type, payload_too_large.
  nlohmann::json transcribe(pipeline::StageContext& ctx, const nlohmann::json& input);

  // The recogniser, created on first use; thread-safe. Throws tyto::Error unavailable when the model is
  // missing. Lives as long as the module.
  audio::Recognizer& recognizer();
  const AudioOptions& settings() const { return options_; }

 private:
  AudioOptions options_;
  mutable std::mutex mutex_;  // guards recognizer_ and failure_
  std::unique_ptr<audio::Recognizer> recognizer_;
  std::string failure_;  // why the recogniser could not be made, once it failed
};

// A transcript as the stage and the live product send it: {text, confidence, start_s, end_s,
// words: [{word, start_s, end_s, confidence}]}, times rounded to milliseconds, confidences to 3 places.
nlohmann::json transcript_json(const audio::Transcript& transcript);

}  // namespace tyto::modules
