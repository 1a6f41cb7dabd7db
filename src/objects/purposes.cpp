#include "tyto/objects/purposes.hpp"

#include "tyto/core/error.hpp"

#include <algorithm>
#include <array>

namespace tyto::objects {
namespace {

constexpr std::uint64_t kMiB = 1ull << 20;

const std::vector<Purpose>& table() {
  static const std::vector<Purpose> kPurposes = {
      {"image", {"image/jpeg", "image/png", "image/webp"}, 25 * kMiB, 0, false, true},
      {"video", {"video/mp4", "video/webm", "video/x-matroska", "video/quicktime"}, 2048 * kMiB, 0, false, false},
      {"audio", {"audio/wav", "audio/mpeg", "audio/ogg", "audio/flac"}, 512 * kMiB, 0, false, false},
      {"document", {"application/json", "text/csv", "text/html"}, 50 * kMiB, 0, false, false},
      {"capture", {"image/jpeg", "image/png", "image/webp"}, 25 * kMiB, 24, true, true},
      {"reference", {"image/jpeg", "image/png", "image/webp"}, 25 * kMiB, 0, false, true},
      {"export",
       {"application/zip", "application/json", "application/pdf", "text/csv"},
       2048 * kMiB,
       7 * 24,
       false,
       false},
  };
  return kPurposes;
}

}  // namespace

bool Purpose::allows(std::string_view type) const { return std::find(types.begin(), types.end(), type) != types.end(); }

std::span<const Purpose> purposes() { return table(); }

const Purpose* find_purpose(std::string_view name) {
  for (const auto& p : table()) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::optional<int> retention_hours(const Purpose& purpose, const std::map<std::string, int>& overrides, bool keep) {
  int hours = purpose.retention_hours;
  if (auto it = overrides.find(std::string(purpose.name)); it != overrides.end()) hours = it->second;
  if (keep) {
    if (!purpose.keep_allowed && hours > 0) {
      throw validation_error("this purpose's retention cannot be waived",
                             {{"keep", "only capture uploads may ask to be kept"}});
    }
    return std::nullopt;
  }
  if (hours <= 0) return std::nullopt;
  return hours;
}

std::string canonical_media_type(std::string_view type) {
  std::string out(type.substr(0, type.find(';')));
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t')) out.pop_back();
  while (!out.empty() && (out.front() == ' ' || out.front() == '\t')) out.erase(out.begin());
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kAliases = {{
      {"image/jpg", "image/jpeg"},
      {"image/pjpeg", "image/jpeg"},
      {"audio/x-wav", "audio/wav"},
      {"audio/wave", "audio/wav"},
      {"audio/vnd.wave", "audio/wav"},
      {"audio/mp3", "audio/mpeg"},
      {"audio/x-flac", "audio/flac"},
      {"application/x-zip-compressed", "application/zip"},
      {"text/json", "application/json"},
  }};
  for (const auto& [alias, canonical] : kAliases) {
    if (out == alias) return std::string(canonical);
  }
  return out;
}

}  // namespace tyto::objects
