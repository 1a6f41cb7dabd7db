-- Jobs, their persisted stage outputs, the append-only event log and cron schedules.
-- Keep equivalent to migrations/postgres/0002_jobs_events.sql. Times: BIGINT microseconds (UTC).

CREATE TABLE jobs (
  id TEXT NOT NULL PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  pipeline TEXT NOT NULL,
  pipeline_version INTEGER NOT NULL,
  input TEXT NOT NULL,                       -- JSON
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  priority INTEGER NOT NULL DEFAULT 0,       -- higher runs first
  run_at BIGINT NOT NULL,                    -- not claimed before this
  attempts INTEGER NOT NULL DEFAULT 0,       -- attempts started so far
  max_attempts INTEGER NOT NULL,
  lease_owner TEXT,                          -- the runner holding the job while running
  lease_until BIGINT,
  heartbeat_at BIGINT,
  timeout_s INTEGER,
  unique_key TEXT,
  idempotency_key TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  progress DOUBLE PRECISION NOT NULL DEFAULT 0,
  result TEXT,                               -- JSON
  error TEXT,                                -- JSON {code, message, retryable}
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT
);

-- Claiming: the next queued job by priority, then due time, then age.
CREATE INDEX jobs_claim_idx ON jobs (priority DESC, run_at, id) WHERE state = 'queued';
-- Rescue: running jobs by lease expiry.
CREATE INDEX jobs_lease_idx ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_tenant_created_idx ON jobs (tenant_id, id);
-- A unique key holds among unfinished jobs only: the database, not a check-then-insert, enforces it.
CREATE UNIQUE INDEX jobs_unique_key_idx ON jobs (tenant_id, unique_key)
  WHERE unique_key IS NOT NULL AND state IN ('queued', 'running');
CREATE UNIQUE INDEX jobs_idempotency_key_idx ON jobs (tenant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- The output of each finished stage, so a retried job resumes after its last finished stage.
CREATE TABLE job_stages (
  job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  stage TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  output TEXT NOT NULL,                      -- JSON
  started_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL,
  PRIMARY KEY (job_id, stage)
);

-- Append-only. The id is monotonic; streams resume after an id and never see one twice.
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant_id TEXT NOT NULL,
  topic TEXT NOT NULL,                       -- "job:<id>", …
  type TEXT NOT NULL,
  data TEXT NOT NULL,                        -- JSON
  created_at BIGINT NOT NULL
);
CREATE INDEX events_topic_idx ON events (topic, id);
CREATE INDEX events_created_idx ON events (created_at);

CREATE TABLE schedules (
  id TEXT NOT NULL PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  name TEXT,
  pipeline TEXT NOT NULL,
  input TEXT NOT NULL,                       -- JSON
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  enabled INTEGER NOT NULL DEFAULT 1,
  next_fire_at BIGINT,                       -- the fire time the scheduler will claim next
  last_fired_at BIGINT,
  last_job_id TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX schedules_due_idx ON schedules (next_fire_at) WHERE enabled = 1;
