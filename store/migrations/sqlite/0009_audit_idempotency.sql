-- An audit entry written by an activity carries an idempotency key (the
-- event it records, e.g. "task.escalate:<task>:<level>"), so a retried
-- activity appends it once. Entries without a key (NULL) are unaffected.
ALTER TABLE audit ADD COLUMN idempotency_key TEXT;
CREATE UNIQUE INDEX audit_idempotency_key_idx ON audit (idempotency_key);
