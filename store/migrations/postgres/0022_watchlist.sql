-- The watchlist (issue 21): the flows and steps the owners single out for
-- improvement first (the plans' "blacklist"), listed first on the
-- dashboard with their alerts, open PDCA cycles and trend. A flow is
-- watched whole with step ''.
CREATE TABLE watchlist (
    id       text        PRIMARY KEY,
    flow     text        NOT NULL,
    step     text        NOT NULL DEFAULT '',
    note     text        NOT NULL DEFAULT '',
    added_by text        NOT NULL,
    added_at timestamptz NOT NULL,
    UNIQUE (flow, step)
);
