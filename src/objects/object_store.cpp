#include "tyto/objects/object_store.hpp"

#include "objects/detail/names.hpp"
#include "tyto/core/hash.hpp"

#include <fmt/format.h>

namespace tyto::objects {
namespace {

constexpr std::size_t kMaxKeyBytes = 1024;
// A segment is a file or directory name in the local store: with its "~obj~tmp.<16 hex>" suffix it must
// stay within NAME_MAX (255).
constexpr std::size_t kMaxSegmentBytes = 200;
constexpr std::size_t kMaxContentTypeBytes = 255;
constexpr std::chrono::seconds kMaxPresignExpiry{7 * 24 * 3600};

bool is_key_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Why the characters of a (possibly partial) segment are not allowed, or empty if they are.
std::string_view characters_problem(std::string_view segment) noexcept {
  if (segment.size() > kMaxSegmentBytes) return "has a segment longer than 200 bytes";
  for (char c : segment) {
    if (!is_key_char(c)) return "has a character outside [A-Za-z0-9._-/]";
  }
  return {};
}

// Why `segment` cannot be a full segment of a key, or empty if it can.
std::string_view segment_problem(std::string_view segment) noexcept {
  if (segment.empty()) return "has an empty segment (a leading, trailing or doubled '/')";
  if (segment == "." || segment == "..") return "has a '.' or '..' segment";
  return characters_problem(segment);
}

// Why `path` is not a valid key (or, with partial_last, prefix), or empty if it is.
std::string_view path_problem(std::string_view path, bool partial_last) noexcept {
  if (path.size() > kMaxKeyBytes) return "is longer than 1024 bytes";
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    std::string_view segment = path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (slash == std::string_view::npos) {
      return partial_last ? characters_problem(segment) : segment_problem(segment);
    }
    if (std::string_view problem = segment_problem(segment); !problem.empty()) return problem;
    start = slash + 1;
  }
}

}  // namespace

void validate_key(std::string_view key) {
  std::string_view problem = key.empty() ? "is empty" : path_problem(key, false);
  if (problem.empty()) return;
  throw validation_error(fmt::format("object key \"{}\" {}", detail::printable(key), problem),
                         {{"key", std::string(problem)}});
}

void validate_prefix(std::string_view prefix) {
  std::string_view problem = path_problem(prefix, true);
  if (problem.empty()) return;
  throw validation_error(fmt::format("object key prefix \"{}\" {}", detail::printable(prefix), problem),
                         {{"prefix", std::string(problem)}});
}

void validate_content_type(std::string_view content_type) {
  bool printable = true;
  for (char c : content_type) printable = printable && c >= 0x20 && c <= 0x7e;
  if (printable && content_type.size() <= kMaxContentTypeBytes) return;
  std::string problem = printable ? "is longer than 255 bytes" : "has characters other than printable ASCII";
  throw validation_error(fmt::format("content type \"{}\" {}", detail::printable(content_type), problem),
                         {{"content_type", problem}});
}

void probe_write(ObjectStore& store) {
  // A key of its own per call: instances sharing a bucket never delete each other's probe mid-write.
  const std::string key = "_tyto/probe/" + hex_encode(random_bytes(8));
  store.put(key, "probe", "text/plain");
  store.remove(key);
}

std::string ObjectStore::get_all(std::string_view key) {
  std::string out;
  get(key, 0, std::nullopt, [&out](std::string_view chunk) { out.append(chunk); });
  return out;
}

namespace detail {

bool is_key_segment(std::string_view segment) noexcept { return segment_problem(segment).empty(); }

std::string printable(std::string_view text, std::size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < max_bytes; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (text.size() > max_bytes) out += "...";
  return out;
}

std::string content_type_or_default(std::string_view content_type) {
  validate_content_type(content_type);
  return content_type.empty() ? std::string(kDefaultContentType) : std::string(content_type);
}

void validate_presign(std::string_view method, std::chrono::seconds expires, std::string_view content_type) {
  if (method != "GET" && method != "PUT") {
    throw validation_error(fmt::format("cannot presign method \"{}\": only GET and PUT", printable(method)),
                           {{"method", "must be GET or PUT"}});
  }
  if (expires < std::chrono::seconds(1) || expires > kMaxPresignExpiry) {
    throw validation_error(fmt::format("presigned URL expiry {} s is outside 1 s to 7 days", expires.count()),
                           {{"expires", "must be between 1 second and 7 days"}});
  }
  validate_content_type(content_type);
}

}  // namespace detail
}  // namespace tyto::objects
