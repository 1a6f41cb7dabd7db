// What the audio half of modules/fingerprint contributes to the platform: its stages and its commands.
// The fingerprint module's register_stages calls register_audio_stages, its static commands() returns
// audio_commands() (with the image half's).
#pragma once

#include "tyto/cli_command.hpp"
#include "tyto/pipeline/stage.hpp"

#include <vector>

namespace tyto::fingerprint {

// Registers
//   audio.fingerprint  {object_id, max_seconds?} → {duration, fingerprinted_s, items, fingerprint}
//   audio.match        {query, references: [{id, fingerprint}], min_score?}
//                      → {match: {id, offset_s, score, ber} | null}
// (docs/modules/fingerprint-audio.md). Failures are StageErrors whose code is the tyto::Error's name.
void register_audio_stages(pipeline::StageRegistry& registry);

// `tyto fingerprint [--raw] [--json] [--length SECS] FILE…`, with its subcommands
// `fingerprint index --db PATH FILE…` and `fingerprint lookup --db PATH [--json] FILE…`.
std::vector<CliCommand> audio_commands();

}  // namespace tyto::fingerprint
