-- 5: the scheduler's due jobs (retention, timers, reminders): one row per (kind, key)
CREATE TABLE jobs (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    due_at     TEXT NOT NULL,
    guild_id   INTEGER,
    payload    TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    UNIQUE (kind, key)
);
CREATE INDEX jobs_by_due ON jobs (due_at);
