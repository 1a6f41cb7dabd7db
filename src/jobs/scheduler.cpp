#include "tyto/jobs/scheduler.hpp"

#include "tyto/core/cron.hpp"
#include "tyto/core/error.hpp"
#include "tyto/core/ids.hpp"
#include "tyto/core/logging.hpp"
#include "tyto/core/periodic.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

namespace tyto::jobs {
namespace {

using nlohmann::json;
using storage::Row;

constexpr std::string_view kColumns =
    "id, tenant_id, name, pipeline, input, cron, timezone, enabled, next_fire_at, last_fired_at, last_job_id, "
    "created_at, updated_at";

Schedule from_row(const Row& r) {
  Schedule s;
  s.id = r.get<std::string>(0);
  s.tenant_id = r.get<std::string>(1);
  s.name = r.get_optional<std::string>(2).value_or("");
  s.pipeline = r.get<std::string>(3);
  s.input = json::parse(r.get<std::string>(4));
  s.cron = r.get<std::string>(5);
  s.timezone = r.get<std::string>(6);
  s.enabled = r.get<bool>(7);
  s.next_fire_at = r.get_optional<std::int64_t>(8);
  s.last_fired_at = r.get_optional<std::int64_t>(9);
  s.last_job_id = r.get_optional<std::string>(10);
  s.created_at = r.get<std::int64_t>(11);
  s.updated_at = r.get<std::int64_t>(12);
  return s;
}

const std::string kInsert = fmt::format(
    "INSERT INTO schedules ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, $10, $10) RETURNING {}",
    kColumns, kColumns);
const std::string kList = fmt::format("SELECT {} FROM schedules WHERE tenant_id = $1 ORDER BY id LIMIT 1000", kColumns);
const std::string kGet = fmt::format("SELECT {} FROM schedules WHERE tenant_id = $1 AND id = $2", kColumns);
constexpr std::string_view kDelete = "DELETE FROM schedules WHERE tenant_id = $1 AND id = $2";
const std::string kDue = fmt::format(
    "SELECT {} FROM schedules WHERE enabled AND next_fire_at IS NOT NULL AND next_fire_at <= $1 "
    "ORDER BY next_fire_at LIMIT 100",
    kColumns);
constexpr std::string_view kAdvance =
    "UPDATE schedules SET next_fire_at = $3, last_fired_at = $2, last_job_id = $4, updated_at = $5 "
    "WHERE id = $1 AND next_fire_at = $2";

std::optional<std::int64_t> next_fire(const std::string& cron, const std::string& tz, std::int64_t after) {
  return CronExpression::parse(cron).next_after(after, tz);
}

}  // namespace

json Schedule::to_json() const {
  auto time = [](const std::optional<std::int64_t>& t) -> json { return t ? json(format_rfc3339(*t)) : json(nullptr); };
  return {{"id", id},
          {"name", name},
          {"pipeline", pipeline},
          {"input", input},
          {"cron", cron},
          {"timezone", timezone},
          {"enabled", enabled},
          {"next_fire_at", time(next_fire_at)},
          {"last_fired_at", time(last_fired_at)},
          {"last_job_id", last_job_id ? json(*last_job_id) : json(nullptr)},
          {"created_at", format_rfc3339(created_at)},
          {"updated_at", format_rfc3339(updated_at)}};
}

Schedule ScheduleStore::create(Schedule s) {
  json fields = json::object();
  std::optional<std::int64_t> first;
  try {
    CronExpression::parse(s.cron);
  } catch (const Error& e) {
    fields["cron"] = e.what();
  }
  if (!is_valid_time_zone(s.timezone)) fields["timezone"] = "not a known IANA time zone, e.g. Europe/Berlin";
  if (fields.empty()) {
    first = next_fire(s.cron, s.timezone, now_micros());
    if (!first) fields["cron"] = "never fires";
  }
  if (!fields.empty()) throw validation_error("invalid schedule", fields);
  const auto now = now_micros();
  auto row = jobs_.db().query_one(kInsert, {new_uuid_v7(), s.tenant_id, s.name, s.pipeline, s.input.dump(), s.cron,
                                            s.timezone, s.enabled, s.enabled ? first : std::nullopt, now});
  return from_row(*row);
}

std::vector<Schedule> ScheduleStore::list(std::string_view tenant_id) {
  std::vector<Schedule> out;
  for (const auto& r : jobs_.db().query(kList, {tenant_id}).rows) out.push_back(from_row(r));
  return out;
}

std::optional<Schedule> ScheduleStore::get(std::string_view tenant_id, std::string_view id) {
  if (auto row = jobs_.db().query_one(kGet, {tenant_id, id})) return from_row(*row);
  return std::nullopt;
}

bool ScheduleStore::remove(std::string_view tenant_id, std::string_view id) {
  return jobs_.db().execute(kDelete, {tenant_id, id}) > 0;
}

std::vector<Job> ScheduleStore::fire_due(std::int64_t now) {
  std::vector<Job> fired;
  for (const auto& r : jobs_.db().query(kDue, {now}).rows) {
    const Schedule s = from_row(r);
    const std::int64_t fire_at = *s.next_fire_at;
    std::optional<std::int64_t> next;
    try {
      next = next_fire(s.cron, s.timezone, std::max(now, fire_at));
    } catch (const std::exception& e) {
      log::warn("schedule cannot compute its next fire time; disabled", {{"schedule_id", s.id}, {"error", e.what()}});
    }
    auto tx = jobs_.db().begin();
    std::vector<events::NewEvent> pending;
    std::optional<EnqueueResult> result;
    try {
      JobSpec spec = submitter_.spec(s.pipeline, s.tenant_id, s.input);
      spec.unique_key = fmt::format("schedule:{}:{}", s.id, fire_at);
      result = submitter_.submit_in(*tx, {spec}, pending).front();
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kQuotaExceeded && e.code() != ErrorCode::kNotFound) throw;
      pending.push_back(
          {s.tenant_id, "schedule:" + s.id, "skipped", {{"fire_at", format_rfc3339(fire_at)}, {"reason", e.what()}}});
    }
    const auto last_job_id = result ? std::optional(result->job.id) : s.last_job_id;
    if (tx->execute(kAdvance, {s.id, fire_at, next, last_job_id, now}) != 1) continue;  // another instance fired it
    if (result) {
      pending.push_back({s.tenant_id,
                         "schedule:" + s.id,
                         "fired",
                         {{"job_id", result->job.id}, {"fire_at", format_rfc3339(fire_at)}}});
    }
    jobs_.events().commit(*tx, pending);
    if (result && result->outcome == EnqueueResult::Outcome::kCreated) fired.push_back(result->job);
  }
  return fired;
}

class Scheduler::Impl {
 public:
  Impl(ScheduleStore& store, std::chrono::milliseconds tick, WakeFn wake)
      : thread_("scheduler", tick, [&store, wake = std::move(wake)] {
          if (!store.fire_due(now_micros()).empty() && wake) wake();
        }) {}
  void start() { thread_.start(); }
  void stop() { thread_.stop(); }

 private:
  PeriodicThread thread_;
};

Scheduler::Scheduler(ScheduleStore& store, std::chrono::milliseconds tick, WakeFn wake)
    : impl_(std::make_unique<Impl>(store, tick, std::move(wake))) {}
Scheduler::~Scheduler() = default;
void Scheduler::start() { impl_->start(); }
void Scheduler::stop() { impl_->stop(); }

}  // namespace tyto::jobs
