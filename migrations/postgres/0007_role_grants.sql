-- Product roles granted to members, beside their membership's role (a user who is also a tailor). Keep
-- equivalent to migrations/sqlite/0007_role_grants.sql. role is a product role's name as a product declares
-- it (auth/roles.hpp); a name the build no longer declares is ignored when read. Removing the membership
-- removes its grants.
CREATE TABLE role_grants (
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,
  granted_by TEXT,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, user_id, role),
  FOREIGN KEY (user_id, tenant_id) REFERENCES memberships (user_id, tenant_id) ON DELETE CASCADE
);
