-- A task span keeps when its task was assigned to the person who started
-- it, so the bottleneck report splits waiting into waiting for assignment
-- and assigned, waiting to start (issue 19, decision 0036). The rollups
-- gain the split (encoding version 2): they are built again from the
-- spans at this migration (span_rollups_backfill, decision 0017).
ALTER TABLE spans ADD COLUMN assigned_at timestamptz;
DELETE FROM span_rollups;
INSERT INTO span_rollups_backfill VALUES (true) ON CONFLICT (pending) DO NOTHING;
