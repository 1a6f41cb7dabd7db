#include "tyto/core/cron.hpp"

#include "tyto/core/error.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <chrono>
#include <utility>
#include <vector>

#include <date/tz.h>
#include <fmt/format.h>

namespace tyto {
namespace {

constexpr std::int64_t kMicrosPerSecond = 1'000'000;
constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr int kSearchYears = 8;  // leap days can be 8 years apart (2096 → 2104)
constexpr int kLastYear = 9999;
constexpr std::int64_t kFirstSecond = -62'135'596'800;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kLastSecond = 253'402'300'799;   // 9999-12-31T23:59:59Z

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kMacros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

struct FieldSpec {
  std::string_view name;
  int low;
  int high;
  const std::string_view* names = nullptr;  // names[i] spells the value first_named + i
  int name_count = 0;
  int first_named = 0;
};

enum Field { kSecond, kMinute, kHour, kDayOfMonth, kMonth, kDayOfWeek, kFieldCount };

constexpr std::array<FieldSpec, kFieldCount> kFields = {{
    {"second", 0, 59},
    {"minute", 0, 59},
    {"hour", 0, 23},
    {"day-of-month", 1, 31},
    {"month", 1, 12, kMonthNames.data(), static_cast<int>(kMonthNames.size()), 1},
    {"day-of-week", 0, 7, kDayNames.data(), static_cast<int>(kDayNames.size()), 0},
}};

bool iequals(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char separator) {
  std::vector<std::string_view> parts;
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == separator) {
      parts.push_back(s.substr(begin, i - begin));
      begin = i + 1;
    }
  }
  return parts;
}

std::vector<std::string_view> split_blanks(std::string_view s) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_blank(s[i])) ++i;
    const std::size_t begin = i;
    while (i < s.size() && !is_blank(s[i])) ++i;
    if (i > begin) words.push_back(s.substr(begin, i - begin));
  }
  return words;
}

std::optional<int> parse_number(std::string_view s) {
  if (s.empty() || !std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  int value = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), value).ec != std::errc()) return std::nullopt;
  return value;
}

// A number or a name; the caller checks the range, so that "99" gets a clearer message than "bad value".
std::optional<int> parse_value(const FieldSpec& spec, std::string_view s) {
  if (auto number = parse_number(s)) return number;
  for (int i = 0; i < spec.name_count; ++i) {
    if (iequals(s, spec.names[i])) return spec.first_named + i;
  }
  return std::nullopt;
}

