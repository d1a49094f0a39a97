-- Event logs imported from other systems (issue 17, decision 0030): a row
-- per log, its events in chunks written as the import reads them. A log is
-- 'importing' until its last chunk is in, then 'ready' in one statement.
CREATE TABLE event_logs (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    format      TEXT NOT NULL DEFAULT '',
    mapping     TEXT NOT NULL DEFAULT '{}',
    cases       INTEGER NOT NULL DEFAULT 0,
    events      INTEGER NOT NULL DEFAULT 0,
    first_at    INTEGER,
    last_at     INTEGER,
    summary     TEXT NOT NULL DEFAULT '{}',
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX event_logs_ready_idx ON event_logs (status, created_at DESC, id DESC);

CREATE TABLE event_log_chunks (
    log_id  TEXT NOT NULL REFERENCES event_logs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    data    BLOB NOT NULL,
    PRIMARY KEY (log_id, seq)
);
