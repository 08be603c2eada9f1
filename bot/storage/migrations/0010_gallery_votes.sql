-- 10: groups learn from each other. A gallery walk shows each group another group's answers to
-- one prompt, rotating round the groups; people leave comments on what they read and place
-- dots in a vote. Answers reach other groups only when a facilitator starts a walk or a vote,
-- and a server may switch either off (guild_settings). Gallery cards are remembered with the
-- answer they show (bot_messages.answer_id), so /forget-me can edit or withdraw them. Comments
-- and dots are erased by /forget-me like everything of a person's (bot/storage/housekeeping.py).
ALTER TABLE guild_settings ADD COLUMN gallery_enabled INTEGER NOT NULL DEFAULT 1
    CHECK (gallery_enabled IN (0, 1));
ALTER TABLE guild_settings ADD COLUMN voting_enabled INTEGER NOT NULL DEFAULT 1
    CHECK (voting_enabled IN (0, 1));
ALTER TABLE bot_messages ADD COLUMN answer_id INTEGER;
CREATE INDEX bot_messages_by_answer ON bot_messages (answer_id) WHERE answer_id IS NOT NULL;
-- one walk per workshop at a time; group i of `rotation` (session ids, JSON) sees group
-- i + round; after round len(rotation) - 1 every group has seen every other and the walk ends
CREATE TABLE gallery_walks (
    id             INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    workshop_id    INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    prompt_id      TEXT NOT NULL,
    rotation       TEXT NOT NULL,
    round          INTEGER NOT NULL DEFAULT 1 CHECK (round >= 1),
    rotate_minutes INTEGER CHECK (rotate_minutes IS NULL OR rotate_minutes >= 1),
    started_at     TEXT NOT NULL,
    ended_at       TEXT
);
CREATE UNIQUE INDEX gallery_walks_one_live ON gallery_walks (workshop_id)
    WHERE ended_at IS NULL;
-- a comment on an answer, by a person reading it in their own group's channel
-- (from_session_id); the interaction id makes a repeated delivery harmless
CREATE TABLE gallery_comments (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    answer_id       INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    display_name    TEXT NOT NULL,
    from_session_id INTEGER REFERENCES sessions(id) ON DELETE SET NULL,
    text            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    interaction_id  INTEGER UNIQUE
);
CREATE INDEX gallery_comments_by_answer ON gallery_comments (answer_id);
CREATE INDEX gallery_comments_by_user ON gallery_comments (guild_id, user_id);
-- a dot-vote on one prompt of a workshop: `dots` per person; open until closed_at
CREATE TABLE votes (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    workshop_id INTEGER NOT NULL REFERENCES workshops(id) ON DELETE CASCADE,
    prompt_id   TEXT NOT NULL,
    dots        INTEGER NOT NULL CHECK (dots >= 1),
    opened_at   TEXT NOT NULL,
    closed_at   TEXT
);
CREATE UNIQUE INDEX votes_one_open_per_prompt ON votes (workshop_id, prompt_id)
    WHERE closed_at IS NULL;
CREATE TABLE dots (
    id         INTEGER PRIMARY KEY,
    vote_id    INTEGER NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    guild_id   INTEGER NOT NULL,
    answer_id  INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX dots_by_vote_user ON dots (vote_id, user_id);
CREATE INDEX dots_by_answer ON dots (answer_id);
CREATE INDEX dots_by_guild_user ON dots (guild_id, user_id);
-- every vote click applied (a dot added or removed), by interaction id: a click delivered
-- again changes nothing
CREATE TABLE dot_clicks (
    interaction_id INTEGER PRIMARY KEY,
    guild_id       INTEGER NOT NULL,
    vote_id        INTEGER NOT NULL REFERENCES votes(id) ON DELETE CASCADE,
    answer_id      INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL,
    outcome        TEXT NOT NULL
);
CREATE INDEX dot_clicks_by_user ON dot_clicks (guild_id, user_id);
