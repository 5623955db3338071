-- Scoped API keys (issue 17): a key acts with its own grants ∩ its login's current rights.
-- `permissions`: the granted permission keys separated by spaces, NULL for all of the
-- login's. `all_servers`: the key reaches every server its login reaches; otherwise only
-- those listed in api_key_servers (within the login's reach, checked on every call).
-- `allowed_ips`: CIDRs separated by spaces, empty for anywhere.
ALTER TABLE api_keys ADD COLUMN permissions TEXT;
ALTER TABLE api_keys ADD COLUMN all_servers BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';
CREATE TABLE api_key_servers (
    key_id INTEGER NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    PRIMARY KEY (key_id, server_id)
);
CREATE INDEX api_key_servers_server ON api_key_servers(server_id);
