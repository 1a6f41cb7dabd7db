-- Live sessions: sources (a camera, a stream, an uploaded file, a browser's webcam) and sessions that run
-- detection, tracking and speech recognition on one source. A session's events are the platform's
-- events on the topic "live_session:<id>".
CREATE TABLE live_sources (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,            -- rtsp, http, upload, webcam
  name TEXT NOT NULL,
  url_sealed BYTEA,               -- the URL, sealed (it may carry a camera's password)
  url_shown TEXT,                -- the URL with its password replaced by ***, as answered
  object_id TEXT,                -- upload: the uploaded file
  options TEXT NOT NULL,         -- JSON: transport (tcp or udp) for rtsp
  created_by TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX live_sources_tenant_idx ON live_sources (tenant_id, id);
CREATE INDEX live_sources_creator_idx ON live_sources (created_by);

CREATE TABLE live_sessions (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  source_id TEXT NOT NULL,
  source_kind TEXT NOT NULL,
  settings TEXT NOT NULL,        -- JSON: pipelines, profile, zones, lines, models
  state TEXT NOT NULL,           -- queued, running, finished, stopped, failed
  profile TEXT NOT NULL,         -- the profile it runs at now (it steps down when it drops too many frames)
  job_id TEXT,                   -- rtsp, http and upload sources run as a job
  stats TEXT,                    -- JSON: the last metrics (fps in and out, latency, drops, source health)
  checkpoint TEXT,               -- JSON: the last frame whose events are stored, where a resumed session goes on
  stop_requested INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_by TEXT,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  ended_at BIGINT
);
CREATE INDEX live_sessions_tenant_idx ON live_sessions (tenant_id, id);
CREATE INDEX live_sessions_source_idx ON live_sessions (tenant_id, source_id);
CREATE INDEX live_sessions_creator_idx ON live_sessions (created_by);
