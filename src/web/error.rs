//! The web layer's error type and the rule of the house for errors: handlers return
//! `Result<_, AppError>`; a missing or foreign id is `NotFound` (404), a refused action
//! `Forbidden` (403), no session `LoginRequired` (303 to /login), and anything unexpected
//! `Unexpected` (500, logged with its cause chain, never shown). Invalid form input is not
//! an error: the handler renders the form again with status 422.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Forbidden, with the reason the person should read.
    #[error("forbidden: {0}")]
    ForbiddenBecause(String),
    #[error("login required")]
    LoginRequired,
    /// The session was impersonating a login it no longer covers; it acts as the real
    /// login again, and the request is answered with a redirect (303 to /servers).
    #[error("impersonation ended")]
    ImpersonationEnded,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The database refused a write (read-only, disk full) or could not be reached: 503,
    /// nothing saved.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A search ran past its statement deadline.
    #[error("search too slow")]
    SearchTooSlow,
    /// The login must set up a second factor before anything else (303 to the set-up).
    #[error("two-factor set-up required")]
    TwoFactorSetupRequired,
    /// The action needs a recent authentication: 303 to /reauth, which returns to `next`.
    #[error("recent authentication required")]
    ReauthRequired(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Query(diesel::result::Error::NotFound) => AppError::NotFound,
            DbError::Deadline => AppError::SearchTooSlow,
            e if e.is_write_refused() || e.is_unavailable() => AppError::Unavailable(e.to_string()),
            other => AppError::Unexpected(other.into()),
        }
    }
}

impl From<crate::access::changes::ChangeError> for AppError {
    fn from(e: crate::access::changes::ChangeError) -> Self {
        match e {
            crate::access::changes::ChangeError::Refused(r) => {
                AppError::ForbiddenBecause(r.message().to_string())
            }
            crate::access::changes::ChangeError::Query(q) => AppError::from(q),
        }
    }
}

/// An operation's refusal as the pages show it. `Invalid` is the page's own business (it
/// shows the form again), so reaching here with it is a door that forgot to.
impl From<crate::operations::OpError> for AppError {
    fn from(e: crate::operations::OpError) -> Self {
        use crate::operations::OpError;
        match e {
            OpError::Forbidden(m) => AppError::ForbiddenBecause(m.to_string()),
            OpError::NotFound(_) => AppError::NotFound,
            OpError::Busy(m) => AppError::BadRequest(m),
            OpError::Invalid(errors) => {
                AppError::BadRequest(errors.messages().collect::<Vec<_>>().join(" "))
            }
            OpError::Db(e) => e.into(),
            OpError::Unexpected(e) => AppError::Unexpected(e),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::from(DbError::from(e))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Unexpected(anyhow::anyhow!("template failed: {e}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Option<super::chrome::Chrome>,
    status: u16,
    title: &'a str,
    message: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::ForbiddenBecause(_) => StatusCode::FORBIDDEN,
            AppError::LoginRequired
            | AppError::ImpersonationEnded
            | AppError::TwoFactorSetupRequired
            | AppError::ReauthRequired(_) => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unavailable(_) | AppError::SearchTooSlow => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::LoginRequired = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish();
        }
        if let AppError::TwoFactorSetupRequired = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/account/security"))
                .finish();
        }
        if let AppError::ReauthRequired(next) = self {
            let q = serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/reauth?{q}")))
                .finish();
        }
        if let AppError::ImpersonationEnded = self {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/servers"))
                .finish();
        }
        if let AppError::Unexpected(e) = self {
            log::error!("unexpected error: {e:?}");
        }
        if let AppError::Unavailable(cause) = self {
            log::warn!("database unavailable: {cause}");
            return unavailable_page();
        }
        let (title, message) = match self {
            AppError::NotFound => (
                "Not found",
                "There is nothing here, or it is not yours to see.",
            ),
            AppError::Forbidden => ("Not allowed", "Your login may not do this."),
            AppError::ForbiddenBecause(m) => ("Not allowed", m.as_str()),
            AppError::BadRequest(m) => ("Bad request", m.as_str()),
            AppError::SearchTooSlow => ("Search took too long", SEARCH_TOO_SLOW),
            _ => (
                "Something went wrong",
                "The panel could not finish this request. Nothing was changed; please try again.",
            ),
        };
        error_page(self.status_code(), title, message)
    }
}

/// What a search stopped at its deadline answers, on the pages and the API.
pub const SEARCH_TOO_SLOW: &str =
    "This search took too long; narrow it (a longer part of the hostname, or an exact address).";

/// What a refused write answers.
pub const CANNOT_SAVE: &str = "The panel cannot save changes right now; nothing was saved. \
     Try again in a few minutes; if it persists, tell your provider.";

/// The 503 page for a database that refuses writes (also used when the session itself
/// cannot be saved, see `web::unavailable`).
pub fn unavailable_page() -> HttpResponse {
    let mut res = error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Changes cannot be saved",
        CANNOT_SAVE,
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("30"));
    res
}

/// Renders an error page in the layout (without the user menu: the error may have
/// happened before the login was known).
pub fn error_page(status: StatusCode, title: &str, message: &str) -> HttpResponse {
    let page = ErrorPage {
        chrome: None,
        status: status.as_u16(),
        title,
        message,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| format!("{} {}", status.as_u16(), title));
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A form body the panel cannot read (wrong content type, bad encoding, too large): the
/// error page in the layout instead of actix's plain-text answer.
pub fn form_rejected(
    err: actix_web::error::UrlencodedError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::UrlencodedError;
    let (status, message) = match &err {
        UrlencodedError::Overflow { .. } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form sent more data than the panel accepts.",
        ),
        UrlencodedError::ContentType => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send forms as application/x-www-form-urlencoded.",
        ),
        _ => (
            StatusCode::BAD_REQUEST,
            "The form could not be read. Reload the page and try again.",
        ),
    };
    actix_web::error::InternalError::from_response(err, error_page(status, "Bad request", message))
        .into()
}

/// A query string the panel cannot read. A search holding control characters (a NUL byte
/// among them, which PostgreSQL refuses in any text) is invalid input: 422, and no query
/// runs.
pub fn query_rejected(
    err: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    if err.to_string().contains(crate::domain::search::REFUSED) {
        let page = error_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid search",
            crate::domain::search::REFUSED,
        );
        return actix_web::error::InternalError::from_response(err, page).into();
    }
    let page = error_page(
        StatusCode::BAD_REQUEST,
        "Bad request",
        "The address could not be read.",
    );
    actix_web::error::InternalError::from_response(err, page).into()
}

/// The error of a transaction that creates a login: a username taken meanwhile (a lost
/// race on the unique index) is shown next to the field, anything else is an `AppError`
/// (a refusal of `access::changes` included, which rolls the creation back).
#[derive(Debug)]
pub enum CreateError {
    Taken,
    App(AppError),
}

impl From<crate::operations::OpError> for CreateError {
    fn from(e: crate::operations::OpError) -> Self {
        match e {
            // The unique index refused the login: its username was taken meanwhile.
            crate::operations::OpError::Db(db) => db.into(),
            other => CreateError::App(other.into()),
        }
    }
}

impl From<diesel::result::Error> for CreateError {
    fn from(e: diesel::result::Error) -> Self {
        if crate::db::is_unique_violation(&e) {
            CreateError::Taken
        } else {
            CreateError::App(e.into())
        }
    }
}

impl From<DbError> for CreateError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Query(q) => q.into(),
            other => CreateError::App(other.into()),
        }
    }
}
