-- The first schema: run-time settings and the server processes that share this database.
-- Times are BIGINT microseconds since the Unix epoch on both dialects; keep this file equivalent to
-- migrations/sqlite/0001_init.sql. Never edit it once landed: add 0002_… instead.

-- Settings changed at run time through the API, as opposed to the config file.
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- One row per `tyto serve` process; last_seen_at is its heartbeat, so stale rows show dead instances.
CREATE TABLE instances (
  id TEXT PRIMARY KEY,
  hostname TEXT NOT NULL,
  version TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL
);

CREATE INDEX instances_last_seen_at_idx ON instances (last_seen_at);
