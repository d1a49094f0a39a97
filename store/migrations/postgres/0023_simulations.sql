-- What-if simulations (issue 22, decision 0045): a request, its progress
-- while the Simulation workflow runs it, and the result. pilot_id is the
-- pilot a simulation predicted, made when the pilot started.
CREATE TABLE simulations (
    id          text             PRIMARY KEY,
    flow        text             NOT NULL,
    pilot_id    text             NOT NULL DEFAULT '',
    status      text             NOT NULL,
    progress    double precision NOT NULL DEFAULT 0,
    stage       text             NOT NULL DEFAULT '',
    request     jsonb            NOT NULL,
    result      jsonb,
    error       text             NOT NULL DEFAULT '',
    created_by  text             NOT NULL,
    created_at  timestamptz      NOT NULL,
    updated_at  timestamptz      NOT NULL,
    finished_at timestamptz
);
CREATE INDEX simulations_created ON simulations (created_at DESC, id DESC);
CREATE INDEX simulations_pilot ON simulations (pilot_id) WHERE pilot_id <> '';
