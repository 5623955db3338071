-- Passkeys (WebAuthn) as a second factor (issue 16): several per login, each with the name
-- its login gave it. `credential_id` (base64url) is unique across the installation: a
-- credential registered to one login can never be added to another. `passkey` is
-- webauthn-rs's own record (public key, algorithm, signature counter), as JSON.
CREATE TABLE passkeys (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    credential_id TEXT NOT NULL,
    passkey TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE UNIQUE INDEX passkeys_credential ON passkeys (credential_id);
CREATE UNIQUE INDEX passkeys_user_name ON passkeys (user_id, name);
