-- Pilots: A/B comparisons of two versions of one flow on new cases. JSON
-- columns are returned as written (by the API for guardrails, by the
-- evaluator for results and looks). Durations are nanoseconds.
CREATE TABLE pilots (
    id                TEXT    PRIMARY KEY,
    flow              TEXT    NOT NULL,
    control_version   INTEGER NOT NULL,
    treatment_version INTEGER NOT NULL,
    share             REAL    NOT NULL,
    unit              TEXT    NOT NULL DEFAULT '',
    primary_metric    TEXT    NOT NULL DEFAULT '',
    guardrails        TEXT,
    min_cases_per_arm INTEGER NOT NULL DEFAULT 0,
    max_duration      INTEGER NOT NULL DEFAULT 0,
    evaluate_every    INTEGER NOT NULL DEFAULT 0,
    status            TEXT    NOT NULL,
    stop_reason       TEXT    NOT NULL DEFAULT '',
    winner            TEXT    NOT NULL DEFAULT '',
    recommendation    TEXT    NOT NULL DEFAULT '',
    promoted_arm      TEXT    NOT NULL DEFAULT '',
    results           TEXT,
    looks             TEXT,
    workflow_id       TEXT    NOT NULL DEFAULT '',
    pdca_case_id      TEXT    NOT NULL DEFAULT '',
    created_by        TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    ended_at          INTEGER
);
-- At most one running pilot per flow, whatever the concurrency.
CREATE UNIQUE INDEX pilots_running_flow_idx ON pilots (flow) WHERE status = 'running';
CREATE INDEX pilots_created_idx ON pilots (created_at DESC, id DESC);
CREATE INDEX pilots_flow_created_idx ON pilots (flow, created_at DESC, id DESC);

-- The pilot a case was assigned in (its variant is the arm), the closed case
-- it reopens, and when a later case reopened it. NULL: none.
ALTER TABLE cases ADD COLUMN pilot_id TEXT;
ALTER TABLE cases ADD COLUMN reopened_from TEXT;
ALTER TABLE cases ADD COLUMN reopened_at INTEGER;
-- A pilot's evaluation reads its cases in creation order ("pilot_id = ?"
-- implies the index's condition).
CREATE INDEX cases_pilot_idx ON cases (pilot_id, created_at, id) WHERE pilot_id IS NOT NULL;
