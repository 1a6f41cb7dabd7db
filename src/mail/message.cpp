// Messages: validation (no header injection), RFC 2047 header words, quoted-printable bodies, RFC 5322 layout.
#include "tyto/core/error.hpp"
#include "tyto/mail/mailer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>

namespace tyto::mail {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxRecipients = 100;
constexpr std::size_t kMaxSubjectBytes = 900;  // an encoded subject still fits the 998-byte line limit per word

bool is_atext(char c) {
  const auto u = static_cast<unsigned char>(c);
  if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')) return true;
  return std::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
}

bool valid_local_part(std::string_view local) {
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.') return false;
  if (local.find("..") != std::string_view::npos) return false;
  for (char c : local) {
    if (c != '.' && !is_atext(c)) return false;
  }
  return true;
}

bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return false;
  std::size_t start = 0;
  while (start <= domain.size()) {
    const auto dot = domain.find('.', start);
    const auto label = domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      const auto u = static_cast<unsigned char>(c);
      if (!((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-')) return false;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// A plain addr-spec: dot-atom local part, host name domain (no quoted strings, comments or SMTPUTF8).
bool valid_address(std::string_view address) {
  if (address.size() > 254) return false;
  const auto at = address.find('@');
  if (at == std::string_view::npos || address.find('@', at + 1) != std::string_view::npos) return false;
  return valid_local_part(address.substr(0, at)) && valid_domain(address.substr(at + 1));
}

// Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static constexpr std::array<std::uint32_t, 4> kMin = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// Any C0 control character (CR and LF included) or DEL: never allowed in a header value.
bool has_control(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return true;
  }
  return false;
}

bool printable_ascii(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return false;
  }
  return true;
}

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
  }
  if (i + 1 == in.size()) {
    const std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

// Quoted-printable (RFC 2045 6.7) of UTF-8 text, lines ending in CRLF whatever they ended in, at most 76
// characters per encoded line. '=' is always followed by two hex digits or a line end, so "=_" never occurs:
// the multipart boundary starts with it.
std::string quoted_printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t column = 0;
  auto put = [&](std::string_view piece) {
    if (column + piece.size() > 75) {  // room for the soft break's '='
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
      column = 0;
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    const bool line_end_next = i + 1 == text.size() || text[i + 1] == '\r' || text[i + 1] == '\n';
    const bool literal = (u >= 33 && u <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end_next);
    if (literal) {
      put(std::string_view(&text[i], 1));
    } else {
      const char encoded[3] = {'=', kHex[u >> 4], kHex[u & 15]};
      put(std::string_view(encoded, 3));
    }
  }
  return out;
}

std::string rfc5322_date(std::int64_t micros) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t seconds = static_cast<std::time_t>(micros / 1'000'000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} +0000", kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// "Name <addr>" with the name quoted (ASCII) or encoded (UTF-8), or the bare address.
std::string from_header(std::string_view from) {
  const auto open = from.rfind('<');
  if (open == std::string_view::npos) return std::string(from);
  std::string_view name = from.substr(0, open);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  const std::string address(from.substr(open));  // "<addr>"
  if (name.empty()) return address;
  if (printable_ascii(name)) {
    std::string quoted = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') quoted += '\\';
      quoted += c;
    }
    return quoted + "\" " + address;
  }
  return encode_header_text(name, 6) + " " + address;  // after "From: "
}

std::string address_list(const std::vector<std::string>& addresses) {
  std::string out;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (i > 0) out += ",\r\n ";
    out += addresses[i];
  }
  return out;
}

void check_addresses(const std::vector<std::string>& addresses, const char* field, json& errors) {
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (!valid_address(addresses[i])) {
      errors[fmt::format("{}[{}]", field, i)] = "not a plain e-mail address (addr@host)";
    }
  }
}

}  // namespace

