-- Follow-up calls (issue 21, decision 0041): one row per completed case of
-- a flow version with a follow_up block, written by the case's workflow
-- when the case closes: the share its version declared, whether the hash
-- of the case id sampled it, when the call task opens (or would have) and,
-- for a sampled case, the call task and the customer's answers. The row
-- of a case not sampled is what the realised share counts against.
-- (0020 is taken by a change made in parallel.)
CREATE TABLE follow_ups (
    case_id     TEXT    PRIMARY KEY REFERENCES cases (id),
    share       REAL    NOT NULL CHECK (share > 0 AND share <= 1),
    sampled     INTEGER NOT NULL,
    task_id     TEXT    NOT NULL DEFAULT '',
    due_at      INTEGER NOT NULL,
    outcome     TEXT    NOT NULL DEFAULT '',
    improvement TEXT    NOT NULL DEFAULT '',
    csat        INTEGER CHECK (csat BETWEEN 1 AND 5),
    comment     TEXT    NOT NULL DEFAULT '',
    answered_by TEXT    NOT NULL DEFAULT '',
    answered_at INTEGER,
    created_at  INTEGER NOT NULL
);
