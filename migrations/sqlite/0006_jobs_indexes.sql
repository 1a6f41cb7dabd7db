-- Narrower job indexes than 0003's. Keep equivalent to migrations/postgres/0006_jobs_indexes.sql.
-- jobs (tenant_id, state) held every job ever run and moved an entry on each state change (queued ->
-- running -> final): it cost the in-process queue about a third of its throughput on SQLite. Quotas only
-- count unfinished jobs, so only those are indexed. Per-user export and deletion look jobs up by
-- created_by, which jobs that no user submitted (CLI, schedules, the platform's own) leave null.
DROP INDEX jobs_tenant_state_idx;
DROP INDEX jobs_created_by_idx;
CREATE INDEX jobs_tenant_unfinished_idx ON jobs (tenant_id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_created_by_idx ON jobs (created_by) WHERE created_by IS NOT NULL;
