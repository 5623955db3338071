//! The one place that answers "may this login do that". Handlers ask it first, by name,
//! before they act; nothing else decides access. It is pure code over loaded rows (the
//! `Actor`), so its tests need no server. Layering: routes → access → models → db.

pub mod accounts;
pub mod activity;
pub mod actor;
pub mod aliases;
pub mod catalog;
pub mod changes;
pub mod impersonation;
pub mod keys;
pub mod mail;
pub mod permission_set;
pub mod review;
pub mod rights;
pub mod roles;
pub mod servers;
pub mod sessions;
pub mod throttles;
pub mod two_factor;

pub use actor::{Actor, Refusal};
pub use catalog::{Perm, Permission, Tier, CATALOG};
pub use permission_set::PermissionSet;
