#include "tyto/core/ids.hpp"
#include "tyto/core/json_text.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/metrics.hpp"
#include "tyto/core/time.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <mutex>
#include <set>
#include <thread>
#include <vector>

TEST_CASE("UUIDv7 ids are well-formed, unique and ordered by time", "[core]") {
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    auto id = tyto::new_uuid_v7();
    CHECK(tyto::is_uuid(id));
    CHECK(id[14] == '7');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    CHECK(seen.insert(id).second);
    CHECK(id > previous);  // strictly: ids made within one millisecond are in order too
    previous = id;
  }
  CHECK_FALSE(tyto::is_uuid("not-a-uuid"));
}

TEST_CASE("UUIDv7 ids made by many threads at once stay unique and each thread's stay in order", "[core]") {
  std::mutex mutex;
  std::set<std::string> all;
  std::vector<std::thread> threads;
  bool ordered = true;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      std::vector<std::string> mine;
      for (int i = 0; i < 5000; ++i) mine.push_back(tyto::new_uuid_v7());
      std::lock_guard lock(mutex);
      for (std::size_t i = 1; i < mine.size(); ++i) ordered = ordered && mine[i] > mine[i - 1];
      all.insert(mine.begin(), mine.end());
    });
  }
  for (auto& th : threads) th.join();
  CHECK(ordered);
  CHECK(all.size() == 20000);
}

