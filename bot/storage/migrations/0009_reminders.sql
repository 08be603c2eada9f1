-- 9: participants who asked for a direct message when a new prompt opens in a session they
-- answered in (`/reminders on`). A DM Discord refused (the person closed their DMs) is noted
-- and not tried again until they ask again. Erased by /forget-me like everything of theirs.
CREATE TABLE reminder_subscriptions (
    guild_id   INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    dm_closed_at TEXT,
    PRIMARY KEY (guild_id, user_id)
);
