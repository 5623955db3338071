//! GET /users/{id}/access-review.csv (detail=servers optional): the review as CSV,
//! streamed. A blocking task walks the alias users in chunks of `LOGINS_PER_CHUNK` (and,
//! for `detail=servers`, each login's servers in chunks of `SERVERS_PER_CHUNK`, by id),
//! taking a pooled connection per chunk, and writes through the `csv` crate into a
//! channel of a few buffers that the response body drains. A slow client stops the
//! writer at a full channel; a client that leaves closes it, and the writer stops. So
//! 500 alias users × 10,000 servers never sit in memory, and the pool is shared fairly.

use std::io::Write;

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::{alias_filter, owner_passes, LoginView, Roles};
use crate::access::review::{
    is_risky, login_reach, may_review_access, reviewable_reach, ReviewFilter,
};
use crate::access::Actor;
use crate::db::{DbError, DbPool};
use crate::models::review;
use crate::models::server::Server;
use crate::models::user::User;
use crate::web::{AppError, Visit};

const LOGINS_PER_CHUNK: i64 = 200;
const SERVERS_PER_CHUNK: i64 = 1_000;
/// Bytes gathered before a buffer goes to the client, and buffers waiting at most.
const BUFFER_BYTES: usize = 64 * 1024;
const BUFFERS_WAITING: usize = 4;

#[derive(Debug, Default, Deserialize)]
pub struct CsvQuery {
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub filter: String,
}

type Chunk = Result<web::Bytes, std::io::Error>;

