//! HTTP tests against the real server, on SQLite and PostgreSQL. Files are named after the
//! feature they test, families in folders; test names are the sentences they check.

// The harness (`spawn_app`, `Browser`, `backend_tests!`), the test-data builders and the
// database snapshot behind "a refused request changed nothing".
#[macro_use]
mod helpers;

// Logins and accounts.
mod accounts;
mod auth;
mod impersonation;
mod invitations;
mod session_lifetime;
mod sessions;
mod two_factor;

// Alias users, their roles and keys.
mod access_review;
mod alias_users;
mod keys;
mod roles;

// Servers and what can be done to them.
mod server_actions;
mod servers;

// The JSON API, and a page and the API calling one operation.
mod json_api;
mod one_operation_two_doors;

// Mail: notices to the account owner, and the mail queue itself.
mod mail;
mod notifications;

// Security across the whole panel: the authorization matrix, the no-escalation rule,
// hostile input, safe defaults, CSRF and headers, and the limits against abuse.
mod abuse;
mod csrf_headers_and_assets;
mod hostile_input;
mod matrix;
mod no_escalation;
mod safe_defaults;

// Running the panel: the binary, operations (proxies, metrics, backups, shutdown),
// crashes, races and several instances, the benchmark's data and the architecture map.
mod architecture_map;
mod bench_data;
mod cli;
mod ops;
mod resilience;
