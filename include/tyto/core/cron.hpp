// Cron schedules: when a recurring job fires next.
//
// Syntax: the five fields of crontab(5), "minute hour day-of-month month day-of-week", separated by blanks.
// In each field:
//   *         every value                     5         one value
//   1,15      a list of any of these items    1-5       a range, low ≤ high (no wrap-around)
//   */15      every 15th value from the field's minimum
//   10-40/5   every 5th value of a range      5/15      every 15th value from 5 to the field's maximum
// Ranges: minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-7 or SUN-SAT
// (0 and 7 are both Sunday). Names ignore case.
// Macros: @yearly = @annually = "0 0 1 1 *", @monthly = "0 0 1 * *", @weekly = "0 0 * * 0",
// @daily = @midnight = "0 0 * * *", @hourly = "0 * * * *". @reboot is not a schedule and is rejected.
//
// Day rule, as crontab(5) states it: when both day fields are restricted (neither starts with '*'), a day
// matches if EITHER does: "0 0 1,15 * MON" fires on the 1st, the 15th and every Monday. When one of them
// starts with '*' (including "*/2"), a day must match both.
//
// Extension, not standard cron: an expression of exactly SIX fields has a leading seconds field (0-59, same
// syntax), so "*/10 * * * * *" fires every ten seconds. Five-field expressions fire at second 0.
//
// Time zones: fields match the wall clock of an IANA zone, read from the system database
// (/usr/share/zoneinfo, package tzdata); nothing is ever downloaded. That database lists daylight-saving
// transitions up to 2037 only: later instants use the zone's last offset. Around transitions:
//   - a local time that does not exist (clocks jump forward) is skipped: "30 2 * * *" in Europe/Berlin does
//     not fire on the last Sunday of March;
//   - a local time that occurs twice (clocks fall back) fires once, at its first occurrence. So a schedule
//     that fires within the repeated hour ("*/15 * * * *") pauses for that hour instead of firing twice.
//
// A CronExpression is immutable; its const methods may be called from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tyto {

class CronExpression {
 public:
  // Throws Error(kValidationFailed) whose message names the bad field ("day-of-month field \"32\": …").
  static CronExpression parse(std::string_view text);

  // The first fire time strictly after `after_micros`, both in UTC microseconds since the epoch; fire times
  // are whole seconds. `time_zone` is an IANA name ("UTC", "Europe/Berlin"); throws Error(kValidationFailed)
  // for a zone the system database lacks. nullopt when nothing fires within the next 8 years (enough for any
  // February 29th; "0 0 30 2 *" never fires), or when that would pass the year 9999.
  std::optional<std::int64_t> next_after(std::int64_t after_micros, std::string_view time_zone = "UTC") const;

  // The text it was parsed from, without surrounding blanks.
  const std::string& text() const noexcept { return text_; }

 private:
  CronExpression() = default;

  // The first local time (seconds since the local epoch) at or after `from_local` whose fields all match,
  // up to the end of `last_year`.
  std::optional<std::int64_t> next_local_match(std::int64_t from_local, int last_year) const;
  // The first matching second of a day at or after `from_second` (0-86399).
  std::optional<int> next_time_of_day(int from_second) const;
  bool day_matches(unsigned day_of_month, unsigned day_of_week) const;

  std::string text_;
  // Bit n set: value n matches.
  std::uint64_t seconds_ = 0;
  std::uint64_t minutes_ = 0;
  std::uint64_t hours_ = 0;
  std::uint64_t days_of_month_ = 0;  // bits 1-31
  std::uint64_t months_ = 0;         // bits 1-12
  std::uint64_t days_of_week_ = 0;   // bits 0-6, Sunday = 0
  bool day_of_month_star_ = false;
  bool day_of_week_star_ = false;
};

// True if the system time-zone database knows `time_zone`. Never throws.
bool is_valid_time_zone(std::string_view time_zone) noexcept;

}  // namespace tyto