// Sets the bits of one list item ("*", "5", "1-5", "*/15", "10-40/5", "5/15"); returns why it is bad, or "".
std::string parse_item(const FieldSpec& spec, std::string_view item, std::uint64_t& mask) {
  if (item.empty()) return "empty list item";
  const std::size_t slash = item.find('/');
  const std::string_view range = item.substr(0, slash);
  int step = 1;
  if (slash != std::string_view::npos) {
    const auto parsed = parse_number(item.substr(slash + 1));
    if (!parsed || *parsed < 1 || *parsed > spec.high - spec.low + 1) {
      return fmt::format("step \"{}\" must be a number from 1 to {}", item.substr(slash + 1), spec.high - spec.low + 1);
    }
    step = *parsed;
  }
  int low = spec.low;
  int high = spec.high;
  if (range != "*") {
    const std::size_t dash = range.find('-');
    const auto first = parse_value(spec, range.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : parse_value(spec, range.substr(dash + 1));
    if (!first || !last) return fmt::format("\"{}\" is not a value", range);
    for (const int value : {*first, *last}) {
      if (value < spec.low || value > spec.high) {
        return fmt::format("{} is out of range {}-{}", value, spec.low, spec.high);
      }
    }
    if (*first > *last) return fmt::format("range {} runs backwards", range);
    low = *first;
    high = dash == std::string_view::npos && slash != std::string_view::npos ? spec.high : *last;
  }
  for (int value = low; value <= high; value += step) mask |= std::uint64_t{1} << value;
  return "";
}

std::string parse_field(const FieldSpec& spec, std::string_view text, std::uint64_t& mask) {
  for (const std::string_view item : split(text, ',')) {
    if (std::string problem = parse_item(spec, item, mask); !problem.empty()) return problem;
  }
  return "";
}

[[noreturn]] void fail(std::string_view text, std::string_view problem) {
  throw Error(ErrorCode::kValidationFailed, fmt::format("invalid cron expression \"{}\": {}", text, problem));
}

bool has_bit(std::uint64_t mask, unsigned bit) { return bit < 64 && ((mask >> bit) & 1U) != 0; }

// The smallest set bit in [from, to], or -1.
int next_bit(std::uint64_t mask, int from, int to) {
  if (from > to || from > 63) return -1;
  const std::uint64_t rest = mask >> from;
  if (rest == 0) return -1;
  const int bit = from + std::countr_zero(rest);
  return bit <= to ? bit : -1;
}

std::int64_t seconds_of(date::local_days day) { return day.time_since_epoch().count() * kSecondsPerDay; }

date::local_days day_of(std::int64_t local_seconds) {
  return date::floor<date::days>(date::local_seconds{std::chrono::seconds{local_seconds}});
}

// nullptr stands for UTC, which needs no database.
const date::time_zone* find_zone(std::string_view name) {
  if (name == "UTC") return nullptr;
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    throw Error(ErrorCode::kValidationFailed, fmt::format("unknown time zone \"{}\"", name));
  }
}

}  // namespace

CronExpression CronExpression::parse(std::string_view text) {
  CronExpression expr;
  expr.text_ = std::string(trim(text));
  std::string_view body = expr.text_;
  if (body.starts_with('@')) {
    const auto macro = std::ranges::find_if(kMacros, [&](const auto& entry) { return iequals(entry.first, body); });
    if (macro == kMacros.end()) fail(expr.text_, fmt::format("unknown macro \"{}\"", body));
    body = macro->second;
  }
  const std::vector<std::string_view> fields = split_blanks(body);
  if (fields.size() != 5 && fields.size() != 6) {
    fail(expr.text_, fmt::format("expected 5 fields (or 6 with seconds), got {}", fields.size()));
  }
  std::array<std::uint64_t, kFieldCount> masks{};
  masks[kSecond] = 1;  // five fields fire at second 0
  const std::size_t first = fields.size() == 6 ? kSecond : kMinute;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const FieldSpec& spec = kFields[first + i];
    masks[first + i] = 0;
    if (std::string problem = parse_field(spec, fields[i], masks[first + i]); !problem.empty()) {
      fail(expr.text_, fmt::format("{} field \"{}\": {}", spec.name, fields[i], problem));
    }
  }
  const std::uint64_t sunday_as_seven = std::uint64_t{1} << 7;
  if (masks[kDayOfWeek] & sunday_as_seven) masks[kDayOfWeek] = (masks[kDayOfWeek] & ~sunday_as_seven) | 1U;
  expr.seconds_ = masks[kSecond];
  expr.minutes_ = masks[kMinute];
  expr.hours_ = masks[kHour];
  expr.days_of_month_ = masks[kDayOfMonth];
  expr.months_ = masks[kMonth];
  expr.days_of_week_ = masks[kDayOfWeek];
  expr.day_of_month_star_ = fields[kDayOfMonth - first].starts_with('*');
  expr.day_of_week_star_ = fields[kDayOfWeek - first].starts_with('*');
  return expr;
}

bool CronExpression::day_matches(unsigned day_of_month, unsigned day_of_week) const {
  const bool by_month = has_bit(days_of_month_, day_of_month);
  const bool by_week = has_bit(days_of_week_, day_of_week);
  return day_of_month_star_ || day_of_week_star_ ? by_month && by_week : by_month || by_week;
}

