//! Plays one drawn case against the real server and judges every step with the oracle.
//!
//! After each step: no answer is a 5xx; a refused step (4xx) changed nothing at all; an
//! accepted step raised no login beyond the rights of the login that acted (the
//! no-escalation rule), started no impersonation of a login the actor does not cover,
//! minted no key for another login, powered no server without `servers.power` on it, moved
//! no server outside the actor's reach, and stored no name with hidden characters. Then the
//! sessions are probed: each one that acts (and each that impersonates) must answer 404 for
//! every server of the world its effective login does not reach, and pages about alias
//! users must not name such servers.

use std::collections::{BTreeMap, BTreeSet};

use super::api::ScopedKey;
use super::client::{api_get, api_post, Answer, Session};
use super::model::{keys_of_mask, State};
use super::plan::{Action, Step};
use super::snapshot::Snapshot;
use super::world::World;
use crate::helpers::{TestApp, PASSWORD};

/// Names, searches and usernames the attacker types: plain ones, and the hostile ones of
/// the escalations once hid behind (NUL, bidi override, zero-width characters).
const TEXTS: &[&str] = &[
    "Plain Name",
    "Zoë Ortiz",
    "a\0b",
    "\u{202e}nimda\u{200b}",
    "ops\u{200b}",
    "\u{2066}x\u{2069}",
    "%",
    "' OR 1=1 --",
    "\0",
];

/// Permissions that let an alias user act on other logins: such alias users are the
/// attackers drawn most often.
const DELEGATED: &[&str] = &[
    "alias_users.manage",
    "alias_users.impersonate",
    "alias_roles.manage",
    "api_keys.manage",
    "customers.manage",
    "customers.impersonate",
    "customers.assign_servers",
    "admin.users",
];

/// The permissions that let a login try an action at all.
fn needed_for(action: Action) -> &'static [&'static str] {
    match action {
        Action::EditKindOrOwner | Action::EditName | Action::CreateAccount => {
            &["admin.users", "customers.manage"]
        }
        Action::EditRole | Action::CreateRole => &["alias_roles.manage"],
        Action::CreateAlias
        | Action::ChangeAliasRole
        | Action::AliasServers
        | Action::AliasStatus
        | Action::AliasPassword
        | Action::DeleteAlias
        | Action::ViewAliasPage => &["alias_users.manage"],
        Action::Impersonate => &[
            "alias_users.impersonate",
            "customers.impersonate",
            "admin.impersonate",
        ],
        Action::Power => &["servers.power"],
        Action::CreateKey => &["api_keys.manage", "alias_users.manage"],
        Action::ServerOwner => &["customers.assign_servers", "admin.servers"],
        Action::ResetFactors => &["alias_users.manage", "customers.manage", "admin.users"],
        Action::Search | Action::StopImpersonating | Action::LoginWithNul => &[],
        // The key, and the key's login's manager, are chosen by their own steps.
        Action::KeyCall | Action::NarrowKeyLogin => &[],
    }
}

/// A broken rule: which one, and the story so far.
#[derive(Debug)]
pub struct Violation {
    pub rule: String,
    pub detail: String,
}

