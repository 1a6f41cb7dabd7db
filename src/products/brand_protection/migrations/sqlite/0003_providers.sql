-- Brand protection (SQLite): saved search providers with sealed API keys, and the limits that scans of
-- several instances share (request rates as token buckets, concurrent scans as leased slots).
CREATE TABLE brand_protection_providers (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  spec TEXT NOT NULL,             -- the provider spec (JSON) without its api_key
  api_key_sealed BLOB,            -- the API key, sealed with Services::secrets; never answered
  max_concurrent_scans INTEGER NOT NULL,
  created_by TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX brand_protection_providers_name_idx ON brand_protection_providers (tenant_id, name);
CREATE INDEX brand_protection_providers_creator_idx ON brand_protection_providers (created_by);

CREATE TABLE brand_protection_limits (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,              -- "provider:<id>", "origin:<scheme://host:port>", "tenant"
  tokens REAL NOT NULL,
  tokens_at INTEGER NOT NULL,      -- when tokens was last computed (µs)
  PRIMARY KEY (tenant_id, key)
);

CREATE TABLE brand_protection_scan_slots (
  tenant_id TEXT NOT NULL,
  key TEXT NOT NULL,
  scan_id TEXT NOT NULL,
  expires_at INTEGER NOT NULL,     -- a crashed instance's slot frees itself
  PRIMARY KEY (tenant_id, key, scan_id)
);
