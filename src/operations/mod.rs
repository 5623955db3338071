//! One function per use case, below the routes (issue 17): the page handler and the JSON
//! API handler are two doors that parse their input, call the same operation and render
//! its typed result. An operation takes the actor and an audit entry that says who acts
//! and from where (the door fills it: `Current::audit`, `ApiCaller::audit`), checks
//! through `access/`, writes the change and its audit row in one transaction, and returns
//! what happened or an `OpError` each door maps to its own 403/404/409/422.
//! Layering: routes → operations → access / models → db.
//!
//! So far: server power. Alias users and roles still live in their page handlers (see the
//! report of issue 17).

pub mod servers;

use crate::db::DbError;

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The actor may not (403), with the reason.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The target is busy (409 in the API; a message on the page).
    #[error("{0}")]
    Busy(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for OpError {
    fn from(e: diesel::result::Error) -> Self {
        OpError::Db(DbError::from(e))
    }
}
