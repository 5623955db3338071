//! Web plumbing shared by every route: the error type and its pages, the layout data
//! (`Chrome`), the `Current` login extractor, the sessions (cookie, table, and the one load
//! per request that also reads the acting login), the CSRF guard and the security headers. It sits beside the routes, above `access`.

pub mod account;
pub mod acting;
pub mod body_deadline;
pub mod chrome;
pub mod client;
pub mod client_addr;
pub mod confirm;
pub mod connections;
pub mod csrf;
pub mod current;
pub mod error;
pub mod form;
pub mod headers;
pub mod in_flight;
pub mod limits;
pub mod login_csrf;
pub mod metrics;
pub mod page;
pub mod pagination;
pub mod refusal;
pub mod render;
pub mod session;

pub use account::VisibleAccount;
pub use current::Current;
pub use error::AppError;
pub use page::Visit;
