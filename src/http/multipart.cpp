#include "tyto/http/multipart.hpp"

#include "tyto/core/error.hpp"

#include <cctype>
#include <regex>

namespace tyto::http {
namespace {

Error malformed(std::string why) {
  return Error(ErrorCode::kValidationFailed, "malformed multipart body", {{"reason", std::move(why)}});
}

std::string boundary_of(std::string_view content_type) {
  static const std::regex re(R"re(boundary=(?:"([^"]{1,70})"|([^\s;,]{1,70})))re", std::regex::icase);
  const std::string text(content_type);
  std::smatch m;
  if (!std::regex_search(text, m, re)) throw malformed("the Content-Type has no boundary");
  return m[1].matched ? m[1].str() : m[2].str();
}

// A parameter ("name", "filename") of a part's Content-Disposition header, from the part's header block.
std::string disposition_param(std::string_view headers, const char* param) {
  const std::regex re(std::string(R"re(content-disposition:[^\r\n]*;\s*)re") + param + R"re(="([^"]*)")re",
                      std::regex::icase);
  const std::string text(headers);
  std::smatch m;
  return std::regex_search(text, m, re) ? m[1].str() : std::string();
}

std::string part_type(std::string_view headers) {
  static const std::regex re(R"re((?:^|\r\n)content-type:[ \t]*([^\r\n;]*))re", std::regex::icase);
  const std::string text(headers);
  std::smatch m;
  return std::regex_search(text, m, re) ? m[1].str() : std::string();
}

}  // namespace

std::vector<MultipartPart> multipart_parts(std::string_view content_type, std::string_view body) {
  const std::string delimiter = "--" + boundary_of(content_type);
  std::vector<MultipartPart> parts;
  auto pos = body.find(delimiter);
  if (pos == std::string_view::npos) throw malformed("no boundary in the body");
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") throw malformed("a boundary not followed by CRLF");
    pos += 2;
    const auto headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) throw malformed("a part without a header block");
    const auto headers = body.substr(pos, headers_end - pos);
    const auto data_start = headers_end + 4;
    const auto next = body.find("\r\n" + delimiter, data_start);
    if (next == std::string_view::npos) throw malformed("no closing boundary");
    parts.push_back({disposition_param(headers, "name"), disposition_param(headers, "filename"), part_type(headers),
                     body.substr(data_start, next - data_start)});
    pos = next + 2;
  }
}

std::optional<std::string> multipart_field(std::string_view content_type, std::string_view body,
                                           std::string_view field) {
  for (const auto& part : multipart_parts(content_type, body)) {
    if (part.name == field) return std::string(part.data);
  }
  return std::nullopt;
}

bool is_multipart(std::string_view content_type) noexcept {
  constexpr std::string_view kType = "multipart/form-data";
  if (content_type.size() < kType.size()) return false;
  for (std::size_t i = 0; i < kType.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(content_type[i])) != kType[i]) return false;
  }
  return true;
}

}  // namespace tyto::http
