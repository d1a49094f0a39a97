-- What-if simulations (issue 22, decision 0045): a request, its progress
-- while the Simulation workflow runs it, and the result. pilot_id is the
-- pilot a simulation predicted, made when the pilot started.
CREATE TABLE simulations (
    id          TEXT    PRIMARY KEY,
    flow        TEXT    NOT NULL,
    pilot_id    TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,
    progress    REAL    NOT NULL DEFAULT 0,
    stage       TEXT    NOT NULL DEFAULT '',
    request     TEXT    NOT NULL,
    result      TEXT,
    error       TEXT    NOT NULL DEFAULT '',
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX simulations_created ON simulations (created_at DESC, id DESC);
CREATE INDEX simulations_pilot ON simulations (pilot_id) WHERE pilot_id <> '';
