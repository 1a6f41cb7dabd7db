-- Stored objects and the uploads that create them. Keep equivalent to migrations/sqlite/0004_objects.sql.
-- Times: BIGINT microseconds (UTC). The bytes live in the object store; a row names them by bucket and key.

CREATE TABLE objects (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  owner_id TEXT,                             -- the uploading user; null for an API key made without a user
  bucket TEXT NOT NULL,                      -- "local" or the S3 bucket
  key TEXT NOT NULL,                         -- tenants/<tenant>/objects/<id>
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,                      -- lowercase hex of the stored bytes
  content_type TEXT NOT NULL,                -- as sniffed from the bytes
  purpose TEXT NOT NULL,                     -- image, video, audio, document, capture, reference, export
  filename TEXT NOT NULL,                    -- as the client named it; never used as a path
  retention_until BIGINT,                    -- deleted by the retention sweep after this; null: kept
  created_at BIGINT NOT NULL
);
CREATE INDEX objects_tenant_idx ON objects (tenant_id, id);
CREATE INDEX objects_owner_idx ON objects (owner_id, id);
CREATE INDEX objects_retention_idx ON objects (retention_until) WHERE retention_until IS NOT NULL;

CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  owner_id TEXT,
  purpose TEXT NOT NULL,
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,                -- declared; the upload URL signs it
  size BIGINT NOT NULL,                      -- declared
  sha256 TEXT,                               -- declared, optional
  retention_hours INTEGER,                   -- decided at creation (purpose, config, keep); null: kept
  key TEXT NOT NULL,                         -- S3: where the presigned PUT lands; local: informational
  state TEXT NOT NULL CHECK (state IN ('pending', 'completed', 'failed')),
  received BIGINT NOT NULL DEFAULT 0,        -- bytes durably received (local store)
  expires_at BIGINT NOT NULL,                -- a pending upload is swept after this
  created_at BIGINT NOT NULL,
  object_id TEXT                             -- set once completed
);
CREATE INDEX uploads_tenant_idx ON uploads (tenant_id, id);
CREATE INDEX uploads_owner_idx ON uploads (owner_id);
CREATE INDEX uploads_expiry_idx ON uploads (expires_at) WHERE state = 'pending';
