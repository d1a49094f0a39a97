-- KPI alert rules (issue 21, decision 0040): a rule's definition (scope,
-- condition and notify as JSON, durations in nanoseconds), where it stands
-- (state, since when, its latest evaluation, an acknowledgement and a
-- silence) and its state changes, numbered per rule. flow mirrors
-- scope.flow for the listing by flow. The events go with their rule.
CREATE TABLE alert_rules (
    id              text             PRIMARY KEY,
    name            text             NOT NULL,
    metric          text             NOT NULL,
    scope           jsonb            NOT NULL DEFAULT '{}',
    flow            text             NOT NULL DEFAULT '',
    condition       jsonb            NOT NULL,
    window_ns       bigint           NOT NULL,
    min_sample      integer          NOT NULL DEFAULT 0,
    pending_ns      bigint           NOT NULL DEFAULT 0,
    every_ns        bigint           NOT NULL DEFAULT 0,
    webhook_url     text             NOT NULL DEFAULT '',
    notify          jsonb            NOT NULL DEFAULT '[]',
    created_by      text             NOT NULL DEFAULT '',
    created_at      timestamptz      NOT NULL,
    updated_at      timestamptz      NOT NULL,
    revision        integer          NOT NULL DEFAULT 1,
    state           text             NOT NULL DEFAULT 'ok',
    state_since     timestamptz      NOT NULL,
    pending_since   timestamptz      ,
    seq             integer          NOT NULL DEFAULT 0,
    last_at         timestamptz      ,
    last_outcome    text             NOT NULL DEFAULT '',
    last_value      double precision ,
    last_n          integer          NOT NULL DEFAULT 0,
    last_baseline   double precision ,
    last_baseline_n integer          NOT NULL DEFAULT 0,
    last_message    text             NOT NULL DEFAULT '',
    acknowledged_by text             NOT NULL DEFAULT '',
    acknowledged_at timestamptz      ,
    silenced_until  timestamptz
);
CREATE INDEX alert_rules_by_state ON alert_rules (state, id);
CREATE INDEX alert_rules_by_flow ON alert_rules (flow, id);
CREATE TABLE alert_events (
    id              text             PRIMARY KEY,
    rule_id         text             NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    seq             integer          NOT NULL,
    at              timestamptz      NOT NULL,
    from_state      text             NOT NULL,
    to_state        text             NOT NULL,
    value           double precision ,
    n               integer          NOT NULL DEFAULT 0,
    baseline        double precision ,
    baseline_n      integer          NOT NULL DEFAULT 0,
    message         text             NOT NULL DEFAULT '',
    notified        boolean          NOT NULL DEFAULT false,
    silenced        boolean          NOT NULL DEFAULT false,
    UNIQUE (rule_id, seq)
);
CREATE INDEX alert_events_by_at ON alert_events (at DESC, rule_id, seq DESC);
-- What the rules' evaluations read: the spans completed in a window (of a
-- flow), the open tasks of a flow, the escalations raised in a window.
CREATE INDEX spans_completed_idx ON spans (completed_at);
CREATE INDEX spans_flow_completed_idx ON spans (flow, completed_at);
CREATE INDEX tasks_open_by_flow ON tasks (flow, version, step) WHERE status = 'open';
CREATE INDEX audit_escalations ON audit (action, at) WHERE action = 'task.escalate';
