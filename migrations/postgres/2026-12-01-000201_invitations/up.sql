-- Invitations: a login created with `invite=yes` has no usable password and is "invited"
-- (`users.invited_at`, when the current invitation was sent) until it sets one through
-- the link mailed to it. Only the link's SHA-256 is stored; a link works once, until
-- `expires_at`. At most one live invitation per login: a resend replaces the row.
ALTER TABLE users ADD COLUMN invited_at TIMESTAMP;
CREATE TABLE invitations (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE UNIQUE INDEX invitations_one_per_login ON invitations (user_id);
