-- Brand protection: a tenant's brands (what to look for) and their reference images (what copies look like).
CREATE TABLE brand_protection_brands (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  name TEXT NOT NULL,
  settings TEXT NOT NULL,      -- JSON: aliases, misspellings, fraud terms, keywords, categories, price band,
                               -- weights, thresholds, scan provider (docs/products/brand-protection.md)
  schedule TEXT NOT NULL,      -- manual, daily, weekly or a cron expression
  schedule_id TEXT,            -- the platform schedule that runs the scans, unless manual
  created_by TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX brand_protection_brands_name_idx ON brand_protection_brands (tenant_id, name);
CREATE INDEX brand_protection_brands_creator_idx ON brand_protection_brands (created_by);

CREATE TABLE brand_protection_images (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  brand_id TEXT NOT NULL REFERENCES brand_protection_brands (id) ON DELETE CASCADE,
  object_id TEXT NOT NULL,
  object_owner_id TEXT,        -- whose object it is: erasing that user erases the object, and so this row
  sha256 TEXT NOT NULL,
  state TEXT NOT NULL,         -- pending, hashed, failed
  hashes TEXT,                 -- JSON, once hashed
  error TEXT,
  job_id TEXT,
  created_by TEXT,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX brand_protection_images_object_idx ON brand_protection_images (brand_id, object_id);
CREATE INDEX brand_protection_images_tenant_idx ON brand_protection_images (tenant_id, brand_id, id);
CREATE INDEX brand_protection_images_owner_idx ON brand_protection_images (object_owner_id);
