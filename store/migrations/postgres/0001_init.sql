-- flowlab schema, PostgreSQL.

CREATE TABLE flow_versions (
    key        text        NOT NULL,
    version    integer     NOT NULL,
    name       text        NOT NULL DEFAULT '',
    source     text        NOT NULL DEFAULT '',
    compiled   jsonb,
    hash       text        NOT NULL,
    created_at timestamptz NOT NULL,
    created_by text        NOT NULL DEFAULT '',
    PRIMARY KEY (key, version)
);

CREATE TABLE flows (
    key             text    PRIMARY KEY,
    default_version integer NOT NULL,
    FOREIGN KEY (key, default_version) REFERENCES flow_versions (key, version)
);

CREATE TABLE cases (
    id              text        PRIMARY KEY,
    flow            text        NOT NULL,
    version         integer     NOT NULL,
    variant         text        NOT NULL DEFAULT '',
    customer        text        NOT NULL DEFAULT '',
    channel         text        NOT NULL DEFAULT '',
    attributes      jsonb       NOT NULL DEFAULT '{}',
    status          text        NOT NULL,
    step            text        NOT NULL DEFAULT '',
    workflow_id     text        NOT NULL DEFAULT '',
    idempotency_key text,
    request_hash    text        NOT NULL DEFAULT '',
    created_by      text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    closed_at       timestamptz
);
CREATE UNIQUE INDEX cases_idempotency_key_idx ON cases (idempotency_key);
CREATE INDEX cases_created_idx ON cases (created_at DESC, id DESC);
CREATE INDEX cases_flow_status_idx ON cases (flow, status);

CREATE TABLE tasks (
    id               text        PRIMARY KEY,
    case_id          text        NOT NULL REFERENCES cases (id),
    seq              integer     NOT NULL,
    flow             text        NOT NULL,
    version          integer     NOT NULL,
    variant          text        NOT NULL DEFAULT '',
    step             text        NOT NULL,
    step_name        text        NOT NULL DEFAULT '',
    department       text        NOT NULL DEFAULT '',
    roles            jsonb       NOT NULL DEFAULT '[]',
    outcomes         jsonb       NOT NULL DEFAULT '[]',
    form             jsonb,
    status           text        NOT NULL,
    assignee         text,
    escalation_level integer     NOT NULL DEFAULT 0,
    opened_at        timestamptz NOT NULL,
    claimed_at       timestamptz,
    completed_at     timestamptz,
    sla_due          timestamptz,
    outcome          text        NOT NULL DEFAULT '',
    data             jsonb,
    completed_by     text        NOT NULL DEFAULT '',
    completion_id    text        NOT NULL DEFAULT '',
    UNIQUE (case_id, seq)
);
CREATE INDEX tasks_inbox_idx ON tasks (department, status, sla_due);
CREATE INDEX tasks_assignee_idx ON tasks (assignee);

CREATE TABLE spans (
    case_id          text        NOT NULL,
    seq              integer     NOT NULL,
    flow             text        NOT NULL,
    version          integer     NOT NULL,
    variant          text        NOT NULL DEFAULT '',
    step             text        NOT NULL,
    kind             text        NOT NULL DEFAULT '',
    department       text        NOT NULL DEFAULT '',
    entered_at       timestamptz NOT NULL,
    claimed_at       timestamptz,
    completed_at     timestamptz NOT NULL,
    outcome          text        NOT NULL DEFAULT '',
    sla_due          timestamptz,
    breached         boolean     NOT NULL DEFAULT false,
    escalation_level integer     NOT NULL DEFAULT 0,
    actor            text        NOT NULL DEFAULT '',
    PRIMARY KEY (case_id, seq)
);
CREATE INDEX spans_flow_idx ON spans (flow, version, variant, entered_at);
CREATE INDEX spans_entered_idx ON spans (entered_at, case_id, seq);

CREATE TABLE actors (
    id          text        PRIMARY KEY,
    name        text        NOT NULL DEFAULT '',
    role        text        NOT NULL,
    departments jsonb       NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL
);

CREATE TABLE tokens (
    id         text        PRIMARY KEY,
    actor_id   text        NOT NULL REFERENCES actors (id),
    hash       bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    revoked_at timestamptz
);

CREATE TABLE audit (
    id      bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      timestamptz NOT NULL,
    actor   text        NOT NULL DEFAULT '',
    action  text        NOT NULL,
    object  text        NOT NULL DEFAULT '',
    case_id text,
    details jsonb
);
CREATE INDEX audit_case_idx ON audit (case_id, id);
CREATE INDEX audit_object_idx ON audit (object, id);
