#include "tyto/core/cron.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/time.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace {

using tyto::CronExpression;

std::int64_t at(std::string_view rfc3339) {
  const auto micros = tyto::parse_rfc3339(rfc3339);
  REQUIRE(micros);
  return *micros;
}

// The next fire time as "2026-01-01T00:00:00Z" (or "none"), so that failures read as times.
std::string next(std::string_view expression, std::string_view after, std::string_view zone = "UTC") {
  const auto fire = CronExpression::parse(expression).next_after(at(after), zone);
  if (!fire) return "none";
  REQUIRE(*fire % 1'000'000 == 0);
  std::string text = tyto::format_rfc3339(*fire);
  return text.substr(0, 19) + "Z";
}

void check_rejected(std::string_view expression, std::string_view message_part) {
  INFO("expression: " << expression);
  try {
    CronExpression::parse(expression);
    FAIL("accepted");
  } catch (const tyto::Error& e) {
    CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
    CHECK_THAT(e.what(), Catch::Contains(std::string(message_part)));
  }
}

}  // namespace

TEST_CASE("Cron fires strictly after the given instant, on whole minutes", "[cron]") {
  CHECK(next("* * * * *", "2026-01-01T00:00:00Z") == "2026-01-01T00:01:00Z");
  CHECK(next("* * * * *", "2026-01-01T00:00:30.5Z") == "2026-01-01T00:01:00Z");
  CHECK(next("* * * * *", "2025-12-31T23:59:59.999999Z") == "2026-01-01T00:00:00Z");
  CHECK(next("5 * * * *", "2026-01-01T10:05:00Z") == "2026-01-01T11:05:00Z");
  CHECK(next("5 * * * *", "2026-01-01T10:04:59Z") == "2026-01-01T10:05:00Z");
  CHECK(CronExpression::parse("  0 0 * * *\t").text() == "0 0 * * *");
}

TEST_CASE("Cron reads lists, ranges and steps in every field", "[cron]") {
  CHECK(next("0,30 * * * *", "2026-01-01T10:00:00Z") == "2026-01-01T10:30:00Z");
  CHECK(next("0 9-17 * * *", "2026-01-01T12:30:00Z") == "2026-01-01T13:00:00Z");
  CHECK(next("0 9-17 * * *", "2026-01-01T17:00:00Z") == "2026-01-02T09:00:00Z");
  CHECK(next("*/15 * * * *", "2026-01-01T10:50:00Z") == "2026-01-01T11:00:00Z");
  CHECK(next("*/15 * * * *", "2026-01-01T10:44:59Z") == "2026-01-01T10:45:00Z");
  CHECK(next("10-40/15 * * * *", "2026-01-01T10:26:00Z") == "2026-01-01T10:40:00Z");
  CHECK(next("10-40/15 * * * *", "2026-01-01T10:40:00Z") == "2026-01-01T11:10:00Z");
  CHECK(next("50/5 * * * *", "2026-01-01T10:56:00Z") == "2026-01-01T11:50:00Z");
  CHECK(next("0 0,12-13,20-22/2 * * *", "2026-01-01T13:00:00Z") == "2026-01-01T20:00:00Z");
  CHECK(next("0 0 10-20/5 * *", "2026-01-10T00:00:00Z") == "2026-01-15T00:00:00Z");
  CHECK(next("0 0 1 */3 *", "2026-01-01T00:00:00Z") == "2026-04-01T00:00:00Z");
}

TEST_CASE("Cron reads month and day names in any case, and 7 as Sunday", "[cron]") {
  // 2026-01-01 is a Thursday.
  CHECK(next("0 0 1 jan,Jul *", "2026-02-01T00:00:00Z") == "2026-07-01T00:00:00Z");
  CHECK(next("0 0 1 MAR-may *", "2026-05-01T00:00:00Z") == "2027-03-01T00:00:00Z");
  CHECK(next("0 12 * * Mon-FRI", "2026-01-02T12:00:00Z") == "2026-01-05T12:00:00Z");
  CHECK(next("0 0 * * 0", "2026-01-01T00:00:00Z") == "2026-01-04T00:00:00Z");
  CHECK(next("0 0 * * 7", "2026-01-01T00:00:00Z") == "2026-01-04T00:00:00Z");
  CHECK(next("0 0 * * sun", "2026-01-01T00:00:00Z") == "2026-01-04T00:00:00Z");
  CHECK(next("0 0 * * 5-7", "2026-01-03T00:00:00Z") == "2026-01-04T00:00:00Z");
  CHECK(next("0 0 * * 5-7", "2026-01-04T00:00:00Z") == "2026-01-09T00:00:00Z");
  CHECK(next("0 0 * * */2", "2026-01-01T00:00:00Z") == "2026-01-03T00:00:00Z");  // Sun, Tue, Thu, Sat
}

