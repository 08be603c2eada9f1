-- 1: base schema
CREATE TABLE guild_settings (
    guild_id            INTEGER PRIMARY KEY,
    facilitator_role_id INTEGER,
    updated_at          TEXT NOT NULL
);
CREATE TABLE workshops (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (guild_id, name COLLATE NOCASE)
);
CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    workshop_id    INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    channel_id     INTEGER NOT NULL,
    group_name     TEXT NOT NULL,
    prompt_set     TEXT NOT NULL,
    anonymous      INTEGER NOT NULL CHECK (anonymous IN (0, 1)),
    pace           TEXT NOT NULL CHECK (pace IN ('facilitator', 'self')),
    status         TEXT NOT NULL CHECK (status IN ('open', 'paused', 'closed')),
    current_prompt INTEGER NOT NULL CHECK (current_prompt >= 1),
    prompt_count   INTEGER NOT NULL CHECK (prompt_count >= 1),
    started_by     INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    closed_at      TEXT
);
CREATE UNIQUE INDEX sessions_one_live_per_channel
    ON sessions (channel_id) WHERE status != 'closed';
CREATE TABLE participants (
    workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    PRIMARY KEY (workshop_id, user_id),
    UNIQUE (workshop_id, number)
);
CREATE TABLE answers (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    session_id     INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    prompt_id      TEXT NOT NULL,
    user_id        INTEGER NOT NULL,
    display_name   TEXT NOT NULL,
    fields         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    interaction_id INTEGER,
    UNIQUE (session_id, prompt_id, user_id)
);
CREATE TABLE answer_writes (
    interaction_id INTEGER PRIMARY KEY,
    answer_id      INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE
);
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    at       TEXT NOT NULL,
    actor_id INTEGER,
    action   TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
