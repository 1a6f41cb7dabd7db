// Cron schedules and time zones as a client submits them (jobs' schedules): line 1 is the expression,
// line 2 the time zone (UTC when absent or empty), line 3 an optional start time in microseconds.
// Asserts: parse and next_after throw nothing but tyto::Error(kValidationFailed), next_after throws
// exactly for the zones is_valid_time_zone refuses, and a fire time is a whole second strictly after its
// start, within the documented search window, is also the first fire time after any instant in between,
// and is followed by a later one.
#include "fuzz_check.hpp"
#include "tyto/core/cron.hpp"
#include "tyto/core/error.hpp"

#include <charconv>
#include <limits>
#include <optional>
#include <vector>

namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kNineYears = 9LL * 366 * 86'400 * kMicrosPerSecond;  // above the 8-year window

// The first fire time after `after`, or an empty optional; a throw other than the documented one aborts.
std::optional<std::int64_t> next(const tyto::CronExpression& cron, std::int64_t after, std::string_view zone) {
  return cron.next_after(after, zone);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest = tyto::fuzz::as_text(data, size);
  const std::string_view text = tyto::fuzz::take_line(rest);
  std::string_view zone = tyto::fuzz::take_line(rest);
  if (zone.empty()) zone = "UTC";
  const std::string_view start_text = tyto::fuzz::take_line(rest);

  std::optional<tyto::CronExpression> cron;
  try {
    cron = tyto::CronExpression::parse(text);
  } catch (const tyto::Error& e) {
    FUZZ_CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
    return 0;
  }

  std::vector<std::int64_t> starts = {0,
                                      1'700'000'000 * kMicrosPerSecond,  // November 2023
                                      1'711'846'799 * kMicrosPerSecond,  // 2024-03-31, just before 01:00 UTC
                                      -1,
                                      253'402'300'798 * kMicrosPerSecond,  // a second before year 10000
                                      std::numeric_limits<std::int64_t>::min(),
                                      std::numeric_limits<std::int64_t>::max()};
  std::int64_t parsed = 0;
  if (std::from_chars(start_text.data(), start_text.data() + start_text.size(), parsed).ec == std::errc()) {
    starts.push_back(parsed);
  }

  const bool zone_known = tyto::is_valid_time_zone(zone);
  for (const std::int64_t start : starts) {
    std::optional<std::int64_t> fire;
    try {
      fire = next(*cron, start, zone);
    } catch (const tyto::Error& e) {
      FUZZ_CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
      FUZZ_CHECK(!zone_known);
      return 0;
    }
    FUZZ_CHECK(zone_known);
    if (!fire) continue;
    FUZZ_CHECK(*fire > start);
    FUZZ_CHECK(*fire % kMicrosPerSecond == 0);
    FUZZ_CHECK(*fire - start <= kNineYears);
    // No fire time lies between start and *fire: asking from just before *fire (or from the midpoint)
    // finds *fire again.
    FUZZ_CHECK(next(*cron, *fire - 1, zone) == fire);
    FUZZ_CHECK(next(*cron, start + (*fire - start) / 2, zone) == fire);
    if (const auto after = next(*cron, *fire, zone)) FUZZ_CHECK(*after > *fire);
  }
  return 0;
}
