//! GET/POST /login. Passwords are verified on a blocking thread; an unknown username is
//! checked against a dummy hash; every failure shows the same message, so the form never
//! tells whether a username exists. Repeated failures are throttled per (username,
//! address) and per address, with a slower per-username backstop that only delays
//! (models/throttle.rs), counted in the database so that every instance sees the same.

use crate::web::session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::access::actor::standing;
use crate::db::DbError;
use crate::models::now;
use crate::models::throttle::{self, Verdict};
use crate::models::user::User;
use crate::ops::metrics;
use crate::security::password;
use crate::web::client::ClientInfo;
use crate::web::current::set_flash;
use crate::web::limits::MAX_SESSIONS_PER_LOGIN;
use crate::web::login_csrf::LoginCsrf;
use crate::web::render;
use crate::web::session::{CLIENT_AGENT, CLIENT_IP, LOGIN_ID};
use crate::web::AppError;
use crate::AppState;

const GENERIC_FAILURE: &str = "Wrong username or password.";

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    chrome: Option<crate::web::chrome::Chrome>,
    csrf: String,
    username: String,
    error: Option<String>,
    /// A notice for a visitor sent here (a password just set through an invitation).
    notice: Option<&'static str>,
}

/// `?notice=password-set`: the visitor arrives from an accepted invitation.
#[derive(Deserialize)]
pub struct LoginNotice {
    #[serde(default)]
    notice: String,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// The login page. A visitor gets no session row: the form's CSRF token is stateless
/// (`web::login_csrf`), so showing the form writes nothing.
pub async fn form(
    req: HttpRequest,
    session: Session,
    csrf: web::Data<LoginCsrf>,
    query: web::Query<LoginNotice>,
) -> Result<HttpResponse, AppError> {
    if session.get::<i32>(LOGIN_ID).ok().flatten().is_some() {
        return Ok(render::see_other("/servers"));
    }
    let (token, cookie) = csrf.issue(&req);
    let page = LoginPage {
        chrome: None,
        csrf: token,
        username: String::new(),
        error: None,
        notice: (query.notice == "password-set")
            .then_some("Your password is set. Log in with your username and your new password."),
    };
    with_cookie(render::page(&page)?, cookie)
}

fn with_cookie(
    mut res: HttpResponse,
    cookie: Option<actix_web::cookie::Cookie<'static>>,
) -> Result<HttpResponse, AppError> {
    if let Some(c) = cookie {
        res.add_cookie(&c)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
    }
    Ok(res)
}

enum Outcome {
    Throttled,
    Failed,
    Refused(&'static str),
    Ok(i32),
}

pub async fn submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    csrf: web::Data<LoginCsrf>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let client = ClientInfo::of(&req);
    // A control character (NUL among them, which PostgreSQL refuses in text) becomes
    // U+FFFD: no username holds one, so the attempt fails, and is counted, as any other.
    let username: String = form
        .username
        .trim()
        .chars()
        .take(100)
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    let key = username.to_ascii_lowercase();
    let pass = form.password.clone();

    let (verdict, user) = {
        let (key, ip) = (key.clone(), client.ip.clone());
        state
            .db(move |c| {
                let verdict = throttle::assess(c, &key, &ip)?;
                let throttled = verdict == Verdict::Locked;
                let user = if throttled {
                    None
                } else {
                    User::find_by_username(c, &key)?
                };
                let parent = match user.as_ref().and_then(|u| u.parent_id) {
                    Some(pid) => User::find(c, pid)?,
                    None => None,
                };
                Ok((verdict, user.map(|u| (u, parent))))
            })
            .await?
    };
    if let Verdict::Delay(wait) = verdict {
        // The backstop: many failures for this username from many addresses. Slow the
        // answer (as a timer, holding no thread) instead of locking the owner out.
        metrics::login_delayed();
        actix_web::rt::time::sleep(wait).await;
    }

    let outcome = if verdict == Verdict::Locked {
        Outcome::Throttled
    } else {
        // Argon2 is deliberately slow: keep it off the async threads.
        let checked = password::off_thread(move || match user {
            None => {
                password::verify_dummy(&pass);
                None
            }
            Some((u, parent)) => password::verify(&pass, &u.password_hash).then_some((u, parent)),
        })
        .await
        .map_err(|e| AppError::Unexpected(e.context("password check failed")))?;
        match checked {
            None => Outcome::Failed,
            Some((u, parent)) => match standing(&u, parent.as_ref(), now().date()) {
                Ok(()) => Outcome::Ok(u.id),
                Err(refusal) => Outcome::Refused(refusal.reason()),
            },
        }
    };

