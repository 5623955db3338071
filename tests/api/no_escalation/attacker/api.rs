//! API keys as attackers. The world's logins hold keys with random scopes (some or all of
//! the login's permissions, all or a few chosen servers), made through the real API Keys
//! form when the login may use it and otherwise written as keys made before the login was
//! narrowed. A `KeyCall` step has one of them call the JSON API; `API_CALLS` lists the
//! calls, one line each, with the rule the oracle judges them by. The oracle is
//! `State::key_rights`: the key's grants ∩ its login's *current* rights, from the rows read
//! back before the call. Where the rule alone decides the answer the status must be exactly
//! the model's (so a key that may not is refused, and one that may is not); elsewhere an
//! acceptance must be one the model allows. A refusal changes nothing, a read changes
//! nothing, and an acceptance leaves every login within the key's rights.

use std::collections::BTreeSet;

use serde_json::Value;

use super::client::{answer_of, Answer};
use super::fixtures::{exec, lit, rows};
use super::model::{keys_of_mask, Rights, State};
use super::plan::{KeyPlan, Step};
use super::snapshot::Snapshot;
use super::steps::{fail, Runner, Violation};
use crate::helpers::PASSWORD;

/// How the oracle judges a call. Each rule names what the key must hold; the model gives
/// the answer from the key's rights. (The role writing rules wait for their routes: each
/// is then one line of `API_CALLS`.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
pub enum Rule {
    /// Any working key: 200, and the permissions it reports are the model's.
    Anyone,
    /// `servers.view`, then a list of exactly the world's servers the key reaches.
    ListServers,
    /// `servers.view` (403), then the server within the key's reach (404).
    ViewServer,
    /// A server permission on `{sid}`: the server within reach (404), then the permission
    /// (403); an accepted call is one the key could make.
    OnServer(&'static str),
    /// `alias_users.manage` (403); the list holds exactly the account's alias users.
    ListAliases,
    /// `alias_users.manage` (403), then `{aid}` of the key's account (404).
    ViewAlias,
    /// Creates an alias user: refused without `alias_users.manage`; an accepted one is
    /// within the key's rights (the input may be refused for other reasons).
    CreateAlias,
    /// Changes or removes alias user `{aid}` (PATCH, DELETE, PUT servers): refused without
    /// `alias_users.manage`, for another account's alias user, for the key's own login and
    /// for one the key does not cover; accepted, it stays within the key's rights.
    ActOnAlias,
    /// Reads the account's roles (or `{rid}`): refused without `alias_roles.manage` and
    /// for another account's role.
    ReadRoles,
    /// Creates, changes or deletes a role (`{rid}`) of the key's account: refused without
    /// `alias_roles.manage` and for another account's role; accepted, every holder stays
    /// within the key's rights.
    WriteRole,
    /// The account's activity: `activity.view` (or an admin's `admin.users`/`admin.audit`).
    Audit,
}

/// One call a key makes. Paths take `{sid}` (a server of the world), `{aid}` (an alias
/// user, mostly of the key's account), `{rid}` (a role, mostly of the key's account) and
/// `{prefix}` (the world's, to search within it). Bodies take those and `{fresh}` (a new
/// username), `{bool}`, `{power}` (on, off, reset), `{perms}` (a JSON list of permission
/// keys, mostly the key's own) and `{sids}` (a JSON list of the world's servers).
pub struct ApiCall {
    pub method: &'static str,
    pub path: &'static str,
    pub body: &'static str,
    pub rule: Rule,
}

const fn call(method: &'static str, path: &'static str, body: &'static str, rule: Rule) -> ApiCall {
    ApiCall {
        method,
        path,
        body,
        rule,
    }
}

/// Every JSON API route a key attacks through. A new route is one more line, for example
/// `call("PATCH", "/api/v1/alias-users/{aid}", r#"{"role_id":{rid},"disabled":{bool}}"#,
/// Rule::ActOnAlias)` or `call("DELETE", "/api/v1/roles/{rid}", "", Rule::WriteRole)`;
/// `the_attacker_calls_every_documented_api_route` fails until it is there.
pub const API_CALLS: &[ApiCall] = &[
    call("GET", "/api/v1/me", "", Rule::Anyone),
    call("GET", "/api/v1/keys/current", "", Rule::Anyone),
    call("GET", "/api/v1/servers?q={prefix}", "", Rule::ListServers),
    call("GET", "/api/v1/servers/{sid}", "", Rule::ViewServer),
    call(
        "POST",
        "/api/v1/servers/{sid}/power",
        r#"{"action":"{power}"}"#,
        Rule::OnServer("servers.power"),
    ),
    call(
        "GET",
        "/api/v1/alias-users?q={prefix}",
        "",
        Rule::ListAliases,
    ),
    call("GET", "/api/v1/alias-users/{aid}", "", Rule::ViewAlias),
    call(
        "POST",
        "/api/v1/alias-users",
        r#"{"username":"{fresh}","email":"{fresh}@example.com","role_id":{rid},"password":"{password}","all_servers":{bool}}"#,
        Rule::CreateAlias,
    ),
    call("GET", "/api/v1/audit", "", Rule::Audit),
    call("GET", "/api/v1/roles", "", Rule::ReadRoles),
    call("GET", "/api/v1/roles/{rid}", "", Rule::ReadRoles),
    call(
        "POST",
        "/api/v1/roles",
        r#"{"name":"{fresh}","permissions":{perms},"confirm_dangerous":{bool}}"#,
        Rule::WriteRole,
    ),
    call(
        "PATCH",
        "/api/v1/roles/{rid}",
        r#"{"permissions":{perms},"confirm_dangerous":{bool}}"#,
        Rule::WriteRole,
    ),
    call("DELETE", "/api/v1/roles/{rid}", "", Rule::WriteRole),
    call(
        "PATCH",
        "/api/v1/alias-users/{aid}",
        r#"{"role_id":{rid},"disabled":{bool}}"#,
        Rule::ActOnAlias,
    ),
    call("DELETE", "/api/v1/alias-users/{aid}", "", Rule::ActOnAlias),
    call(
        "PUT",
        "/api/v1/alias-users/{aid}/servers",
        r#"{"all":{bool},"server_ids":{sids}}"#,
        Rule::ActOnAlias,
    ),
];

/// Routes of the OpenAPI document the attacker leaves out, with the reason.
pub const NOT_ATTACKED: &[(&str, &str, &str)] = &[(
    "GET",
    "/api/v1/openapi.json",
    "public: the document itself, no key",
)];

/// A key of the world the attacker holds the secret of.
#[derive(Debug, Clone)]
pub struct ScopedKey {
    pub id: i32,
    pub login: i32,
    pub secret: String,
}

/// What the model says of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The rule decides the answer alone: exactly this status.
    Exactly(u16),
    /// The key may not: any acceptance is an escalation.
    Refuse,
    /// The key holds what the rule asks; the panel may still refuse the input, and an
    /// acceptance is judged by the no-escalation checks.
    MayAccept,
}

