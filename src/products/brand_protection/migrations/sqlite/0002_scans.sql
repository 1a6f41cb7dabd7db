-- Brand protection: scans (one job each) and the listings they found, kept across rescans.
CREATE TABLE brand_protection_scans (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  brand_id TEXT NOT NULL REFERENCES brand_protection_brands (id) ON DELETE CASCADE,
  provider TEXT NOT NULL,        -- "demo", "file" or "http_json"
  provider_spec TEXT NOT NULL,   -- JSON as requested; never answered (an http_json spec may hold an API key)
  query TEXT NOT NULL,
  job_id TEXT,
  state TEXT NOT NULL,           -- queued, running, succeeded, failed
  listings_found BIGINT NOT NULL DEFAULT 0,
  listings_done BIGINT NOT NULL DEFAULT 0,
  listings_failed BIGINT NOT NULL DEFAULT 0,
  flagged BIGINT NOT NULL DEFAULT 0,
  error TEXT,
  created_by TEXT,
  created_at BIGINT NOT NULL,
  finished_at BIGINT
);
CREATE INDEX brand_protection_scans_brand_idx ON brand_protection_scans (tenant_id, brand_id, id);
CREATE INDEX brand_protection_scans_day_idx ON brand_protection_scans (tenant_id, created_at);

CREATE TABLE brand_protection_listings (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  brand_id TEXT NOT NULL REFERENCES brand_protection_brands (id) ON DELETE CASCADE,
  scan_id TEXT NOT NULL,         -- the latest scan that saw it
  provider TEXT NOT NULL,
  provider_listing_id TEXT NOT NULL,
  title TEXT NOT NULL,
  seller TEXT NOT NULL,
  price DOUBLE PRECISION,
  currency TEXT NOT NULL,
  url TEXT NOT NULL,
  image_url TEXT NOT NULL,
  probability DOUBLE PRECISION,  -- null when the listing failed
  signals TEXT,                  -- JSON: each signal's value and contribution
  matched_image_id TEXT,
  evidence_object_id TEXT,       -- the listing's picture as fetched
  snapshot_object_id TEXT,       -- the listing as the provider answered, and its score (JSON)
  error TEXT,
  review_status TEXT NOT NULL,   -- pending, confirmed, dismissed
  review_note TEXT,
  reviewed_by TEXT,
  reviewed_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX brand_protection_listings_key_idx
  ON brand_protection_listings (tenant_id, brand_id, provider, provider_listing_id);
CREATE INDEX brand_protection_listings_scan_idx ON brand_protection_listings (tenant_id, scan_id, probability);
CREATE INDEX brand_protection_listings_reviewer_idx ON brand_protection_listings (reviewed_by);
