//! One hand-off for a page view or a change. A handler that takes `Visit` instead of
//! `Current` reads its session, the acting login's rows and its own rows on one pooled
//! connection, inside one read snapshot, in one trip to a blocking thread:
//! `visit.read(|c, actor| …)`; `visit.change(|c, actor| …)` does the same
//! inside one write transaction (`change_sudo` when the closure must also know whether
//! the session's person authenticated recently). The closure is where the handler asks
//! `access` (it gets the judged `Actor`) and reads through `models` or calls an
//! operation's synchronous part; what it answers comes back with the `Current` the page
//! renders with. When an extractor has read the session already, the closure runs in a
//! hand-off of its own.

use actix_web::{FromRequest, HttpRequest};
use std::future::{ready, Ready};

use super::account::visible_account_in;
use super::client::ClientInfo;
use super::current::{authenticated_recently, judge, Current, Judged};
use super::error::AppError;
use super::session::{self, SessionExt};
use crate::access::Actor;
use crate::db::{self, DbConn};
use crate::models::user::User;
use crate::AppState;

/// A logged-in page view whose session is read together with the page's rows, on the
/// panel's pool (`state`, which the handler reaches through `visit.state()` for the rest:
/// mail links, the job queue).
pub struct Visit {
    req: HttpRequest,
    state: actix_web::web::Data<AppState>,
}

/// What a handler gives `read` or `change`: its reads and its change, run on the
/// request's one connection for the acting login.
pub trait Work<T>: FnOnce(&mut DbConn, &Actor) -> Result<T, AppError> + Send + 'static {}
impl<T, F: FnOnce(&mut DbConn, &Actor) -> Result<T, AppError> + Send + 'static> Work<T> for F {}

/// `Work` for `change_sudo`: it also learns whether the person authenticated recently.
pub trait SudoWork<T>:
    FnOnce(&mut DbConn, &Actor, bool) -> Result<T, AppError> + Send + 'static
{
}
impl<T, F: FnOnce(&mut DbConn, &Actor, bool) -> Result<T, AppError> + Send + 'static> SudoWork<T>
    for F
{
}

/// `Work` on the account a path names (`read_account`, `change_account`).
pub trait AccountWork<T>:
    FnOnce(&mut DbConn, &Actor, User) -> Result<T, AppError> + Send + 'static
{
}
impl<T, F: FnOnce(&mut DbConn, &Actor, User) -> Result<T, AppError> + Send + 'static> AccountWork<T>
    for F
{
}

impl FromRequest for Visit {
    type Error = AppError;
    type Future = Ready<Result<Visit, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let visit = match req.app_data::<actix_web::web::Data<AppState>>() {
            Some(state) => Ok(Visit {
                req: req.clone(),
                state: state.clone(),
            }),
            None => Err(AppError::Unexpected(anyhow::anyhow!(
                "the app state is not registered"
            ))),
        };
        ready(visit)
    }
}

/// What the blocking side found: the session as read, and, for a session with a login,
/// the verdict on it and the page's rows (read only when the login may act).
type Found<T> = Option<(session::Loaded, Option<(Judged, Option<T>)>)>;

impl Visit {
    /// A segment of the route's path (`{id}`), as sent; empty when the route has none.
    pub fn param(&self, name: &str) -> String {
        self.req
            .match_info()
            .get(name)
            .unwrap_or_default()
            .to_owned()
    }

    /// The panel's state, for what a handler needs besides its hand-off.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The client the request came from, for the audit rows a change writes.
    pub fn client(&self) -> ClientInfo {
        ClientInfo::of(&self.req)
    }