/// The ids a call names, drawn for it.
struct Targets {
    sid: i32,
    aid: i32,
    rid: i32,
}

/// The id of the key with this secret.
pub(super) fn key_id_of(app: &crate::helpers::TestApp, secret: &str) -> Option<i32> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id: i32,
    }
    rows::<Id>(
        app,
        &format!(
            "SELECT id FROM api_keys WHERE token_hash = {}",
            lit(&steward::security::token::sha256_hex(secret))
        ),
    )
    .pop()
    .map(|r| r.id)
}

/// The permissions a key reports, as a set.
fn reported(body: &Value, field: &str) -> Option<BTreeSet<String>> {
    body.get(field)?.as_array().map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

fn all_keys(r: &Rights) -> BTreeSet<String> {
    r.perms.union(&r.sperms).cloned().collect()
}

impl Runner<'_> {
    /// The page under which `login`'s own API keys live.
    fn keys_page(&self, st: &State, login: i32) -> String {
        let l = &st.logins[&login];
        match (l.kind.as_str(), l.parent_id) {
            ("alias", Some(p)) => format!("/users/{p}/alias-users/{login}/api-keys"),
            _ => format!("/users/{login}/api-keys"),
        }
    }

    /// Gives the world's logins their keys, as the plan draws them.
    pub async fn mint_keys(&mut self, plans: &[KeyPlan]) -> Result<(), Violation> {
        for plan in plans {
            let st = self.state();
            let login = self.world.logins[plan.login as usize % self.world.logins.len()];
            let r = st.rights(login);
            let own = all_keys(&r);
            // The form is the login's own, and needs api_keys.manage (which every account
            // holds by its kind).
            let may_form =
                plan.through_form && st.alive(login) && r.perms.contains("api_keys.manage");
            let world = self.world.servers.clone();
            let servers_of = |mask: u8| -> Vec<i32> {
                world
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, s)| *s)
                    .collect()
            };
            let made = if may_form {
                // Through the form: a part of the login's own permissions and reach, as
                // the form offers them (none ticked is all of them).
                let perms: Vec<&str> = plan
                    .permissions
                    .map(|m| {
                        keys_of_mask(m)
                            .into_iter()
                            .filter(|k| own.contains(*k))
                            .collect()
                    })
                    .unwrap_or_default();
                let chosen: Vec<i32> = plan
                    .servers
                    .map(|m| {
                        servers_of(m)
                            .into_iter()
                            .filter(|s| r.reaches(*s))
                            .collect()
                    })
                    .unwrap_or_default();
                self.key_through_form(&st, login, &perms, &chosen).await?
            } else {
                None
            };
            let through_form = made.is_some();
            let key = match made {
                Some(k) => k,
                None => {
                    let perms = plan.permissions.map(keys_of_mask).filter(|p| !p.is_empty());
                    let chosen = plan.servers.map(servers_of);
                    self.key_in_database(login, perms, chosen)
                }
            };
            let line = format!(
                "key {} of {} ({}): {:?}",
                key.id,
                st.logins[&login].username,
                if through_form { "form" } else { "older key" },
                self.state().keys.get(&key.id).map(|k| (
                    &k.row.permissions,
                    k.row.all_servers,
                    &k.chosen
                ))
            );
            self.note(line);
            self.api_keys.push(key);
        }
        Ok(())
    }

    /// A key made on the login's API Keys page; `None` when the login cannot log in.
    async fn key_through_form(
        &mut self,
        st: &State,
        login: i32,
        perms: &[&str],
        chosen: &[i32],
    ) -> Result<Option<ScopedKey>, Violation> {
        if self.session(st, login).await?.is_none() {
            return Ok(None);
        }
        let name = self.fresh_name("key");
        let mut fields: Vec<(&str, String)> = vec![
            ("name", name),
            ("expires_at", String::new()),
            ("allowed_ips", String::new()),
            (
                "server_scope",
                if chosen.is_empty() { "all" } else { "chosen" }.to_string(),
            ),
        ];
        fields.extend(perms.iter().map(|p| ("permissions", p.to_string())));
        fields.extend(chosen.iter().map(|s| ("server_id", s.to_string())));
        let page = self.keys_page(st, login);
        let session = self.sessions.get_mut(&login).expect("logged in");
        let a = session.post(&page, &fields).await;
        if a.status != 303 {
            return Err(fail(
                "the key form refused a scope within the login's own rights",
                format!(
                    "{} POST {page} {fields:?} -> {}: {:.300}",
                    st.logins[&login].username, a.status, a.body
                ),
            ));
        }
        let shown = session.get(&a.location).await;
        let secret = crate::helpers::secret_in(&shown.body).ok_or_else(|| {
            fail(
                "the key page did not show the new key",
                format!("GET {} -> {}", a.location, shown.status),
            )
        })?;
        let id = key_id_of(self.app, &secret).expect("the key is stored by its hash");
        Ok(Some(ScopedKey { id, login, secret }))
    }

    /// A key written to the database, as if made before its login was narrowed: its grants
    /// may exceed what the login holds now, and its servers may lie outside its reach.
    fn key_in_database(
        &mut self,
        login: i32,
        perms: Option<Vec<&str>>,
        chosen: Option<Vec<i32>>,
    ) -> ScopedKey {
        let secret = steward::security::api_key::ApiKeySecret::generate();
        let name = self.fresh_name("oldkey");
        exec(
            self.app,
            &format!(
                "INSERT INTO api_keys (user_id, name, token_prefix, token_hash, created_at, \
                 created_by, permissions, all_servers, allowed_ips) VALUES ({login}, {}, {}, {}, \
                 CURRENT_TIMESTAMP, {login}, {}, {}, '')",
                lit(&name),
                lit(&secret.visible_prefix()),
                lit(&secret.hash()),
                perms.map_or("NULL".to_string(), |p| lit(&p.join(" "))),
                chosen.is_none(),
            ),
        );
        let id = key_id_of(self.app, secret.expose()).expect("just inserted");
        for s in chosen.into_iter().flatten() {
            exec(
                self.app,
                &format!("INSERT INTO api_key_servers (key_id, server_id) VALUES ({id}, {s})"),
            );
        }
        ScopedKey {
            id,
            login,
            secret: secret.expose().to_string(),
        }
    }

    /// Picks a key (half the time the one whose login was just narrowed), a call and its
    /// targets; plays it and judges it.
    pub async fn key_call(&mut self, before: &State, step: &Step) -> Result<(), Violation> {
        if self.api_keys.is_empty() {
            return Ok(());
        }
        let key = match self.last_narrowed {
            Some(k) if step.c.is_multiple_of(2) => self
                .api_keys
                .iter()
                .find(|x| x.id == k)
                .cloned()
                .unwrap_or_else(|| {
                    self.api_keys[step.actor as usize % self.api_keys.len()].clone()
                }),
            _ => self.api_keys[step.actor as usize % self.api_keys.len()].clone(),
        };
        let call = &API_CALLS[step.b as usize % API_CALLS.len()];
        let rights = before.key_rights(key.id);
        let login_rights = before.rights(key.login);
        let account = before.account_of(key.login).unwrap_or(key.login);
        let t = self.targets(before, &key, account, &login_rights, step);
        let (path, body) = self.fill(call, &t, rights.as_ref(), step);
        let verdict = verdict(before, call, rights.as_ref(), &key, account, &t);

        let snap = Snapshot::take(self.app);
        let a = self
            .send(call.method, &path, &key.secret, body.as_deref())
            .await;
        let after = self.state();
        let snap_after = Snapshot::take(self.app);
        let username = before
            .logins
            .get(&key.login)
            .map_or("?".to_string(), |l| l.username.clone());
        let line = format!(
            "API: key {} of {username} {} {path}{} -> {} (model: {verdict:?})",
            key.id,
            call.method,
            body.as_deref().map_or(String::new(), |b| format!(" {b}")),
            a.status
        );
        self.note(line.clone());
        let tally = format!("Key {} {}", call.method, call.path);
        let accepted = (200..300).contains(&a.status);
        let counts = self.tally.entry(tally).or_default();
        if accepted {
            counts.0 += 1;
        } else {
            counts.1 += 1;
        }

        if a.status >= 500 {
            return Err(fail("500", line));
        }
        match verdict {
            Verdict::Exactly(s) if s != a.status => {
                let rule = if accepted {
                    "a key did more than its grants ∩ its login's current rights"
                } else {
                    "a key was refused what its grants ∩ its login's current rights allow"
                };
                return Err(fail(
                    rule,
                    format!("{line}: the key holds {rights:?}; its login {login_rights:?}"),
                ));
            }
            Verdict::Refuse if accepted => {
                return Err(fail(
                    "a key did more than its grants ∩ its login's current rights",
                    format!("{line}: the key holds {rights:?}; its login {login_rights:?}"),
                ));
            }
            _ => {}
        }
        if !accepted {
            let diff = snap.diff(&snap_after);
            if !diff.is_empty() {
                return Err(fail(
                    "a refused key call changed something",
                    format!("{line}: {}", diff.join("; ")),
                ));
            }
        } else {
            if call.method == "GET" && snap.data_changed(&snap_after) {
                return Err(fail(
                    "a key's read changed something",
                    format!("{line}: {}", snap.diff(&snap_after).join("; ")),
                ));
            }
            let rights = rights.clone().unwrap_or_default();
            self.judge_key_answer(before, &after, call.rule, &rights, &key, account, &line, &a)?;
        }
        if snap != snap_after {
            self.probed.clear();
            self.probed_keys.clear();
        }
        self.probe_key(&after, &key).await
    }

    /// The ids the call names: mostly the key's own account's, sometimes anyone's.
    fn targets(
        &self,
        st: &State,
        key: &ScopedKey,
        account: i32,
        login: &Rights,
        step: &Step,
    ) -> Targets {
        let pick = |v: &[i32], n: u8| v[n as usize % v.len()];
        let world: Vec<i32> = self.world.servers.clone();
        let reached: Vec<i32> = world
            .iter()
            .copied()
            .filter(|s| login.reaches(*s))
            .collect();
        // Half the time a server the login reaches: the key's own grant then decides.
        let sid = if step.c & 4 != 0 && !reached.is_empty() {
            pick(&reached, step.a)
        } else {
            pick(&world, step.a)
        };
        let aliases: Vec<i32> = st
            .logins
            .values()
            .filter(|l| l.kind == "alias")
            .map(|l| l.id)
            .collect();
        let own: Vec<i32> = aliases
            .iter()
            .copied()
            .filter(|a| st.logins[a].parent_id == Some(account))
            .collect();
        let aid = if step.c & 8 != 0 && !own.is_empty() {
            pick(&own, step.a)
        } else if aliases.is_empty() {
            key.login
        } else {
            pick(&aliases, step.a)
        };
        let roles: Vec<i32> = st.roles.keys().copied().collect();
        let own_roles: Vec<i32> = st
            .roles
            .iter()
            .filter(|(_, (a, _))| *a == account)
            .map(|(r, _)| *r)
            .collect();
        let rid = if step.c & 16 != 0 && !own_roles.is_empty() {
            pick(&own_roles, step.text)
        } else if roles.is_empty() {
            0
        } else {
            pick(&roles, step.text)
        };
        Targets { sid, aid, rid }
    }

    /// The call's path and body with the targets filled in.
    fn fill(
        &mut self,
        call: &ApiCall,
        t: &Targets,
        rights: Option<&Rights>,
        step: &Step,
    ) -> (String, Option<String>) {
        let power = ["on", "off", "reset"][step.text as usize % 3];
        let drawn = keys_of_mask(step.mask);
        // Mostly permissions the key holds (what it could plausibly grant), now and then
        // anything.
        let perms: Vec<&str> = match rights {
            Some(r) if step.c & 32 != 0 => drawn
                .into_iter()
                .filter(|k| r.perms.contains(*k) || r.sperms.contains(*k))
                .collect(),
            _ => drawn,
        };
        let sids: Vec<i32> = self
            .world
            .servers
            .iter()
            .enumerate()
            .filter(|(i, _)| step.a & (1 << i) != 0)
            .map(|(_, s)| *s)
            .collect();
        let fresh = if call.body.contains("{fresh}") {
            self.fresh_name("api")
        } else {
            String::new()
        };
        let fill = |s: &str| {
            s.replace("{sid}", &t.sid.to_string())
                .replace("{aid}", &t.aid.to_string())
                .replace("{rid}", &t.rid.to_string())
                .replace("{prefix}", &self.world.prefix)
                .replace("{fresh}", &fresh)
                .replace("{bool}", if step.c & 1 == 1 { "true" } else { "false" })
                .replace("{power}", power)
                .replace("{password}", PASSWORD)
                .replace("{perms}", &serde_json::to_string(&perms).unwrap())
                .replace("{sids}", &serde_json::to_string(&sids).unwrap())
        };
        let body = (!call.body.is_empty()).then(|| fill(call.body));
        (fill(call.path), body)
    }

    async fn send(&self, method: &str, path: &str, key: &str, body: Option<&str>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{path}", self.app.address))
            .bearer_auth(key);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        answer_of(req.send().await.unwrap()).await
    }

    /// An accepted call: what it shows is the key's, and what it changed stays within the
    /// key's rights.
    #[allow(clippy::too_many_arguments)]
    fn judge_key_answer(
        &self,
        before: &State,
        after: &State,
        rule: Rule,
        rights: &Rights,
        key: &ScopedKey,
        account: i32,
        line: &str,
        a: &Answer,
    ) -> Result<(), Violation> {
        let body: Value = serde_json::from_str(&a.body).unwrap_or(Value::Null);
        // No escalation, with the key as the actor: a login whose rights grew must be within
        // the key's rights afterwards.
        let key_after = after.key_rights(key.id).unwrap_or_default();
        for id in after.logins.keys() {
            let (was, now) = (before.rights(*id), after.rights(*id));
            if !after.covers(&was, &now) && !after.covers(&key_after, &now) {
                return Err(fail(
                    "a key raised a login beyond the key's rights",
                    format!(
                        "{line}: {} went from {was:?} to {now:?}; the key holds {key_after:?}",
                        after.logins[id].username
                    ),
                ));
            }
        }
        let world: BTreeSet<i32> = self.world.servers.iter().copied().collect();
        match rule {
            Rule::Anyone => {
                if let Some(p) = reported(&body, "permissions") {
                    if p != all_keys(rights) {
                        return Err(fail(
                            "a key reports permissions other than its grants ∩ its login's",
                            format!("{line}: reports {p:?}, the model {:?}", all_keys(rights)),
                        ));
                    }
                }
                if let Some(ids) = body.get("server_ids").and_then(Value::as_array) {
                    let ids: BTreeSet<i32> = ids
                        .iter()
                        .filter_map(|v| v.as_i64())
                        .map(|v| v as i32)
                        .collect();
                    if ids != rights.servers {
                        return Err(fail(
                            "a key reports servers other than its grants ∩ its login's",
                            format!("{line}: reports {ids:?}, the model {:?}", rights.servers),
                        ));
                    }
                }
            }
            Rule::ListServers => {
                let listed = ids_in(&body);
                let expected: BTreeSet<i32> =
                    rights.servers.intersection(&world).copied().collect();
                let listed: BTreeSet<i32> = listed.intersection(&world).copied().collect();
                if listed != expected {
                    return Err(fail(
                        "a key's server list is not its reach",
                        format!("{line}: lists {listed:?}, the model {expected:?}"),
                    ));
                }
            }
            Rule::ListAliases => {
                let listed = ids_in(&body);
                let expected: BTreeSet<i32> = before
                    .logins
                    .values()
                    .filter(|l| l.kind == "alias" && l.parent_id == Some(account))
                    .map(|l| l.id)
                    .collect();
                if listed != expected {
                    return Err(fail(
                        "a key's alias user list is not its account's",
                        format!("{line}: lists {listed:?}, the account has {expected:?}"),
                    ));
                }
            }
            Rule::CreateAlias => {
                // The new login is its account's, within the key's rights (above).
                for l in after
                    .logins
                    .values()
                    .filter(|l| !before.logins.contains_key(&l.id))
                {
                    if l.parent_id != Some(account) {
                        return Err(fail(
                            "a key created an alias user outside its account",
                            format!("{line}: {} in {:?}", l.username, l.parent_id),
                        ));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Once per change of the world: the key answers 401/403/404 for every server of the
    /// world outside its reach.
    async fn probe_key(&mut self, st: &State, key: &ScopedKey) -> Result<(), Violation> {
        if !self.probed_keys.insert(key.id) {
            return Ok(());
        }
        let reach = st.key_rights(key.id).unwrap_or_default();
        for sid in self.world.servers.clone() {
            if reach.reaches(sid) {
                continue;
            }
            let a = self
                .send("GET", &format!("/api/v1/servers/{sid}"), &key.secret, None)
                .await;
            if !matches!(a.status, 401 | 403 | 404) {
                return Err(fail(
                    "an API key reached a server outside its grants ∩ its login's reach",
                    format!("key {}: GET /api/v1/servers/{sid} -> {}", key.id, a.status),
                ));
            }
        }
        Ok(())
    }
}

/// The `id`s of a page's items.
fn ids_in(body: &Value) -> BTreeSet<i32> {
    body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_i64())
        .map(|i| i as i32)
        .collect()
}

/// The model's answer to a call.
fn verdict(
    st: &State,
    call: &ApiCall,
    rights: Option<&Rights>,
    key: &ScopedKey,
    account: i32,
    t: &Targets,
) -> Verdict {
    use Verdict::*;
    let Some(r) = rights else {
        return Exactly(401);
    };
    let has = |p: &str| r.perms.contains(p) || r.sperms.contains(p);
    let own_alias = st
        .logins
        .get(&t.aid)
        .is_some_and(|l| l.kind == "alias" && l.parent_id == Some(account));
    let own_role = st.roles.get(&t.rid).is_some_and(|(a, _)| *a == account);
    let names_role = call.path.contains("{rid}");
    match call.rule {
        Rule::Anyone => Exactly(200),
        Rule::ListServers => Exactly(if has("servers.view") { 200 } else { 403 }),
        Rule::ViewServer => Exactly(match (has("servers.view"), r.reaches(t.sid)) {
            (false, _) => 403,
            (true, false) => 404,
            (true, true) => 200,
        }),
        Rule::OnServer(p) => Exactly(match (r.reaches(t.sid), has(p)) {
            (false, _) => 404,
            (true, false) => 403,
            (true, true) => 200,
        }),
        Rule::ListAliases => Exactly(if has("alias_users.manage") { 200 } else { 403 }),
        Rule::ViewAlias => Exactly(match (has("alias_users.manage"), own_alias) {
            (false, _) => 403,
            (true, false) => 404,
            (true, true) => 200,
        }),
        Rule::Audit => Exactly(
            if has("activity.view") || has("admin.users") || has("admin.audit") {
                200
            } else {
                403
            },
        ),
        Rule::CreateAlias => {
            if has("alias_users.manage") {
                MayAccept
            } else {
                Refuse
            }
        }
        Rule::ActOnAlias => {
            let covered = st.covers(r, &st.rights(t.aid));
            if has("alias_users.manage") && own_alias && t.aid != key.login && covered {
                MayAccept
            } else {
                Refuse
            }
        }
        Rule::ReadRoles | Rule::WriteRole => {
            if has("alias_roles.manage") && (!names_role || own_role) {
                MayAccept
            } else {
                Refuse
            }
        }
    }
}
