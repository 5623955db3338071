//! HTTP tests against the real server, on SQLite and PostgreSQL. Files mirror the
//! features; test names read like the SPEC sentences they check.

mod helpers;
mod hostile;

mod abuse;
mod accounts;
mod alias_users;
mod auth;
mod cli;
mod impersonation;
mod install_keys;
mod json_api;
mod json_api_matrix;
mod keys;
mod matrix;
mod performance;
mod resilience;
mod roles;
mod server_actions;
mod servers;
mod web_basics;