TEST_CASE("Cron macros expand to their standard schedules", "[cron]") {
  CHECK(next("@yearly", "2026-03-01T00:00:00Z") == "2027-01-01T00:00:00Z");
  CHECK(next("@annually", "2026-03-01T00:00:00Z") == "2027-01-01T00:00:00Z");
  CHECK(next("@monthly", "2026-01-15T00:00:00Z") == "2026-02-01T00:00:00Z");
  CHECK(next("@weekly", "2026-01-01T00:00:00Z") == "2026-01-04T00:00:00Z");
  CHECK(next("@daily", "2026-01-01T00:00:00Z") == "2026-01-02T00:00:00Z");
  CHECK(next("@midnight", "2026-01-01T00:00:00Z") == "2026-01-02T00:00:00Z");
  CHECK(next("@hourly", "2026-01-01T10:00:00Z") == "2026-01-01T11:00:00Z");
  CHECK(next("@DAILY", "2026-01-01T00:00:00Z") == "2026-01-02T00:00:00Z");
  CHECK(CronExpression::parse("@daily").text() == "@daily");
}

TEST_CASE("Cron rejects bad expressions with a message naming the field", "[cron]") {
  check_rejected("", "expected 5 fields (or 6 with seconds), got 0");
  check_rejected("* * * *", "got 4");
  check_rejected("* * * * * * *", "got 7");
  check_rejected("60 * * * *", "minute field \"60\": 60 is out of range 0-59");
  check_rejected("-1 * * * *", "minute field \"-1\"");
  check_rejected("* 24 * * *", "hour field \"24\"");
  check_rejected("* * 0 * *", "day-of-month field \"0\": 0 is out of range 1-31");
  check_rejected("* * 32 * *", "day-of-month field");
  check_rejected("* * * 13 *", "month field \"13\"");
  check_rejected("* * * foo *", "month field \"foo\": \"foo\" is not a value");
  check_rejected("* * * * 8", "day-of-week field \"8\": 8 is out of range 0-7");
  check_rejected("* * * * JAN", "day-of-week field");
  check_rejected("* * * * MON-", "day-of-week field");
  check_rejected("* * * JANUARY *", "month field");
  check_rejected("5-1 * * * *", "minute field \"5-1\": range 5-1 runs backwards");
  check_rejected("* * * * FRI-MON", "runs backwards");
  check_rejected("*/0 * * * *", "minute field \"*/0\": step \"0\" must be a number from 1 to 60");
  check_rejected("*/x * * * *", "step \"x\"");
  check_rejected("*/ * * * *", "minute field");
  check_rejected("1,,2 * * * *", "minute field \"1,,2\": empty list item");
  check_rejected("1, * * * *", "empty list item");
  check_rejected("*-5 * * * *", "minute field");
  check_rejected("+5 * * * *", "minute field");
  check_rejected("99999999999 * * * *", "minute field");
  check_rejected("60 * * * * *", "second field \"60\"");
  check_rejected("@reboot", "unknown macro \"@reboot\"");
  check_rejected("@daily 5", "unknown macro");
}

TEST_CASE("Cron matches either day field when both are restricted, both when one starts with a star", "[cron]") {
  // January 2026: the 13th is a Tuesday; Fridays are the 2nd, 9th, 16th.
  CHECK(next("0 0 13 * FRI", "2026-01-01T00:00:00Z") == "2026-01-02T00:00:00Z");
  CHECK(next("0 0 13 * FRI", "2026-01-10T00:00:00Z") == "2026-01-13T00:00:00Z");
  CHECK(next("0 0 13 * FRI", "2026-01-13T00:00:00Z") == "2026-01-16T00:00:00Z");
  // "*/2" starts with a star: odd days that are also Mondays (Mondays are the 5th, 12th, 19th, 26th).
  CHECK(next("0 0 */2 * MON", "2026-01-01T00:00:00Z") == "2026-01-05T00:00:00Z");
  CHECK(next("0 0 */2 * MON", "2026-01-05T00:00:00Z") == "2026-01-19T00:00:00Z");
  CHECK(next("0 0 1 * *", "2026-01-01T00:00:00Z") == "2026-02-01T00:00:00Z");
  CHECK(next("0 0 * * MON", "2026-01-05T00:00:00Z") == "2026-01-12T00:00:00Z");
}

