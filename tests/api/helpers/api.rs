//! The JSON API as the tests call it: an API key written straight to the database
//! (`app.key_for(user)...create()`, or just its secret: `app.api_key`), and requests with a bearer key that answer the status and the JSON
//! body (`app.api_get`, `app.api_post`, `app.api_call`; `app.api` for no key at all).

use chrono::NaiveDate;
use serde_json::Value;
use steward::models::api_key::NewApiKey;
use steward::models::now;
use steward::security::api_key::ApiKeySecret;

use super::TestApp;

/// An API key written straight to the database, for `app.key_for(user)`: every right of
/// its login, from any address, no expiry, named "Script <its prefix>" (a login's live
/// keys have unique names) unless `named`.
pub struct KeyBuilder<'a> {
    app: &'a TestApp,
    user: i32,
    name: Option<String>,
    expires_on: Option<NaiveDate>,
    allowed_ips: String,
}

impl KeyBuilder<'_> {
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_string());
        self
    }
    pub fn expires_on(mut self, day: Option<NaiveDate>) -> Self {
        self.expires_on = day;
        self
    }
    /// Usable only from `networks` (as the key form takes them: "10.0.0.0/8, ::1/128").
    pub fn from(mut self, networks: &str) -> Self {
        self.allowed_ips = steward::domain::AllowedIps::parse(networks)
            .unwrap()
            .as_text();
        self
    }

    /// Answers the key's id and its secret.
    pub fn create(self) -> (i32, String) {
        let secret = ApiKeySecret::generate();
        let name = self
            .name
            .unwrap_or_else(|| format!("Script {}", &secret.visible_prefix()[4..]));
        let id = NewApiKey {
            user_id: self.user,
            name: &name,
            token_prefix: &secret.visible_prefix(),
            token_hash: &secret.hash(),
            expires_on: self.expires_on,
            created_at: now(),
            permissions: None,
            all_servers: true,
            allowed_ips: self.allowed_ips,
        }
        .insert(&mut self.app.conn())
        .unwrap();
        (id, secret.expose().to_string())
    }
}

impl TestApp {
    pub fn key_for(&self, user: i32) -> KeyBuilder<'_> {
        KeyBuilder {
            app: self,
            user,
            name: None,
            expires_on: None,
            allowed_ips: String::new(),
        }
    }

    /// An API key for `user` (see `key_for`), expiring on `expires_on`; answers the secret.
    pub fn api_key(&self, user: i32, expires_on: Option<NaiveDate>) -> String {
        self.key_for(user).expires_on(expires_on).create().1
    }

    pub async fn api(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&str>,
    ) -> (u16, Value) {
        let client = reqwest::Client::new();
        let url = format!("{}{path}", self.address);
        let mut req = client.request(method.parse().expect("an HTTP method"), url);
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let ct = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        let text = res.text().await.unwrap();
        // No content (a deletion) is the one answer without a JSON body.
        if status == 204 {
            assert!(text.is_empty(), "{path}: 204 with a body: {text}");
            return (status, Value::Null);
        }
        assert!(
            ct.starts_with("application/json"),
            "{path}: JSON, got {ct}: {text}"
        );
        (status, serde_json::from_str(&text).expect("a JSON body"))
    }

    pub async fn api_get(&self, path: &str, key: &str) -> (u16, Value) {
        self.api("GET", path, Some(key), None).await
    }

    pub async fn api_post(&self, path: &str, key: &str, body: &str) -> (u16, Value) {
        self.api("POST", path, Some(key), Some(body)).await
    }

    /// Any method (PATCH, PUT, DELETE, …), with a JSON body when given; a 204 answers null.
    pub async fn api_call(
        &self,
        method: &str,
        path: &str,
        key: &str,
        body: Option<&str>,
    ) -> (u16, Value) {
        self.api(method, path, Some(key), body).await
    }
}
