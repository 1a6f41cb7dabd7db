// Cron schedules: a pipeline and input enqueued at the fire times of a 5-field cron expression
// (6 fields with seconds, an extension for fast schedules and tests) in an IANA time zone.
//
// Fires exactly once per fire time across instances: firing is a compare-and-set of the schedule's
// next_fire_at (UPDATE … WHERE next_fire_at = <the time being fired>) in the same transaction as
// the job's insert, and the job carries the unique key "schedule:<id>:<fire time>". An instance
// that loses the race changes nothing. Fire times missed while no instance ran are fired once (the
// job runs late), then the schedule continues from now. Jobs go through the JobSubmitter: a fire time
// at which the tenant is over a job quota, or whose pipeline no longer exists, is skipped (a "skipped"
// event on the schedule's topic says why), not queued up for later.
#pragma once

#include "tyto/jobs/job_store.hpp"
#include "tyto/jobs/submitter.hpp"
#include "tyto/pipeline/pipeline.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tyto::jobs {

struct Schedule {
  std::string id;
  std::string tenant_id;
  std::string name;
  std::string pipeline;
  nlohmann::json input;
  std::string cron;
  std::string timezone = "UTC";
  bool enabled = true;
  std::optional<std::int64_t> next_fire_at;
  std::optional<std::int64_t> last_fired_at;
  std::optional<std::string> last_job_id;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;

  nlohmann::json to_json() const;
};

class ScheduleStore {
 public:
  ScheduleStore(JobStore& jobs, JobSubmitter& submitter) : jobs_(jobs), submitter_(submitter) {}

  // Validates cron and time zone (Error kValidationFailed naming the field), computes the first fire time.
  Schedule create(Schedule s);
  std::vector<Schedule> list(std::string_view tenant_id);
  std::optional<Schedule> get(std::string_view tenant_id, std::string_view id);
  bool remove(std::string_view tenant_id, std::string_view id);

  // Fires every due schedule (see the file comment). Returns the jobs enqueued by this call.
  std::vector<Job> fire_due(std::int64_t now_micros);

 private:
  JobStore& jobs_;
  JobSubmitter& submitter_;
};

// Calls fire_due on a timer, on its own thread, and wakes the runner when it enqueued.
class Scheduler {
 public:
  using WakeFn = std::function<void()>;
  Scheduler(ScheduleStore& store, std::chrono::milliseconds tick, WakeFn wake);
  ~Scheduler();
  void start();
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tyto::jobs
