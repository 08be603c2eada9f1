-- 3: workshops as objects: a phase and settings of their own, beside the sessions (groups)
ALTER TABLE workshops ADD COLUMN phase TEXT NOT NULL DEFAULT 'answering'
    CHECK (phase IN ('answering', 'gallery', 'voting', 'closed'));
ALTER TABLE workshops ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE workshops ADD COLUMN updated_at TEXT;
