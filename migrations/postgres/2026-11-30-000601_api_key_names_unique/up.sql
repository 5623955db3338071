-- A login's live API keys have distinct names, so a list, an audit row or a revocation
-- names one key. Keys made twice by a reloaded page before this rule get their id added.
UPDATE api_keys SET name = name || ' (' || id || ')'
WHERE revoked_at IS NULL AND EXISTS (
    SELECT 1 FROM api_keys older
    WHERE older.user_id = api_keys.user_id AND older.name = api_keys.name
      AND older.revoked_at IS NULL AND older.id < api_keys.id
);
CREATE UNIQUE INDEX api_keys_live_name ON api_keys (user_id, name) WHERE revoked_at IS NULL;
