// The pocketsphinx backend (CMU Sphinx; Debian's libpocketsphinx3 0.8+5prealpha with pocketsphinx-en-us,
// BSD-2): continuous speech with the US English acoustic model, the generic trigram language model and
// the CMU dictionary. Its headers stay in src/.
//
// Decoders load the model (~0.4 s, tens of MB each) and are not thread-safe, so the recogniser keeps a
// pool of `decoders` of them, created on first use; a stream holds one for its life, a batch call for
// the call. A call that finds none free waits up to `acquire_timeout`, then throws Error overloaded.
// Construction checks that the model files exist (Error unavailable, reason "model_missing"); a model
// pocketsphinx cannot load throws Error unavailable (reason "model_failed") at the first use.
#pragma once

#include "tyto/audio/asr.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace tyto::audio {

struct PocketsphinxOptions {
  std::string hmm;   // acoustic model folder; empty: /usr/share/pocketsphinx/model/en-us/en-us
  std::string lm;    // language model; empty: /usr/share/pocketsphinx/model/en-us/en-us.lm.bin
  std::string dict;  // pronunciation dictionary; empty: /usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict
  std::size_t decoders = 2;
  std::chrono::milliseconds acquire_timeout{std::chrono::seconds(30)};
  VadOptions vad;  // cuts the utterances of recognize()
};

// The Debian defaults of the three paths.
PocketsphinxOptions with_default_paths(PocketsphinxOptions options);

std::unique_ptr<Recognizer> make_pocketsphinx_recognizer(PocketsphinxOptions options = {});

}  // namespace tyto::audio