    // Record the attempt (never the password) for throttling and Login History; learn
    // whether this login had logged in before (a first login is not "welcomed back").
    let returning = {
        let key = key.clone();
        let (success, reason) = match &outcome {
            Outcome::Throttled => (false, "throttled"),
            Outcome::Failed => (false, "wrong username or password"),
            Outcome::Refused(r) => (false, *r),
            Outcome::Ok(_) => (true, ""),
        };
        metrics::login(match &outcome {
            Outcome::Throttled => "throttled",
            Outcome::Failed => "failure",
            Outcome::Refused(_) => "refused",
            Outcome::Ok(_) => "success",
        });
        let client = client.clone();
        let login_id = if let Outcome::Ok(id) = outcome {
            Some(id)
        } else {
            None
        };
        state
            .db(move |c| {
                // One transaction: the attempt, the last-login time and the session cap are
                // one write.
                crate::db::transaction(c, |c| record(c, &key, &client, success, reason, login_id))
            })
            .await?
    };

    let error = match outcome {
        Outcome::Ok(id) => {
            // A fresh session key and CSRF token on every login (no session fixation);
            // a login with a second factor is only pending until its code passes.
            let next = super::two_factor::after_password(&session, &state, id).await?;
            session
                .insert(CLIENT_IP, &client.ip)
                .and_then(|()| session.insert(CLIENT_AGENT, &client.user_agent))
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!("session: {e}")))?;
            set_flash(
                &session,
                "success",
                if returning {
                    "Welcome back."
                } else {
                    "Welcome to Steward. This is your first login."
                },
            );
            return Ok(render::see_other(next));
        }
        Outcome::Throttled => format!(
            "Too many failed attempts from your address. Wait {} minutes before trying again, or ask your provider to lift the block.",
            throttle::WINDOW_MINUTES
        ),
        Outcome::Refused(_) => "This login is disabled or has expired. Ask the account owner to enable it.".to_string(),
        Outcome::Failed => GENERIC_FAILURE.to_string(),
    };
    let (token, cookie) = csrf.issue(&req);
    let page = LoginPage {
        chrome: None,
        csrf: token,
        username,
        error: Some(error),
        notice: None,
    };
    with_cookie(render::invalid(&page)?, cookie)
}

/// Records a login attempt (never the password) and, on success, the login time and the
/// owner's notice of a new address; answers whether the login had logged in before.
fn record(
    c: &mut crate::db::DbConn,
    key: &str,
    client: &ClientInfo,
    success: bool,
    reason: &str,
    login_id: Option<i32>,
) -> Result<bool, DbError> {
    let user = User::find_by_username(c, key)?;
    // The password was right: a login that signed in before, never from this address,
    // tells its account owner. Asked before this attempt joins the history.
    if let (Some(u), Some(_)) = (&user, login_id) {
        crate::operations::notices::signed_in(c, u, &client.ip, &client.user_agent)?;
    }
    super::factor::attempt(c, key, user.as_ref(), client, success, reason)?;
    let returning = user.as_ref().is_some_and(|u| u.last_login_at.is_some());
    if let Some(id) = login_id {
        User::record_login(c, id)?;
        throttle::settle_pair(c, key, &client.ip)?;
        end_oldest_sessions(c, id, client)?;
    }
    Ok(returning)
}

/// Makes room for the session about to be created: a login holds at most
/// `MAX_SESSIONS_PER_LOGIN` sessions, and the oldest ones end (audited) to stay within it.
fn end_oldest_sessions(
    c: &mut crate::db::DbConn,
    login_id: i32,
    client: &ClientInfo,
) -> Result<(), DbError> {
    let ended = crate::models::session::end_oldest_of(c, login_id, MAX_SESSIONS_PER_LOGIN - 1)?;
    if ended == 0 {
        return Ok(());
    }
    let Some(user) = User::find(c, login_id)? else {
        return Ok(());
    };
    crate::models::audit::NewAuditEntry {
        account_id: Some(user.parent_id.unwrap_or(user.id)),
        actor_id: Some(user.id),
        actor_name: user.username.clone(),
        impersonator_id: None,
        impersonator_name: None,
        action: "session.limit".into(),
        target: format!("login {}", user.username),
        details: format!(
            "{ended} oldest session(s) ended: a login keeps at most {MAX_SESSIONS_PER_LOGIN}"
        ),
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        via_api: false,
        created_at: now(),
    }
    .insert(c)?;
    Ok(())
}