void validate(const Message& message) {
  json errors = json::object();
  if (message.to.empty()) errors["to"] = "at least one recipient";
  if (message.to.size() + message.cc.size() > kMaxRecipients) {
    errors["to"] = fmt::format("at most {} recipients (to and cc)", kMaxRecipients);
  }
  check_addresses(message.to, "to", errors);
  check_addresses(message.cc, "cc", errors);
  if (!message.reply_to.empty() && !valid_address(message.reply_to)) {
    errors["reply_to"] = "not a plain e-mail address (addr@host)";
  }
  if (has_control(message.subject)) {
    errors["subject"] = "control characters (CR, LF …) are not allowed in a header";
  } else if (!valid_utf8(message.subject)) {
    errors["subject"] = "not valid UTF-8";
  } else if (message.subject.size() > kMaxSubjectBytes) {
    errors["subject"] = fmt::format("at most {} bytes", kMaxSubjectBytes);
  }
  if (message.text.empty()) {
    errors["text"] = "a plain text body is required";
  } else if (!valid_utf8(message.text)) {
    errors["text"] = "not valid UTF-8";
  }
  if (!valid_utf8(message.html)) errors["html"] = "not valid UTF-8";
  if (!errors.empty()) throw validation_error("the message cannot be sent", std::move(errors));
}

std::string parse_from(std::string_view from) {
  std::string_view address = from;
  if (const auto open = from.rfind('<'); open != std::string_view::npos) {
    if (from.back() != '>') throw validation_error("mail.from is not a valid From", {{"from", "expected Name <addr>"}});
    address = from.substr(open + 1, from.size() - open - 2);
    const auto name = from.substr(0, open);
    if (has_control(name) || !valid_utf8(name) || name.find('<') != std::string_view::npos ||
        name.find('>') != std::string_view::npos) {
      throw validation_error("mail.from is not a valid From", {{"from", "bad display name"}});
    }
  }
  if (!valid_address(address)) {
    throw validation_error("mail.from is not a valid From", {{"from", "not a plain e-mail address (addr@host)"}});
  }
  return std::string(address);
}

std::string encode_header_text(std::string_view utf8, std::size_t used) {
  if (printable_ascii(utf8)) {
    // Fold long ASCII text at spaces so no line passes 78 characters (when the words allow it).
    std::string out;
    std::size_t column = used;
    std::size_t start = 0;
    while (start < utf8.size()) {
      auto space = utf8.find(' ', start + 1);
      if (space == std::string_view::npos) space = utf8.size();
      const auto word = utf8.substr(start, space - start);
      if (column + word.size() > 78 && !out.empty() && word.front() == ' ') {
        out += "\r\n";
        column = 0;
      }
      out += word;
      column += word.size();
      start = space;
    }
    return out;
  }
  // Encoded words (12 characters of framing around the base64) on lines of at most 76 characters, each of whole
  // UTF-8 characters: up to 45 bytes (60 of base64) per continuation line, fewer on the first.
  std::string out;
  std::size_t i = 0;
  std::size_t room = std::min<std::size_t>(45, used < 60 ? (64 - used) / 4 * 3 : 3);
  while (i < utf8.size()) {
    std::size_t end = std::min(utf8.size(), i + room);
    while (end < utf8.size() && end > i + 1 && (static_cast<unsigned char>(utf8[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(utf8.substr(i, end - i)) + "?=";
    i = end;
    room = 45;
  }
  return out;
}

std::string format(const Message& message, std::string_view from, std::int64_t date_micros, std::string_view message_id,
                   std::string_view boundary) {
  std::string out;
  out += "Date: " + rfc5322_date(date_micros) + "\r\n";
  out += "From: " + from_header(from) + "\r\n";
  out += "To: " + address_list(message.to) + "\r\n";
  if (!message.cc.empty()) out += "Cc: " + address_list(message.cc) + "\r\n";
  if (!message.reply_to.empty()) out += "Reply-To: " + message.reply_to + "\r\n";
  out += "Subject: " + encode_header_text(message.subject, 9) + "\r\n";
  out += fmt::format("Message-ID: {}\r\n", message_id);
  out += "MIME-Version: 1.0\r\n";
  const std::string text_headers =
      "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";
  if (message.html.empty()) {
    out += text_headers + "\r\n" + quoted_printable(message.text) + "\r\n";
    return out;
  }
  out += fmt::format("Content-Type: multipart/alternative;\r\n boundary=\"{}\"\r\n\r\n", boundary);
  out += "This is a multi-part message in MIME format.\r\n";
  out += fmt::format("--{}\r\n{}\r\n{}\r\n", boundary, text_headers, quoted_printable(message.text));
  out += fmt::format(
      "--{}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}\r\n",
      boundary, quoted_printable(message.html));
  out += fmt::format("--{}--\r\n", boundary);
  return out;
}

}  // namespace tyto::mail
