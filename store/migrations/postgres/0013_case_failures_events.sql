-- Why flowlab marked a case failed (its workflow ended unexpectedly), how
-- often it was restarted, and the event budget it used (decision 0022).
ALTER TABLE cases ADD COLUMN failure_reason text;
ALTER TABLE cases ADD COLUMN restarts integer NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN event_count integer NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN event_bytes bigint NOT NULL DEFAULT 0;
