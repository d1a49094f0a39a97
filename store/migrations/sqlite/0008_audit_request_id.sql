-- The API request that wrote an audit entry (its X-Request-Id; empty for
-- entries the workflows write), and indexes for the filters of the audit
-- list (GET /api/v1/audit, newest first by id) and of the token list.
ALTER TABLE audit ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_actor_idx ON audit (actor, id);
CREATE INDEX audit_action_idx ON audit (action, id);
CREATE INDEX audit_at_idx ON audit (at, id);

CREATE INDEX tokens_created_idx ON tokens (created_at DESC, id DESC);
CREATE INDEX tokens_actor_created_idx ON tokens (actor_id, created_at DESC, id DESC);
