//! One function per use case, below the routes: the page handler and the JSON
//! API handler are two doors that parse their input, call the same operation and render
//! its typed result. An operation takes the actor and an audit entry that says who acts
//! and from where (the door fills it: `Current::audit`, `ApiCaller::audit`), checks
//! through `access/`, writes the change and its audit row in one transaction, and returns
//! what happened or an `OpError` each door maps to its own 403/404/409/422.
//! Layering: routes → operations → access / models → db.
//!
//! Today: every change to a server from its page (power, rename, reverse DNS, reinstall,
//! rescue), every change to an alias user (create, update, delete, its servers) and alias
//! roles (create, save, delete); and the notices to account owners they queue (`notices`).

pub mod aliases;
pub mod invitations;
pub mod notices;
pub mod roles;
pub mod servers;

use crate::access::changes::ChangeError;
use crate::db::DbError;
use crate::domain::FieldErrors;

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    /// The actor may not (403), with the reason.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Something the input names is not there for this actor (404), e.g. a server outside
    /// its reach: as absent as a missing one, and nothing was changed.
    #[error("{0}")]
    NotFound(&'static str),
    /// The target is busy (409 in the API; a message on the page).
    #[error("{0}")]
    Busy(String),
    /// The input has problems, each next to its field (422); nothing was changed.
    #[error("the input has {} problem(s)", .0.len())]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] DbError),
    /// Anything else that went wrong (password hashing could not run): logged, 500.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<ChangeError> for OpError {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::Refused(r) => OpError::Forbidden(r.message()),
            ChangeError::Query(q) => q.into(),
        }
    }
}

impl From<diesel::result::Error> for OpError {
    fn from(e: diesel::result::Error) -> Self {
        OpError::Db(DbError::from(e))
    }
}
