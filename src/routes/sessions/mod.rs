//! Open sessions a login can see and end: its own on
//! `/account/security` (created, last seen, address, browser, this one marked; end one, or
//! all others with `confirm=yes`), and every session of a login a manager covers
//! (`POST /users/{id}/sessions/end`, `…/alias-users/{aid}/sessions/end`, `confirm=yes`).
//! Who may is asked of `access::sessions`; coverage is checked again inside the
//! transaction by `changes::credentials_change`. Everything is audited. The Security
//! page's other parts (two-factor) live in their own module; this one owns the sessions
//! partial, `templates/sessions/_list.html`.

mod browser;
mod managed;
mod own;

use chrono::NaiveDateTime;

use crate::models::session::SessionRow;
use crate::routes::table::Routes;

pub use browser::describe as describe_browser;

pub fn configure(routes: &mut Routes) {
    routes
        .post("/account/sessions/end-others", own::end_others)
        .reads_fields(&["confirm"])
        .post("/account/sessions/{sess}/end", own::end_one)
        .post("/users/{id}/sessions/end", managed::end_account)
        .reads_fields(&["confirm"])
        .post(
            "/users/{id}/alias-users/{aid}/sessions/end",
            managed::end_alias,
        )
        .reads_fields(&["confirm"]);
}

/// The public id of the request's own session, to mark "this session".
pub fn this_session(current: &crate::web::Current) -> Option<String> {
    current
        .session
        .get::<String>(crate::web::session::SESSION_ID)
        .ok()
        .flatten()
}

/// One open session as the list shows it.
pub struct SessionView {
    pub public_id: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub ip: String,
    pub browser: String,
    pub this_one: bool,
    /// The login impersonates someone in it.
    pub impersonating: bool,
}

/// The rows as the list shows them, this session first.
pub fn views(rows: Vec<SessionRow>, this: Option<&str>, login_id: i32) -> Vec<SessionView> {
    let mut out: Vec<SessionView> = rows
        .into_iter()
        .map(|r| SessionView {
            this_one: this == Some(r.public_id.as_str()),
            impersonating: r.impersonator_id == Some(login_id),
            last_seen_at: r.last_seen_at.unwrap_or(r.created_at),
            created_at: r.created_at,
            browser: describe_browser(&r.user_agent),
            ip: if r.ip.is_empty() {
                "unknown".into()
            } else {
                r.ip
            },
            public_id: r.public_id,
        })
        .collect();
    out.sort_by_key(|v| !v.this_one);
    out
}

/// Another login's sessions as its manager sees them on that login's page.
pub struct ManagedSessions {
    pub sessions: Vec<SessionView>,
    /// Where "End all sessions" posts.
    pub end_url: String,
}

/// The sessions of `holder` when the actor may end them (`None` otherwise, and nothing
/// is read), on a connection the caller holds (a page view's `Visit::read`).
pub fn managed_in(
    c: &mut crate::db::DbConn,
    actor: &crate::access::Actor,
    holder: crate::access::keys::Holder<'_>,
    login_id: i32,
    page_url: &str,
) -> Result<Option<ManagedSessions>, crate::db::DbError> {
    if !crate::access::sessions::may_end_sessions_of(actor, holder) {
        return Ok(None);
    }
    let rows = crate::models::session::open_of(c, login_id)?;
    Ok(Some(ManagedSessions::of(rows, login_id, page_url)))
}

impl ManagedSessions {
    fn of(rows: Vec<SessionRow>, login_id: i32, page_url: &str) -> ManagedSessions {
        ManagedSessions {
            sessions: views(rows, None, login_id),
            end_url: format!("{page_url}/sessions/end"),
        }
    }
}