pub struct Runner<'a> {
    pub app: &'a TestApp,
    pub world: World,
    pub(super) sessions: BTreeMap<i32, Session>,
    keys: BTreeMap<i32, String>,
    /// Every API key of the world the attacker holds the secret of: the world's scoped
    /// keys and those its steps made.
    pub(super) api_keys: Vec<ScopedKey>,
    /// The key whose login a step just narrowed: the next key calls favour it.
    pub(super) last_narrowed: Option<i32>,
    /// The alias user a `NarrowKeyLogin` step narrows (chosen with its manager).
    narrow_target: Option<i32>,
    counter: u32,
    /// The login the current step acts on, if it acts on one.
    last_target: Option<i32>,
    /// Sessions probed since the world last changed (nothing to learn from probing again).
    pub(super) probed: BTreeSet<i32>,
    /// Keys probed since the world last changed.
    pub(super) probed_keys: BTreeSet<i32>,
    verbose: bool,
    pub log: Vec<String>,
    /// Accepted and refused steps by action, for the report.
    pub tally: BTreeMap<String, (u32, u32)>,
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Whether `page` names `needle` as a whole (an address not followed by another digit).
fn mentions(page: &str, needle: &str) -> bool {
    page.match_indices(needle).any(|(i, _)| {
        !page[i + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

pub(super) fn fail(rule: &str, detail: String) -> Violation {
    Violation {
        rule: rule.to_string(),
        detail,
    }
}

enum Outcome {
    Accepted,
    Refused,
    SessionEnded,
    Skipped,
}

impl<'a> Runner<'a> {
    pub fn new(app: &'a TestApp, world: World) -> Runner<'a> {
        Runner {
            app,
            world,
            sessions: BTreeMap::new(),
            keys: BTreeMap::new(),
            api_keys: Vec::new(),
            last_narrowed: None,
            narrow_target: None,
            counter: 0,
            last_target: None,
            probed: BTreeSet::new(),
            probed_keys: BTreeSet::new(),
            verbose: std::env::var("ATTACKER_VERBOSE").is_ok_and(|v| v == "1"),
            log: Vec::new(),
            tally: BTreeMap::new(),
        }
    }

    pub(super) fn note(&mut self, line: String) {
        if self.verbose {
            eprintln!("[{}] {line}", self.world.prefix);
        }
        self.log.push(line);
    }

    pub(super) fn state(&self) -> State {
        State::load(self.app, &self.world.prefix)
    }

    pub(super) fn fresh_name(&mut self, what: &str) -> String {
        self.counter += 1;
        format!("{}{what}{}", self.world.prefix, self.counter)
    }

    /// The logged-in session of `login`, logging it in first; `Ok(None)` when the panel
    /// refuses the login (as it must for one that may not act).
    pub(super) async fn session(
        &mut self,
        st: &State,
        login: i32,
    ) -> Result<Option<()>, Violation> {
        if self.sessions.contains_key(&login) {
            return Ok(Some(()));
        }
        let username = st.logins[&login].username.clone();
        match Session::login(&self.app.address, &username).await {
            Ok(s) => {
                if !st.alive(login) {
                    return Err(fail(
                        "a login that may not act logged in",
                        format!("{username} (disabled, expired or parent disabled)"),
                    ));
                }
                self.sessions.insert(login, s);
                Ok(Some(()))
            }
            Err(a) if a.status >= 500 => {
                Err(fail("500", format!("POST /login {username}: {}", a.status)))
            }
            Err(_) => Ok(None),
        }
    }

    /// The login whose rights a session acts with, as the oracle sees it.
    fn effective(&self, login: i32) -> i32 {
        self.sessions
            .get(&login)
            .and_then(|s| s.impersonating)
            .unwrap_or(login)
    }

    pub async fn play(&mut self, step: &Step) -> Result<(), Violation> {
        let before = self.state();
        if step.action == Action::KeyCall {
            return self.key_call(&before, step).await;
        }
        // A key's login is narrowed by its manager: the alias user's parent account.
        self.narrow_target = None;
        let narrowed: Vec<i32> = self
            .api_keys
            .iter()
            .map(|k| k.login)
            .filter(|l| {
                before.logins.get(l).is_some_and(|l| {
                    l.kind == "alias" && l.parent_id.is_some_and(|p| before.alive(p))
                })
            })
            .collect();
        if step.action == Action::NarrowKeyLogin {
            let Some(aid) =
                (!narrowed.is_empty()).then(|| narrowed[step.a as usize % narrowed.len()])
            else {
                return Ok(());
            };
            self.narrow_target = Some(aid);
        }
        let logins: Vec<i32> = before.logins.keys().copied().collect();
        // Mostly logins that may act, alias users more often than accounts and those with
        // delegated rights most often; now and then anyone, to see that the others cannot
        // log in.
        let weighted: Vec<i32> = logins
            .iter()
            .filter(|l| before.alive(**l))
            .flat_map(|l| {
                let r = before.rights(*l);
                let delegated = DELEGATED.iter().any(|p| r.perms.contains(*p));
                let n = match (before.logins[l].kind.as_str(), delegated) {
                    ("alias", true) => 4,
                    ("alias", false) => 2,
                    _ => 1,
                };
                std::iter::repeat_n(*l, n)
            })
            .collect();
        // Three steps in four are tried by an alias user holding a permission for the
        // operation: the delegated logins are where a partial check lets more through.
        let needs = needed_for(step.action);
        let holders: Vec<i32> = logins
            .iter()
            .copied()
            .filter(|l| before.alive(*l) && before.logins[l].kind == "alias")
            .filter(|l| {
                let r = before.rights(*l);
                needs
                    .iter()
                    .any(|p| r.perms.contains(*p) || r.sperms.contains(*p))
            })
            .collect();
        // While someone impersonates an alias user, its owner sometimes widens it (the
        // impersonation must then end: the actor no longer covers the target).
        let widened = self
            .sessions
            .values()
            .filter_map(|s| s.impersonating)
            .find(|t| before.logins.get(t).is_some_and(|l| l.kind == "alias"))
            .and_then(|t| before.logins[&t].parent_id)
            .filter(|p| before.alive(*p));
        let manager = self
            .narrow_target
            .and_then(|aid| before.logins[&aid].parent_id);
        let actor = if let Some(m) = manager {
            m
        } else if let Some(owner) = widened.filter(|_| {
            matches!(step.action, Action::AliasServers | Action::ChangeAliasRole) && step.c & 1 == 1
        }) {
            owner
        } else if step.actor.is_multiple_of(8) || weighted.is_empty() {
            logins[step.actor as usize / 8 % logins.len()]
        } else if step.actor % 4 != 1 && !holders.is_empty() {
            holders[step.actor as usize / 4 % holders.len()]
        } else {
            weighted[step.actor as usize % weighted.len()]
        };
        if step.action == Action::LoginWithNul {
            return self.login_with_nul(&before, actor).await;
        }
        if self.session(&before, actor).await?.is_none() {
            let line = format!("{} cannot log in", before.logins[&actor].username);
            self.note(line);
            return Ok(());
        }
        let eff = self.effective(actor);
        let snap = Snapshot::take(self.app);
        let keys_before = super::fixtures::count(self.app, "FROM api_keys");
        let (what, answer) = self.perform(&before, actor, step).await;
        let Some(answer) = answer else {
            return Ok(());
        };
        let after = self.state();
        let snap_after = Snapshot::take(self.app);
        let name = format!("{:?}", step.action);
        let line = format!(
            "{} (as {}) {what} -> {}",
            before.logins[&actor].username,
            before
                .logins
                .get(&eff)
                .map_or("?".into(), |l| l.username.clone()),
            answer.status
        );
        self.note(line.clone());
        if answer.status >= 500 {
            return Err(fail("500", line));
        }
        let outcome = if answer.to_login() {
            Outcome::SessionEnded
        } else if (400..500).contains(&answer.status) {
            Outcome::Refused
        } else if answer.status == 0 {
            Outcome::Skipped
        } else {
            Outcome::Accepted
        };
        match outcome {
            Outcome::Refused => {
                self.tally.entry(name.clone()).or_default().1 += 1;
                let diff = snap.diff(&snap_after);
                if !diff.is_empty() {
                    return Err(fail(
                        "a refused step changed something",
                        format!("{line}: {}", diff.join("; ")),
                    ));
                }
            }
            Outcome::SessionEnded => {
                self.sessions.remove(&actor);
                if snap.data_changed(&snap_after) {
                    return Err(fail(
                        "a step sent to /login changed something",
                        format!("{line}: {}", snap.diff(&snap_after).join("; ")),
                    ));
                }
            }
            Outcome::Skipped => {}
            Outcome::Accepted => {
                self.tally.entry(name.clone()).or_default().0 += 1;
                self.judge_accepted(
                    &before,
                    &after,
                    actor,
                    eff,
                    step,
                    &line,
                    &snap,
                    &snap_after,
                    keys_before,
                    &answer,
                )
                .await?;
                if step.action == Action::NarrowKeyLogin && snap.data_changed(&snap_after) {
                    self.last_narrowed = self
                        .api_keys
                        .iter()
                        .find(|k| Some(k.login) == self.narrow_target)
                        .map(|k| k.id);
                }
            }
        }
        if snap != snap_after {
            // Reach may have changed for anyone: every session is probed again.
            self.probed.clear();
        }
        self.probe(&after, actor).await
    }

    /// Runs the step's request; `None` when there was nothing to do.
    async fn perform(&mut self, st: &State, actor: i32, step: &Step) -> (String, Option<Answer>) {
        // Three steps in four aim at the logins around the actor (its siblings, its
        // aliases, its customers and theirs), the fourth at anyone of the world.
        let related = st.related(actor);
        let focus = step.a & 3 != 0;
        let narrow = |v: Vec<i32>| -> Vec<i32> {
            let near: Vec<i32> = v.iter().copied().filter(|x| related.contains(x)).collect();
            if focus && !near.is_empty() {
                near
            } else {
                v
            }
        };
        let accounts = narrow(
            st.logins
                .values()
                .filter(|l| l.kind != "alias")
                .map(|l| l.id)
                .collect(),
        );
        let aliases = narrow(
            st.logins
                .values()
                .filter(|l| l.kind == "alias")
                .map(|l| l.id)
                .collect(),
        );
        let all = narrow(st.logins.keys().copied().collect());
        let own = st.account_of(actor).unwrap_or(actor);
        let mut roles: Vec<(i32, i32)> = st
            .roles
            .iter()
            .map(|(r, (a, _))| (*r, *a))
            .filter(|(_, a)| !focus || *a == own || related.contains(a))
            .collect();
        if roles.is_empty() {
            roles = st.roles.iter().map(|(r, (a, _))| (*r, *a)).collect();
        }
        self.last_target = None;
        // A login someone impersonates right now: widening it is how an impersonation
        // would outgrow its actor, so steps on alias users aim at it half the time.
        let hot: Option<i32> = self
            .sessions
            .iter()
            .filter(|(id, _)| **id != actor)
            .filter_map(|(_, s)| s.impersonating)
            .find(|t| st.logins.get(t).is_some_and(|l| l.kind == "alias"));
        let servers = self.world.servers.clone();
        let pick = |v: &[i32], n: u8| v[n as usize % v.len()];
        let text = TEXTS[step.text as usize % TEXTS.len()];
        let alias_base = |aid: i32| {
            format!(
                "/users/{}/alias-users/{aid}",
                st.logins[&aid].parent_id.unwrap_or(0)
            )
        };
        let account_roles = |account: i32| -> Vec<i32> {
            roles
                .iter()
                .filter(|(_, a)| *a == account)
                .map(|(r, _)| *r)
                .collect()
        };
        let s = |v: &str| v.to_string();

        let (what, path, fields): (String, String, Vec<(&str, String)>) = match step.action {
            Action::EditKindOrOwner => {
                // Another account than the actor's own (its own would be no escalation).
                let others: Vec<i32> = accounts.iter().copied().filter(|a| *a != own).collect();
                let target = if others.is_empty() {
                    pick(&accounts, step.a)
                } else {
                    pick(&others, step.a)
                };
                self.last_target = Some(target);
                let kind = ["admin", "reseller", "admin", "reseller", "user"][step.b as usize % 5];
                let owner = if kind == "admin" || step.c.is_multiple_of(5) {
                    String::new()
                } else {
                    pick(&accounts, step.c).to_string()
                };
                let l = &st.logins[&target];
                (
                    format!("sets {} kind={kind} owner={owner}", l.username),
                    format!("/users/{target}"),
                    vec![
                        ("form", s("profile")),
                        ("name", l.name.clone()),
                        ("email", format!("{}@example.com", l.username)),
                        ("kind", s(kind)),
                        ("owner_id", owner),
                    ],
                )
            }
            Action::EditName => {
                let target = if step.b.is_multiple_of(2) && st.logins[&actor].kind != "alias" {
                    actor
                } else {
                    pick(&accounts, step.a)
                };
                let l = &st.logins[&target];
                (
                    format!("renames {} to {text:?}", l.username),
                    format!("/users/{target}"),
                    vec![
                        ("form", s("profile")),
                        ("name", s(text)),
                        ("email", format!("{}@example.com", l.username)),
                    ],
                )
            }
            Action::CreateAccount => {
                let kind = ["user", "user", "reseller", "admin"][step.b as usize % 4];
                let owner = if kind == "admin" {
                    String::new()
                } else {
                    pick(&accounts, step.c).to_string()
                };
                let username = self.fresh_name("n");
                let name = if step.text.is_multiple_of(3) {
                    text
                } else {
                    "New One"
                };
                (
                    format!("creates {kind} {username} owned by {owner}"),
                    s("/users"),
                    vec![
                        ("username", username.clone()),
                        ("name", s(name)),
                        ("email", format!("{username}@example.com")),
                        ("password", s(PASSWORD)),
                        ("kind", s(kind)),
                        ("owner_id", owner),
                    ],
                )
            }
            Action::EditRole | Action::CreateRole => {
                // Mostly what the editor could plausibly grant (a part of its own rights),
                // sometimes anything: the first probes the rule, the second the checks.
                let own = st.rights(self.effective(actor));
                let mine: Vec<&str> = keys_of_mask(step.mask)
                    .into_iter()
                    .filter(|k| own.perms.contains(*k) || own.sperms.contains(*k))
                    .collect();
                let keys = if !step.c.is_multiple_of(4) && !mine.is_empty() {
                    mine
                } else {
                    keys_of_mask(step.mask)
                };
                let (path, name, label) = if step.action == Action::EditRole && !roles.is_empty() {
                    let (rid, account) = roles[step.a as usize % roles.len()];
                    (
                        format!("/users/{account}/roles/{rid}"),
                        format!("Role r{rid}"),
                        format!("edits role {rid} of {}", st.logins[&account].username),
                    )
                } else {
                    let account = pick(&accounts, step.a);
                    self.counter += 1;
                    (
                        format!("/users/{account}/roles"),
                        format!("New role {}", self.counter),
                        format!("creates a role in {}", st.logins[&account].username),
                    )
                };
                let mut fields = vec![
                    ("name", name),
                    ("description", s("")),
                    ("confirm_dangerous", s("yes")),
                ];
                fields.extend(keys.iter().map(|k| ("permissions", s(k))));
                (format!("{label}: {keys:?}"), path, fields)
            }
            Action::CreateAlias => {
                let account = if step.b.is_multiple_of(2) {
                    st.account_of(actor).unwrap_or(actor)
                } else {
                    pick(&accounts, step.a)
                };
                let rs = account_roles(account);
                let role = if rs.is_empty() {
                    String::new()
                } else {
                    pick(&rs, step.b).to_string()
                };
                let username = self.fresh_name("x");
                let mut fields = vec![
                    ("username", username.clone()),
                    ("email", format!("{username}@example.com")),
                    ("password", s(PASSWORD)),
                    ("role_id", role.clone()),
                ];
                if step.c.is_multiple_of(2) {
                    fields.push(("all_servers", s("on")));
                }
                (
                    format!(
                        "creates alias {username} in {} role {role} all={}",
                        st.logins[&account].username,
                        step.c.is_multiple_of(2)
                    ),
                    format!("/users/{account}/alias-users"),
                    fields,
                )
            }
            Action::ChangeAliasRole => {
                let aid = hot
                    .filter(|_| step.c & 1 == 1)
                    .unwrap_or(pick(&aliases, step.a));
                self.last_target = Some(aid);
                let rs = account_roles(st.logins[&aid].parent_id.unwrap_or(0));
                let role = if rs.is_empty() {
                    String::new()
                } else {
                    pick(&rs, step.b).to_string()
                };
                (
                    format!("gives {} role {role}", st.logins[&aid].username),
                    format!("{}/role", alias_base(aid)),
                    vec![("role_id", role)],
                )
            }
            Action::AliasServers => {
                let aid = hot
                    .filter(|_| step.c & 1 == 1)
                    .unwrap_or(pick(&aliases, step.a));
                self.last_target = Some(aid);
                let action =
                    ["assign", "unassign", "all", "none", "assign", "all"][step.b as usize % 6];
                let mut fields = vec![("action", s(action)), ("confirm", s("yes"))];
                let chosen: Vec<i32> = servers
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| step.c & (1 << i) != 0)
                    .map(|(_, s)| *s)
                    .collect();
                if matches!(action, "assign" | "unassign") {
                    fields.extend(chosen.iter().map(|s| ("server_id", s.to_string())));
                }
                (
                    format!("{action} {chosen:?} for {}", st.logins[&aid].username),
                    format!("{}/servers", alias_base(aid)),
                    fields,
                )
            }
            Action::AliasStatus => {
                let aid = pick(&aliases, step.a);
                self.last_target = Some(aid);
                let what = if step.b.is_multiple_of(2) {
                    "disable"
                } else {
                    "enable"
                };
                (
                    format!("{what}s {}", st.logins[&aid].username),
                    format!("{}/{what}", alias_base(aid)),
                    vec![("confirm", s("yes"))],
                )
            }
            Action::AliasPassword => {
                let aid = pick(&aliases, step.a);
                self.last_target = Some(aid);
                (
                    format!("resets the password of {}", st.logins[&aid].username),
                    format!("{}/password", alias_base(aid)),
                    vec![("password", s(PASSWORD))],
                )
            }
            Action::DeleteAlias => {
                let aid = pick(&aliases, step.a);
                self.last_target = Some(aid);
                (
                    format!("deletes {}", st.logins[&aid].username),
                    format!("{}/delete", alias_base(aid)),
                    vec![("confirm", s("yes"))],
                )
            }
            Action::Impersonate => {
                // Mostly a login whose permissions (not servers) are within the actor's:
                // the ones a partial check would let through.
                let mine = st.rights(actor);
                let plausible: Vec<i32> = all
                    .iter()
                    .copied()
                    .filter(|t| *t != actor && st.alive(*t))
                    .filter(|t| {
                        let r = st.rights(*t);
                        r.perms.is_subset(&mine.perms) && r.sperms.is_subset(&mine.sperms)
                    })
                    .collect();
                let target = if !step.b.is_multiple_of(4) && !plausible.is_empty() {
                    pick(&plausible, step.c)
                } else {
                    pick(&all, step.a)
                };
                self.last_target = Some(target);
                let path = if st.logins[&target].kind == "alias" {
                    format!("{}/impersonate", alias_base(target))
                } else {
                    format!("/users/{target}/impersonate")
                };
                (
                    format!("impersonates {}", st.logins[&target].username),
                    path,
                    vec![],
                )
            }
            Action::StopImpersonating => {
                (s("stops impersonating"), s("/impersonation/stop"), vec![])
            }
            Action::ResetFactors => {
                let target = pick(&all, step.a);
                self.last_target = Some(target);
                let path = if st.logins[&target].kind == "alias" {
                    format!("{}/two-factor/reset", alias_base(target))
                } else {
                    format!("/users/{target}/two-factor/reset")
                };
                (
                    format!("resets the two-factor of {}", st.logins[&target].username),
                    path,
                    vec![("confirm", s("yes"))],
                )
            }
            Action::Power => {
                let sid = pick(&servers, step.a);
                let action = ["on", "off", "reset"][step.c as usize % 3];
                if step.b % 2 == 1 {
                    if let Some(key) = self.keys.get(&actor).cloned() {
                        let a = api_post(
                            &self.app.address,
                            &key,
                            &format!("/api/v1/servers/{sid}/power"),
                            serde_json::json!({ "action": action }),
                        )
                        .await;
                        return (format!("API: power {action} server {sid}"), Some(a));
                    }
                }
                (
                    format!("power {action} server {sid}"),
                    format!("/servers/{sid}/power"),
                    vec![("action", s(action)), ("confirm", s("yes"))],
                )
            }
            Action::CreateKey => {
                let owner = if step.b.is_multiple_of(3) {
                    actor
                } else {
                    pick(&all, step.a)
                };
                self.last_target = Some(owner);
                let base = if st.logins[&owner].kind == "alias" {
                    alias_base(owner)
                } else {
                    format!("/users/{owner}")
                };
                (
                    format!("creates an API key for {}", st.logins[&owner].username),
                    format!("{base}/api-keys"),
                    vec![("name", s("attacker")), ("expires_at", s(""))],
                )
            }
            Action::ServerOwner => {
                let sid = pick(&servers, step.a);
                let to = if step.b.is_multiple_of(5) {
                    String::new()
                } else {
                    pick(&accounts, step.b).to_string()
                };
                (
                    format!("gives server {sid} to {to:?}"),
                    format!("/servers/{sid}/owner"),
                    vec![("user_id", to)],
                )
            }
            Action::NarrowKeyLogin => {
                let Some(aid) = self.narrow_target else {
                    return (s("nothing to narrow"), None);
                };
                self.last_target = Some(aid);
                let l = &st.logins[&aid];
                let parent = l.parent_id.unwrap_or(0);
                let current: BTreeSet<String> = l
                    .role_id
                    .and_then(|r| st.roles.get(&r))
                    .map(|r| r.1.clone())
                    .unwrap_or_default();
                match step.b % 3 {
                    0 => {
                        // Another role of the account, a narrower one when there is one.
                        let others: Vec<i32> = account_roles(parent)
                            .into_iter()
                            .filter(|r| Some(*r) != l.role_id)
                            .collect();
                        let narrower: Vec<i32> = others
                            .iter()
                            .copied()
                            .filter(|r| st.roles[r].1.is_subset(&current))
                            .collect();
                        let pool = if narrower.is_empty() {
                            others
                        } else {
                            narrower
                        };
                        if pool.is_empty() {
                            return (s("no other role"), None);
                        }
                        let role = pick(&pool, step.c);
                        (
                            format!("narrows {} to role {role}", l.username),
                            format!("{}/role", alias_base(aid)),
                            vec![("role_id", role.to_string())],
                        )
                    }
                    1 => {
                        // Its role loses some permissions (every holder narrows with it).
                        let Some(rid) = l.role_id.filter(|r| st.roles.contains_key(r)) else {
                            return (s("no role to narrow"), None);
                        };
                        let drop: BTreeSet<&str> = keys_of_mask(step.mask).into_iter().collect();
                        let mut keep: Vec<&String> = current
                            .iter()
                            .filter(|k| !drop.contains(k.as_str()))
                            .collect();
                        if keep.len() == current.len() && !keep.is_empty() {
                            keep.remove(step.c as usize % keep.len());
                        }
                        let mut fields = vec![
                            ("name", format!("Role r{rid}")),
                            ("description", s("")),
                            ("confirm_dangerous", s("yes")),
                        ];
                        fields.extend(keep.iter().map(|k| ("permissions", k.to_string())));
                        (
                            format!("narrows role {rid} of {} to {keep:?}", l.username),
                            format!("/users/{parent}/roles/{rid}"),
                            fields,
                        )
                    }
                    _ => {
                        // Fewer servers: "all servers" off (the list is kept), or some of
                        // its assigned servers taken away.
                        let mut fields = vec![("confirm", s("yes"))];
                        let what = if l.all_servers {
                            fields.push(("action", s("assigned")));
                            s("assigned servers only")
                        } else {
                            let mine: Vec<i32> = st
                                .assigned
                                .get(&aid)
                                .map(|v| v.iter().copied().collect())
                                .unwrap_or_default();
                            let gone: Vec<i32> = mine
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| step.c & (1 << i) != 0)
                                .map(|(_, s)| *s)
                                .collect();
                            let gone = if gone.is_empty() { mine } else { gone };
                            fields.push(("action", s("unassign")));
                            fields.extend(gone.iter().map(|s| ("server_id", s.to_string())));
                            format!("unassign {gone:?}")
                        };
                        (
                            format!("narrows {}: {what}", l.username),
                            format!("{}/servers", alias_base(aid)),
                            fields,
                        )
                    }
                }
            }
            Action::Search | Action::ViewAliasPage => {
                return self.look(st, actor, step, text).await;
            }
            Action::KeyCall => unreachable!(),
            Action::LoginWithNul => unreachable!(),
        };
        let session = self.sessions.get_mut(&actor).expect("logged in");
        let answer = session.post(&path, &fields).await;
        // Remember what the session now is: the panel answers a started impersonation,
        // and a stopped one, with a redirect.
        if answer.status == 303 && !answer.to_login() {
            match step.action {
                Action::Impersonate if session.impersonating.is_none() => {
                    session.impersonating = self.last_target;
                }
                Action::StopImpersonating => session.impersonating = None,
                _ => {}
            }
        }
        if step.action == Action::CreateKey && answer.status == 303 && !answer.to_login() {
            // The new key is shown once, on the page the POST redirects to.
            let shown = session.get(&answer.location).await;
            if let Some(k) = crate::helpers::secret_in(&shown.body) {
                self.keys.insert(actor, k.clone());
                self.probed.remove(&-actor);
                // It is a key of the world like the others: key calls use it too.
                if let Some(id) = super::api::key_id_of(self.app, &k) {
                    self.api_keys.push(ScopedKey {
                        id,
                        login: actor,
                        secret: k,
                    });
                }
            }
        }
        (what, Some(answer))
    }

    /// Reading steps: a search box or an alias user's page, judged by what they show.
    async fn look(
        &mut self,
        st: &State,
        actor: i32,
        step: &Step,
        text: &str,
    ) -> (String, Option<Answer>) {
        let account = st.account_of(actor).unwrap_or(actor);
        let related = st.related(actor);
        let mut aliases: Vec<i32> = st
            .logins
            .values()
            .filter(|l| l.kind == "alias" && (step.a & 3 == 0 || related.contains(&l.id)))
            .map(|l| l.id)
            .collect();
        if aliases.is_empty() {
            aliases = st
                .logins
                .values()
                .filter(|l| l.kind == "alias")
                .map(|l| l.id)
                .collect();
        }
        // Mostly an alias user reaching servers the viewer does not.
        let mine = st.rights(self.effective(actor));
        let wider: Vec<i32> = aliases
            .iter()
            .copied()
            .filter(|a| !st.rights(*a).servers.is_subset(&mine.servers))
            .collect();
        let aid = if !step.c.is_multiple_of(4) && !wider.is_empty() {
            wider[step.a as usize % wider.len()]
        } else {
            aliases[step.a as usize % aliases.len()]
        };
        let parent = st.logins[&aid].parent_id.unwrap_or(0);
        let q = urlenc(text);
        let path = match step.action {
            Action::ViewAliasPage => {
                if step.b.is_multiple_of(2) {
                    format!("/users/{parent}/alias-users/{aid}")
                } else {
                    format!("/users/{parent}/alias-users/{aid}/servers")
                }
            }
            _ => match step.b % 7 {
                0 => format!("/servers?q={q}"),
                1 => format!("/users?q={q}"),
                2 => format!("/users/{account}/alias-users?q={q}"),
                3 => format!("/users/{account}/servers?q={q}"),
                4 => format!("/users/{parent}/alias-users/{aid}/servers?q={q}"),
                5 => format!("/users/{account}/activity?login={q}"),
                _ => {
                    if let Some(key) = self.keys.get(&actor).cloned() {
                        let a = api_get(&self.app.address, &key, &format!("/api/v1/servers?q={q}"))
                            .await;
                        return (format!("API: GET /api/v1/servers?q={text:?}"), Some(a));
                    }
                    format!("/servers?q={q}")
                }
            },
        };
        let a = self.sessions[&actor].get(&path).await;
        (format!("GET {path}"), Some(a))
    }

    async fn login_with_nul(&mut self, st: &State, actor: i32) -> Result<(), Violation> {
        let username = &st.logins[&actor].username;
        let with_nul = format!("{}\0{}", &username[..2], &username[2..]);
        let s = Session::login(&self.app.address, &with_nul).await;
        let line = format!("POST /login username={with_nul:?}");
        self.note(line.clone());
        match s {
            Ok(_) => Err(fail("a username with a NUL logged in", line)),
            Err(a) if a.status >= 500 => Err(fail("500", format!("{line} -> {}", a.status))),
            Err(_) => Ok(()),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn judge_accepted(
        &mut self,
        before: &State,
        after: &State,
        actor: i32,
        eff: i32,
        step: &Step,
        line: &str,
        snap: &Snapshot,
        snap_after: &Snapshot,
        keys_before: i64,
        answer: &Answer,
    ) -> Result<(), Violation> {
        let changed = snap.data_changed(snap_after);
        // No escalation: a login whose rights grew must be covered, after the change, by the
        // login that changed them (while impersonating, the impersonated one).
        let eff_after = after.rights(eff);
        for id in after.logins.keys() {
            let was = before.rights(*id);
            let now = after.rights(*id);
            if !after.covers(&was, &now) && !after.covers(&eff_after, &now) {
                return Err(fail(
                    &format!("rights grew beyond the actor's ({:?})", step.action),
                    format!(
                        "{line}: {} went from {was:?} to {now:?}; the actor holds {eff_after:?}",
                        after.logins[id].username
                    ),
                ));
            }
        }
        let eff_before = before.rights(eff);
        // An API key acts as its own login, whatever the browser session is doing.
        let viewer = if line.contains("API:") { actor } else { eff };
        match step.action {
            Action::Impersonate => {
                if let Some(target) = self.sessions.get(&actor).and_then(|s| s.impersonating) {
                    if answer.status == 303 && eff == actor {
                        let t = before.rights(target);
                        if target == actor
                            || !before.alive(target)
                            || !before.covers(&eff_before, &t)
                        {
                            return Err(fail(
                                "impersonated a login the actor does not cover",
                                format!("{line}: target holds {t:?}, actor {eff_before:?}"),
                            ));
                        }
                    }
                }
            }
            Action::CreateKey => {
                let keys_after = super::fixtures::count(self.app, "FROM api_keys");
                if keys_after > keys_before {
                    let owner = self.last_target.unwrap_or(actor);
                    if owner != actor || eff != actor {
                        return Err(fail(
                            "an API key was created for another login",
                            line.to_string(),
                        ));
                    }
                }
            }
            Action::Power => {
                let sid = self.world.servers[step.a as usize % self.world.servers.len()];
                if changed && !before.holds_on(viewer, "servers.power", sid) {
                    return Err(fail(
                        "powered a server without servers.power on it",
                        line.to_string(),
                    ));
                }
            }
            Action::ServerOwner => {
                let sid = self.world.servers[step.a as usize % self.world.servers.len()];
                let (b, a) = (&before.servers[&sid], &after.servers[&sid]);
                if (b.reseller_id, b.owner_id) != (a.reseller_id, a.owner_id) {
                    if !eff_before.reaches(sid) {
                        return Err(fail(
                            "moved a server outside the actor's reach",
                            line.to_string(),
                        ));
                    }
                    // Whoever gains the server gains its server permissions on it: the
                    // actor must hold each of them there.
                    for holder in [a.owner_id, a.reseller_id].into_iter().flatten() {
                        let (was, now) = (before.rights(holder), after.rights(holder));
                        if !was.reaches(sid)
                            && now.reaches(sid)
                            && !now.sperms.is_subset(&eff_before.sperms)
                        {
                            return Err(fail(
                                "gave a server with permissions the actor does not hold on it",
                                format!(
                                    "{line}: {} gains {:?}",
                                    after
                                        .logins
                                        .get(&holder)
                                        .map_or("?".into(), |l| l.username.clone()),
                                    now.sperms
                                ),
                            ));
                        }
                    }
                }
            }
            Action::EditKindOrOwner
            | Action::ChangeAliasRole
            | Action::AliasServers
            | Action::AliasStatus
            | Action::AliasPassword
            | Action::DeleteAlias
            | Action::NarrowKeyLogin
            | Action::ResetFactors => {
                // Factors are personal: nobody changes them while acting as someone else.
                if step.action == Action::ResetFactors && changed && eff != actor {
                    return Err(fail("reset factors while impersonating", line.to_string()));
                }
                // Acting on a login needs to cover it before, and never on oneself.
                let target = self.last_target.expect("the step names its target");
                if changed && (target == eff || !before.covers(&eff_before, &before.rights(target)))
                {
                    return Err(fail(
                        "acted on a login the actor does not cover",
                        format!(
                            "{line}: target holds {:?}, actor {eff_before:?}",
                            before.rights(target)
                        ),
                    ));
                }
            }
            _ => {}
        }
        let hidden = after.hidden_characters();
        if !hidden.is_empty() {
            return Err(fail(
                "a name with hidden characters was stored",
                format!("{line}: {hidden:?}"),
            ));
        }
        // The activity log names servers in its entries; it is not a page about a login.
        if matches!(step.action, Action::Search | Action::ViewAliasPage)
            && answer.status == 200
            && !line.contains("/activity?")
        {
            self.shows_only_reach(after, viewer, line, &answer.body)?;
        }
        Ok(())
    }

    /// A page must not name a server of the world that `eff` does not reach.
    fn shows_only_reach(
        &self,
        st: &State,
        eff: i32,
        line: &str,
        page: &str,
    ) -> Result<(), Violation> {
        let r = st.rights(eff);
        for sid in &self.world.servers {
            let s = &st.servers[sid];
            if !r.reaches(*sid) && (mentions(page, &s.hostname) || mentions(page, &s.primary_ip)) {
                return Err(fail(
                    "a page named a server outside the viewer's reach",
                    format!("{line}: shows {}", s.hostname),
                ));
            }
        }
        Ok(())
    }

    /// The reach probes of the acting session and of every impersonating one.
    async fn probe(&mut self, st: &State, actor: i32) -> Result<(), Violation> {
        let ids: Vec<i32> = self
            .sessions
            .iter()
            .filter(|(id, s)| **id == actor || s.impersonating.is_some())
            .map(|(id, _)| *id)
            .filter(|id| !self.probed.contains(id))
            .collect();
        for id in ids {
            self.probed.insert(id);
            self.probe_session(st, id).await?;
        }
        // Keys are probed under the negative id of their login.
        if self.probed.contains(&-actor) {
            return Ok(());
        }
        self.probed.insert(-actor);
        if let Some(key) = self.keys.get(&actor).cloned() {
            let r = if st.alive(actor) {
                st.rights(actor)
            } else {
                Default::default()
            };
            for sid in self.world.servers.clone() {
                if r.reaches(sid) {
                    continue;
                }
                let a = api_get(&self.app.address, &key, &format!("/api/v1/servers/{sid}")).await;
                if !matches!(a.status, 401 | 403 | 404) {
                    return Err(fail(
                        "an API key reached a server its login does not",
                        format!(
                            "key of {}: GET /api/v1/servers/{sid} -> {}",
                            st.logins[&actor].username, a.status
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    async fn probe_session(&mut self, st: &State, login: i32) -> Result<(), Violation> {
        let name = st
            .logins
            .get(&login)
            .map_or("?".into(), |l| l.username.clone());
        let home = self.sessions[&login].get("/servers").await;
        if home.to_login() {
            self.sessions.remove(&login);
            return Ok(());
        }
        if !st.alive(login) {
            return Err(fail(
                "a session of a login that may not act still works",
                format!("{name}: GET /servers -> {}", home.status),
            ));
        }
        let banner = home.body.contains("impersonation-banner");
        let imp = self.sessions[&login].impersonating;
        let allowed = match imp {
            Some(t) if banner => {
                let covered = st.alive(t) && st.covers(&st.rights(login), &st.rights(t));
                if !covered {
                    return Err(fail(
                        "an impersonation outlived the actor's cover of its target",
                        format!(
                            "{name} still acts as {}: {:?} is not within {:?}",
                            st.logins.get(&t).map_or("?".into(), |l| l.username.clone()),
                            st.rights(t),
                            st.rights(login)
                        ),
                    ));
                }
                st.rights(t)
            }
            Some(_) => {
                // The panel ended the impersonation itself; the session is the actor again.
                self.sessions.get_mut(&login).unwrap().impersonating = None;
                st.rights(login)
            }
            None => st.rights(login),
        };
        if home.status == 200 {
            self.shows_only_reach(
                st,
                imp.filter(|_| banner).unwrap_or(login),
                &format!("{name}: GET /servers"),
                &home.body,
            )?;
        }
        let outside: BTreeSet<i32> = self
            .world
            .servers
            .iter()
            .copied()
            .filter(|s| !allowed.reaches(*s))
            .collect();
        for sid in outside {
            let a = self.sessions[&login].get(&format!("/servers/{sid}")).await;
            if a.to_login() {
                self.sessions.remove(&login);
                return Ok(());
            }
            if a.status != 404 {
                return Err(fail(
                    "a session reached a server outside its login's reach",
                    format!(
                        "{name}{}: GET /servers/{sid} -> {}",
                        imp.map_or(String::new(), |t| format!(
                            " acting as {}",
                            st.logins.get(&t).map_or("?".into(), |l| l.username.clone())
                        )),
                        a.status
                    ),
                ));
            }
        }
        Ok(())
    }
}
