-- Identity and tenancy: tenants, users, memberships with roles, invitations, API keys, refresh tokens
-- and the append-only audit log. Keep equivalent to migrations/sqlite/0003_identity.sql.
-- Times: BIGINT microseconds (UTC). Secrets are never stored: only SHA-256 hashes (API keys, refresh
-- tokens, invitations) and argon2id PHC strings (passwords).

CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,                 -- a slug: [a-z0-9][a-z0-9-]*
  display_name TEXT NOT NULL,
  limits TEXT NOT NULL DEFAULT '{}',         -- JSON: per-tenant overrides of the limits.* config
  created_at BIGINT NOT NULL
);

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,                -- lowercased
  password_hash TEXT NOT NULL,               -- argon2id, PHC string
  display_name TEXT NOT NULL DEFAULT '',
  superadmin BOOLEAN NOT NULL DEFAULT FALSE,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL,
  last_login_at BIGINT
);

CREATE TABLE memberships (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, tenant_id)
);
CREATE INDEX memberships_tenant_idx ON memberships (tenant_id);

CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  role TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_by TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  accepted_at BIGINT
);
CREATE INDEX invitations_tenant_idx ON invitations (tenant_id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL UNIQUE,               -- lookup_prefix(): 8 characters after "tyto_"
  key_hash TEXT NOT NULL,
  role TEXT NOT NULL,
  created_by TEXT,                           -- user id; null for keys made by the CLI
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  expires_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

-- One row per refresh token ever issued. A family is one login; using a token marks it used and
-- issues the next. Presenting a used token again revokes the whole family (theft detection).
CREATE TABLE refresh_tokens (
  id TEXT PRIMARY KEY,
  family_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  tenant_id TEXT NOT NULL,
  prefix TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX refresh_tokens_prefix_idx ON refresh_tokens (prefix);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

-- Append-only: nothing updates or deletes these rows (a deleted user's entries stay).
CREATE TABLE audit_logs (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id TEXT,                            -- null for platform-level events (a login that failed)
  actor TEXT NOT NULL,                       -- "user:<id>", "api_key:<id>", "system", "anonymous"
  action TEXT NOT NULL,                      -- "auth.login", "api_key.create", "object.download", …
  resource TEXT NOT NULL DEFAULT '',         -- "user:<id>", "object:<id>", …
  ip TEXT NOT NULL DEFAULT '',
  request_id TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL DEFAULT '{}',       -- JSON
  created_at BIGINT NOT NULL
);
CREATE INDEX audit_logs_tenant_idx ON audit_logs (tenant_id, id);

-- Who submitted a job, for per-user export and deletion; quotas count a tenant's jobs by state.
ALTER TABLE jobs ADD COLUMN created_by TEXT;
CREATE INDEX jobs_created_by_idx ON jobs (created_by);
CREATE INDEX jobs_tenant_state_idx ON jobs (tenant_id, state);
