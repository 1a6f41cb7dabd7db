-- Webhooks: endpoints that tenants register, the outbox of deliveries and each delivery's attempts.
-- Keep equivalent to migrations/postgres/0005_webhooks.sql. Times: BIGINT microseconds (UTC).

CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY NOT NULL,
  tenant_id TEXT NOT NULL,
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT NOT NULL,                 -- JSON array: "job.succeeded", "job.*", "*", …
  secret_ciphertext BLOB NOT NULL,           -- nonce (24 bytes) + crypto_secretbox_easy(signing secret)
  active INTEGER NOT NULL DEFAULT 1,
  created_by TEXT,                           -- Principal::actor()
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_tenant_idx ON webhook_endpoints (tenant_id, id);

-- The outbox: one row per event and endpoint, written in the transaction of the change it reports;
-- a webhooks.deliver job (unique key "webhook:<id>") delivers it.
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY NOT NULL,              -- the Tyto-Delivery header, stable across retries
  tenant_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id TEXT NOT NULL,                    -- shared by the deliveries of one event
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,                     -- JSON: the event's data
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivering', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER,
  last_error TEXT,
  next_attempt_at BIGINT,
  created_at BIGINT NOT NULL,
  delivered_at BIGINT,
  job_id TEXT
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_tenant_idx ON webhook_deliveries (tenant_id, id);
-- The job hook finds a delivery by the job delivering it.
CREATE INDEX webhook_deliveries_job_idx ON webhook_deliveries (job_id);

CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER,                       -- null: no HTTP response (refused, unreachable, timeout)
  error TEXT,
  response_excerpt TEXT,                     -- at most 1 KiB of the response body
  PRIMARY KEY (delivery_id, attempt)
);
