#include "external_lookup.hpp"

#include "tyto/core/error.hpp"
#include "tyto/http/outbound_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>

namespace tyto::products::music {

using nlohmann::json;

namespace {

std::string form_encode(std::string_view s) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

json external_lookup(const http::OutboundClient& client, const ExternalProvider& provider,
                     const std::string& fingerprint, double duration_s) {
  http::OutboundRequest req;
  req.method = "POST";
  req.url = provider.url;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
  req.body = fmt::format("client={}&meta=recordings&duration={}&fingerprint={}", form_encode(provider.api_key),
                         static_cast<long>(std::lround(duration_s)), form_encode(fingerprint));
  req.timeout = provider.timeout;
  req.max_response_bytes = 1u << 20;
  const auto res = client.send(req);
  json body;
  try {
    body = json::parse(res.body);
  } catch (const json::exception&) {
    throw Error(ErrorCode::kUnavailable, "the lookup provider answered something that is not JSON",
                {{"status", res.status}});
  }
  if (res.status != 200 || body.value("status", "") != "ok") {
    throw Error(ErrorCode::kUnavailable, "the lookup provider refused the lookup",
                {{"status", res.status},
                 {"provider_error", body.contains("error") ? body["error"].value("message", "") : std::string()}});
  }
  json out = json::array();
  for (const auto& result : body.value("results", json::array())) {
    const double score = result.value("score", 0.0);
    if (score < provider.min_score) continue;
    for (const auto& rec : result.value("recordings", json::array())) {
      json artists = json::array();
      for (const auto& a : rec.value("artists", json::array())) artists.push_back(a.value("name", ""));
      out.push_back({{"provider", "acoustid"},
                     {"id", result.value("id", "")},
                     {"recording_id", rec.value("id", "")},
                     {"title", rec.value("title", "")},
                     {"artists", artists},
                     {"score", score}});
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const json& a, const json& b) { return a["score"].get<double>() > b["score"].get<double>(); });
  if (out.size() > 5) out.erase(out.begin() + 5, out.end());
  return out;
}

}  // namespace tyto::products::music
