-- Why flowlab marked a case failed (its workflow ended unexpectedly), how
-- often it was restarted, and the event budget it used (decision 0022).
ALTER TABLE cases ADD COLUMN failure_reason TEXT;
ALTER TABLE cases ADD COLUMN restarts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN event_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN event_bytes INTEGER NOT NULL DEFAULT 0;
