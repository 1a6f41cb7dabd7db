// Helpers of the accessibility tests: the page server with the test pages, uploads, and scans run to the end.
#pragma once

#include "browser/page_server.hpp"
#include "integration/backends.hpp"
#include "pages.hpp"
#include "support/api_client.hpp"
#include "support/http_client.hpp"
#include "tyto/core/hash.hpp"
#include "tyto/vision/image.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <string>

namespace tyto::test::a11y {

using nlohmann::json;

// The server's arguments for scans of pages on 127.0.0.1 (the page server's origin), one browser.
inline std::vector<std::string> scan_args() {
  return {"--outbound-allow", "127.0.0.1/32", "--modules-browser-pool-size", "1"};
}

inline std::string grey_png() {
  vision::Image image{40, 40, 3, std::vector<std::uint8_t>(40 * 40 * 3, 128)};
  return vision::encode_png(image);
}

// The pages of pages.hpp: /rules.html, /login.html (POST /login sets a session cookie), /account.html (only
// with the cookie), /private.html, and /photo.png.
inline void serve_pages(PageServer& pages) {
  pages.page("/rules.html", a11y_pages::rules_page());
  pages.page("/login.html", a11y_pages::login_page());
  pages.page("/private.html", a11y_pages::private_loads_page());
  const std::string png = grey_png();
  pages.route("/photo.png", [png](const PageRequest&) { return PageResponse{200, "image/png", png, {}}; });
  pages.route("/login", [](const PageRequest& r) {
    if (r.body.find("user=ada") == std::string::npos || r.body.find("pass=s3cret") == std::string::npos) {
      return PageResponse{303, "text/html", "", {{"Location", "/login.html"}}};
    }
    return PageResponse{303, "text/html", "", {{"Location", "/account.html"}, {"Set-Cookie", "session=ok; Path=/"}}};
  });
  pages.route("/account.html", [](const PageRequest& r) {
    const auto cookie = r.headers.find("cookie");
    if (cookie == r.headers.end() || cookie->second.find("session=ok") == std::string::npos) {
      return PageResponse{303, "text/html", "", {{"Location", "/login.html"}}};
    }
    return PageResponse{200, "text/html; charset=utf-8", a11y_pages::account_page(), {}};
  });
}

// Starts a scan and waits for it to end; returns the scan as GET /api/v1/scans/{id} answers.
inline json finished_scan(std::uint16_t port, const json& body) {
  auto started = api(port, "POST", "/api/v1/scans", body);
  INFO(started.raw.body);
  REQUIRE(started.status == 202);
  CHECK(started.body["job_id"].is_string());
  const std::string id = started.body["scan_id"];
  json got;
  REQUIRE(eventually(
      [&] {
        got = api(port, "GET", "/api/v1/scans/" + id).body;
        return got["status"] == "succeeded" || got["status"] == "failed";
      },
      std::chrono::seconds(120)));
  return got;
}

// The issues of a scan by the id in their selector ("#missing-alt" → its issues).
inline std::multimap<std::string, json> by_selector(const json& scan) {
  std::multimap<std::string, json> out;
  for (const auto& i : scan["issues"]) out.emplace(i["selector"].get<std::string>(), i);
  return out;
}

inline bool has(const json& scan, const std::string& rule, const std::string& selector) {
  for (const auto& i : scan["issues"])
    if (i["rule"] == rule && i["selector"] == selector) return true;
  return false;
}

inline int count_rule(const json& scan, const std::string& rule) {
  int n = 0;
  for (const auto& i : scan["issues"]) n += i["rule"] == rule;
  return n;
}

}  // namespace tyto::test::a11y
