//! GET and POST /invitations/{token}: an invited login chooses its password. Public: the
//! link is the credential, so no session is needed, and showing the form writes nothing
//! (its CSRF token is the stateless one of the login form, `web::login_csrf`). An unknown,
//! used or replaced link is 404; an expired one is 410 and says to ask for a new one. The
//! change itself is `operations::invitations::accept`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::models::now;
use crate::operations::invitations::{self, Link, NotAccepted};
use crate::routes::table::Routes;
use crate::web::client::ClientInfo;
use crate::web::error::error_page;
use crate::web::form::FieldErrors;
use crate::web::login_csrf::LoginCsrf;
use crate::web::{render, AppError};
use crate::AppState;

pub fn configure(routes: &mut Routes) {
    routes
        .get("/invitations/{token}", page)
        .post("/invitations/{token}", submit)
        .reads::<AcceptForm>();
}

#[derive(Template)]
#[template(path = "invitations/accept.html")]
struct AcceptPage {
    chrome: Option<crate::web::chrome::Chrome>,
    csrf: String,
    token: String,
    username: String,
    errors: FieldErrors,
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    password: String,
}

/// The link's answer when it leads nowhere: 404, or 410 for an expired one.
fn closed(link: Link) -> Result<HttpResponse, AppError> {
    match link {
        Link::Expired => Ok(error_page(
            StatusCode::GONE,
            "This invitation has expired",
            "An invitation link works for 72 hours. Ask whoever invited you to send a new invitation.",
        )),
        _ => Err(AppError::NotFound),
    }
}

/// The form, with the stateless CSRF cookie when the visitor has none fresh. The link's
/// token stays out of other sites' logs: no Referer leaves this page.
fn form_page(
    req: &HttpRequest,
    csrf: &LoginCsrf,
    token: String,
    username: String,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let invalid = !errors.is_empty();
    let (csrf_token, cookie) = csrf.issue(req);
    let page = AcceptPage {
        chrome: None,
        csrf: csrf_token,
        token,
        username,
        errors,
    };
    let mut res = if invalid {
        render::invalid(&page)?
    } else {
        render::page(&page)?
    };
    res.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    if let Some(c) = cookie {
        res.add_cookie(&c)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("cookie: {e}")))?;
    }
    Ok(res)
}

/// GET /invitations/{token}
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    csrf: web::Data<LoginCsrf>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    match invitations::look(&state.pool, &token).await? {
        Link::Open { username } => form_page(&req, &csrf, token, username, FieldErrors::default()),
        other => closed(other),
    }
}

/// POST /invitations/{token} (password)
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    csrf: web::Data<LoginCsrf>,
    path: web::Path<String>,
    form: web::Form<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let client = ClientInfo::of(&req);
    let audit = crate::models::audit::NewAuditEntry {
        account_id: None,
        actor_id: None,
        actor_name: String::new(),
        impersonator_id: None,
        impersonator_name: None,
        action: String::new(),
        target: String::new(),
        details: String::new(),
        ip: client.ip,
        user_agent: client.user_agent,
        via_api: false,
        created_at: now(),
    };
    match invitations::accept(&state.pool, &token, &form.password, audit).await {
        Ok(_) => Ok(render::see_other("/login?notice=password-set")),
        Err(NotAccepted::Link(link)) => closed(link),
        Err(NotAccepted::Invalid(errors)) => {
            let username = match invitations::look(&state.pool, &token).await? {
                Link::Open { username } => username,
                other => return closed(other),
            };
            form_page(&req, &csrf, token, username, errors)
        }
        Err(NotAccepted::Op(e)) => Err(e.into()),
    }
}
