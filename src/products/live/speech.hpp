// The seam to the audio module: speech streams for sessions, one-shot transcription and audio decoding
// for POST /api/v1/analyze/audio. speech.cpp implements it with the audio module; speech_none.cpp, in a
// build without that module, answers that there is none.
#pragma once

#include "engine.hpp"
#include "routes.hpp"

#include <span>

namespace tyto::pipeline {
class Module;
}

namespace tyto::products::live {

struct SpeechParts {
  std::function<std::unique_ptr<SpeechStream>()> stream;  // empty: no recogniser
  Transcriber transcribe;
  AudioDecoder decode;
};

SpeechParts speech_parts(std::span<pipeline::Module* const> modules);

}  // namespace tyto::products::live
