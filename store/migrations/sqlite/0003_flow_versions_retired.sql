-- A retired flow version receives no new cases; cases running on it finish
-- on it. NULL: not retired.
ALTER TABLE flow_versions ADD COLUMN retired_at INTEGER;
