-- Assignment (issue 19, decision 0035): a person's availability, capacity
-- and skills; a task's assignment time; each department's round-robin
-- position.
CREATE TABLE people (
    actor_id         text        PRIMARY KEY REFERENCES actors (id),
    availability     text        NOT NULL DEFAULT 'available',
    capacity         integer     NOT NULL DEFAULT 5,
    skills           jsonb       NOT NULL DEFAULT '[]',
    availability_at  timestamptz NOT NULL,
    last_assigned_at timestamptz
);
CREATE TABLE assignment_cursors (
    department text PRIMARY KEY,
    last_actor text NOT NULL
);
ALTER TABLE tasks ADD COLUMN assigned_at timestamptz;
CREATE INDEX tasks_open_by_assignee ON tasks (assignee) WHERE status = 'open';
