-- Assignment (issue 19, decision 0035): a person's availability, capacity
-- and skills; a task's assignment time; each department's round-robin
-- position.
CREATE TABLE people (
    actor_id         TEXT    PRIMARY KEY REFERENCES actors (id),
    availability     TEXT    NOT NULL DEFAULT 'available',
    capacity         INTEGER NOT NULL DEFAULT 5,
    skills           TEXT    NOT NULL DEFAULT '[]',
    availability_at  INTEGER NOT NULL,
    last_assigned_at INTEGER
);
CREATE TABLE assignment_cursors (
    department TEXT PRIMARY KEY,
    last_actor TEXT NOT NULL
);
ALTER TABLE tasks ADD COLUMN assigned_at INTEGER;
CREATE INDEX tasks_open_by_assignee ON tasks (assignee) WHERE status = 'open';
