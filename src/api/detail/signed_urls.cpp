#include "api/detail/signed_urls.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/hash.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <optional>

namespace tyto::api::detail {
namespace {

std::string upload_mac(std::string_view key, const UploadGrant& g) {
  return hex_encode(hmac_sha256(
      key, fmt::format("tyto-upload\n{}\n{}\n{}\n{}", g.upload_id, g.expires, g.max_bytes, g.content_type)));
}

std::string share_mac(std::string_view key, std::string_view object_id, std::int64_t expires) {
  return hex_encode(hmac_sha256(key, fmt::format("tyto-share\n{}\n{}", object_id, expires)));
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

[[noreturn]] void refuse(std::string_view why) {
  throw Error(ErrorCode::kForbidden, "the signed URL is not valid", {{"reason", std::string(why)}});
}

template <class T>
T number_param(const http::Request& req, std::string_view name) {
  auto text = req.query(name);
  T value{};
  if (!text || text->empty()) refuse(fmt::format("{} is missing", name));
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) refuse(fmt::format("{} is malformed", name));
  return value;
}

std::string base(std::string_view public_url) {
  std::string out(public_url);
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

std::string percent_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string upload_url(std::string_view key, std::string_view public_url, const UploadGrant& g) {
  return fmt::format("{}/api/v1/uploads/{}?expires={}&max={}&ct={}&sig={}", base(public_url), g.upload_id, g.expires,
                     g.max_bytes, percent_encode(g.content_type), upload_mac(key, g));
}

UploadGrant verify_upload_url(std::string_view key, std::string_view upload_id, const http::Request& req,
                              std::int64_t now_s) {
  UploadGrant g;
  g.upload_id = std::string(upload_id);
  g.expires = number_param<std::int64_t>(req, "expires");
  g.max_bytes = number_param<std::uint64_t>(req, "max");
  auto ct = req.query("ct");
  if (!ct) refuse("ct is missing");
  g.content_type = *ct;
  auto sig = req.query("sig");
  if (!sig || !constant_time_equal(*sig, upload_mac(key, g))) refuse("the signature does not match");
  if (now_s >= g.expires) refuse("the URL has expired");
  return g;
}

std::string share_url(std::string_view key, std::string_view public_url, std::string_view object_id,
                      std::int64_t expires) {
  return fmt::format("{}/api/v1/shared/objects/{}?expires={}&sig={}", base(public_url), object_id, expires,
                     share_mac(key, object_id, expires));
}

std::int64_t verify_share_url(std::string_view key, std::string_view object_id, const http::Request& req,
                              std::int64_t now_s) {
  const auto expires = number_param<std::int64_t>(req, "expires");
  auto sig = req.query("sig");
  if (!sig || !constant_time_equal(*sig, share_mac(key, object_id, expires))) refuse("the signature does not match");
  if (now_s >= expires) refuse("the URL has expired");
  return expires;
}

}  // namespace tyto::api::detail
