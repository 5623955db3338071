//! Running Steward in production: the metrics it keeps, the online backup of an
//! SQLite database, the signals that stop it gracefully, and handing freed memory back.
//! `metrics` is a leaf that the lower layers (db, security) report into; nothing here
//! imports routes or access.

pub mod backup;
pub mod memory;
pub mod metrics;
pub mod shutdown;
