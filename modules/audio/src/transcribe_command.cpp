// `tyto transcribe [--json] FILE…`: each file decoded and transcribed with the default pocketsphinx model;
// the text (one line per file, prefixed by its name when there are several), or one JSON object per line.
#include "tyto/audio/decode.hpp"
#include "tyto/audio/pocketsphinx.hpp"
#include "tyto/core/error.hpp"
#include "tyto/modules/audio.hpp"

#include <cmath>
#include <ostream>

namespace tyto::modules {
namespace {

using nlohmann::json;

int transcribe_command(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  bool as_json = false;
  std::vector<std::string> files;
  for (const std::string& a : args) {
    if (a == "--json") {
      as_json = true;
    } else if (a.starts_with("--")) {
      err << "tyto transcribe: unknown option " << a << "\nusage: tyto transcribe [--json] FILE…\n";
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    err << "usage: tyto transcribe [--json] FILE…\n";
    return 2;
  }
  std::unique_ptr<audio::Recognizer> recognizer;
  try {
    recognizer = audio::make_pocketsphinx_recognizer({.decoders = 1});
  } catch (const Error& e) {
    err << "tyto transcribe: " << e.what() << "\n";
    return 1;
  }
  int status = 0;
  for (const std::string& file : files) {
    try {
      const audio::Pcm16k pcm = audio::decode_pcm16k_file(file, {.max_bytes = 1u << 30, .max_seconds = 6 * 3600});
      const audio::Transcript t = recognizer->recognize(pcm.samples);
      if (as_json) {
        json j = transcript_json(t);
        j["file"] = file;
        j["duration_s"] = std::round(pcm.duration_s() * 1000) / 1000;
        out << j.dump() << "\n";
      } else {
        out << (files.size() > 1 ? file + ": " : "") << t.text << "\n";
      }
    } catch (const Error& e) {
      err << "tyto transcribe: " << e.what() << " (" << error_code_name(e.code()) << ")\n";
      status = 1;
    }
  }
  return status;
}

}  // namespace

std::vector<CliCommand> AudioModule::commands() {
  return {{"transcribe", "transcribe [--json] FILE…",
           "Transcribe the speech of audio files (pocketsphinx en-us): text, or words with times as JSON",
           transcribe_command}};
}

}  // namespace tyto::modules
