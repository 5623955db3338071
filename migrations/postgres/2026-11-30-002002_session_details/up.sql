-- Sessions a login can see and end (issue 17): a public id to name one in a URL (never
-- the key's hash), the address and browser it was opened from, and when it was last seen.
ALTER TABLE sessions ADD COLUMN public_id TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN ip TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMP;
-- Sessions opened before this have no public id of their own: give them one from their
-- key's hash (a hash of a hash's prefix names the row; it opens nothing).
UPDATE sessions SET public_id = 'old' || substr(key_hash, 1, 16) WHERE public_id = '';
