-- flowlab schema, SQLite. Timestamps are INTEGER unix nanoseconds (UTC), so
-- they order correctly; JSON is TEXT.

CREATE TABLE flow_versions (
    key        TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    name       TEXT    NOT NULL DEFAULT '',
    source     TEXT    NOT NULL DEFAULT '',
    compiled   TEXT,
    hash       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (key, version)
);

CREATE TABLE flows (
    key             TEXT    PRIMARY KEY,
    default_version INTEGER NOT NULL,
    FOREIGN KEY (key, default_version) REFERENCES flow_versions (key, version)
);

CREATE TABLE cases (
    id              TEXT    PRIMARY KEY,
    flow            TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    variant         TEXT    NOT NULL DEFAULT '',
    customer        TEXT    NOT NULL DEFAULT '',
    channel         TEXT    NOT NULL DEFAULT '',
    attributes      TEXT    NOT NULL DEFAULT '{}',
    status          TEXT    NOT NULL,
    step            TEXT    NOT NULL DEFAULT '',
    workflow_id     TEXT    NOT NULL DEFAULT '',
    idempotency_key TEXT,
    request_hash    TEXT    NOT NULL DEFAULT '',
    created_by      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    closed_at       INTEGER
);
CREATE UNIQUE INDEX cases_idempotency_key_idx ON cases (idempotency_key);
CREATE INDEX cases_created_idx ON cases (created_at DESC, id DESC);
CREATE INDEX cases_flow_status_idx ON cases (flow, status);

CREATE TABLE tasks (
    id               TEXT    PRIMARY KEY,
    case_id          TEXT    NOT NULL REFERENCES cases (id),
    seq              INTEGER NOT NULL,
    flow             TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    variant          TEXT    NOT NULL DEFAULT '',
    step             TEXT    NOT NULL,
    step_name        TEXT    NOT NULL DEFAULT '',
    department       TEXT    NOT NULL DEFAULT '',
    roles            TEXT    NOT NULL DEFAULT '[]',
    outcomes         TEXT    NOT NULL DEFAULT '[]',
    form             TEXT,
    status           TEXT    NOT NULL,
    assignee         TEXT,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    opened_at        INTEGER NOT NULL,
    claimed_at       INTEGER,
    completed_at     INTEGER,
    sla_due          INTEGER,
    outcome          TEXT    NOT NULL DEFAULT '',
    data             TEXT,
    completed_by     TEXT    NOT NULL DEFAULT '',
    completion_id    TEXT    NOT NULL DEFAULT '',
    UNIQUE (case_id, seq)
);
CREATE INDEX tasks_inbox_idx ON tasks (department, status, sla_due);
CREATE INDEX tasks_assignee_idx ON tasks (assignee);

CREATE TABLE spans (
    case_id          TEXT    NOT NULL,
    seq              INTEGER NOT NULL,
    flow             TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    variant          TEXT    NOT NULL DEFAULT '',
    step             TEXT    NOT NULL,
    kind             TEXT    NOT NULL DEFAULT '',
    department       TEXT    NOT NULL DEFAULT '',
    entered_at       INTEGER NOT NULL,
    claimed_at       INTEGER,
    completed_at     INTEGER NOT NULL,
    outcome          TEXT    NOT NULL DEFAULT '',
    sla_due          INTEGER,
    breached         INTEGER NOT NULL DEFAULT 0,
    escalation_level INTEGER NOT NULL DEFAULT 0,
    actor            TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, seq)
);
CREATE INDEX spans_flow_idx ON spans (flow, version, variant, entered_at);
CREATE INDEX spans_entered_idx ON spans (entered_at, case_id, seq);

CREATE TABLE actors (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL DEFAULT '',
    role        TEXT    NOT NULL,
    departments TEXT    NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL
);

CREATE TABLE tokens (
    id         TEXT    PRIMARY KEY,
    actor_id   TEXT    NOT NULL REFERENCES actors (id),
    hash       BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    revoked_at INTEGER
);

CREATE TABLE audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL DEFAULT '',
    action  TEXT    NOT NULL,
    object  TEXT    NOT NULL DEFAULT '',
    case_id TEXT,
    details TEXT
);
CREATE INDEX audit_case_idx ON audit (case_id, id);
CREATE INDEX audit_object_idx ON audit (object, id);
