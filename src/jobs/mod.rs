//! Background work the server starts beside the pages: the purge that keeps the tables
//! bounded (sessions, login attempts, audit, heartbeats, old mails), the mail worker that
//! sends the mail queue, and the driver worker that calls server controllers for queued
//! server jobs. Jobs use the models and the pool like handlers do; nothing here knows
//! about HTTP.

pub mod driver;
pub mod mail;
pub mod purge;
