-- Span rollups (decision 0017): per flow, version, variant, step and UTC hour
-- (grain 'H', bucket = hours since 1970-01-01), day ('D', bucket = days
-- since 1970-01-01) or month ('M', bucket = its first day), the encoded
-- analytics.StepRollup of the spans entered in it (exact counts and sums,
-- quantile sketches, what distinct case counts need). Kept in the
-- transaction of every span insert.
CREATE TABLE span_rollups (
    flow       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    variant    TEXT    NOT NULL,
    step       TEXT    NOT NULL,
    grain      TEXT    NOT NULL CHECK (grain IN ('H', 'D', 'M')),
    bucket     INTEGER NOT NULL,
    kind       TEXT    NOT NULL DEFAULT '',
    department TEXT    NOT NULL DEFAULT '',
    data       BLOB    NOT NULL,
    PRIMARY KEY (flow, version, grain, bucket, variant, step)
);

-- The raw spans at a range's cut ends, whatever the variants.
CREATE INDEX spans_flow_entered_idx ON spans (flow, version, entered_at);

-- A row here asks Migrate to build the rollups of the spans already stored
-- (in Go: business time needs the flows' calendars); it is deleted in the
-- same transaction as the backfill.
CREATE TABLE span_rollups_backfill (pending INTEGER PRIMARY KEY);
INSERT INTO span_rollups_backfill VALUES (1);
