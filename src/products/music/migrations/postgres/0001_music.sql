-- The music catalog (docs/products/music-catalog.md). Every row belongs to a tenant: a tenant is one
-- community's catalog, with its songs, maps, editors, karma and subscriptions.

-- Songs: a reference recording, its Chromaprint fingerprint (the catalog's index is built from these rows at
-- start and whenever another instance adds a song), and the map players get by default.
CREATE TABLE music_songs (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  title TEXT NOT NULL,
  artist TEXT NOT NULL,
  bpm DOUBLE PRECISION,
  duration_s DOUBLE PRECISION,
  object_id TEXT,                  -- the reference recording (an audio object)
  fingerprint TEXT,                -- Chromaprint's compressed form; NULL until fingerprinted
  fingerprint_hash TEXT,           -- sha256 of the raw fingerprint: the same audio, whatever its container
  canonical_map_id TEXT,           -- the verified map offered first
  status TEXT NOT NULL,            -- fingerprinting, ready, failed, archived
  job_id TEXT,
  error TEXT,                      -- JSON {code, message} of a failed fingerprint
  created_by TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX music_songs_tenant_idx ON music_songs (tenant_id, id);
CREATE INDEX music_songs_hash_idx ON music_songs (tenant_id, fingerprint_hash);
CREATE INDEX music_songs_updated_idx ON music_songs (tenant_id, updated_at);

-- Fingerprints by content: the same bytes are decoded and fingerprinted once per tenant, whichever instance
-- sees them first.
CREATE TABLE music_fingerprints (
  tenant_id TEXT NOT NULL,
  sha256 TEXT NOT NULL,            -- of the object's bytes
  fingerprint TEXT NOT NULL,
  fingerprint_hash TEXT NOT NULL,
  duration_s DOUBLE PRECISION NOT NULL,
  scan TEXT NOT NULL,              -- the antivirus verdict when it was fingerprinted: clean, not_scanned
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, sha256)
);

-- Lookups: an upload identified against the catalog. The matches of a fingerprint are kept with the catalog
-- generation they were found in, and reused while the catalog has not changed.
CREATE TABLE music_lookups (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  user_id TEXT,
  object_id TEXT NOT NULL,
  sha256 TEXT,
  job_id TEXT,
  status TEXT NOT NULL,            -- queued, completed, failed
  matches TEXT,                    -- JSON [{song_id, title, artist, score, offset_s}]
  offer TEXT,                      -- JSON {kind: map | generate, …}
  cached INTEGER NOT NULL DEFAULT 0,
  generation BIGINT,               -- the catalog generation the matches were found in
  fingerprint_hash TEXT,
  error TEXT,
  created_at BIGINT NOT NULL,
  completed_at BIGINT
);
CREATE INDEX music_lookups_user_idx ON music_lookups (tenant_id, user_id, created_at);
CREATE INDEX music_lookups_cache_idx ON music_lookups (tenant_id, fingerprint_hash, generation);

