-- Assignment, second slice (issue 19, decision 0036): a task keeps how it
-- is assigned (its spec), the rule that assigned it, when an offer not
-- started goes back to the pool, who let it pass, and how often it moved;
-- a person's notification preferences; the notifications, kept in the app
-- and delivered by an outbox.
ALTER TABLE tasks ADD COLUMN assign_spec TEXT;
ALTER TABLE tasks ADD COLUMN assign_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN offer_due INTEGER;
ALTER TABLE tasks ADD COLUMN passed_over TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tasks ADD COLUMN reassignments INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tasks_waiting_assignment ON tasks (department, sla_due, opened_at, id)
    WHERE status = 'open' AND assignee IS NULL AND assign_spec IS NOT NULL;
CREATE INDEX tasks_offers ON tasks (offer_due) WHERE status = 'open' AND offer_due IS NOT NULL;
ALTER TABLE people ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN webhook_url TEXT NOT NULL DEFAULT '';
ALTER TABLE people ADD COLUMN notify_by TEXT NOT NULL DEFAULT '[]';
CREATE TABLE notifications (
    id              TEXT    PRIMARY KEY,
    actor_id        TEXT    NOT NULL REFERENCES actors (id),
    kind            TEXT    NOT NULL,
    task_id         TEXT    NOT NULL DEFAULT '',
    case_id         TEXT    NOT NULL DEFAULT '',
    details         TEXT    NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL,
    read_at         INTEGER,
    delivery        TEXT    NOT NULL DEFAULT 'pending',
    sent            TEXT    NOT NULL DEFAULT '[]',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    last_error      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX notifications_by_actor ON notifications (actor_id, created_at DESC, id DESC);
CREATE INDEX notifications_due ON notifications (created_at) WHERE delivery = 'pending';
