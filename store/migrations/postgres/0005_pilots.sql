-- Pilots: A/B comparisons of two versions of one flow on new cases. The
-- JSON columns are json, not jsonb, so that they are returned as written
-- (by the API for guardrails, by the evaluator for results and looks).
-- Durations are nanoseconds.
CREATE TABLE pilots (
    id                text             PRIMARY KEY,
    flow              text             NOT NULL,
    control_version   integer          NOT NULL,
    treatment_version integer          NOT NULL,
    share             double precision NOT NULL,
    unit              text             NOT NULL DEFAULT '',
    primary_metric    text             NOT NULL DEFAULT '',
    guardrails        json,
    min_cases_per_arm integer          NOT NULL DEFAULT 0,
    max_duration      bigint           NOT NULL DEFAULT 0,
    evaluate_every    bigint           NOT NULL DEFAULT 0,
    status            text             NOT NULL,
    stop_reason       text             NOT NULL DEFAULT '',
    winner            text             NOT NULL DEFAULT '',
    recommendation    text             NOT NULL DEFAULT '',
    promoted_arm      text             NOT NULL DEFAULT '',
    results           json,
    looks             json,
    workflow_id       text             NOT NULL DEFAULT '',
    pdca_case_id      text             NOT NULL DEFAULT '',
    created_by        text             NOT NULL DEFAULT '',
    created_at        timestamptz      NOT NULL,
    updated_at        timestamptz      NOT NULL,
    ended_at          timestamptz
);
-- At most one running pilot per flow, whatever the concurrency.
CREATE UNIQUE INDEX pilots_running_flow_idx ON pilots (flow) WHERE status = 'running';
CREATE INDEX pilots_created_idx ON pilots (created_at DESC, id DESC);
CREATE INDEX pilots_flow_created_idx ON pilots (flow, created_at DESC, id DESC);

-- The pilot a case was assigned in (its variant is the arm), the closed case
-- it reopens, and when a later case reopened it. NULL: none.
ALTER TABLE cases ADD COLUMN pilot_id text;
ALTER TABLE cases ADD COLUMN reopened_from text;
ALTER TABLE cases ADD COLUMN reopened_at timestamptz;
-- A pilot's evaluation reads its cases in creation order.
CREATE INDEX cases_pilot_idx ON cases (pilot_id, created_at, id) WHERE pilot_id IS NOT NULL;
