-- KPI alert rules (issue 21, decision 0040): a rule's definition (scope,
-- condition and notify as JSON, durations in nanoseconds), where it stands
-- (state, since when, its latest evaluation, an acknowledgement and a
-- silence) and its state changes, numbered per rule. flow mirrors
-- scope.flow for the listing by flow. The events go with their rule.
CREATE TABLE alert_rules (
    id              TEXT    PRIMARY KEY,
    name            TEXT    NOT NULL,
    metric          TEXT    NOT NULL,
    scope           TEXT    NOT NULL DEFAULT '{}',
    flow            TEXT    NOT NULL DEFAULT '',
    condition       TEXT    NOT NULL,
    window_ns       INTEGER NOT NULL,
    min_sample      INTEGER NOT NULL DEFAULT 0,
    pending_ns      INTEGER NOT NULL DEFAULT 0,
    every_ns        INTEGER NOT NULL DEFAULT 0,
    webhook_url     TEXT    NOT NULL DEFAULT '',
    notify          TEXT    NOT NULL DEFAULT '[]',
    created_by      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    revision        INTEGER NOT NULL DEFAULT 1,
    state           TEXT    NOT NULL DEFAULT 'ok',
    state_since     INTEGER NOT NULL,
    pending_since   INTEGER,
    seq             INTEGER NOT NULL DEFAULT 0,
    last_at         INTEGER,
    last_outcome    TEXT    NOT NULL DEFAULT '',
    last_value      REAL,
    last_n          INTEGER NOT NULL DEFAULT 0,
    last_baseline   REAL,
    last_baseline_n INTEGER NOT NULL DEFAULT 0,
    last_message    TEXT    NOT NULL DEFAULT '',
    acknowledged_by TEXT    NOT NULL DEFAULT '',
    acknowledged_at INTEGER,
    silenced_until  INTEGER
);
CREATE INDEX alert_rules_by_state ON alert_rules (state, id);
CREATE INDEX alert_rules_by_flow ON alert_rules (flow, id);
CREATE TABLE alert_events (
    id         TEXT    PRIMARY KEY,
    rule_id    TEXT    NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    from_state TEXT    NOT NULL,
    to_state   TEXT    NOT NULL,
    value      REAL,
    n          INTEGER NOT NULL DEFAULT 0,
    baseline   REAL,
    baseline_n INTEGER NOT NULL DEFAULT 0,
    message    TEXT    NOT NULL DEFAULT '',
    notified   INTEGER NOT NULL DEFAULT 0,
    silenced   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (rule_id, seq)
);
CREATE INDEX alert_events_by_at ON alert_events (at DESC, rule_id, seq DESC);
-- What the rules' evaluations read: the spans completed in a window (of a
-- flow), the open tasks of a flow, the escalations raised in a window.
CREATE INDEX spans_completed_idx ON spans (completed_at);
CREATE INDEX spans_flow_completed_idx ON spans (flow, completed_at);
CREATE INDEX tasks_open_by_flow ON tasks (flow, version, step) WHERE status = 'open';
CREATE INDEX audit_escalations ON audit (action, at) WHERE action = 'task.escalate';