TEST_CASE("Cron handles month lengths, leap days and dates that never come", "[cron]") {
  CHECK(next("0 0 31 * *", "2026-01-31T00:00:00Z") == "2026-03-31T00:00:00Z");
  CHECK(next("0 0 29 2 *", "2026-01-01T00:00:00Z") == "2028-02-29T00:00:00Z");
  CHECK(next("0 0 29 2 *", "2024-02-28T12:00:00Z") == "2024-02-29T00:00:00Z");
  // 2100 is not a leap year: the longest wait, eight years, is still found.
  CHECK(next("0 0 29 2 *", "2096-03-01T00:00:00Z") == "2104-02-29T00:00:00Z");
  CHECK(next("0 0 30 2 *", "2026-01-01T00:00:00Z") == "none");
  CHECK(next("0 0 31 4,6,9,11 *", "2026-01-01T00:00:00Z") == "none");
  CHECK(next("* * * * *", "9999-12-31T23:59:00Z") == "none");
  const auto every_minute = CronExpression::parse("* * * * *");
  CHECK_FALSE(every_minute.next_after(std::numeric_limits<std::int64_t>::max()));
  CHECK_FALSE(every_minute.next_after(std::numeric_limits<std::int64_t>::min()));
  CHECK(next("0 12 * * *", "1969-12-31T00:00:00Z") == "1969-12-31T12:00:00Z");
}

// Found by tests/fuzz/fuzz_cron: local 9999-12-31T19:00 in New York is 10000-01-01T00:00Z.
TEST_CASE("Cron never fires past the year 9999, also in a zone west of UTC", "[cron]") {
  CHECK(next("*/10 * * * * *", "9999-12-31T23:59:58Z", "America/New_York") == "none");
  CHECK(next("0 18 31 12 *", "9999-12-31T00:00:00Z", "America/New_York") == "9999-12-31T23:00:00Z");
}

TEST_CASE("Cron takes a leading seconds field only when there are six fields", "[cron]") {
  CHECK(next("*/10 * * * * *", "2026-01-01T10:00:05Z") == "2026-01-01T10:00:10Z");
  CHECK(next("*/10 * * * * *", "2026-01-01T10:00:50Z") == "2026-01-01T10:01:00Z");
  CHECK(next("30 0 12 * * *", "2026-01-01T00:00:00Z") == "2026-01-01T12:00:30Z");
  CHECK(next("* * * * * *", "2026-01-01T10:00:00.999999Z") == "2026-01-01T10:00:01Z");
  CHECK(next("0 * * * * *", "2026-01-01T10:00:00Z") == "2026-01-01T10:01:00Z");
  CHECK(next("15,45 30 * * * *", "2026-01-01T10:30:15Z") == "2026-01-01T10:30:45Z");
  CHECK(next("15,45 30 * * * *", "2026-01-01T10:30:45Z") == "2026-01-01T11:30:15Z");
}

TEST_CASE("Cron knows the system time zones and refuses unknown ones", "[cron]") {
  CHECK(tyto::is_valid_time_zone("UTC"));
  CHECK(tyto::is_valid_time_zone("Etc/UTC"));
  CHECK(tyto::is_valid_time_zone("Europe/Berlin"));
  CHECK(tyto::is_valid_time_zone("America/New_York"));
  CHECK_FALSE(tyto::is_valid_time_zone(""));
  CHECK_FALSE(tyto::is_valid_time_zone("Mars/Olympus_Mons"));
  CHECK_FALSE(tyto::is_valid_time_zone("utc+1"));
  const auto daily = CronExpression::parse("0 0 * * *");
  try {
    daily.next_after(0, "Mars/Olympus_Mons");
    FAIL("accepted");
  } catch (const tyto::Error& e) {
    CHECK(e.code() == tyto::ErrorCode::kValidationFailed);
    CHECK_THAT(e.what(), Catch::Contains("Mars/Olympus_Mons"));
  }
}

