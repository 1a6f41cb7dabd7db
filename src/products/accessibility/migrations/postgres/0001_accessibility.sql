-- The accessibility auditor (PostgreSQL): projects (a site's scans, with a schedule), scans (one job each) and their issues.
CREATE TABLE accessibility_projects (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  url TEXT NOT NULL,             -- the page a scheduled scan scans
  settings TEXT NOT NULL,        -- JSON: viewport, tags, rules, actions, wait_ms, cookies, headers for its scans
  schedule TEXT NOT NULL,        -- manual, daily, weekly or a cron expression
  schedule_id TEXT,              -- the platform schedule that runs it
  created_by TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX accessibility_projects_tenant_idx ON accessibility_projects (tenant_id, id);
CREATE INDEX accessibility_projects_creator_idx ON accessibility_projects (created_by);

CREATE TABLE accessibility_scans (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  project_id TEXT,               -- the project it belongs to (kept when the project is deleted: set null)
  url TEXT NOT NULL,             -- the page, or "upload:<dom object id>" for a scan of uploaded artifacts
  request TEXT NOT NULL,         -- JSON as requested
  job_id TEXT,
  state TEXT NOT NULL,           -- queued, running, succeeded, failed
  score BIGINT,
  summary TEXT,                  -- JSON: counts by rule, impact and status, passes, refused requests
  screenshot_object_id TEXT,
  issue_count BIGINT NOT NULL DEFAULT 0,
  error TEXT,
  created_by TEXT,
  created_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX accessibility_scans_tenant_idx ON accessibility_scans (tenant_id, id);
CREATE INDEX accessibility_scans_project_idx ON accessibility_scans (tenant_id, project_id, id);
CREATE INDEX accessibility_scans_day_idx ON accessibility_scans (tenant_id, created_at);
CREATE INDEX accessibility_scans_job_idx ON accessibility_scans (tenant_id, job_id);
CREATE INDEX accessibility_scans_creator_idx ON accessibility_scans (created_by);

CREATE TABLE accessibility_issues (
  tenant_id TEXT NOT NULL,
  scan_id TEXT NOT NULL REFERENCES accessibility_scans (id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,           -- the order it was found in, from 1
  rule TEXT NOT NULL,
  source TEXT NOT NULL,          -- axe or tyto
  impact TEXT NOT NULL,
  status TEXT NOT NULL,          -- violation or needs_review
  selector TEXT NOT NULL,
  body TEXT NOT NULL,            -- the issue as the API answers it (JSON)
  PRIMARY KEY (scan_id, seq)
);
CREATE INDEX accessibility_issues_tenant_idx ON accessibility_issues (tenant_id, scan_id, seq);
