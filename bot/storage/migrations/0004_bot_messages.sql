-- 4: messages the bot posted and will edit later (cards, summaries, boards), by channel
-- message id: interaction tokens expire after 15 minutes, channel message edits do not.
CREATE TABLE bot_messages (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    session_id  INTEGER REFERENCES sessions(id) ON DELETE CASCADE,
    workshop_id INTEGER REFERENCES workshops(id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);
CREATE INDEX bot_messages_by_session ON bot_messages (session_id, kind);
CREATE INDEX bot_messages_by_workshop ON bot_messages (workshop_id, kind);
