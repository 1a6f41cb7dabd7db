// Upload purposes: what an upload is for decides which media types it may hold, how large it may be and
// how long the object is kept. The table (docs/api.md, "Uploads and objects", shows it too):
//
//   purpose    types                                         cap       retention
//   image      image/jpeg, image/png, image/webp             25 MiB    kept
//   video      video/mp4                                     2 GiB     kept
//   audio      audio/wav, audio/mpeg, audio/ogg, audio/flac  512 MiB   kept
//   document   application/json, text/csv, text/html         50 MiB    kept
//   capture    image/jpeg, image/png, image/webp             25 MiB    24 h, unless the upload said keep: true
//   reference  image/jpeg, image/png, image/webp             25 MiB    kept
//   export     application/zip, application/json,            2 GiB     7 days
//              application/pdf, text/csv
//
// UploadsConfig::retention_hours overrides the retention per purpose (0: kept).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::objects {

struct Purpose {
  std::string_view name;
  std::vector<std::string_view> types;  // canonical media types, as sniff() names them
  std::uint64_t max_bytes = 0;
  int retention_hours = 0;    // 0: kept until deleted
  bool keep_allowed = false;  // the uploader may opt out of the retention with keep: true
  bool images = false;        // holds images: metadata is stripped

  bool allows(std::string_view type) const;
};

std::span<const Purpose> purposes();

// The purpose of that name, or nullptr.
const Purpose* find_purpose(std::string_view name);

// How long an object of this purpose is kept, in hours (nullopt: until deleted), given the config's
// overrides and the uploader's keep flag. Throws Error(kValidationFailed) for keep on a purpose whose
// retention cannot be waived.
std::optional<int> retention_hours(const Purpose& purpose, const std::map<std::string, int>& overrides, bool keep);

// A declared media type in canonical form: lowercased, parameters dropped, aliases mapped
// ("audio/x-wav" → "audio/wav", "audio/mp3" → "audio/mpeg", "image/jpg" → "image/jpeg").
std::string canonical_media_type(std::string_view type);

}  // namespace tyto::objects
