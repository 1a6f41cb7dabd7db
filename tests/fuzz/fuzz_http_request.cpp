// Bytes from a client socket through the same steps as serve_connection (src/http/connection.cpp), request
// after request on one keep-alive connection: the raw head read whole into a buffer bounded by
// max_header_bytes + kFramingSlack and checked with head_end and head_problem, Beast's request_parser with
// the same header limit, framing_problem, the Content-Length limit of the route, then the body, chunked
// framing and trailers included, through a string_body parser (ordinary routes) or a buffer_body parser
// read piece by piece (upload routes), each with a ChunkExtensionCheck installed.
//
// The first input byte shapes the connection: bits 0-5 the most bytes one socket read returns (0: as
// many as asked), bit 6 the upload path. The rest is what the client sends.
//
// Asserts: no crash, undefined behaviour or exception; the read buffer never holds (or allocates) more than
// its bound and a body never exceeds its limit; and every request Beast accepts that passes our checks
// has one framing a strict reader of the raw bytes agrees with: the same request line and fields, at most
// one of Content-Length (one decimal number) and Transfer-Encoding (exactly "chunked", HTTP/1.1), and
// the same end of the message, so the next request starts where any other reader would start it.
#include "fuzz_check.hpp"
#include "http/detail/framing.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tyto::http::detail::ChunkExtensionCheck;
using tyto::http::detail::framing_problem;
using tyto::http::detail::head_end;
using tyto::http::detail::head_problem;
using tyto::http::detail::kFramingSlack;

constexpr std::size_t kMaxHeaderBytes = 1024;  // the smallest http.max_header_bytes, so the limit is reachable
constexpr std::size_t kBodyLimit = 2048;       // an ordinary route's body limit
constexpr std::size_t kUploadLimit = 4096;     // an upload route's
constexpr std::size_t kUploadPiece = 100;      // what SocketRequestBody asks for at a time (256 KiB there)
constexpr std::size_t kReadChunk = 8192;       // serve_connection's read_chunk
constexpr int kMaxRequests = 16;

// A socket that returns the client's bytes at most `fragment` at a time, then end of stream.
class FragmentedStream {
 public:
  FragmentedStream(std::string_view bytes, std::size_t fragment) : bytes_(bytes), fragment_(fragment) {}

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    boost::system::error_code ec;
    const std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    ec = {};
    if (pos_ == bytes_.size()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    const std::size_t available = std::min(fragment_, bytes_.size() - pos_);
    const std::size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(bytes_.data() + pos_, available));
    pos_ += n;
    return n;
  }

  std::size_t position() const { return pos_; }

 private:
  std::string_view bytes_;
  std::size_t fragment_;
  std::size_t pos_ = 0;
};

bool is_tchar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool iequal(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(y); });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Field {
  std::string_view name;
  std::string_view value;
};

// A strict reading of a raw head (request line and fields, ending with its blank line): lines end with
// CRLF only, no bare CR, LF or NUL anywhere, the request line is "token SP target SP HTTP/1.x", each field
// line "token: value". nullopt when the head does not read so.
struct StrictHead {
  std::string_view method, target;
  unsigned version = 0;
  std::vector<Field> fields;
};

std::optional<StrictHead> read_strictly(std::string_view head) {
  if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") return std::nullopt;
  StrictHead out;
  std::string_view rest = head.substr(0, head.size() - 2);  // every line, each with its CRLF
  bool first = true;
  while (!rest.empty()) {
    const auto eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    if (line.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) return std::nullopt;
    if (first) {
      first = false;
      const auto sp1 = line.find(' ');
      const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
      if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) return std::nullopt;
      out.method = line.substr(0, sp1);
      out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      const std::string_view version = line.substr(sp2 + 1);
      if (out.method.empty() || !std::all_of(out.method.begin(), out.method.end(), is_tchar)) return std::nullopt;
      if (out.target.empty()) return std::nullopt;
      if (version == "HTTP/1.0") {
        out.version = 10;
      } else if (version == "HTTP/1.1") {
        out.version = 11;
      } else {
        return std::nullopt;
      }
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    const std::string_view name = line.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_tchar)) return std::nullopt;
    out.fields.push_back({name, trim_ows(line.substr(colon + 1))});
  }
  if (first) return std::nullopt;
  return out;
}

// The fields as beast::http::fields lists them: a repeated name goes after the last field of that name.
std::vector<Field> in_beast_order(const std::vector<Field>& fields) {
  std::vector<Field> out;
  for (const Field& field : fields) {
    auto last = std::find_if(out.rbegin(), out.rend(), [&](const Field& f) { return iequal(f.name, field.name); });
    out.insert(last == out.rend() ? out.end() : last.base(), field);
  }
  return out;
}

