#include "multipart.hpp"

#include "tyto/core/error.hpp"

#include <regex>

namespace tyto::products::live {
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

// The name="..." of a part's Content-Disposition header, from the part's header block.
std::string field_name(std::string_view headers) {
  static const std::regex re(R"re(content-disposition:[^\r\n]*;\s*name="([^"]*)")re", std::regex::icase);
  const std::string text(headers);
  std::smatch m;
  return std::regex_search(text, m, re) ? m[1].str() : std::string();
}

}  // namespace

std::optional<std::string> multipart_field(std::string_view content_type, std::string_view body,
                                           std::string_view field) {
  const std::string delimiter = "--" + boundary_of(content_type);
  auto pos = body.find(delimiter);
  if (pos == std::string_view::npos) throw malformed("no boundary in the body");
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return std::nullopt;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") throw malformed("a boundary not followed by CRLF");
    pos += 2;
    const auto headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) throw malformed("a part without a header block");
    const auto headers = body.substr(pos, headers_end - pos);
    const auto data_start = headers_end + 4;
    const auto next = body.find("\r\n" + delimiter, data_start);
    if (next == std::string_view::npos) throw malformed("no closing boundary");
    if (field_name(headers) == field) return std::string(body.substr(data_start, next - data_start));
    pos = next + 2;
  }
}

}  // namespace tyto::products::live
