#include "support/api_client.hpp"

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

}  // namespace tyto::test
