-- The example product's one table: notes, each rendered by a job into a text artifact.
CREATE TABLE example_notes (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  owner_id TEXT,
  text TEXT NOT NULL,
  job_id TEXT,
  artifact_id TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX example_notes_tenant_idx ON example_notes (tenant_id, id);
CREATE INDEX example_notes_owner_idx ON example_notes (owner_id);
