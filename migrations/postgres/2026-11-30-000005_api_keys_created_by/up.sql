-- Credentials are personal (SPEC §2.1, issue 14): an API key is made only by its own
-- login. Record who made each key, taken from the audit entry of its creation (matched
-- by the key's visible prefix), and revoke every live key another login made for it:
-- its maker saw the secret, so it would carry the login's rights into the maker's hands.
-- Keys with no creation entry are kept (their maker cannot be told) and say so by NULL.
ALTER TABLE api_keys ADD COLUMN created_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
UPDATE api_keys SET created_by = (
    SELECT a.actor_id FROM audit_log a
    WHERE a.action = 'api_key.create'
      AND a.details LIKE 'prefix=' || api_keys.token_prefix || '%'
    ORDER BY a.id LIMIT 1
);
UPDATE api_keys SET revoked_at = (now() AT TIME ZONE 'UTC')
WHERE revoked_at IS NULL AND created_by IS NOT NULL AND created_by <> user_id;
