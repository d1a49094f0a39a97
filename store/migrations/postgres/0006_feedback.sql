-- Customer feedback, one row per case; a new survey answer replaces the
-- values. NULL: not answered.
CREATE TABLE feedback (
    case_id                text        PRIMARY KEY REFERENCES cases (id),
    csat                   integer,
    nps                    integer,
    resolved_first_contact boolean,
    created_by             text        NOT NULL DEFAULT '',
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL
);
