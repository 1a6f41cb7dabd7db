#include "objects/detail/sigv4.hpp"

#include "tyto/core/hash.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <map>

namespace tyto::objects::detail::sigv4 {
namespace {

bool is_unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

// Trims the value and folds each inner run of spaces into one, as the canonical headers require.
std::string fold_spaces(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// name → values in the order given; std::map keeps the names sorted.
std::map<std::string, std::vector<std::string>> canonical_header_map(const Pairs& headers) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [name, value] : headers) out[lowercase(name)].push_back(fold_spaces(value));
  return out;
}

std::string signing_key(const Credentials& credentials, std::string_view amz_date) {
  std::string key = hmac_sha256("AWS4" + credentials.secret_key, amz_date.substr(0, 8));
  key = hmac_sha256(key, credentials.region);
  key = hmac_sha256(key, credentials.service);
  return hmac_sha256(key, "aws4_request");
}

}  // namespace

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &utc);
  return buf;
}

std::string credential_scope(const Credentials& credentials, std::string_view amz_date) {
  return fmt::format("{}/{}/{}/aws4_request", amz_date.substr(0, 8), credentials.region, credentials.service);
}

std::string canonical_query(const Pairs& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string signed_headers(const Pairs& headers) {
  std::string out;
  for (const auto& [name, values] : canonical_header_map(headers)) {
    if (!out.empty()) out.push_back(';');
    out += name;
  }
  return out;
}

std::string canonical_request(const Request& request) {
  std::string headers;
  for (const auto& [name, values] : canonical_header_map(request.headers)) {
    headers += name;
    headers.push_back(':');
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i > 0) headers.push_back(',');
      headers += values[i];
    }
    headers.push_back('\n');
  }
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", request.method, request.canonical_uri, canonical_query(request.query),
                     headers, signed_headers(request.headers), request.payload_hash);
}

std::string string_to_sign(const Credentials& credentials, std::string_view amz_date,
                           std::string_view canonical_request) {
  return fmt::format("{}\n{}\n{}\n{}", kAlgorithm, amz_date, credential_scope(credentials, amz_date),
                     sha256_hex(canonical_request));
}

std::string signature(const Credentials& credentials, std::string_view amz_date, std::string_view string_to_sign) {
  return hex_encode(hmac_sha256(signing_key(credentials, amz_date), string_to_sign));
}

std::string authorization(const Credentials& credentials, const Request& request, std::string_view amz_date) {
  std::string to_sign = string_to_sign(credentials, amz_date, canonical_request(request));
  return fmt::format("{} Credential={}/{},SignedHeaders={},Signature={}", kAlgorithm, credentials.access_key,
                     credential_scope(credentials, amz_date), signed_headers(request.headers),
                     signature(credentials, amz_date, to_sign));
}

std::string presign_query(const Credentials& credentials, Request request, std::string_view amz_date,
                          std::chrono::seconds expires) {
  request.query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  request.query.emplace_back("X-Amz-Credential",
                             credentials.access_key + "/" + credential_scope(credentials, amz_date));
  request.query.emplace_back("X-Amz-Date", std::string(amz_date));
  request.query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  request.query.emplace_back("X-Amz-SignedHeaders", signed_headers(request.headers));
  request.payload_hash = std::string(kUnsignedPayload);
  std::string to_sign = string_to_sign(credentials, amz_date, canonical_request(request));
  return canonical_query(request.query) + "&X-Amz-Signature=" + signature(credentials, amz_date, to_sign);
}

}  // namespace tyto::objects::detail::sigv4
