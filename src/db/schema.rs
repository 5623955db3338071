//! The tables, as diesel sees them. Written by hand to match both migration folders
//! (`migrations/sqlite`, `migrations/postgres`); only types both backends share are used.

diesel::table! {
    users (id) {
        id -> Integer,
        kind -> Text,
        username -> Text,
        username_key -> Text,
        name -> Text,
        email -> Text,
        password_hash -> Text,
        owner_id -> Nullable<Integer>,
        parent_id -> Nullable<Integer>,
        role_id -> Nullable<Integer>,
        all_servers -> Bool,
        disabled -> Bool,
        expires_on -> Nullable<Date>,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        /// Kept by triggers on `alias_servers` (migration 4); never written by the panel.
        assigned_servers -> Integer,
        /// The account owner's "require two-factor for my alias users" (migration 001001).
        require_two_factor_for_aliases -> Bool,
        /// When its current invitation was sent, while it has not set a password
        /// (migration 2026-12-01-000201).
        invited_at -> Nullable<Timestamp>,
        /// The account owner's "tell me by mail" (migration 000301); read on accounts only.
        notify_owner -> Bool,
    }
}

diesel::table! {
    alias_roles (id) {
        id -> Integer,
        account_id -> Integer,
        name -> Text,
        name_key -> Text,
        description -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        require_two_factor -> Bool,
    }
}

diesel::table! {
    alias_role_permissions (role_id, permission) {
        role_id -> Integer,
        permission -> Text,
    }
}

diesel::table! {
    servers (id) {
        id -> Integer,
        hostname -> Text,
        name -> Text,
        primary_ip -> Text,
        location -> Text,
        tags -> Text,
        os -> Text,
        power_state -> Text,
        status -> Text,
        reseller_id -> Nullable<Integer>,
        owner_id -> Nullable<Integer>,
        cpu -> Text,
        memory_gb -> Integer,
        disks -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    server_ips (id) {
        id -> Integer,
        server_id -> Integer,
        ip -> Text,
        rdns -> Text,
    }
}

diesel::table! {
    server_traffic (server_id, day) {
        server_id -> Integer,
        day -> Date,
        rx_bytes -> BigInt,
        tx_bytes -> BigInt,
    }
}

diesel::table! {
    server_jobs (id) {
        id -> Integer,
        server_id -> Integer,
        kind -> Text,
        detail -> Text,
        status -> Text,
        requested_by -> Nullable<Integer>,
        requested_by_name -> Text,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        command -> Text,
        attempts -> Integer,
        locked_until -> Nullable<Timestamp>,
        outcome -> Text,
    }
}

diesel::table! {
    alias_servers (alias_id, server_id) {
        alias_id -> Integer,
        server_id -> Integer,
    }
}

diesel::table! {
    sessions (key_hash) {
        key_hash -> Text,
        user_id -> Nullable<Integer>,
        impersonator_id -> Nullable<Integer>,
        state -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        /// Names the session in URLs; never the key's hash.
        public_id -> Text,
        ip -> Text,
        user_agent -> Text,
        last_seen_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> Integer,
        username_key -> Text,
        user_id -> Nullable<Integer>,
        account_id -> Nullable<Integer>,
        ip -> Text,
        user_agent -> Text,
        success -> Bool,
        reason -> Text,
        created_at -> Timestamp,
        forgiven -> Bool,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        account_id -> Nullable<Integer>,
        actor_id -> Nullable<Integer>,
        actor_name -> Text,
        impersonator_id -> Nullable<Integer>,
        impersonator_name -> Nullable<Text>,
        action -> Text,
        target -> Text,
        details -> Text,
        ip -> Text,
        user_agent -> Text,
        via_api -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ssh_keys (id) {
        id -> Integer,
        user_id -> Integer,
        name -> Text,
        public_key -> Text,
        fingerprint -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Integer,
        user_id -> Integer,
        name -> Text,
        token_prefix -> Text,
        token_hash -> Text,
        expires_on -> Nullable<Date>,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        /// Who made the key (migration 5); keys made for another login were revoked then.
        created_by -> Nullable<Integer>,
        /// Granted permission keys separated by spaces; NULL for all.
        permissions -> Nullable<Text>,
        all_servers -> Bool,
        /// CIDRs separated by spaces; empty for anywhere.
        allowed_ips -> Text,
    }
}

diesel::table! {
    api_key_servers (key_id, server_id) {
        key_id -> Integer,
        server_id -> Integer,
    }
}

diesel::table! {
    /// One row per running instance, upserted by the readiness heartbeat (migration 21).
    heartbeats (instance) {
        instance -> Text,
        beat_at -> Timestamp,
    }
}

diesel::table! {
    /// A login's confirmed TOTP factor: the secret sealed under the server's key, and the
    /// last time step accepted (a code works once).
    totp_factors (user_id) {
        user_id -> Integer,
        secret -> Text,
        last_step -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    passkeys (id) {
        id -> Integer,
        user_id -> Integer,
        name -> Text,
        credential_id -> Text,
        passkey -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Integer,
        user_id -> Integer,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The mail queue (migration 2026-12-01-000101).
    mail_outbox (id) {
        id -> Integer,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        sensitive -> Bool,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Text,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Invitation links, stored as their SHA-256 (migration 2026-12-01-000201).
    invitations (id) {
        id -> Integer,
        user_id -> Integer,
        token_hash -> Text,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(alias_role_permissions -> alias_roles (role_id));
diesel::joinable!(alias_servers -> servers (server_id));
diesel::joinable!(server_ips -> servers (server_id));
diesel::joinable!(server_traffic -> servers (server_id));
diesel::joinable!(server_jobs -> servers (server_id));
diesel::joinable!(ssh_keys -> users (user_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::joinable!(totp_factors -> users (user_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(passkeys -> users (user_id));
diesel::joinable!(api_key_servers -> api_keys (key_id));
diesel::joinable!(api_key_servers -> servers (server_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    api_key_servers,
    alias_roles,
    alias_role_permissions,
    servers,
    server_ips,
    server_traffic,
    server_jobs,
    alias_servers,
    sessions,
    login_attempts,
    audit_log,
    ssh_keys,
    api_keys,
    totp_factors,
    recovery_codes,
    passkeys,
    mail_outbox,
    invitations,
);
