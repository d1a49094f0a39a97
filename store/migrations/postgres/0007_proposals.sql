-- Improvement proposals from staff, and their votes (one per actor). votes
-- counts proposal_votes, kept in the transaction that adds a vote.
CREATE TABLE proposals (
    id              text        PRIMARY KEY,
    title           text        NOT NULL DEFAULT '',
    body            text        NOT NULL DEFAULT '',
    author          text        NOT NULL DEFAULT '',
    status          text        NOT NULL,
    votes           integer     NOT NULL DEFAULT 0,
    adopted_case_id text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX proposals_created_idx ON proposals (created_at DESC, id DESC);
CREATE INDEX proposals_status_created_idx ON proposals (status, created_at DESC, id DESC);

CREATE TABLE proposal_votes (
    proposal_id text        NOT NULL REFERENCES proposals (id),
    actor       text        NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (proposal_id, actor)
);