// How a strict reader frames the body that follows the head.
struct Framing {
  enum Kind { kNone, kLength, kChunked } kind = kNone;
  std::uint64_t length = 0;
};

Framing strict_framing(const StrictHead& head) {
  std::vector<std::string_view> lengths, encodings;
  for (const auto& f : head.fields) {
    if (iequal(f.name, "content-length")) lengths.push_back(f.value);
    if (iequal(f.name, "transfer-encoding")) encodings.push_back(f.value);
  }
  // What framing_problem let through must be unambiguous to anyone.
  FUZZ_CHECK(lengths.size() + encodings.size() <= 1);
  if (!encodings.empty()) {
    FUZZ_CHECK(iequal(encodings[0], "chunked"));
    FUZZ_CHECK(head.version == 11);
    return {Framing::kChunked};
  }
  if (!lengths.empty()) {
    const std::string_view digits = lengths[0];
    FUZZ_CHECK(!digits.empty() && digits.size() <= 19);
    std::uint64_t n = 0;
    for (const char c : digits) {
      FUZZ_CHECK(c >= '0' && c <= '9');
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return {Framing::kLength, n};
  }
  return {};
}

// Control characters but HTAB, which RFC 9112 allows nowhere in a chunk-size line.
bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t') || byte == 0x7F;
  });
}

// A strict reading of a chunked body at the start of `bytes`: where it ends and what it carries, or
// nullopt when it is malformed or incomplete. Chunk extensions are skipped up to the line's CRLF.
struct Chunked {
  std::size_t end = 0;
  std::string body;
};

