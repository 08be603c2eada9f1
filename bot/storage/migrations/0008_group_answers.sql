-- 8: group answers. A session answers individually (one answer per person per prompt) or as a
-- group (one agreed answer per prompt, any member edits it). A group answer is a row of
-- `answers` whose user_id is 0 (the group); every saved version is kept in `answer_versions`
-- with who wrote it, so edits at the same time are detected (`version`) and nothing is lost.
ALTER TABLE sessions ADD COLUMN answer_mode TEXT NOT NULL DEFAULT 'individual'
    CHECK (answer_mode IN ('individual', 'group'));
ALTER TABLE answers ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE TABLE answer_versions (
    id           INTEGER PRIMARY KEY,
    answer_id    INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    guild_id     INTEGER NOT NULL,
    number       INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    display_name TEXT NOT NULL,
    fields       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    UNIQUE (answer_id, number)
);
CREATE INDEX answer_versions_by_user ON answer_versions (guild_id, user_id);
