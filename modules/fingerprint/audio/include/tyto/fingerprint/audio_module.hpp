// TEMPORARY: a module of its own for the audio half until it folds into FingerprintModule (the merge
// deletes this file and calls register_audio_stages / audio_commands from FingerprintModule).
#pragma once

#include "tyto/fingerprint/audio_wiring.hpp"

#include <string_view>

namespace tyto::fingerprint {

class AudioFingerprintModule : public pipeline::Module {
 public:
  static constexpr std::string_view kName = "fingerprint_audio";
  static std::vector<CliCommand> commands() { return audio_commands(); }
  std::string_view name() const override { return kName; }
  void register_stages(pipeline::StageRegistry& registry) override { register_audio_stages(registry); }
};

}  // namespace tyto::fingerprint
