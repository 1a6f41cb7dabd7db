// Checks of how a request frames its body, on top of Beast's parser. Beast follows RFC 9112's
// lenient side (it folds obsolete line folding, accepts "Content-Length: 27, 27" and any transfer
// coding list ending in chunked); a proxy in front of Tyto may read the same bytes differently, and
// that difference is what request smuggling exploits. So anything ambiguous is refused. Private.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string_type.hpp>
#include <boost/beast/http/fields.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tyto::http::detail {

// Bytes a chunked body may hold in one chunk-size line or in its trailer section beyond the header
// limit: the read buffer is bounded by max_header_bytes + this, so framing that never ends costs a
// connection no more memory than a large header.
inline constexpr std::size_t kFramingSlack = 4096;

// Where the request head in `data` ends (the index just past its blank line), or npos while it is
// incomplete.
std::size_t head_end(std::string_view data) noexcept;

// Why the raw head (request line and fields up to and including the blank line) must be refused,
// or nullopt: obsolete line folding (a field line that starts with a space or a tab).
std::optional<std::string> head_problem(std::string_view head);

// Why the parsed fields frame the body ambiguously, or nullopt: a Transfer-Encoding other than
// exactly "chunked" (or on HTTP/1.0), more than one Transfer-Encoding or Content-Length field, or a
// Content-Length that is not a plain decimal number.
std::optional<std::string> framing_problem(const boost::beast::http::fields& fields, unsigned version);

// Why the extensions of a chunk (the text between its size and the CRLF, as Beast hands it over) must be
// refused, or nullopt: a control character other than HTAB. Beast lets any byte through inside a quoted
// extension value, and a bare LF there ends the chunk-size line early for a proxy that splits lines at LF.
std::optional<std::string> chunk_extension_problem(std::string_view extensions);

// Beast's on_chunk_header callback failing the parse (error::bad_chunk_extension) where chunk_extension_problem
// finds a problem. Install it on every parser that reads a body (a parser converted to another body type
// loses it): `ChunkExtensionCheck check; parser.on_chunk_header(check);`. Beast keeps a reference, so the
// object must outlive the parser's reading; it is stateless and may be shared.
struct ChunkExtensionCheck {
  void operator()(std::uint64_t size, boost::beast::string_view extensions, boost::beast::error_code& ec) const;
};

}  // namespace tyto::http::detail