pub async fn export(visit: Visit, query: web::Query<CsvQuery>) -> Result<HttpResponse, AppError> {
    let state = visit.state();
    let (current, account, ()) = visit.read_tab(may_review_access, |_, _, _| Ok(())).await?;
    let detail = query.detail.trim() == "servers";
    let filter = ReviewFilter::parse(&query.filter);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Chunk>(BUFFERS_WAITING);
    let pool = state.pool.clone();
    let actor = current.actor.clone();
    let rt = tokio::runtime::Handle::current();
    let filename = format!(
        "access-review-{}{}.csv",
        account.username,
        if detail { "-servers" } else { "" }
    );
    tokio::task::spawn_blocking(move || {
        let out = Sender {
            tx,
            buf: Vec::with_capacity(BUFFER_BYTES),
        };
        let mut w = csv::Writer::from_writer(out);
        let job = Export {
            pool: &pool,
            rt: &rt,
            actor: &actor,
            account: &account,
            filter,
        };
        let done = if detail {
            job.detailed(&mut w)
        } else {
            job.summary(&mut w)
        };
        match done {
            Ok(()) => {
                let _ = w.flush();
                if let Ok(mut out) = w.into_inner() {
                    let _ = out.flush();
                }
            }
            // A client that left is not an error; a database failure truncates the file.
            Err(e) => log::warn!("access review CSV of account {} stopped: {e}", account.id),
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body))
}

/// Gathers bytes and hands them to the response in buffers; blocks while the client is
/// behind, and fails once it is gone.
struct Sender {
    tx: tokio::sync::mpsc::Sender<Chunk>,
    buf: Vec<u8>,
}

impl Write for Sender {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= BUFFER_BYTES {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = web::Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(BUFFER_BYTES),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Csv(#[from] csv::Error),
}

impl From<diesel::result::Error> for ExportError {
    fn from(e: diesel::result::Error) -> Self {
        ExportError::Db(e.into())
    }
}

type W = csv::Writer<Sender>;

struct Export<'a> {
    pool: &'a DbPool,
    rt: &'a tokio::runtime::Handle,
    actor: &'a Actor,
    account: &'a User,
    filter: ReviewFilter,
}

impl Export<'_> {
    /// Calls `each` with every login of the review, a chunk of them at a time.
    fn logins(
        &self,
        w: &mut W,
        mut each: impl FnMut(&Self, &mut W, LoginView) -> Result<(), ExportError>,
    ) -> Result<(), ExportError> {
        let (roles, f, owner) = {
            let (_slot, mut c) = self.pool.blocking_get(self.rt)?;
            let roles = Roles::load(&mut c, self.account.id)?;
            let f = alias_filter(self.filter, self.account, &roles);
            let owner = if owner_passes(&mut c, self.filter, self.account)? {
                let mut facts = review::facts(&mut c, &[self.account.id])?;
                Some(LoginView::of(
                    self.account,
                    &roles,
                    self.account.clone(),
                    &mut facts,
                ))
            } else {
                None
            };
            (roles, f, owner)
        };
        if let Some(o) = owner {
            each(self, w, o)?;
        }
        let mut after = 0;
        loop {
            let views = {
                let (_slot, mut c) = self.pool.blocking_get(self.rt)?;
                let chunk =
                    review::aliases_after(&mut c, self.account.id, &f, after, LOGINS_PER_CHUNK)?;
                let ids: Vec<i32> = chunk.iter().map(|l| l.id).collect();
                let mut facts = review::facts(&mut c, &ids)?;
                chunk
                    .into_iter()
                    .map(|l| LoginView::of(self.account, &roles, l, &mut facts))
                    .collect::<Vec<_>>()
            };
            let Some(last) = views.last() else {
                return Ok(());
            };
            after = last.login.id;
            let full = views.len() as i64 == LOGINS_PER_CHUNK;
            for v in views {
                each(self, w, v)?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// One row per login and permission (a login without any: one row, no permission).
    fn summary(&self, w: &mut W) -> Result<(), ExportError> {
        w.write_record([
            "login",
            "kind",
            "status",
            "role",
            "two_factor",
            "permission",
            "risky",
            "servers",
            "api_keys",
            "api_key_last_used",
            "sessions",
            "last_login",
        ])?;
        self.logins(w, |_, w, v| {
            let base = [
                v.login.username.clone(),
                v.kind.to_string(),
                v.status.key().to_string(),
                v.role.clone(),
                if v.two_factor { "on" } else { "off" }.to_string(),
            ];
            let tail = [
                v.servers.text(),
                v.live_keys().to_string(),
                stamp(v.last_key_use()),
                v.sessions.to_string(),
                stamp(v.login.last_login_at),
            ];
            let perms: Vec<_> = v.permissions.iter().collect();
            if perms.is_empty() {
                let row = base
                    .iter()
                    .cloned()
                    .chain(["".into(), "".into()])
                    .chain(tail.iter().cloned());
                w.write_record(row.collect::<Vec<String>>())?;
            }
            for p in perms {
                let row = base
                    .iter()
                    .cloned()
                    .chain([p.key.to_string(), yes_no(is_risky(p))])
                    .chain(tail.iter().cloned());
                w.write_record(row.collect::<Vec<String>>())?;
            }
            Ok(())
        })
    }

    /// One row per login, permission and server: a server permission once per server the
    /// reviewer may see, then one row counting the servers it may not; an account-level
    /// permission once, with no server.
    fn detailed(&self, w: &mut W) -> Result<(), ExportError> {
        w.write_record(["login", "kind", "permission", "risky", "server"])?;
        self.logins(w, |me, w, v| {
            let user = v.login.username.as_str();
            for p in v.permissions.account_part().iter() {
                w.write_record([user, v.kind, p.key, &yes_no(is_risky(p)), ""])?;
            }
            let on_servers: Vec<_> = v.permissions.server_part().iter().collect();
            if on_servers.is_empty() {
                return Ok(());
            }
            let visible = reviewable_reach(me.actor, me.account, &v.login);
            let whole = login_reach(me.account, &v.login);
            let (mut after, mut seen) = (0, 0i64);
            loop {
                let servers = {
                    let (_slot, mut c) = me.pool.blocking_get(me.rt)?;
                    review::servers_after(&mut c, &visible, after, SERVERS_PER_CHUNK)?
                };
                for (_, host) in &servers {
                    for p in &on_servers {
                        w.write_record([user, v.kind, p.key, &yes_no(is_risky(p)), host])?;
                    }
                }
                seen += servers.len() as i64;
                match servers.last() {
                    Some((id, _)) if servers.len() as i64 == SERVERS_PER_CHUNK => after = *id,
                    _ => break,
                }
            }
            if visible != whole {
                let total = {
                    let (_slot, mut c) = me.pool.blocking_get(me.rt)?;
                    Server::count_within(&mut c, &whole)?
                };
                let hidden = total - seen;
                if hidden > 0 {
                    let note = format!("{hidden} servers outside your reach");
                    for p in &on_servers {
                        w.write_record([user, v.kind, p.key, &yes_no(is_risky(p)), &note])?;
                    }
                }
            }
            Ok(())
        })
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

fn stamp(t: Option<chrono::NaiveDateTime>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}
