//! One logged-in browser per login of the world, as the attacker drives it: the session's
//! CSRF token is read once and sent as `X-CSRF-Token`, so that a step costs one
//! request; it is read again if the panel says the form expired.

use reqwest::redirect::Policy;

pub use crate::helpers::{answer_of, Answer};
use crate::helpers::{csrf_in, PASSWORD};

impl Answer {
    /// The panel sent the session to the login page: the session has ended.
    pub fn to_login(&self) -> bool {
        self.status == 303 && self.location.starts_with("/login")
    }
}

pub struct Session {
    client: reqwest::Client,
    address: String,
    csrf: String,
    /// Whom this session impersonates, as far as the attacker knows.
    pub impersonating: Option<i32>,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

impl Session {
    /// Logs `username` in; `None` (with the answer) when the panel refuses.
    pub async fn login(address: &str, username: &str) -> Result<Session, Answer> {
        let client = client();
        let page = client
            .get(format!("{address}/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = csrf_in(&page).expect("the login form carries a token");
        let res = client
            .post(format!("{address}/login"))
            .form(&[
                ("username", username),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .unwrap();
        let a = answer_of(res).await;
        if a.status != 303 {
            return Err(a);
        }
        Ok(Session {
            client,
            address: address.to_string(),
            csrf,
            impersonating: None,
        })
    }

    pub async fn get(&self, path: &str) -> Answer {
        answer_of(
            self.client
                .get(format!("{}{path}", self.address))
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// POSTs a form; reads the token again once if the panel says it is out of date.
    pub async fn post(&mut self, path: &str, fields: &[(&str, String)]) -> Answer {
        for attempt in 0..2 {
            let res = self
                .client
                .post(format!("{}{path}", self.address))
                .header("X-CSRF-Token", &self.csrf)
                .form(fields)
                .send()
                .await
                .unwrap();
            let a = answer_of(res).await;
            if a.status == 403 && a.body.contains("security token") && attempt == 0 {
                let page = self.get("/login").await;
                if let Some(t) = csrf_in(&page.body) {
                    self.csrf = t;
                    continue;
                }
                let own = self.get("/account").await;
                if let Some(t) = csrf_in(&self.get(&own.location).await.body) {
                    self.csrf = t;
                    continue;
                }
            }
            return a;
        }
        unreachable!()
    }
}

/// A GET with an API key.
pub async fn api_get(address: &str, key: &str, path: &str) -> Answer {
    answer_of(
        reqwest::Client::new()
            .get(format!("{address}{path}"))
            .bearer_auth(key)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A JSON POST with an API key.
pub async fn api_post(address: &str, key: &str, path: &str, json: serde_json::Value) -> Answer {
    answer_of(
        reqwest::Client::new()
            .post(format!("{address}{path}"))
            .bearer_auth(key)
            .json(&json)
            .send()
            .await
            .unwrap(),
    )
    .await
}
