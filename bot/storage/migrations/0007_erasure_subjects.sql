-- 7: an erasure's audit entry no longer holds the person's user id. It holds a keyed hash of
-- (server, user) instead, so a restore can still apply the erasure to an older backup
-- (bot/storage/backup.py) while the id itself is gone from the database. The key is random
-- per database; wb_subject() is provided by the migration runner (bot/storage/schema.py).
INSERT OR IGNORE INTO meta (key, value) VALUES ('subject_key', lower(hex(randomblob(32))));
UPDATE audit_log
   SET detail = json_set(detail, '$.subject',
                         wb_subject((SELECT value FROM meta WHERE key = 'subject_key'),
                                    guild_id, actor_id)),
       actor_id = NULL
 WHERE action = 'erase' AND actor_id IS NOT NULL;
