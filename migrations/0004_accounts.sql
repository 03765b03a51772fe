-- Accounts: what login throttling, keyset listings and project names need.

-- Failed logins per client address in a window (per account uses audit_logs_resource_time_idx).
CREATE INDEX audit_logs_action_ip_time_idx ON audit_logs (action, ip, occurred_at);
-- Admin listing of the audit trail, newest first, by keyset.
CREATE INDEX audit_logs_time_id_idx ON audit_logs (occurred_at DESC, id DESC);

-- Keyset pagination of users.
CREATE INDEX users_created_id_idx ON users (created_at, id);

-- A live project's name is unique for its owner; a deleted project's name can be used again.
CREATE UNIQUE INDEX projects_owner_name_key ON projects (owner_id, lower(btrim(name))) WHERE deleted_at IS NULL;
