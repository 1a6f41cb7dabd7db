// The live product's speech through the audio module: its recogniser's streams for sessions, its batch
// recognition and decoding for POST /api/v1/analyze/audio.
#include "speech.hpp"

#include "tyto/audio/asr.hpp"
#include "tyto/audio/decode.hpp"
#include "tyto/modules/audio.hpp"

namespace tyto::products::live {
namespace {

using nlohmann::json;

json words_json(const audio::Transcript& t, double offset_s) {
  json out = json::array();
  for (const auto& w : t.words) {
    out.push_back({{"word", w.word},
                   {"start_s", w.start_s + offset_s},
                   {"end_s", w.end_s + offset_s},
                   {"confidence", w.confidence}});
  }
  return out;
}

// Times of a stream's results are counted from the first sample fed; the session's media time of that
// sample is the offset.
class ModuleSpeechStream final : public SpeechStream {
 public:
  explicit ModuleSpeechStream(std::unique_ptr<audio::RecognizerStream> stream) : stream_(std::move(stream)) {}

  std::vector<SpeechPiece> feed(const std::vector<std::int16_t>& samples, double t_s) override {
    if (!started_) {
      offset_s_ = t_s;
      started_ = true;
    }
    return pieces(stream_->feed(samples));
  }
  std::vector<SpeechPiece> finish() override { return pieces(stream_->finish()); }

 private:
  std::vector<SpeechPiece> pieces(const std::vector<audio::StreamResult>& results) const {
    std::vector<SpeechPiece> out;
    for (const auto& r : results) {
      if (r.transcript.text.empty() && !r.final) continue;
      out.push_back({r.final, r.transcript.text, words_json(r.transcript, offset_s_), r.transcript.start_s + offset_s_,
                     r.transcript.end_s + offset_s_});
    }
    return out;
  }

  std::unique_ptr<audio::RecognizerStream> stream_;
  bool started_ = false;
  double offset_s_ = 0;
};

}  // namespace

SpeechParts speech_parts(std::span<pipeline::Module* const> modules) {
  modules::AudioModule* module = nullptr;
  for (auto* m : modules)
    if (auto* a = dynamic_cast<modules::AudioModule*>(m)) module = a;
  if (!module) return {};
  SpeechParts parts;
  parts.stream = [module]() -> std::unique_ptr<SpeechStream> {
    return std::make_unique<ModuleSpeechStream>(module->recognizer().stream());
  };
  parts.transcribe = [module](const std::vector<std::int16_t>& samples) {
    const auto t = module->recognizer().recognize(samples);
    return json{{"text", t.text},
                {"words", words_json(t, 0)},
                {"confidence", t.confidence},
                {"backend", std::string(module->recognizer().backend())}};
  };
  parts.decode = [](std::string_view bytes, double max_s) {
    audio::DecodeOptions o;
    o.max_seconds = max_s;
    return audio::decode_pcm16k(bytes, o, "clip").samples;
  };
  return parts;
}

}  // namespace tyto::products::live