TEST_CASE("RFC 3339 times format and parse back", "[core]") {
  CHECK(tyto::format_rfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(tyto::format_rfc3339(1'700'000'000'123'456) == "2023-11-14T22:13:20.123Z");
  CHECK(tyto::format_rfc3339(-1) == "1969-12-31T23:59:59.999Z");                       // before the epoch
  CHECK(tyto::format_rfc3339(951'782'400'000'000 - 1) == "2000-02-28T23:59:59.999Z");  // a leap year's Feb
  CHECK(tyto::format_rfc3339(253'402'300'799'999'999) == "9999-12-31T23:59:59.999Z");  // the last 4-digit year
  // Every millisecond of a day and a year's days come back through the parser.
  for (std::int64_t t = 1'700'000'000'000'000; t < 1'700'000'000'000'000 + 86'400'000'000LL * 400;
       t += 86'400'000'000LL + 3'723'456'789) {
    CHECK(tyto::parse_rfc3339(tyto::format_rfc3339(t)) == t / 1000 * 1000);
  }
  CHECK(tyto::parse_rfc3339("2023-11-14T22:13:20.123456Z") == 1'700'000'000'123'456);
  CHECK(tyto::parse_rfc3339("2023-11-14T23:13:20+01:00") == 1'700'000'000'000'000);
  CHECK_FALSE(tyto::parse_rfc3339("2023-02-30T00:00:00Z"));
  CHECK_FALSE(tyto::parse_rfc3339("2023-11-14 22:13"));
  CHECK_FALSE(tyto::parse_rfc3339("2023-11-14T22:13:20"));
}

TEST_CASE("Log lines are valid JSON with context fields, even for hostile text", "[core][logging]") {
  std::mutex m;
  std::string captured;
  tyto::log::set_sink([&](std::string_view lines) {
    std::lock_guard lock(m);
    captured.append(lines);
  });
  {
    tyto::log::ScopedContext ctx("req-1", "/api/v1/things/{id}");
    tyto::log::info("hello \"world\"\n", {{"count", 3}, {"bad_utf8", std::string_view("\xff\xfe ok \x01")}});
  }
  tyto::log::debug("below the level");
  tyto::log::flush();
  tyto::log::set_sink(nullptr);

  std::lock_guard lock(m);
  REQUIRE(captured.find("below the level") == std::string::npos);
  const auto line = nlohmann::json::parse(captured.substr(0, captured.find('\n')));
  CHECK(line["level"] == "info");
  CHECK(line["msg"] == "hello \"world\"\n");
  CHECK(line["request_id"] == "req-1");
  CHECK(line["route"] == "/api/v1/things/{id}");
  CHECK(line["count"] == 3);
  CHECK(line["bad_utf8"].get<std::string>().find(" ok ") != std::string::npos);
  CHECK(tyto::parse_rfc3339(line["ts"].get<std::string>()));
}

TEST_CASE("Metrics render in the Prometheus text format", "[core][metrics]") {
  tyto::metrics::Registry reg;
  auto& requests = reg.counter("test_requests_total", "Requests", {"route", "status"});
  requests.with({"/a", "200"}).inc();
  requests.with({"/a", "200"}).inc(2);
  requests.with({"/b\"x", "500"}).inc();
  auto& latency = reg.histogram("test_latency_seconds", "Latency", {"route"}, {0.1, 1});
  latency.with({"/a"}).observe(0.05);
  latency.with({"/a"}).observe(0.5);
  latency.with({"/a"}).observe(5);
  reg.gauge("test_in_flight", "In flight").with({}).set(7);
  tyto::metrics::add_process_collector(reg);

  const auto text = reg.render();
  CHECK_THAT(text, Catch::Contains("# TYPE test_requests_total counter"));
  CHECK_THAT(text, Catch::Contains("test_requests_total{route=\"/a\",status=\"200\"} 3"));
  CHECK_THAT(text, Catch::Contains("test_requests_total{route=\"/b\\\"x\",status=\"500\"} 1"));
  CHECK_THAT(text, Catch::Contains("test_latency_seconds_bucket{route=\"/a\",le=\"0.1\"} 1"));
  CHECK_THAT(text, Catch::Contains("test_latency_seconds_bucket{route=\"/a\",le=\"1\"} 2"));
  CHECK_THAT(text, Catch::Contains("test_latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3"));
  CHECK_THAT(text, Catch::Contains("test_latency_seconds_count{route=\"/a\"} 3"));
  CHECK_THAT(text, Catch::Contains("test_in_flight 7"));
  CHECK_THAT(text, Catch::Contains("process_resident_memory_bytes "));
  CHECK_THAT(text, Catch::Contains("process_open_fds "));
  CHECK_THAT(text, Catch::Contains("tyto_build_info{version=\""));
}

// Found by tests/fuzz/fuzz_json_text: nlohmann takes a NUL byte for the end of the text.
TEST_CASE("JSON text with a NUL byte is refused, not cut short at it", "[core]") {
  tyto::JsonTextError error;
  CHECK(tyto::parse_json_text(R"({"a":1})", tyto::kDefaultJsonDepth));
  CHECK_FALSE(tyto::parse_json_text(std::string_view("{\"a\":1}\0{\"b\":2}", 15), tyto::kDefaultJsonDepth, &error));
  CHECK(error.reason == "syntax error");
  CHECK(error.byte == 8);
  CHECK_FALSE(tyto::parse_json_text(std::string_view("[1]\0", 4), tyto::kDefaultJsonDepth));
}

// Found by tests/fuzz/fuzz_json_text: {"input":{…},"input":true} parsed as {"input":true}, one copy silently lost.
TEST_CASE("JSON text that names a member twice in one object is refused", "[core]") {
  tyto::JsonTextError error;
  CHECK_FALSE(tyto::parse_json_text(R"({"input":{"seconds":1},"x":2,"input":true})", tyto::kDefaultJsonDepth, &error));
  CHECK(error.reason == R"(member name "input" appears twice in one object)");
  CHECK_FALSE(tyto::parse_json_text(R"([{"a":{"b":1,"b":1}}])", tyto::kDefaultJsonDepth));
  // The same name in different objects, nested or side by side, is fine.
  const auto value = tyto::parse_json_text(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]})", tyto::kDefaultJsonDepth);
  REQUIRE(value);
  CHECK((*value)["a"]["a"]["a"] == 1);
  CHECK((*value)["b"][1]["a"] == 2);
  CHECK(tyto::parse_json_text(R"({"a":[],"b":{},"c":[{}]})", tyto::kDefaultJsonDepth));
}
