-- 2: indexes for every query on the hot path and per-person queries; retention warnings
CREATE INDEX answers_by_guild_user ON answers (guild_id, user_id);
CREATE INDEX answers_by_session_prompt ON answers (session_id, prompt_id);
CREATE INDEX sessions_by_guild_workshop ON sessions (guild_id, workshop_id);
CREATE INDEX audit_by_guild ON audit_log (guild_id, at);
ALTER TABLE sessions ADD COLUMN retention_warned_at TEXT;
