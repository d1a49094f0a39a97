-- Improvement proposals from staff, and their votes (one per actor). votes
-- counts proposal_votes, kept in the transaction that adds a vote.
CREATE TABLE proposals (
    id              TEXT    PRIMARY KEY,
    title           TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL DEFAULT '',
    author          TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL,
    votes           INTEGER NOT NULL DEFAULT 0,
    adopted_case_id TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX proposals_created_idx ON proposals (created_at DESC, id DESC);
CREATE INDEX proposals_status_created_idx ON proposals (status, created_at DESC, id DESC);

CREATE TABLE proposal_votes (
    proposal_id TEXT    NOT NULL REFERENCES proposals (id),
    actor       TEXT    NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (proposal_id, actor)
);
