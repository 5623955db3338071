//! One hand-off for a page view. A handler that takes `Visit` instead of `Current` reads
//! its session, the acting login's rows and its own rows on one pooled connection, inside
//! one read snapshot, in one trip to a blocking thread: `visit.read(&state, |c, actor| …)`.
//! The closure is where the handler asks `access` (it gets the judged `Actor`) and reads
//! through `models`; what it answers comes back with the `Current` the page renders with.
//! When the session was read already (a state-changing request, whose CSRF check needs
//! it before the handler) the same closure runs in a second hand-off, as before.

use actix_web::{FromRequest, HttpRequest};
use std::future::{ready, Ready};

use super::client::ClientInfo;
use super::current::{judge, Current, Judged};
use super::error::AppError;
use super::session::{self, SessionExt};
use crate::access::Actor;
use crate::db::{self, DbConn};
use crate::AppState;

/// A logged-in page view whose session is read together with the page's rows.
pub struct Visit {
    req: HttpRequest,
}

impl FromRequest for Visit {
    type Error = AppError;
    type Future = Ready<Result<Visit, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Ok(Visit { req: req.clone() }))
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

    /// The acting login and what `work` read for it, consistently: `work` sees the same
    /// moment as the session and the rights it is judged by. A visitor without a live
    /// session is sent to log in; a login that may no longer act ends its session, as
    /// with `Current`.
    pub async fn read<T, F>(&self, state: &AppState, work: F) -> Result<(Current, T), AppError>
    where
        F: FnOnce(&mut DbConn, &Actor) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let Some(hash) = session::pending(&self.req) else {
            return self.read_after(state, work).await;
        };
        let require_two_factor = state.require_two_factor;
        let path = self.req.path().to_owned();
        let found = db::run(&state.pool, move |c| -> Result<Found<T>, AppError> {
            let read = db::read_snapshot(c, |c| -> Result<_, AppError> {
                let Some((mut loaded, stale)) = session::read_in_snapshot(c, &hash)? else {
                    return Ok(None);
                };
                let verdict = match loaded.acting.take() {
                    Some(pre) => {
                        let judged = judge(pre.acting, require_two_factor, &path);
                        let rows = match &judged {
                            Judged::Acts { actor, .. } => Some(work(c, actor)?),
                            _ => None,
                        };
                        Some((judged, rows))
                    }
                    None => None,
                };
                Ok(Some((loaded, verdict, stale)))
            })?;
            Ok(read.map(|(loaded, verdict, stale)| {
                if stale {
                    // Extending the expiry is a write: after the snapshot, same connection.
                    session::extend(c, &hash);
                }
                (loaded, verdict)
            }))
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

    /// The session is in hand already: judge it, then read the rows (two hand-offs).
    async fn read_after<T, F>(&self, state: &AppState, work: F) -> Result<(Current, T), AppError>
    where
        F: FnOnce(&mut DbConn, &Actor) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let current = Current::extract(&self.req).await?;
        let actor = current.actor.clone();
        let rows = db::run(&state.pool, move |c| {
            db::read_snapshot(c, |c| work(c, &actor))
        })
        .await?;
        Ok((current, rows))
    }
}
