// `tyto hash [--json] FILE…`: the image hashes of files, without a server.
#include "tyto/core/error.hpp"
#include "tyto/fingerprint/fingerprint_index.hpp"
#include "tyto/modules/fingerprint.hpp"

#include "tyto/fingerprint/audio_wiring.hpp"

#include <fmt/format.h>

#include <fstream>
#include <ostream>

namespace tyto::modules {
namespace {

using nlohmann::json;
using namespace tyto::fingerprint;

// One file's entry: {path, ahash, dhash, phash, pdq, pdq_quality} or {path, error, code}.
json hash_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {{"path", path}, {"error", "cannot be read"}, {"code", "not_found"}};
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  try {
    const ImageHashes h = hash_image(decode_image(bytes));
    return {
        {"path", path},         {"ahash", to_hex(h.ahash)},    {"dhash", to_hex(h.dhash)}, {"phash", to_hex(h.phash)},
        {"pdq", to_hex(h.pdq)}, {"pdq_quality", h.pdq_quality}};
  } catch (const Error& e) {
    return {{"path", path}, {"error", e.what()}, {"code", std::string(error_code_name(e.code()))}};
  }
}

int run_hash(std::span<const std::string> args, std::ostream& out, std::ostream& err) {
  bool as_json = false;
  std::vector<std::string> files;
  bool options_done = false;
  for (const auto& a : args) {
    if (!options_done && a == "--json") {
      as_json = true;
    } else if (!options_done && a == "--") {
      options_done = true;
    } else if (!options_done && a.size() > 1 && a[0] == '-') {
      err << "tyto hash: unknown option " << a << "\nusage: tyto hash [--json] FILE…\n";
      return 2;
    } else {
      files.push_back(a);
    }
  }
  if (files.empty()) {
    err << "usage: tyto hash [--json] FILE…\n";
    return 2;
  }
  int status = 0;
  json all = json::array();
  for (const auto& file : files) {
    json entry = hash_file(file);
    if (entry.contains("error")) status = 1;
    if (as_json) {
      all.push_back(std::move(entry));
    } else if (entry.contains("error")) {
      out << fmt::format("{} error={} {}\n", file, entry["code"].get<std::string>(), entry["error"].get<std::string>());
    } else {
      out << fmt::format("{} ahash={} dhash={} phash={} pdq={} pdq_quality={}\n", file,
                         entry["ahash"].get<std::string>(), entry["dhash"].get<std::string>(),
                         entry["phash"].get<std::string>(), entry["pdq"].get<std::string>(),
                         entry["pdq_quality"].get<int>());
    }
  }
  if (as_json) out << all.dump() << "\n";
  return status;
}

}  // namespace

std::vector<CliCommand> FingerprintModule::commands() {
  std::vector<CliCommand> commands{{"hash", "hash [--json] FILE…",
                                    "Print the perceptual hashes (aHash, dHash, pHash, PDQ) of image files", run_hash}};
  // The audio half's: tyto fingerprint [index|lookup].
  for (auto& c : fingerprint::audio_commands()) commands.push_back(std::move(c));
  return commands;
}

}  // namespace tyto::modules
