-- Steward's schema (PostgreSQL). Keep in step with migrations/postgres and src/db/schema.rs.
-- Every login (admin, reseller and user accounts, and alias users) is a row of `users`,
-- so one unique index keeps usernames unique across accounts and alias users.
CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('admin', 'reseller', 'user', 'alias')),
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    owner_id INTEGER REFERENCES users(id),
    parent_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    role_id INTEGER,
    all_servers BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    expires_on DATE,
    created_at TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);
CREATE INDEX users_owner ON users(owner_id, username_key);
CREATE INDEX users_parent ON users(parent_id, username_key);
CREATE INDEX users_role ON users(role_id);

CREATE TABLE alias_roles (
    id SERIAL PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, name_key)
);

ALTER TABLE users ADD CONSTRAINT users_role_fk FOREIGN KEY (role_id) REFERENCES alias_roles(id);

CREATE TABLE alias_role_permissions (
    role_id INTEGER NOT NULL REFERENCES alias_roles(id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE servers (
    id SERIAL PRIMARY KEY,
    hostname TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    primary_ip TEXT NOT NULL,
    location TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    os TEXT NOT NULL DEFAULT '',
    power_state TEXT NOT NULL DEFAULT 'off',
    status TEXT NOT NULL DEFAULT 'active',
    reseller_id INTEGER REFERENCES users(id),
    owner_id INTEGER REFERENCES users(id),
    cpu TEXT NOT NULL DEFAULT '',
    memory_gb INTEGER NOT NULL DEFAULT 0,
    disks TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX servers_owner ON servers(owner_id, hostname);
CREATE INDEX servers_reseller ON servers(reseller_id, hostname);
CREATE INDEX servers_ip ON servers(primary_ip);

CREATE TABLE server_ips (
    id SERIAL PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    ip TEXT NOT NULL UNIQUE,
    rdns TEXT NOT NULL DEFAULT ''
);
CREATE INDEX server_ips_server ON server_ips(server_id);

CREATE TABLE server_traffic (
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    day DATE NOT NULL,
    rx_bytes BIGINT NOT NULL,
    tx_bytes BIGINT NOT NULL,
    PRIMARY KEY (server_id, day)
);

CREATE TABLE server_jobs (
    id SERIAL PRIMARY KEY,
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    requested_by INTEGER,
    requested_by_name TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX server_jobs_server ON server_jobs(server_id, id);

CREATE TABLE alias_servers (
    alias_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
    PRIMARY KEY (alias_id, server_id)
);
CREATE INDEX alias_servers_server ON alias_servers(server_id);

CREATE TABLE sessions (
    key_hash TEXT PRIMARY KEY NOT NULL,
    user_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    impersonator_id INTEGER REFERENCES users(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_impersonator ON sessions(impersonator_id);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE login_attempts (
    id SERIAL PRIMARY KEY,
    username_key TEXT NOT NULL,
    user_id INTEGER,
    account_id INTEGER,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    success BOOLEAN NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_username ON login_attempts(username_key, created_at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, created_at);
CREATE INDEX login_attempts_account ON login_attempts(account_id, id);

CREATE TABLE audit_log (
    id SERIAL PRIMARY KEY,
    account_id INTEGER,
    actor_id INTEGER,
    actor_name TEXT NOT NULL,
    impersonator_id INTEGER,
    impersonator_name TEXT,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    via_api BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_account ON audit_log(account_id, id);

CREATE TABLE ssh_keys (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, fingerprint)
);

CREATE TABLE api_keys (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_on DATE,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX api_keys_user ON api_keys(user_id);
