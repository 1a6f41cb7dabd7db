// Helpers of the captures product's integration tests: members with product roles, multipart captures,
// downloads through signed links.
#pragma once

#include "integration/backends.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_support.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tyto::test::captures {

using nlohmann::json;

// A multipart/form-data body of (name, filename, content type, bytes) parts; filename empty for a field.
struct Part {
  std::string name;
  std::string filename;
  std::string type;
  std::string bytes;
};

inline std::pair<std::string, std::string> multipart(const std::vector<Part>& parts) {
  const std::string boundary = "tytoBoundary7MA4YWxk";
  std::string body;
  for (const auto& p : parts) {
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) body += "; filename=\"" + p.filename + "\"";
    body += "\r\n";
    if (!p.type.empty()) body += "Content-Type: " + p.type + "\r\n";
    body += "\r\n" + p.bytes + "\r\n";
  }
  body += "--" + boundary + "--\r\n";
  return {"multipart/form-data; boundary=" + boundary, body};
}

inline HttpResponse post_capture(std::uint16_t port, const std::string& token, const std::vector<Part>& parts) {
  const auto [type, body] = multipart(parts);
  return request(port, "POST", "/api/v1/capture", body, {{"Content-Type", type}, {"Authorization", "Bearer " + token}});
}

// The path and query of a signed link ("http://host/api/v1/shared/…" or a relative one).
inline std::string link_target(const std::string& url) {
  const auto at = url.find("/api/v1/");
  REQUIRE(at != std::string::npos);
  return url.substr(at);
}

// Client-measured metrics as a user: the capture's id.
inline std::string client_capture(std::uint16_t port, const std::string& token, const json& metrics) {
  auto r = api(port, "POST", "/api/v1/capture", {{"metrics", metrics}, {"capture_meta", {{"app_version", "t1"}}}},
               bearer(token));
  INFO(r.raw.body);
  REQUIRE(r.status == 201);
  return r.body["capture_id"];
}

inline const json kClientMetrics = {{"height", {{"value_cm", 176.0}, {"confidence", 0.9}}},
                                    {"chest", {{"value_cm", 98.0}, {"confidence", 0.8}}},
                                    {"waist", {{"value_cm", 84.0}, {"confidence", 0.7}}},
                                    {"hip", {{"value_cm", 100.0}, {"confidence", 0.8}}}};

}  // namespace tyto::test::captures
