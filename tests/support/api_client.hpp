// JSON over HTTP against a running server, for integration tests.
#pragma once

#include "support/http_client.hpp"
#include "support/test_support.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tyto::test {

struct ApiResponse {
  int status = 0;
  nlohmann::json body;
  HttpResponse raw;
};

// Sends Authorization: Bearer kAdminKey unless headers name an Authorization (an empty one: none).
ApiResponse api(std::uint16_t port, const std::string& method, const std::string& path,
                const nlohmann::json& body = nullptr, const std::map<std::string, std::string>& headers = {});

// Polls fn every 20 ms until it returns true or `timeout` passes; returns the last result.
bool eventually(const std::function<bool()>& fn, std::chrono::milliseconds timeout = std::chrono::seconds(20));

// GET /api/v1/jobs/{id}.
nlohmann::json get_job(std::uint16_t port, const std::string& id);

// Waits until the job reaches `state` (fails the test on timeout) and returns it.
nlohmann::json wait_for_state(std::uint16_t port, const std::string& id, const std::string& state,
                              std::chrono::milliseconds timeout = std::chrono::seconds(30));

// An object through the upload flow (declare, PUT the bytes to the signed URL, complete), as the admin key;
// fails the test unless each step succeeds. Returns the object's id.
std::string upload_object(std::uint16_t port, const std::string& purpose, const std::string& type,
                          const std::string& bytes, const std::string& filename);

// The Authorization header of a bearer token.
std::map<std::string, std::string> bearer(const std::string& token);

// A member of the default tenant with `role`, invited by the admin, registered and logged in, holding
// `grants` (product roles the admin grants): their access token and user id. Fails the test unless each
// step succeeds.
struct Member {
  std::string token;
  std::string user_id;
};
Member member(std::uint16_t port, const std::string& email, const std::string& role,
              const std::vector<std::string>& grants = {});

}  // namespace tyto::test
