//! Background work the server starts beside the pages: today the purge that keeps the
//! tables bounded (sessions, login attempts, audit, heartbeats). Jobs use the models and
//! the pool like handlers do; nothing here knows about HTTP.

pub mod purge;
