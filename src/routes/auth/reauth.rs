//! Recent authentication ("sudo mode"). Creating API keys, changing factors,
//! starting an impersonation and saving a role with a risky or admin permission need the
//! person behind the session to have proved who they are in the last 15 minutes; without
//! it they are sent here with `next`, the page to return to. The password works, and so
//! does a code of a login that holds a factor. While impersonating, it is the
//! impersonator's password or code: the person, not the login acted as. Failures are
//! recorded and throttled as at /login.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::factor::{check_code, record, CodeCheck};
use crate::db::{self};
use crate::models::throttle::{self, Verdict};
use crate::security::password;
use crate::web::chrome::Chrome;
use crate::web::current::mark_authenticated;
use crate::web::{render, AppError, Current};
use crate::AppState;

#[derive(Template)]
#[template(path = "auth/reauth.html")]
struct ReauthPage {
    chrome: Option<Chrome>,
    next: String,
    has_factor: bool,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct ReauthForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
}

/// `next` if it is a path of this panel, else /servers: never another site (`//host`,
/// `/\host`, a scheme) and never a control character.
pub fn local_path(next: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 2000
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if ok {
        next.to_string()
    } else {
        "/servers".to_string()
    }
}

/// GET /reauth (next)
pub async fn form(
    current: Current,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    render::page(&ReauthPage {
        chrome: Some(current.chrome("account")),
        next: local_path(&query.next),
        has_factor: current.factor.has_factor,
        error: None,
    })
}

/// POST /reauth (password or code, next)
pub async fn submit(
    current: Current,
    state: web::Data<AppState>,
    form: web::Form<ReauthForm>,
) -> Result<HttpResponse, AppError> {
    let next = local_path(&form.next);
    let person = current
        .actor
        .impersonator
        .clone()
        .unwrap_or_else(|| current.actor.login.clone());
    let code: String = form.code.chars().take(100).collect();
    let pass: String = form.password.chars().take(1000).collect();
    let client = current.client.clone();
    let passed = if !code.trim().is_empty() && current.factor.has_factor {
        let key = state.factor_key.clone();
        let login = person.clone();
        let outcome = state
            .db(move |c| db::transaction(c, |c| check_code(c, &key, &login, &code, &client)))
            .await?;
        match outcome {
            CodeCheck::Passed => Ok(()),
            CodeCheck::Wrong => Err("That code is not right, or was used already."),
            CodeCheck::Throttled => Err("Too many wrong attempts. Wait 15 minutes and try again."),
        }
    } else {
        let (key, ip) = (person.username_key.clone(), client.ip.clone());
        let throttled = state
            .db(move |c| Ok(throttle::assess(c, &key, &ip)?))
            .await?
            == Verdict::Locked;
        if throttled {
            Err("Too many wrong attempts. Wait 15 minutes and try again.")
        } else {
            let hash = person.password_hash.clone();
            let right = password::off_thread(move || password::verify(&pass, &hash))
                .await
                .map_err(|e| AppError::Unexpected(e.context("password check failed")))?;
            if right {
                Ok(())
            } else {
                let login = person.clone();
                state
                    .tx(move |c| {
                        let reason = "wrong password (confirming identity)";
                        record(c, &login, &client, false, reason)
                    })
                    .await?;
                Err("That password is not right.")
            }
        }
    };
    match passed {
        Ok(()) => {
            mark_authenticated(&current.session)?;
            Ok(render::see_other(&next))
        }
        Err(message) => render::invalid(&ReauthPage {
            chrome: Some(current.chrome("account")),
            next,
            has_factor: current.factor.has_factor,
            error: Some(message.to_string()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_returned_to() {
        assert_eq!(local_path("/users/3/api-keys"), "/users/3/api-keys");
        assert_eq!(local_path("//evil.example/x"), "/servers");
        assert_eq!(local_path("/\\evil.example"), "/servers");
        assert_eq!(local_path("https://evil.example"), "/servers");
        assert_eq!(local_path("/ok\r\nSet-Cookie: x"), "/servers");
        assert_eq!(local_path(""), "/servers");
    }
}
