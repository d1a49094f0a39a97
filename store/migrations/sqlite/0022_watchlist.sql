-- The watchlist (issue 21): the flows and steps the owners single out for
-- improvement first (the plans' "blacklist"), listed first on the
-- dashboard with their alerts, open PDCA cycles and trend. A flow is
-- watched whole with step ''.
CREATE TABLE watchlist (
    id       TEXT    PRIMARY KEY,
    flow     TEXT    NOT NULL,
    step     TEXT    NOT NULL DEFAULT '',
    note     TEXT    NOT NULL DEFAULT '',
    added_by TEXT    NOT NULL,
    added_at INTEGER NOT NULL,
    UNIQUE (flow, step)
);
