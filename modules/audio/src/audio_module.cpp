#include "tyto/modules/audio.hpp"

#include "cli/components.hpp"
#include "tyto/audio/decode.hpp"
#include "tyto/audio/pocketsphinx.hpp"
#include "tyto/audio/vad.hpp"
#include "tyto/core/error.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <cmath>
#include <filesystem>

namespace tyto {
std::span<const EmbeddedFile> embedded_audio_pipelines();
}

namespace tyto::modules {
namespace {

using nlohmann::json;
using pipeline::StageError;

double rounded(double v, double places) { return std::round(v * places) / places; }

json word_schema() {
  return {{"type", "object"},
          {"properties",
           {{"word", {{"type", "string"}}},
            {"start_s", {{"type", "number"}}},
            {"end_s", {{"type", "number"}}},
            {"confidence", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}}}}};
}

json input_schema() {
  return {{"type", "object"},
          {"required", {"object_id"}},
          {"properties",
           {{"object_id", {{"type", "string"}, {"minLength", 1}}},
            {"max_seconds", {{"type", "number"}, {"exclusiveMinimum", 0}}}}}};
}

json output_schema() {
  return {{"type", "object"},
          {"properties",
           {{"object_id", {{"type", "string"}}},
            {"backend", {{"type", "string"}}},
            {"duration_s", {{"type", "number"}}},
            {"text", {{"type", "string"}}},
            {"confidence", {{"type", "number"}}},
            {"words", {{"type", "array"}, {"items", word_schema()}}},
            {"segments", {{"type", "array"}}}}}};
}

template <class T>
void read_option(const Config& config, const char* key, T& into) {
  const json& v = config.option(std::string("modules.audio.") + key);
  if constexpr (std::is_same_v<T, std::string>) {
    if (v.is_string()) into = v.get<std::string>();
  } else {
    if (v.is_number() && v.get<double>() > 0) into = v.get<T>();
  }
}

}  // namespace

json transcript_json(const audio::Transcript& t) {
  json words = json::array();
  for (const audio::Word& w : t.words)
    words.push_back({{"word", w.word},
                     {"start_s", rounded(w.start_s, 1000)},
                     {"end_s", rounded(w.end_s, 1000)},
                     {"confidence", rounded(w.confidence, 1000)}});
  return {{"text", t.text},
          {"confidence", rounded(t.confidence, 1000)},
          {"start_s", rounded(t.start_s, 1000)},
          {"end_s", rounded(t.end_s, 1000)},
          {"words", std::move(words)}};
}

std::vector<ComponentOption> AudioModule::options() {
  return {
      {"hmm", "string", "",
       "pocketsphinx acoustic model folder (empty: Debian's /usr/share/pocketsphinx/model/en-us/en-us)"},
      {"lm", "string", "", "pocketsphinx language model (empty: /usr/share/pocketsphinx/model/en-us/en-us.lm.bin)"},
      {"dict", "string", "", "pocketsphinx dictionary (empty: /usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict)"},
      {"decoders", "integer", 2, "pocketsphinx decoders kept loaded: concurrent transcriptions and live streams"},
      {"max_clip_seconds", "number", 300, "Longest audio clip audio.transcribe decodes"},
      {"max_bytes", "integer", 64 << 20, "Largest audio object read"}};
}

AudioModule::AudioModule(const cli::ModuleServices& services) {
  const auto& config = services.config;
  read_option(config, "hmm", options_.hmm);
  read_option(config, "lm", options_.lm);
  read_option(config, "dict", options_.dict);
  read_option(config, "decoders", options_.decoders);
  read_option(config, "max_clip_seconds", options_.max_clip_seconds);
  read_option(config, "max_bytes", options_.max_bytes);
}

AudioModule::AudioModule(AudioOptions options) : options_(std::move(options)) {}

AudioModule::~AudioModule() = default;

audio::Recognizer& AudioModule::recognizer() {
  std::lock_guard lock(mutex_);
  if (!recognizer_) {
    try {
      recognizer_ = audio::make_pocketsphinx_recognizer(
          {.hmm = options_.hmm, .lm = options_.lm, .dict = options_.dict, .decoders = options_.decoders});
    } catch (const std::exception& e) {
      failure_ = e.what();
      throw;
    }
  }
  return *recognizer_;
}

std::vector<std::pair<std::string, std::string>> AudioModule::readiness() const {
  {
    std::lock_guard lock(mutex_);
    if (!failure_.empty()) return {{"pocketsphinx", failure_}};
  }
  const auto o = audio::with_default_paths({.hmm = options_.hmm, .lm = options_.lm, .dict = options_.dict});
  for (const std::string* path : {&o.hmm, &o.lm, &o.dict}) {
    std::error_code ec;
    if (!std::filesystem::exists(*path, ec)) return {{"pocketsphinx", "model file missing: " + *path}};
  }
  return {{"pocketsphinx", "ok"}};
}

json AudioModule::transcribe(pipeline::StageContext& ctx, const json& input) {
  const std::string object_id = input.at("object_id").get<std::string>();
  const double max_seconds = std::min(input.value("max_seconds", options_.max_clip_seconds), options_.max_clip_seconds);
  const std::string bytes = ctx.artifacts().get(object_id, options_.max_bytes);
  ctx.check_cancelled();
  try {
    audio::DecodeOptions decode;
    decode.max_bytes = options_.max_bytes;
    decode.max_seconds = max_seconds;
    decode.should_stop = [&ctx] { return ctx.cancelled(); };
    const audio::Pcm16k pcm = audio::decode_pcm16k(bytes, decode, object_id);
    ctx.check_cancelled();
    ctx.progress(0.1, "recognising speech");
    const audio::Transcript transcript = recognizer().recognize(pcm.samples);
    json segments = json::array();
    for (const auto& s : audio::detect_speech(pcm.samples))
      segments.push_back({{"start_s", rounded(s.start_s, 1000)}, {"end_s", rounded(s.end_s, 1000)}});
    json out = transcript_json(transcript);
    out.erase("start_s");
    out.erase("end_s");
    out["object_id"] = object_id;
    out["backend"] = recognizer().backend();
    out["duration_s"] = rounded(pcm.duration_s(), 1000);
    out["segments"] = std::move(segments);
    return out;
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kUnavailable) {  // the model failed to load: /ready says so from now on
      std::lock_guard lock(mutex_);
      failure_ = e.what();
    }
    const bool retryable = e.code() == ErrorCode::kOverloaded || e.code() == ErrorCode::kInternal;
    throw StageError(std::string(error_code_name(e.code())), e.what(), retryable);
  }
}

void AudioModule::register_stages(pipeline::StageRegistry& registry) {
  registry.add({"audio.transcribe",
                "Speech of an audio object as text, with each word's time and confidence (pocketsphinx, en-us)",
                input_schema(), output_schema(),
                [this](pipeline::StageContext& ctx, const json& input) { return transcribe(ctx, input); }});
}

std::vector<pipeline::PipelineFile> AudioModule::pipelines() const {
  return pipeline::pipeline_files(embedded_audio_pipelines(), "modules/audio/pipelines");
}

}  // namespace tyto::modules
