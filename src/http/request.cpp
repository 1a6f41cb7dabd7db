#include "tyto/http/request.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace tyto::http {
namespace {

constexpr std::string_view kMethodNames[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string_view method_name(Method m) noexcept { return kMethodNames[static_cast<int>(m)]; }

Method parse_method(std::string_view name) noexcept {
  for (int i = 0; i < static_cast<int>(Method::kOther); ++i) {
    if (kMethodNames[i] == name) return static_cast<Method>(i);
  }
  return Method::kOther;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const noexcept {
  for (const auto& [n, v] : fields_) {
    if (iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

void Headers::set(std::string_view name, std::string value) {
  erase(name);
  fields_.emplace_back(std::string(name), std::move(value));
}

void Headers::add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }

void Headers::erase(std::string_view name) {
  std::erase_if(fields_, [&](const auto& f) { return iequals(f.first, name); });
}

std::optional<std::string> percent_decode(std::string_view s, bool plus_as_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      if (c == '\0') return std::nullopt;
      i += 2;
    } else if (c == '+' && plus_as_space) {
      c = ' ';
    }
    out.push_back(c);
  }
  return out;
}

const auth::Principal& Request::who() const {
  if (!principal) throw Error(ErrorCode::kUnauthorized, "authentication required");
  return *principal;
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [n, v] : params) {
    if (n == name) return v;
  }
  throw Error(ErrorCode::kInternal, fmt::format("route {} has no parameter {}", route, name));
}

std::optional<std::string> Request::query(std::string_view name) const {
  std::string_view rest = query_string;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    if (!key || *key != name) continue;
    if (eq == std::string_view::npos) return std::string();
    if (auto value = percent_decode(pair.substr(eq + 1), true)) return value;
    throw Error(ErrorCode::kBadRequest, fmt::format("query parameter {} is not correctly percent-encoded", name));
  }
  return std::nullopt;
}

nlohmann::json Request::json() const {
  if (checked_body) return *checked_body;
  if (auto type = headers.get("Content-Type")) {
    const std::string_view media = type->substr(0, type->find(';'));
    const bool is_json =
        iequals(media, "application/json") || (media.size() > 5 && iequals(media.substr(media.size() - 5), "+json"));
    if (!is_json) {
      throw Error(ErrorCode::kUnsupportedMediaType, "request body must be application/json",
                  {{"content_type", std::string(media)}});
    }
  }
  JsonTextError error;
  if (auto value = parse_json_text(body, max_json_depth, &error)) return std::move(*value);
  nlohmann::json details = {{"reason", error.reason}};
  if (error.byte > 0) details["position"] = error.byte;
  throw Error(ErrorCode::kInvalidJson, "request body is not valid JSON: " + error.reason, details);
}

int page_limit(const Request& req, int fallback, int most) {
  const auto text = req.query("limit");
  if (!text || text->empty()) return fallback;
  int limit = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
  if (ec != std::errc() || end != text->data() + text->size() || limit < 1 || limit > most) {
    throw validation_error("invalid query", {{"limit", fmt::format("an integer from 1 to {}", most)}});
  }
  return limit;
}

Response Response::json(const nlohmann::json& value, int status) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json");
  r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::text(std::string body, std::string_view content_type, int status) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", std::string(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::no_content() {
  Response r;
  r.status = 204;
  return r;
}

}  // namespace tyto::http