std::optional<Chunked> read_chunked(std::string_view bytes) {
  Chunked out;
  std::size_t at = 0;
  for (;;) {
    const auto eol = bytes.find("\r\n", at);
    if (eol == std::string_view::npos) return std::nullopt;
    const std::string_view line = bytes.substr(at, eol - at);
    if (has_control(line)) return std::nullopt;
    std::size_t digits = 0;
    std::uint64_t size = 0;
    while (digits < line.size() && is_hex(line[digits])) {
      if (size >> 60) return std::nullopt;
      const char c = line[digits];
      size = size * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    const std::string_view ext = line.substr(digits);
    if (!ext.empty() && trim_ows(ext).front() != ';') return std::nullopt;
    at = eol + 2;
    if (size == 0) break;
    if (bytes.size() - at < size + 2 || bytes.substr(at + size, 2) != "\r\n") return std::nullopt;
    out.body.append(bytes.substr(at, size));
    at += size + 2;
  }
  // Trailer lines, then the blank line. Only their line structure matters here: trailers frame nothing, and
  // handlers never see them (Beast adds them to the fields after the request was handed over; it also folds
  // obsolete line folding there, which head_problem refuses only in the head).
  for (;;) {
    const auto eol = bytes.find("\r\n", at);
    if (eol == std::string_view::npos) return std::nullopt;
    const std::string_view line = bytes.substr(at, eol - at);
    at = eol + 2;
    if (line.empty()) break;
    if (line.find_first_of("\r\n") != std::string_view::npos) return std::nullopt;
  }
  out.end = at;
  return out;
}

void check_buffer(const beast::flat_buffer& buffer) {
  FUZZ_CHECK(buffer.max_size() == kMaxHeaderBytes + kFramingSlack);
  FUZZ_CHECK(buffer.size() <= buffer.max_size());
  FUZZ_CHECK(buffer.capacity() <= buffer.max_size());
}

std::string_view buffered(const beast::flat_buffer& buffer) {
  return {static_cast<const char*>(buffer.data().data()), buffer.size()};
}

// One request as serve_connection reads it; false when the connection would close after it.
bool serve_one(std::string_view input, FragmentedStream& stream, beast::flat_buffer& buffer, bool upload_route) {
  boost::system::error_code ec;
  const std::size_t read_chunk = std::min(kReadChunk, buffer.max_size());
  if (buffer.size() == 0) {
    const std::size_t n = stream.read_some(buffer.prepare(read_chunk), ec);
    if (ec) return false;
    buffer.commit(n);
  }
  // The offset of this request in what the client sent.
  const std::size_t start = stream.position() - buffer.size();

  std::size_t end = std::string_view::npos;
  for (;;) {
    check_buffer(buffer);
    const std::string_view data = buffered(buffer);
    end = head_end(data);
    if (end != std::string_view::npos || data.size() >= kMaxHeaderBytes) break;
    const std::size_t n = stream.read_some(buffer.prepare(std::min(read_chunk, buffer.max_size() - buffer.size())), ec);
    if (ec) return false;
    buffer.commit(n);
  }
  if (end == std::string_view::npos || end > kMaxHeaderBytes + 4) return false;  // 431
  const std::string_view raw_head = input.substr(start, end);                    // stays valid while the buffer moves
  FUZZ_CHECK(buffered(buffer).substr(0, end) == raw_head);
  if (head_problem(raw_head)) return false;  // 400
  const auto strict = read_strictly(raw_head);

  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
  parser.body_limit(boost::none);
  bhttp::read_header(stream, buffer, parser, ec);
  check_buffer(buffer);
  if (ec) return false;                                                            // 400, 431 or a closed connection
  if (framing_problem(parser.get().base(), parser.get().version())) return false;  // 400

  // Beast read the head we checked, no more and no less, and a strict reader reads it the same way.
  FUZZ_CHECK(stream.position() - buffer.size() == start + end);
  FUZZ_CHECK(strict.has_value());
  const auto& msg = parser.get();
  FUZZ_CHECK(msg.method_string() == strict->method);
  FUZZ_CHECK(msg.target() == strict->target);
  FUZZ_CHECK(msg.version() == strict->version);
  const std::vector<Field> expected = in_beast_order(strict->fields);
  std::size_t i = 0;
  for (const auto& field : msg) {
    FUZZ_CHECK(i < expected.size());
    FUZZ_CHECK(field.name_string() == expected[i].name);
    FUZZ_CHECK(field.value() == expected[i].value);
    ++i;
  }
  FUZZ_CHECK(i == expected.size());
  const Framing framing = strict_framing(*strict);
  FUZZ_CHECK(parser.chunked() == (framing.kind == Framing::kChunked));
  FUZZ_CHECK(parser.content_length().has_value() == (framing.kind == Framing::kLength));
  if (framing.kind == Framing::kLength) FUZZ_CHECK(*parser.content_length() == framing.length);
  if (framing.kind == Framing::kNone) FUZZ_CHECK(parser.is_done());

  if (msg.target().empty() || msg.target().front() != '/') return false;  // 400
  const std::size_t limit = upload_route ? kUploadLimit : kBodyLimit;
  if (auto length = parser.content_length(); length && *length > limit) return false;  // 413
  parser.body_limit(limit);
  ChunkExtensionCheck check_extensions;

  std::string body;
  bool keep_alive = false;
  if (upload_route) {
    const bool keep_alive_requested = parser.get().keep_alive();
    bhttp::request_parser<bhttp::buffer_body> reader(std::move(parser));
    reader.body_limit(limit);
    reader.on_chunk_header(check_extensions);
    char piece[kUploadPiece];
    while (!reader.is_done()) {
      reader.get().body().data = piece;
      reader.get().body().size = sizeof piece;
      bhttp::read_some(stream, buffer, reader, ec);
      check_buffer(buffer);
      if (ec == bhttp::error::need_buffer) ec = {};
      if (ec) return false;  // 400 or 413, and the connection closes
      body.append(piece, sizeof piece - reader.get().body().size);
      FUZZ_CHECK(body.size() <= limit);
    }
    keep_alive = keep_alive_requested;
  } else {
    if (!parser.is_done()) {
      parser.on_chunk_header(check_extensions);
      bhttp::read(stream, buffer, parser, ec);
      check_buffer(buffer);
      if (ec) return false;  // 400 or 413
    }
    body = parser.get().body();
    keep_alive = parser.get().keep_alive();
  }
  FUZZ_CHECK(body.size() <= limit);

  // The message ends where a strict reader ends it, with the same body.
  const std::size_t body_start = start + end;
  const std::size_t message_end = stream.position() - buffer.size();
  switch (framing.kind) {
    case Framing::kNone:
      FUZZ_CHECK(body.empty());
      FUZZ_CHECK(message_end == body_start);
      break;
    case Framing::kLength:
      FUZZ_CHECK(body.size() == framing.length);
      FUZZ_CHECK(message_end == body_start + framing.length);
      FUZZ_CHECK(body == input.substr(body_start, framing.length));
      break;
    case Framing::kChunked: {
      const auto chunked = read_chunked(input.substr(body_start));
      FUZZ_CHECK(chunked.has_value());
      FUZZ_CHECK(message_end == body_start + chunked->end);
      FUZZ_CHECK(body == chunked->body);
      break;
    }
  }
  return keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t fragment = (data[0] & 0x3F) == 0 ? std::size_t(-1) : std::size_t(data[0] & 0x3F);
  const bool upload_route = (data[0] & 0x40) != 0;
  const std::string_view input = tyto::fuzz::as_text(data + 1, size - 1);

  FragmentedStream stream(input, fragment);
  beast::flat_buffer buffer(kMaxHeaderBytes + kFramingSlack);
  buffer.reserve(std::min(kReadChunk, buffer.max_size()));
  try {
    for (int i = 0; i < kMaxRequests && serve_one(input, stream, buffer, upload_route); ++i) {
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    FUZZ_CHECK(!"reading a request throws nothing");
  }
  return 0;
}
