-- Two-factor authentication (issue 16): an account owner's policy for its alias users, a
-- role's requirement, each login's TOTP secret (sealed under the server's key; the last
-- step it accepted, so a code works once) and its recovery codes (SHA-256 only).
ALTER TABLE users ADD COLUMN require_two_factor_for_aliases BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE alias_roles ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
CREATE TABLE totp_factors (
    user_id INTEGER PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    last_step BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE recovery_codes (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
