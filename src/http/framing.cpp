#include "http/detail/framing.hpp"

#include "tyto/http/request.hpp"

#include <boost/beast/http/error.hpp>

namespace tyto::http::detail {

namespace bhttp = boost::beast::http;

std::size_t head_end(std::string_view data) noexcept {
  const auto pos = data.find("\r\n\r\n");
  return pos == std::string_view::npos ? std::string_view::npos : pos + 4;
}

std::optional<std::string> head_problem(std::string_view head) {
  // Every line break inside the head, the blank line's excepted, must be followed by a field name.
  for (auto pos = head.find("\r\n"); pos != std::string_view::npos && pos + 2 < head.size();
       pos = head.find("\r\n", pos + 2)) {
    const char next = head[pos + 2];
    if (next == ' ' || next == '\t') return "obsolete line folding is not accepted";
  }
  return std::nullopt;
}

std::optional<std::string> framing_problem(const bhttp::fields& fields, unsigned version) {
  int transfer_encodings = 0;
  int content_lengths = 0;
  for (const auto& field : fields) {
    if (field.name() == bhttp::field::transfer_encoding) {
      ++transfer_encodings;
      std::string_view value = field.value();
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
      if (!iequals(value, "chunked")) return "the only Transfer-Encoding accepted is \"chunked\"";
    } else if (field.name() == bhttp::field::content_length) {
      ++content_lengths;
      const std::string_view value = field.value();
      if (value.empty() || value.size() > 19 || value.find_first_not_of("0123456789") != std::string_view::npos) {
        return "Content-Length must be one decimal number";
      }
    }
  }
  if (transfer_encodings > 1) return "more than one Transfer-Encoding field";
  if (content_lengths > 1) return "more than one Content-Length field";
  if (transfer_encodings > 0 && content_lengths > 0) return "both Transfer-Encoding and Content-Length";
  if (transfer_encodings > 0 && version < 11) return "Transfer-Encoding needs HTTP/1.1";
  return std::nullopt;
}

std::optional<std::string> chunk_extension_problem(std::string_view extensions) {
  for (const char c : extensions) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t') || byte == 0x7F) return "a chunk extension holds a control character";
  }
  return std::nullopt;
}

void ChunkExtensionCheck::operator()(std::uint64_t, boost::beast::string_view extensions,
                                     boost::beast::error_code& ec) const {
  if (chunk_extension_problem(std::string_view(extensions.data(), extensions.size()))) {
    ec = bhttp::error::bad_chunk_extension;
  }
}

}  // namespace tyto::http::detail