    /// The acting login and what `work` read for it, consistently: `work` sees the same
    /// moment as the session and the rights it is judged by. A visitor without a live
    /// session is sent to log in; a login that may no longer act ends its session, as
    /// with `Current`.
    pub async fn read<T: Send + 'static>(
        &self,
        work: impl Work<T>,
    ) -> Result<(Current, T), AppError> {
        self.visit(Mode::Read, work).await
    }

    /// `read` for a change: the session, the login's rights and `work` in one write
    /// transaction, committed when `work` answers `Ok` and rolled back otherwise. The
    /// rights a change is checked against are those of the moment it is written.
    pub async fn change<T: Send + 'static>(
        &self,
        work: impl Work<T>,
    ) -> Result<(Current, T), AppError> {
        self.visit(Mode::Write, work).await
    }

    /// `read` for a page of the account the path's `{id}` names: `work` gets that account
    /// when the actor may see it (404 otherwise, as with `VisibleAccount`).
    pub async fn read_account<T: Send + 'static>(
        &self,
        work: impl AccountWork<T>,
    ) -> Result<(Current, T), AppError> {
        let id = self.param("id");
        self.visit(Mode::Read, move |c, actor| {
            let account = visible_account_in(c, actor, &id)?;
            work(c, actor, account)
        })
        .await
    }

    /// `read_account` for one of the account's tabs, which the actor may open when `may`
    /// says so (403 otherwise; the same check hides the tab in the tab bar). `work`
    /// borrows the account, and the account comes back with what it read.
    pub async fn read_tab<T: Send + 'static>(
        &self,
        may: fn(&Actor, &User) -> bool,
        work: impl FnOnce(&mut DbConn, &Actor, &User) -> Result<T, AppError> + Send + 'static,
    ) -> Result<(Current, User, T), AppError> {
        let (current, (account, found)) = self
            .read_account(move |c, actor, account| {
                if !may(actor, &account) {
                    return Err(AppError::Forbidden);
                }
                let found = work(c, actor, &account)?;
                Ok((account, found))
            })
            .await?;
        Ok((current, account, found))
    }

    /// `change` on the account the path's `{id}` names, as `read_account` finds it.
    pub async fn change_account<T: Send + 'static>(
        &self,
        work: impl AccountWork<T>,
    ) -> Result<(Current, T), AppError> {
        let id = self.param("id");
        self.visit(Mode::Write, move |c, actor| {
            let account = visible_account_in(c, actor, &id)?;
            work(c, actor, account)
        })
        .await
    }

    /// `change` for a change that may need sudo mode: `work` also learns whether the
    /// person behind the session proved who they are in the last 15 minutes, as the same
    /// session says (a risky role, for one, is saved only then).
    pub async fn change_sudo<T: Send + 'static>(
        &self,
        work: impl SudoWork<T>,
    ) -> Result<(Current, T), AppError> {
        self.visit_as(Mode::Write, work).await
    }

    async fn visit<T: Send + 'static>(
        &self,
        mode: Mode,
        work: impl Work<T>,
    ) -> Result<(Current, T), AppError> {
        self.visit_as(mode, move |c, actor, _| work(c, actor)).await
    }

    async fn visit_as<T: Send + 'static>(
        &self,
        mode: Mode,
        work: impl SudoWork<T>,
    ) -> Result<(Current, T), AppError> {
        let Some(hash) = session::pending(&self.req) else {
            return self.visit_after(mode, work).await;
        };
        let state: &AppState = &self.state;
        let require_two_factor = state.require_two_factor;
        let path = self.req.path().to_owned();
        let found = db::run(&state.pool, move |c| -> Result<Found<T>, AppError> {
            let mut due = false;
            let read = mode.within(c, |c| {
                let Some((mut loaded, stale)) = session::read_in_snapshot(c, &hash)? else {
                    return Ok(None);
                };
                due = stale;
                let recent = authenticated_recently(
                    loaded
                        .state
                        .get(session::AUTH_AT)
                        .and_then(|v| v.parse().ok()),
                );
                let verdict = match loaded.acting.take() {
                    Some(pre) => {
                        let judged = judge(pre.acting, require_two_factor, &path);
                        let rows = match &judged {
                            Judged::Acts { actor, .. } => Some(work(c, actor, recent)?),
                            _ => None,
                        };
                        Some((judged, rows))
                    }
                    None => None,
                };
                Ok(Some((loaded, verdict)))
            });
            if due {
                // Extending the expiry is a write of its own, after the transaction (same
                // connection), which waits for no disk; a refused page view counts as use.
                session::extend(c, &hash);
            }
            read
        })
        .await?;
        let Some((loaded, verdict)) = found else {
            session::settle(&self.req, None);
            return Err(AppError::LoginRequired);
        };
        session::settle(&self.req, Some(loaded));
        let Some((judged, rows)) = verdict else {
            return Err(AppError::LoginRequired);
        };
        let current = Current::finish(self.req.get_session(), judged, ClientInfo::of(&self.req))?;
        let rows = rows.ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("no rows read")))?;
        Ok((current, rows))
    }

    /// The session is in hand already (an extractor read it): judge it, then run `work`
    /// (two hand-offs).
    async fn visit_after<T: Send + 'static>(
        &self,
        mode: Mode,
        work: impl SudoWork<T>,
    ) -> Result<(Current, T), AppError> {
        let current = Current::extract(&self.req).await?;
        let actor = current.actor.clone();
        let recent = current.recently_authenticated();
        let rows = db::run(&self.state.pool, move |c| {
            mode.within(c, |c| work(c, &actor, recent))
        })
        .await?;
        Ok((current, rows))
    }
}

/// A page view reads in one snapshot; a change writes in one transaction.
#[derive(Clone, Copy)]
enum Mode {
    Read,
    Write,
}

impl Mode {
    fn within<T>(
        self,
        c: &mut DbConn,
        work: impl FnOnce(&mut DbConn) -> Result<T, AppError>,
    ) -> Result<T, AppError> {
        match self {
            Mode::Read => db::read_snapshot(c, work),
            Mode::Write => db::transaction(c, work),
        }
    }
}
