-- The departments an actor leads (team lead): a subset of its departments,
-- whose claimed tasks it may release or reassign (decision 0023).
ALTER TABLE actors ADD COLUMN leads TEXT NOT NULL DEFAULT '[]';