TEST_CASE("Cron matches the wall clock of the time zone", "[cron]") {
  CHECK(next("0 9 * * *", "2026-01-10T00:00:00Z", "Europe/Berlin") == "2026-01-10T08:00:00Z");     // CET, +1
  CHECK(next("0 9 * * *", "2026-07-01T00:00:00Z", "Europe/Berlin") == "2026-07-01T07:00:00Z");     // CEST, +2
  CHECK(next("0 9 * * *", "2026-01-10T00:00:00Z", "America/New_York") == "2026-01-10T14:00:00Z");  // EST, -5
  CHECK(next("0 0 * * *", "2026-01-01T00:00:00Z", "Asia/Kolkata") == "2026-01-01T18:30:00Z");      // IST, +5:30
  CHECK(next("0 0 * * *", "2026-01-01T00:00:00Z", "Etc/UTC") == "2026-01-02T00:00:00Z");
  // Saturday 23:30 in New York is already Sunday in UTC: the day fields follow the zone.
  CHECK(next("30 23 * * SAT", "2026-01-01T00:00:00Z", "America/New_York") == "2026-01-04T04:30:00Z");
}

TEST_CASE("Cron skips local times that a spring-forward gap removes", "[cron]") {
  // Europe/Berlin, Sunday 2026-03-29: 02:00 CET (01:00Z) becomes 03:00 CEST.
  CHECK(next("30 2 * * *", "2026-03-28T02:00:00Z", "Europe/Berlin") == "2026-03-30T00:30:00Z");
  CHECK(next("*/30 * * * *", "2026-03-29T00:30:00Z", "Europe/Berlin") == "2026-03-29T01:00:00Z");
  CHECK(next("0 3 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin") == "2026-03-29T01:00:00Z");
  CHECK(next("30 1 * * *", "2026-03-28T12:00:00Z", "Europe/Berlin") == "2026-03-29T00:30:00Z");
  // America/New_York, Sunday 2026-03-08: 02:00 EST (07:00Z) becomes 03:00 EDT.
  CHECK(next("30 2 * * *", "2026-03-07T12:00:00Z", "America/New_York") == "2026-03-09T06:30:00Z");
}

TEST_CASE("Cron fires a local time that a fall-back overlap repeats only at its first occurrence", "[cron]") {
  // Europe/Berlin, Sunday 2026-10-25: 03:00 CEST (01:00Z) becomes 02:00 CET, so 02:00-02:59 happens twice.
  CHECK(next("30 2 * * *", "2026-10-24T12:00:00Z", "Europe/Berlin") == "2026-10-25T00:30:00Z");  // 02:30 CEST
  CHECK(next("30 2 * * *", "2026-10-25T00:30:00Z", "Europe/Berlin") == "2026-10-26T01:30:00Z");  // not 02:30 CET
  CHECK(next("30 2 * * *", "2026-10-25T01:10:00Z", "Europe/Berlin") == "2026-10-26T01:30:00Z");
  CHECK(next("*/30 * * * *", "2026-10-25T00:15:00Z", "Europe/Berlin") == "2026-10-25T00:30:00Z");
  // The repeated hour (01:00Z-01:59Z, 02:xx CET) is skipped: the next fire is 03:00 CET.
  CHECK(next("*/30 * * * *", "2026-10-25T00:30:00Z", "Europe/Berlin") == "2026-10-25T02:00:00Z");
  CHECK(next("*/30 * * * *", "2026-10-25T01:20:00Z", "Europe/Berlin") == "2026-10-25T02:00:00Z");
  // America/New_York, Sunday 2026-11-01: 02:00 EDT (06:00Z) becomes 01:00 EST.
  CHECK(next("30 1 * * *", "2026-10-31T12:00:00Z", "America/New_York") == "2026-11-01T05:30:00Z");  // EDT
  CHECK(next("30 1 * * *", "2026-11-01T05:30:00Z", "America/New_York") == "2026-11-02T06:30:00Z");  // EST
}

TEST_CASE("Cron chained over a year of quarter hours in Berlin loses the gap and fires the overlap once", "[cron]") {
  const auto quarter_hours = CronExpression::parse("*/15 * * * *");
  const std::int64_t end = at("2027-01-01T00:00:00Z") - 3600LL * 1'000'000;  // midnight in Berlin
  std::int64_t time = at("2025-12-31T23:00:00Z") - 1;
  int fires = 0;
  while (true) {
    const auto fire = quarter_hours.next_after(time, "Europe/Berlin");
    REQUIRE(fire);
    REQUIRE(*fire > time);
    if (*fire >= end) break;
    time = *fire;
    ++fires;
  }
  // 96 a day; the 23-hour day in March has 92; the 25-hour day in October fires its repeated hour once, 96.
  CHECK(fires == 365 * 96 - 4);
}
