-- Span rollups (decision 0017): per flow, version, variant, step and UTC day
-- (grain 'D') or month ('M', bucket = its first day), the encoded
-- analytics.StepRollup of the spans entered in it (exact counts and sums,
-- quantile sketches, what distinct case counts need). Bucket is the day
-- number since 1970-01-01. Kept in the transaction of every span insert.
CREATE TABLE span_rollups (
    flow       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    variant    TEXT    NOT NULL,
    step       TEXT    NOT NULL,
    grain      TEXT    NOT NULL CHECK (grain IN ('D', 'M')),
    bucket     INTEGER NOT NULL,
    kind       TEXT    NOT NULL DEFAULT '',
    department TEXT    NOT NULL DEFAULT '',
    data       BLOB    NOT NULL,
    PRIMARY KEY (flow, version, grain, bucket, variant, step)
);

-- A row here asks Migrate to build the rollups of the spans already stored
-- (in Go: business time needs the flows' calendars); it is deleted in the
-- same transaction as the backfill.
CREATE TABLE span_rollups_backfill (pending INTEGER PRIMARY KEY);
INSERT INTO span_rollups_backfill VALUES (1);