-- Maps: each version a row. A lineage (the first version's id) is one map of one song at one difficulty;
-- an approved edit adds the next version and archives the one before.
CREATE TABLE music_maps (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  song_id TEXT NOT NULL,
  lineage_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  difficulty TEXT NOT NULL,        -- expert, hard, medium, easy
  state TEXT NOT NULL,             -- generating, unverified, verified, archived, failed
  source TEXT NOT NULL,            -- generated, edit, ported
  object_id TEXT,                  -- the map file (JSON), stored at maps/{state}/{song}/{job or id}
  stem_object_id TEXT,             -- the percussive stem it was generated from
  job_id TEXT,
  base_map_id TEXT,                -- the version this one was made from
  edit_id TEXT,                    -- the approved edit that made it
  notes INTEGER NOT NULL DEFAULT 0,
  bpm DOUBLE PRECISION,
  metadata TEXT NOT NULL,          -- JSON: generator, progress, portability (offset_s, ratio) …
  error TEXT,
  created_by TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX music_maps_version_idx ON music_maps (lineage_id, version);
CREATE INDEX music_maps_song_idx ON music_maps (tenant_id, song_id, id);
CREATE INDEX music_maps_state_idx ON music_maps (state, created_at);

-- Edits: a JSON Patch (RFC 6902) against one map version, with the editor's note, decided by a verifier.
CREATE TABLE music_edits (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  map_id TEXT NOT NULL,            -- the version the patch was written against
  lineage_id TEXT NOT NULL,
  base_version INTEGER NOT NULL,
  user_id TEXT,
  patch TEXT NOT NULL,
  comment TEXT NOT NULL,
  status TEXT NOT NULL,            -- pending, approved, rejected, conflict, reverted
  applied_patch TEXT,              -- the patch as applied (rebased onto a newer version)
  conflicts TEXT,                  -- JSON [{path, reason}] when it could not be rebased
  decided_by TEXT,
  decision_comment TEXT,
  result_map_id TEXT,
  created_at BIGINT NOT NULL,
  decided_at BIGINT
);
CREATE INDEX music_edits_status_idx ON music_edits (tenant_id, status, id);
CREATE INDEX music_edits_map_idx ON music_edits (lineage_id, id);
CREATE INDEX music_edits_user_idx ON music_edits (user_id, id);

-- Karma: an append-only ledger (rules in docs/products/music-catalog.md). A reversal is a new entry that
-- names the entry it reverses; nothing is updated or deleted except by a user's erasure.
CREATE TABLE music_karma (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  delta INTEGER NOT NULL,
  reason TEXT NOT NULL,            -- fix_approved, verification, fix_rejected, generation_verified, reversal
  edit_id TEXT,
  map_id TEXT,
  reverses_id TEXT,
  created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX music_karma_once_idx ON music_karma (tenant_id, user_id, reason, edit_id);
CREATE INDEX music_karma_user_idx ON music_karma (tenant_id, user_id, id);

-- Members: what the catalog knows of a member beside the ledger: karma (the ledger's sum, recomputed with
-- each entry), the roles it earned, and whether it wants e-mail.
CREATE TABLE music_members (
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  karma INTEGER NOT NULL DEFAULT 0,
  earned_roles TEXT NOT NULL DEFAULT '[]',  -- JSON: roles granted because of karma (revoked when it falls)
  email_notifications INTEGER NOT NULL DEFAULT 1,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);

-- In-app notifications (also streamed, and sent by e-mail and webhook).
CREATE TABLE music_notifications (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  kind TEXT NOT NULL,              -- map.ready, edit.decided, karma.changed, role.changed, …
  data TEXT NOT NULL,
  read_at BIGINT,
  created_at BIGINT NOT NULL
);
CREATE INDEX music_notifications_user_idx ON music_notifications (tenant_id, user_id, id);

-- Billing: Stripe-compatible webhook events, kept once by id; subscriptions as their latest known state;
-- orders (checkouts, invoices).
CREATE TABLE music_billing_events (
  id TEXT PRIMARY KEY NOT NULL,    -- the provider's event id
  tenant_id TEXT NOT NULL,
  type TEXT NOT NULL,
  created BIGINT NOT NULL,         -- the provider's creation time (seconds)
  payload TEXT NOT NULL,
  status TEXT NOT NULL,            -- received, processed, ignored, failed
  job_id TEXT,
  received_at BIGINT NOT NULL,
  processed_at BIGINT
);
CREATE TABLE music_subscriptions (
  id TEXT PRIMARY KEY NOT NULL,    -- the provider's subscription id
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  customer TEXT,
  status TEXT NOT NULL,
  plan TEXT,                       -- the price's lookup key or id
  current_period_end BIGINT,
  event_created BIGINT NOT NULL,   -- the event this state came from: older events never overwrite it
  snapshot TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX music_subscriptions_user_idx ON music_subscriptions (tenant_id, user_id);
CREATE TABLE music_orders (
  id TEXT PRIMARY KEY NOT NULL,    -- the provider's checkout session or invoice id
  tenant_id TEXT NOT NULL,
  user_id TEXT,
  kind TEXT NOT NULL,              -- checkout, invoice
  status TEXT NOT NULL,
  amount BIGINT,
  currency TEXT,
  items TEXT NOT NULL,             -- JSON: bundles bought, prices
  created BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX music_orders_user_idx ON music_orders (tenant_id, user_id);
