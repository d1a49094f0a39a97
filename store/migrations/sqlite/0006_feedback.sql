-- Customer feedback, one row per case; a new survey answer replaces the
-- values. NULL: not answered.
CREATE TABLE feedback (
    case_id                TEXT    PRIMARY KEY REFERENCES cases (id),
    csat                   INTEGER,
    nps                    INTEGER,
    resolved_first_contact INTEGER,
    created_by             TEXT    NOT NULL DEFAULT '',
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
