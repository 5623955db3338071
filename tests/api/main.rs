//! HTTP tests against the real server, on SQLite and PostgreSQL. Files mirror the
//! features; test names read like the SPEC sentences they check.

#[macro_use]
mod helpers;
mod hostile;

mod abuse;
mod access_review;
mod accounts;
mod alias_users;
mod alias_users_api;
mod alias_users_tab;
mod architecture_map;
mod attacker;
mod auth;
mod bench_data;
mod cli;
mod escalation;
mod impersonation;
mod install_keys;
mod invitations;
mod json_api;
mod json_api_matrix;
mod keys;
mod mail;
mod matrix;
mod matrix_effects;
mod matrix_reach;
mod matrix_world;
mod no_escalation_core;
mod notifications;
mod offboarding;
mod openapi_contract;
mod operations;
mod ops;
mod resilience;
mod roles;
mod roles_api;
mod safety;
mod scoped_keys;
mod server_actions;
mod servers;
mod session_lifetime;
mod sessions;
mod snapshot;
mod two_factor;
mod web_basics;