std::optional<int> CronExpression::next_time_of_day(int from_second) const {
  int hour = from_second / 3600;
  int minute = from_second / 60 % 60;
  int second = from_second % 60;
  while (hour < 24) {
    const int h = next_bit(hours_, hour, 23);
    if (h < 0) return std::nullopt;
    if (h != hour) {
      hour = h;
      minute = 0;
      second = 0;
    }
    const int m = next_bit(minutes_, minute, 59);
    if (m < 0) {
      ++hour;
      minute = 0;
      second = 0;
      continue;
    }
    if (m != minute) {
      minute = m;
      second = 0;
    }
    if (const int s = next_bit(seconds_, second, 59); s >= 0) return hour * 3600 + minute * 60 + s;
    ++minute;
    second = 0;
  }
  return std::nullopt;
}

std::optional<std::int64_t> CronExpression::next_local_match(std::int64_t from_local, int last_year) const {
  date::local_days day = day_of(from_local);
  int from_second = static_cast<int>(from_local - seconds_of(day));
  while (true) {
    const date::year_month_day ymd{day};
    if (static_cast<int>(ymd.year()) > last_year) return std::nullopt;
    const auto month = static_cast<unsigned>(ymd.month());
    if (!has_bit(months_, month)) {
      const int next = next_bit(months_, static_cast<int>(month) + 1, 12);
      const date::year year = next > 0 ? ymd.year() : ymd.year() + date::years{1};
      const int first_month = next > 0 ? next : next_bit(months_, 1, 12);
      day = date::local_days{year / date::month{static_cast<unsigned>(first_month)} / 1};
      from_second = 0;
      continue;
    }
    if (day_matches(static_cast<unsigned>(ymd.day()), date::weekday{day}.c_encoding())) {
      if (const auto time = next_time_of_day(from_second)) return seconds_of(day) + *time;
    }
    day += date::days{1};
    from_second = 0;
  }
}

std::optional<std::int64_t> CronExpression::next_after(std::int64_t after_micros, std::string_view time_zone) const {
  const date::time_zone* zone = find_zone(time_zone);
  // Fire times are whole seconds: the first one after `after_micros` is its floor plus one.
  std::int64_t start = after_micros / kMicrosPerSecond;
  if (after_micros % kMicrosPerSecond < 0) --start;
  ++start;
  if (start < kFirstSecond || start > kLastSecond) return std::nullopt;

  const auto start_time = date::sys_seconds{std::chrono::seconds{start}};
  std::int64_t local = zone ? zone->to_local(start_time).time_since_epoch().count() : start;
  const int last_year =
      std::min(static_cast<int>(date::year_month_day{day_of(local)}.year()) + kSearchYears, kLastYear);
  // `local` grows on every pass and next_local_match stops at last_year, so this ends.
  while (true) {
    const auto candidate = next_local_match(local, last_year);
    if (!candidate) return std::nullopt;
    if (!zone) return *candidate * kMicrosPerSecond;
    const auto info = zone->get_info(date::local_seconds{std::chrono::seconds{*candidate}});
    if (info.result == date::local_info::nonexistent) {
      local = (info.second.begin.time_since_epoch() + info.second.offset).count();
      continue;
    }
    const std::int64_t utc = *candidate - info.first.offset.count();
    if (utc > kLastSecond) return std::nullopt;  // west of UTC, the last local day of 9999 ends in UTC's 10000
    if (utc >= start) return utc * kMicrosPerSecond;
    // A repeated time whose first occurrence is already past has fired: skip the rest of the repeated span.
    local = info.result == date::local_info::ambiguous ? (info.first.end.time_since_epoch() + info.first.offset).count()
                                                       : *candidate + 1;
  }
}

bool is_valid_time_zone(std::string_view time_zone) noexcept {
  if (time_zone == "UTC") return true;
  try {
    return date::locate_zone(time_zone) != nullptr;
  } catch (...) {
    return false;
  }
}

}  // namespace tyto
