-- Event logs imported from other systems (issue 17, decision 0030): a row
-- per log, its events in chunks written as the import reads them. A log is
-- 'importing' until its last chunk is in, then 'ready' in one statement.
CREATE TABLE event_logs (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    status      text NOT NULL,
    source      text NOT NULL DEFAULT '',
    format      text NOT NULL DEFAULT '',
    mapping     jsonb NOT NULL DEFAULT '{}',
    cases       integer NOT NULL DEFAULT 0,
    events      bigint NOT NULL DEFAULT 0,
    first_at    timestamptz,
    last_at     timestamptz,
    summary     jsonb NOT NULL DEFAULT '{}',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX event_logs_ready_idx ON event_logs (status, created_at DESC, id DESC);

CREATE TABLE event_log_chunks (
    log_id  text NOT NULL REFERENCES event_logs (id) ON DELETE CASCADE,
    seq     integer NOT NULL,
    data    bytea NOT NULL,
    PRIMARY KEY (log_id, seq)
);
