//! GET/POST /login. Passwords are verified on a blocking thread; an unknown username is
//! checked against a dummy hash; every failure shows the same message, so the form never
//! tells whether a username exists. Repeated failures are throttled per username and per
//! address, counted in the database so that every instance sees the same count.

use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Duration;
use serde::Deserialize;

use crate::access::actor::standing;
use crate::db::{self, DbError};
use crate::models::login_attempt::{self, NewLoginAttempt};
use crate::models::now;
use crate::models::user::User;
use crate::security::password;
use crate::web::client::ClientInfo;
use crate::web::current::{csrf_token, set_flash};
use crate::web::render;
use crate::web::session_store::{CLIENT_AGENT, CLIENT_IP, CSRF, IMPERSONATOR_ID, LOGIN_ID};
use crate::web::AppError;
use crate::AppState;

/// Failures per username, and per address, within the window before logins are refused.
pub const MAX_FAILURES_PER_USERNAME: i64 = 5;
pub const MAX_FAILURES_PER_IP: i64 = 50;
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

const GENERIC_FAILURE: &str = "Wrong username or password.";

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    chrome: Option<crate::web::chrome::Chrome>,
    csrf: String,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn form(session: Session) -> Result<HttpResponse, AppError> {
    if session.get::<i32>(LOGIN_ID).ok().flatten().is_some() {
        return Ok(render::see_other("/servers"));
    }
    render::page(&LoginPage {
        chrome: None,
        csrf: csrf_token(&session),
        username: String::new(),
        error: None,
    })
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

    let (throttled, user) = {
        let (key, ip) = (key.clone(), client.ip.clone());
        db::run(&state.pool, move |c| {
            let window = Duration::minutes(THROTTLE_WINDOW_MINUTES);
            let throttled = login_attempt::recent_failures_for_username(c, &key, window)?
                >= MAX_FAILURES_PER_USERNAME
                || login_attempt::recent_failures_for_ip(c, &ip, window)? >= MAX_FAILURES_PER_IP;
            let user = if throttled {
                None
            } else {
                User::find_by_username(c, &key)?
            };
            let parent = match user.as_ref().and_then(|u| u.parent_id) {
                Some(pid) => User::find(c, pid)?,
                None => None,
            };
            Ok::<_, DbError>((throttled, user.map(|u| (u, parent))))
        })
        .await?
    };

    let outcome = if throttled {
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
        let client = client.clone();
        let login_id = if let Outcome::Ok(id) = outcome {
            Some(id)
        } else {
            None
        };
        db::run(&state.pool, move |c| {
            // One transaction: the attempt and the last-login time are one write.
            crate::db::transaction(c, |c| record(c, &key, &client, success, reason, login_id))
        })
        .await?
    };

    let error = match outcome {
        Outcome::Ok(id) => {
            // A fresh session key and CSRF token on every login (no session fixation).
            session.renew();
            session.remove(IMPERSONATOR_ID);
            session.remove(CSRF);
            session
                .insert(LOGIN_ID, id)
                .and_then(|()| session.insert(CLIENT_IP, &client.ip))
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
            return Ok(render::see_other("/servers"));
        }
        Outcome::Throttled => format!(
            "Too many failed attempts. Wait {THROTTLE_WINDOW_MINUTES} minutes before trying again, or ask your provider to reset your password."
        ),
        Outcome::Refused(_) => "This login is disabled or has expired. Ask the account owner to enable it.".to_string(),
        Outcome::Failed => GENERIC_FAILURE.to_string(),
    };
    render::invalid(&LoginPage {
        chrome: None,
        csrf: csrf_token(&session),
        username,
        error: Some(error),
    })
}

/// Records a login attempt (never the password) and, on success, the login time; answers
/// whether the login had logged in before.
fn record(
    c: &mut crate::db::DbConn,
    key: &str,
    client: &ClientInfo,
    success: bool,
    reason: &str,
    login_id: Option<i32>,
) -> Result<bool, DbError> {
    let user = User::find_by_username(c, key)?;
    let account_id = user.as_ref().map(|u| u.parent_id.unwrap_or(u.id));
    NewLoginAttempt {
        username_key: key,
        user_id: user.as_ref().map(|u| u.id),
        account_id,
        ip: &client.ip,
        user_agent: &client.user_agent,
        success,
        reason,
        created_at: now(),
    }
    .insert(c)?;
    let returning = user.as_ref().is_some_and(|u| u.last_login_at.is_some());
    if let Some(id) = login_id {
        User::record_login(c, id)?;
    }
    Ok(returning)
}
