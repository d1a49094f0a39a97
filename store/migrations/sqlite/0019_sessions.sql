-- Web UI sessions kept on the server (issue 20, decision 0038): the
-- cookie holds only a random secret, its sha256 is the id; a session
-- begun with a token names it (token_id), so revoking the token ends the
-- session at once. actor_id has no foreign key: the admin token's
-- built-in actor is no row of actors.
CREATE TABLE sessions (
    id           TEXT    PRIMARY KEY,
    actor_id     TEXT    NOT NULL,
    via          TEXT    NOT NULL,
    token_id     TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    idle_until   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    user_agent   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_by_actor ON sessions (actor_id, created_at DESC, id DESC);
CREATE INDEX people_by_email ON people (lower(email)) WHERE email <> '';
