-- Body-measurement captures (docs/products/captures.md). Every row belongs to a tenant; a capture and
-- everything made from it belong to the user who captured it, and go when that user is deleted.

-- What each user agreed to, per tenant: keeping the raw photos past processing, and using approved
-- measurements of theirs for training data.
CREATE TABLE captures_consents (
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  store_images INTEGER NOT NULL DEFAULT 0,
  training INTEGER NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE captures (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  source TEXT NOT NULL,            -- photos (measured here) or client (metrics measured on the device)
  status TEXT NOT NULL,            -- queued, processing, completed, failed, edited, approved
  store_images INTEGER NOT NULL,   -- the raw photos are kept past processing (the user's consent)
  images TEXT NOT NULL,            -- JSON: {"front": object_id, "side": …, "portrait": …, "ref": …}
  capture_meta TEXT NOT NULL,      -- JSON: what the client said about the capture (device, height typed, …)
  job_id TEXT,
  error TEXT,                      -- JSON {code, message} of a failed capture
  overall_confidence DOUBLE PRECISION,
  needs_review INTEGER NOT NULL DEFAULT 0,
  training_queued INTEGER NOT NULL DEFAULT 0,
  images_deleted_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  completed_at BIGINT
);
CREATE INDEX captures_tenant_idx ON captures (tenant_id, id);
CREATE INDEX captures_user_idx ON captures (user_id, id);
CREATE INDEX captures_status_idx ON captures (tenant_id, status, id);

-- Each measuring run's results, immutable: version 1 from the photos (or the client), later versions from
-- manual keypoint corrections. The current figures are the latest run with the approved-or-pending edits on top.
CREATE TABLE captures_metrics (
  capture_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  tenant_id TEXT NOT NULL,
  origin TEXT NOT NULL,            -- pipeline, client, manual_adjust
  results TEXT NOT NULL,           -- JSON: metrics, skin, shape, quality, calibration, model_versions
  created_by TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (capture_id, version)
);

-- Derived images kept with the metrics (silhouettes, the annotated photo) and the raw photos while kept.
CREATE TABLE captures_artifacts (
  capture_id TEXT NOT NULL,
  kind TEXT NOT NULL,              -- front_mask, side_mask, annotated_front, …
  tenant_id TEXT NOT NULL,
  object_id TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (capture_id, kind)
);

-- A user's edit of measurements: the original stays; status pending until a tailor or an admin decides.
CREATE TABLE captures_adjustments (
  id TEXT PRIMARY KEY NOT NULL,
  capture_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  changes TEXT NOT NULL,           -- JSON: {"waist": {"from": 81.2, "to": 79.0}, …} in cm
  note TEXT NOT NULL,
  status TEXT NOT NULL,            -- pending, approved, rejected
  decided_by TEXT,
  decided_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX captures_adjustments_capture_idx ON captures_adjustments (capture_id, created_at);

-- A labeler's ground truth for a capture (measured by hand, keypoints, quality flags).
CREATE TABLE captures_labels (
  id TEXT PRIMARY KEY NOT NULL,
  capture_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL,
  labeler_id TEXT,
  labels TEXT NOT NULL,            -- JSON
  created_at BIGINT NOT NULL
);
CREATE INDEX captures_labels_capture_idx ON captures_labels (capture_id, created_at);

-- A partner's batch of customer measurements, each row checked by the plausibility rules.
CREATE TABLE captures_batches (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  partner_id TEXT NOT NULL,
  format TEXT NOT NULL,            -- csv or json
  rows_total INTEGER NOT NULL,
  rows_accepted INTEGER NOT NULL,
  rows_refused INTEGER NOT NULL,
  rows TEXT NOT NULL,              -- JSON: [{row, external_id, measurements, errors}]
  created_at BIGINT NOT NULL
);
CREATE INDEX captures_batches_partner_idx ON captures_batches (tenant_id, partner_id, id);

-- Export files made (PDF sheets, CSV, training archives), each an object of purpose export.
CREATE TABLE captures_exports (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  kind TEXT NOT NULL,              -- pdf, csv, batch_csv, training
  capture_id TEXT,
  batch_id TEXT,
  object_id TEXT NOT NULL,
  created_by TEXT,
  partner_id TEXT,                 -- the partner the export was made for (its creator, when a partner)
  version INTEGER,                 -- training archives: their format version
  created_at BIGINT NOT NULL
);
CREATE INDEX captures_exports_tenant_idx ON captures_exports (tenant_id, id);
CREATE INDEX captures_exports_capture_idx ON captures_exports (capture_id);
