// The jobs API: jobs, pipelines, and their event streams (WebSocket and server-sent events).
#pragma once

#include "tyto/api/streams.hpp"
#include "tyto/events/events.hpp"
#include "tyto/http/router.hpp"
#include "tyto/jobs/job_store.hpp"
#include "tyto/jobs/runner.hpp"
#include "tyto/jobs/scheduler.hpp"
#include "tyto/jobs/submitter.hpp"

#include <chrono>
#include <functional>

namespace tyto::api {

struct JobsDeps {
  jobs::JobStore& store;
  jobs::JobSubmitter& submitter;  // every enqueue: quotas, the insert, the runner's wake-up
  jobs::Runner& runner;           // told about cancels
  const jobs::Runner::Pipelines& pipelines;
  events::Events& events;
  metrics::Registry& registry;
  jobs::ScheduleStore& schedules;
  Streams& streams;  // the job streams' routes, bounded like every other stream
};

// POST/GET /api/v1/jobs, POST /api/v1/jobs/batch, GET /api/v1/jobs/{id}, POST …/cancel, …/retry,
// GET /api/v1/jobs/{id}/events (SSE), GET /api/v1/pipelines, WS /ws/jobs/{id}, WS /ws/events,
// POST/GET /api/v1/schedules, GET/DELETE /api/v1/schedules/{id}.
void add_jobs_routes(http::Router& router, JobsDeps deps);

}  // namespace tyto::api
