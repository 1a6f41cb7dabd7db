// The finished jobs' views that GET /api/v1/jobs/{id} answers from memory (jobs/job_views.hpp).
#include "tyto/jobs/job_views.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>

using tyto::jobs::JobViews;
using namespace std::chrono_literals;

TEST_CASE("A kept view is found for its own tenant only", "[jobs][views]") {
  JobViews views;
  views.put(views.ticket(), "tenant-a", "job-1", R"({"id":"job-1"})");
  CHECK(views.find("tenant-a", "job-1") == std::optional<std::string>(R"({"id":"job-1"})"));
  CHECK_FALSE(views.find("tenant-b", "job-1"));  // another tenant's caller gets a miss, then the handler's 404
  CHECK_FALSE(views.find("tenant-a", "job-2"));
  // A second put of the same job replaces the first.
  views.put(views.ticket(), "tenant-a", "job-1", R"({"id":"job-1","v":2})");
  CHECK(views.find("tenant-a", "job-1") == std::optional<std::string>(R"({"id":"job-1","v":2})"));
  CHECK(views.size() == 1);
}

TEST_CASE("A view read before an invalidation is not kept after it", "[jobs][views]") {
  JobViews views;
  views.put(views.ticket(), "t", "kept", "old");
  const auto before = views.ticket();  // a reader takes its ticket, then reads the row …
  views.invalidate();                  // … while a retry commits and invalidates
  views.put(before, "t", "read-before", "stale");
  CHECK_FALSE(views.find("t", "read-before"));
  CHECK_FALSE(views.find("t", "kept"));
  CHECK(views.size() == 0);
  views.put(views.ticket(), "t", "read-after", "fresh");
  CHECK(views.find("t", "read-after") == std::optional<std::string>("fresh"));
}

TEST_CASE("A view expires after the time to live", "[jobs][views]") {
  JobViews views(40ms);
  views.put(views.ticket(), "t", "j", "view");
  CHECK(views.find("t", "j"));
  std::this_thread::sleep_for(80ms);
  CHECK_FALSE(views.find("t", "j"));
}

TEST_CASE("Views are bounded in size and in number of bytes", "[jobs][views]") {
  JobViews views;
  views.put(views.ticket(), "t", "huge", std::string(JobViews::kMaxViewBytes + 1, 'x'));
  CHECK_FALSE(views.find("t", "huge"));

  const std::string view(10 * 1024, 'v');
  const int n = static_cast<int>(3 * JobViews::kGenerationBytes / view.size());
  for (int i = 0; i < n; ++i) views.put(views.ticket(), "t", "job-" + std::to_string(i), view);
  CHECK(views.size() * view.size() <= 2 * JobViews::kGenerationBytes);
  CHECK(views.size() * view.size() >= JobViews::kGenerationBytes / 2);
  CHECK(views.find("t", "job-" + std::to_string(n - 1)));  // the newest are kept …
  CHECK_FALSE(views.find("t", "job-0"));                   // … the oldest went
}
