#include "support/api_client.hpp"

#include "objects/backends.hpp"  // fetch_url
#include "tyto/core/hash.hpp"

#include <catch2/catch.hpp>

#include <thread>

namespace tyto::test {

ApiResponse api(std::uint16_t port, const std::string& method, const std::string& path, const nlohmann::json& body,
                const std::map<std::string, std::string>& headers) {
  auto h = headers;
  // request() adds the admin key unless h names an Authorization, and sends none for an empty one.
  std::string text;
  if (!body.is_null()) {
    text = body.dump();
    h["Content-Type"] = "application/json";
  }
  ApiResponse out;
  out.raw = request(port, method, path, text, h);
  out.status = out.raw.status;
  if (!out.raw.body.empty()) out.body = nlohmann::json::parse(out.raw.body, nullptr, false);
  return out;
}

bool eventually(const std::function<bool()>& fn, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (fn()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

nlohmann::json get_job(std::uint16_t port, const std::string& id) {
  auto res = api(port, "GET", "/api/v1/jobs/" + id);
  REQUIRE(res.status == 200);
  return res.body;
}

nlohmann::json wait_for_state(std::uint16_t port, const std::string& id, const std::string& state,
                              std::chrono::milliseconds timeout) {
  nlohmann::json job;
  const bool reached = eventually(
      [&] {
        job = get_job(port, id);
        return job["state"] == state;
      },
      timeout);
  INFO("job " << id << " is " << job.dump());
  REQUIRE(reached);
  return job;
}

std::string upload_object(std::uint16_t port, const std::string& purpose, const std::string& type,
                          const std::string& bytes, const std::string& filename) {
  auto declared = api(port, "POST", "/api/v1/uploads",
                      {{"filename", filename},
                       {"content_type", type},
                       {"size", bytes.size()},
                       {"purpose", purpose},
                       {"sha256", sha256_hex(bytes)}});
  INFO(declared.raw.body);
  REQUIRE(declared.status == 201);
  std::string url = declared.body["url"];
  if (url.front() == '/') url = "http://127.0.0.1:" + std::to_string(port) + url;
  REQUIRE(fetch_url(url, "PUT", bytes, {{"Content-Type", type}}).status == 200);
  auto done = api(port, "POST", "/api/v1/uploads/" + declared.body["upload_id"].get<std::string>() + "/complete");
  INFO(done.raw.body);
  REQUIRE(done.status == 201);
  return done.body["id"];
}

std::map<std::string, std::string> bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

Member member(std::uint16_t port, const std::string& email, const std::string& role,
              const std::vector<std::string>& grants) {
  auto inv = api(port, "POST", "/api/v1/invitations", {{"email", email}, {"role", role}});
  INFO(inv.raw.body);
  REQUIRE(inv.status == 201);
  const std::string password = "a long enough password";
  auto reg =
      api(port, "POST", "/api/v1/auth/register",
          {{"email", email}, {"password", password}, {"invitation", inv.body["token"]}}, {{"Authorization", ""}});
  INFO(reg.raw.body);
  REQUIRE(reg.status == 201);
  const std::string user_id = reg.body["user"]["id"];
  for (const auto& g : grants) {
    auto r = api(port, "PUT", "/api/v1/users/" + user_id + "/grants/" + g, nlohmann::json::object());
    INFO(r.raw.body);
    REQUIRE((r.status == 200 || r.status == 201 || r.status == 204));
  }
  auto login =
      api(port, "POST", "/api/v1/auth/login", {{"email", email}, {"password", password}}, {{"Authorization", ""}});
  INFO(login.raw.body);
  REQUIRE(login.status == 200);
  return {login.body["access_token"], user_id};
}

}  // namespace tyto::test
