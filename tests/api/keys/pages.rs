//! SSH keys and API keys pages: formats accepted and refused, duplicates, foreign
//! key ids, who may manage whose keys, impersonation, and an API key's secret shown once.

use diesel::prelude::*;
use steward::db::schema::{api_keys, audit_log, sessions, ssh_keys, users};

use crate::helpers::{
    assert_redirect_to, assert_says, create_api_key, secret_in, tenants, TestApp,
};

// Real keys made with ssh-keygen once; fingerprints as `ssh-keygen -lf` prints them.
pub const ED25519: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPkneLaZYuJGTQFjfEygOo7RjbevMftUnZw/eqme2hat test@ed25519";
const ED25519_FP: &str = "SHA256:/y8r4UKlimBinamhte33J8el987M3ZPDkPSVUPrsthI";
const ECDSA: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBBZZoaFLKZ4094is59v+Tti9rlEh+3XewQmyefcWPDOSpKKZMv69bm8a5E6+8SX4rbMdZ1K+rURw6n0UUQa38Bg= test@ecdsa";
const ECDSA_FP: &str = "SHA256:iw4v4XvYjw46DVS0BdyUUEMdH8JHTq5yCq8pjjlAfKo";
const RSA_2048: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC1hTOZwB2gqRk07anXQtHBIwau3+rggF3/H8th0bkkZIUJYeq7MV/NAjWQy4ViQfdEomp5XXjxapRcouy7USRTdlrFyPaKAuYvhKiy1QXdp+22bY3mPagor1NBenQu0XA+Dm6E6DpeHlmOIXZ8dEusmjbn8RfX3mPw/a59g046AOOl4zbYBmpKGhq+iJxx9ZuaMZJ9hnTpi1MjgGepXnfajrrKXxNbRQghhr7LMYbDhonnPLprhMW8jxb7GSLig9EgkX3tAGOZzwo1/TX3wZuiS8XPwP+ammJyFF3CA7tAJzH0LwFmIK4XyZUBVSpccQNRwFFnGUiBqrt6RR5Pe8FB test@rsa2048";
const RSA_2048_FP: &str = "SHA256:J57pOikpAZsPcU+gYGf5kWCcry86vX6FrGbGZBpA+eQ";
const RSA_1024: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDlb8GWYsGsl2QMSMnkhp83n5A8+KxMk/LRwuFflUdxycHRvm3DPwdBUULPvaVumhViH7WelDG+djtkIYoaEoPlx9kOOD8+qMyj1m+wLSSEAObFdcguJLpGMail7EFOOcNK0L4E6E+JPgrdRkOcTf3FC0a11v4UITztFp/ccG81bQ== test@rsa1024";
const DSA: &str = "ssh-dss AAAAB3NzaC1kc3MAAACBAPLfsqJD+UZC+836+q6V5PwcoP/eT4tlABDzUT0qVM5ATQN5jTsXP9cgQ86Tosjpe/QkxTe8LcpYGzJoJ/6Nwkp9efCEqW2SwnaeBzTmifvSfP0FGLBQcr6sG+Wbt8fuILzhwVXX7+MJ7DXXUy7C5fO9jyHlld5OEolUouTOSsspAAAAFQC6p2vRtNTHjfZpFZNOdK/46OhdbQAAAIBy3i08WkaYB2WYioEfAsK1uTDOSIJ//hSZ5hZCmr7PKiggGa73hQ8RyP1C5Siyhkt6X5zu7uZdJqsFSssLRleDAqEoY2txOneZB0zAtjyxRt+r8VOVlUxw0rG7j6AUfdSa46Rb4Z0DkkAHrEqRsRSit8410dXTSUVhi/BzC8OlEQAAAIEA5zi+bygPoIXpFjPpTKdNeG2WIVwQmQ4253TOEp9Ntb+4gljQUsyB7srvuLVdEI0A5mYdWBJnP+JHOPvSBTdOQOWNi8BgLrQNuGQvcYECsyHi47/eviD/10y69+/PlWrJnAvMZueZlcyIru38n09/LDrwAPvFDNDOEq6eJk0dTWg= test@dsa";
/// The private half of ED25519 (a throwaway made for this test).
const PRIVATE: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACD5J3i2mWLiRk0BY3xMoDqO0Y23rzH7VJ2cP3qpntoWrQAAAJBL/ye7S/8n
uwAAAAtzc2gtZWQyNTUxOQAAACD5J3i2mWLiRk0BY3xMoDqO0Y23rzH7VJ2cP3qpntoWrQ
AAAED9fbk0KRlyHzzSxXJZo1frP0Mln2eI6SzzLkzBEO2CUvkneLaZYuJGTQFjfEygOo7R
jbevMftUnZw/eqme2hatAAAADHRlc3RAZWQyNTUxOQE=
-----END OPENSSH PRIVATE KEY-----";

// ---- fixtures ----

fn ssh_key_count(app: &TestApp, user: i32) -> i64 {
    ssh_keys::table
        .filter(ssh_keys::user_id.eq(user))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn api_key_count(app: &TestApp, user: i32) -> i64 {
    api_keys::table
        .filter(api_keys::user_id.eq(user))
        .count()
        .get_result(&mut app.conn())
        .unwrap()
}

fn ssh_key_ids(app: &TestApp, user: i32) -> Vec<i32> {
    ssh_keys::table
        .filter(ssh_keys::user_id.eq(user))
        .select(ssh_keys::id)
        .load(&mut app.conn())
        .unwrap()
}

/// Makes every session of `real` act as `target` while impersonating (the impersonation
/// routes live on another branch; this writes what they would write).
pub fn impersonate(app: &TestApp, real: i32, target: i32) {
    let mut c = app.conn();
    let rows: Vec<(String, String)> = sessions::table
        .filter(sessions::user_id.eq(real))
        .select((sessions::key_hash, sessions::state))
        .load(&mut c)
        .unwrap();
    assert!(!rows.is_empty(), "the impersonator must be logged in");
    for (hash, state) in rows {
        let mut map: std::collections::HashMap<String, String> =
            serde_json::from_str(&state).unwrap();
        map.insert("login_id".into(), target.to_string());
        map.insert("impersonator_id".into(), real.to_string());
        diesel::update(sessions::table.filter(sessions::key_hash.eq(hash)))
            .set((
                sessions::state.eq(serde_json::to_string(&map).unwrap()),
                sessions::user_id.eq(Some(target)),
                sessions::impersonator_id.eq(Some(real)),
            ))
            .execute(&mut c)
            .unwrap();
    }
}

backend_tests!(
    ed25519_ecdsa_and_rsa_keys_are_added_with_their_sha256_fingerprint,
    dsa_short_rsa_private_keys_and_garbage_are_refused_next_to_the_field,
    the_same_key_cannot_be_added_twice_to_one_login,
    another_logins_key_id_is_404,
    an_accounts_keys_are_managed_by_itself_its_reseller_and_admin_only,
    an_alias_user_manages_its_own_keys_only_with_the_permission,
    the_account_owner_manages_its_alias_users_keys,
    keys_cannot_be_seen_or_created_while_impersonating,
    a_new_api_keys_secret_is_shown_once_and_only_its_hash_is_stored,
    an_api_key_expiry_must_lie_in_the_future,
    revoking_an_api_key_is_audited_and_keeps_it_listed,
);

async fn ed25519_ecdsa_and_rsa_keys_are_added_with_their_sha256_fingerprint(app: TestApp) {
    let t = tenants(&app);
    let acme = app.login("acme").await;
    let url = format!("/users/{}/ssh-keys", t.acme);
    for (name, key, fp) in [
        ("laptop", ED25519, ED25519_FP),
        ("yubikey", ECDSA, ECDSA_FP),
        ("old desktop", RSA_2048, RSA_2048_FP),
    ] {
        let res = acme
            .post(&url, &[("name", name), ("public_key", key)])
            .await;
        assert_redirect_to(&res, &url);
        let stored: String = ssh_keys::table
            .filter(ssh_keys::user_id.eq(t.acme))
            .filter(ssh_keys::name.eq(name))
            .select(ssh_keys::fingerprint)
            .first(&mut app.conn())
            .unwrap();
        assert_eq!(stored, fp);
    }
    let page = acme.get_html(&url).await;
    for fp in [ED25519_FP, ECDSA_FP, RSA_2048_FP] {
        assert!(page.contains(fp), "{fp} shown");
    }
    assert!(page.contains("RSA 2048") && page.contains("ECDSA P-256"));
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("ssh_key.add"))
        .filter(audit_log::account_id.eq(t.acme))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 3);
}

async fn dsa_short_rsa_private_keys_and_garbage_are_refused_next_to_the_field(app: TestApp) {
    let t = tenants(&app);
    let acme = app.login("acme").await;
    let url = format!("/users/{}/ssh-keys", t.acme);
    for (key, message) in [
        (RSA_1024, "1024 bits"),
        (DSA, "DSA keys are no longer safe"),
        (PRIVATE, "This is a private key"),
        ("not a key at all", "not an OpenSSH public key"),
        ("", "Paste a public key"),
    ] {
        let res = acme
            .post(&url, &[("name", "kept-name"), ("public_key", key)])
            .await;
        assert_status!(res, 422, "{message}");
        let page = res.text().await.unwrap();
        assert!(page.contains(message), "{message}");
        assert!(
            page.contains(r#"id="public_key-error""#),
            "next to the field"
        );
        assert!(page.contains(r#"value="kept-name""#), "input kept");
        if key == RSA_1024 {
            assert!(page.contains("test@rsa1024"), "the key is kept too");
        }
    }
    assert_eq!(ssh_key_count(&app, t.acme), 0);
    // A pasted private key is not echoed back into the page.
    let page = acme
        .post(&url, &[("name", "oops"), ("public_key", PRIVATE)])
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"));
}

async fn the_same_key_cannot_be_added_twice_to_one_login(app: TestApp) {
    let t = tenants(&app);
    let acme = app.login("acme").await;
    let url = format!("/users/{}/ssh-keys", t.acme);
    let res = acme
        .post(&url, &[("name", "laptop"), ("public_key", ED25519)])
        .await;
    assert_redirect_to(&res, &url);
    // The same key with another comment is still the same key.
    let recommented = ED25519.replace("test@ed25519", "other@host");
    let res = acme
        .post(&url, &[("name", "again"), ("public_key", &recommented)])
        .await;
    assert_says(res, 422, "already added").await;
    assert_eq!(ssh_key_count(&app, t.acme), 1);
    // Another login may hold the same public key.
    let globex = app.login("globex").await;
    let url = format!("/users/{}/ssh-keys", t.globex);
    let res = globex
        .post(&url, &[("name", "shared"), ("public_key", ED25519)])
        .await;
    assert_redirect_to(&res, &url);
}

async fn another_logins_key_id_is_404(app: TestApp) {
    let t = tenants(&app);
    let bob = app
        .alias("bob", t.acme)
        .perms(&["ssh_keys.manage", "api_keys.manage"])
        .all_servers(true)
        .create();
    let acme = app.login("acme").await;
    assert_status!(
        acme.post(
            &format!("/users/{}/ssh-keys", t.acme),
            &[("name", "acme key"), ("public_key", ED25519)],
        )
        .await,
        303
    );
    let acme_key = ssh_key_ids(&app, t.acme)[0];
    assert_status!(
        acme.post(
            &format!("/users/{}/api-keys", t.acme),
            &[("name", "acme api")],
        )
        .await,
        303
    );
    let acme_api: i32 = api_keys::table
        .filter(api_keys::user_id.eq(t.acme))
        .select(api_keys::id)
        .first(&mut app.conn())
        .unwrap();

    // globex, on its own pages, names acme's key ids.
    let globex = app.login("globex").await;
    assert_status!(
        globex
            .post(
                &format!("/users/{}/ssh-keys/{acme_key}/delete", t.globex),
                &[],
            )
            .await,
        404
    );
    assert_status!(
        globex
            .post(
                &format!("/users/{}/api-keys/{acme_api}/revoke", t.globex),
                &[],
            )
            .await,
        404
    );
    // The alias user bob, on its own pages, names its parent's key ids.
    let bob_b = app.login("bob").await;
    let base = format!("/users/{}/alias-users/{bob}", t.acme);
    assert_status!(
        bob_b
            .post(&format!("{base}/ssh-keys/{acme_key}/delete"), &[])
            .await,
        404
    );
    assert_status!(
        bob_b
            .post(&format!("{base}/api-keys/{acme_api}/revoke"), &[])
            .await,
        404
    );
    // Garbage ids are 404 too, never 400 or 500.
    for path in [
        format!("/users/{}/ssh-keys/abc/delete", t.acme),
        format!("/users/{}/api-keys/-1/revoke", t.acme),
        "/users/xyz/ssh-keys".to_string(),
    ] {
        assert_status!(acme.post(&path, &[]).await, 404, "{path}");
    }
    // Nothing changed.
    assert_eq!(ssh_key_count(&app, t.acme), 1);
    let revoked: Option<chrono::NaiveDateTime> = api_keys::table
        .find(acme_api)
        .select(api_keys::revoked_at)
        .first(&mut app.conn())
        .unwrap();
    assert!(revoked.is_none());
}

async fn an_accounts_keys_are_managed_by_itself_its_reseller_and_admin_only(app: TestApp) {
    let t = tenants(&app);
    let url = format!("/users/{}/ssh-keys", t.acme);
    for who in ["acme", "northwind", "boss"] {
        let b = app.login(who).await;
        assert_status!(b.get(&url).await, 200, "{who}");
        let html = b.get_html(&format!("/users/{}", t.acme)).await;
        let at = |label: &str| {
            html.find(&format!(">{label}<"))
                .unwrap_or_else(|| panic!("{who}: {label} tab"))
        };
        assert!(at("Account Details") < at("Roles"), "{who}");
        assert!(
            at("Roles") < at("SSH Keys") && at("SSH Keys") < at("API Keys"),
            "{who}: the tabs in the order Roles, SSH Keys, API Keys"
        );
    }
    let res = app
        .login("northwind")
        .await
        .post(&url, &[("name", "from reseller"), ("public_key", ECDSA)])
        .await;
    assert_redirect_to(&res, &url);
    // Another customer does not even learn the account exists.
    let globex = app.login("globex").await;
    assert_status!(globex.get(&url).await, 404);
    assert_status!(
        globex
            .post(&url, &[("name", "intruder"), ("public_key", ED25519)])
            .await,
        404
    );
    assert_eq!(ssh_key_count(&app, t.acme), 1);
    // A reseller never manages the keys of its admin.
    assert_status!(
        app.login("northwind")
            .await
            .get(&format!("/users/{}/api-keys", t.admin))
            .await,
        404
    );
    let _ = t.reseller;
}

async fn an_alias_user_manages_its_own_keys_only_with_the_permission(app: TestApp) {
    let t = tenants(&app);
    let carol = app
        .alias("carol", t.acme)
        .perms(&["servers.view", "ssh_keys.manage"])
        .all_servers(true)
        .create();
    let b = app.login("carol").await;
    let base = format!("/users/{}/alias-users/{carol}", t.acme);
    assert_status!(b.get(&format!("{base}/ssh-keys")).await, 200);
    let res = b
        .post(
            &format!("{base}/ssh-keys"),
            &[("name", "carol laptop"), ("public_key", ED25519)],
        )
        .await;
    assert_redirect_to(&res, &format!("{base}/ssh-keys"));
    assert_eq!(ssh_key_count(&app, carol), 1);
    // Without api_keys.manage: no API keys, and no link to them on its page.
    assert_status!(b.get(&format!("{base}/api-keys")).await, 403);
    assert_status!(
        b.post(&format!("{base}/api-keys"), &[("name", "x")]).await,
        403
    );
    assert_eq!(api_key_count(&app, carol), 0);
    let own = b.get_html(&base).await;
    assert!(own.contains(&format!("{base}/ssh-keys")));
    assert!(!own.contains(&format!("{base}/api-keys")));
    // Nor does it reach its parent's keys.
    let parent = format!("/users/{}/ssh-keys", t.acme);
    assert_status!(b.get(&parent).await, 403);
}

async fn the_account_owner_manages_its_alias_users_keys(app: TestApp) {
    let t = tenants(&app);
    let dave = app
        .alias("dave", t.acme)
        .perms(&["servers.view"])
        .all_servers(true)
        .create();
    let acme = app.login("acme").await;
    let base = format!("/users/{}/alias-users/{dave}", t.acme);
    // Credentials are personal: the owner sees dave's API keys but does not
    // mint one for it (it would know the secret of a key acting as dave).
    assert_status!(
        acme.post(&format!("{base}/api-keys"), &[("name", "dave's script")])
            .await,
        403
    );
    assert_eq!(api_key_count(&app, dave), 0);
    assert_eq!(api_key_count(&app, t.acme), 0);
    assert_status!(acme.get(&format!("{base}/api-keys")).await, 200);
    let res = acme
        .post(
            &format!("{base}/ssh-keys"),
            &[("name", "dave laptop"), ("public_key", RSA_2048)],
        )
        .await;
    assert_redirect_to(&res, &format!("{base}/ssh-keys"));
    let page = acme.get_html(&base).await;
    assert!(page.contains(&format!("{base}/api-keys")));
    // dave itself holds neither permission.
    let d = app.login("dave").await;
    assert_status!(d.get(&format!("{base}/ssh-keys")).await, 403);
    // globex cannot reach dave at all.
    let g = app.login("globex").await;
    assert_status!(g.get(&format!("{base}/ssh-keys")).await, 404);
}

async fn keys_cannot_be_seen_or_created_while_impersonating(app: TestApp) {
    let t = tenants(&app);
    let boss = app.login("boss").await;
    impersonate(&app, t.admin, t.acme);
    let detail = boss.get_html(&format!("/users/{}", t.acme)).await;
    assert!(detail.contains("is acting as"), "the session impersonates");
    assert!(!detail.contains(">SSH Keys<") && !detail.contains(">API Keys<"));
    for kind in ["ssh-keys", "api-keys"] {
        let url = format!("/users/{}/{kind}", t.acme);
        assert_status!(boss.get(&url).await, 403, "{kind}");
    }
    assert_status!(
        boss.post(
            &format!("/users/{}/ssh-keys", t.acme),
            &[("name", "sneaky"), ("public_key", ED25519)],
        )
        .await,
        403
    );
    assert_status!(
        boss.post(
            &format!("/users/{}/api-keys", t.acme),
            &[("name", "sneaky")],
        )
        .await,
        403
    );
    assert_eq!(ssh_key_count(&app, t.acme), 0);
    assert_eq!(api_key_count(&app, t.acme), 0);
}

async fn a_new_api_keys_secret_is_shown_once_and_only_its_hash_is_stored(app: TestApp) {
    let t = tenants(&app);
    let acme = app.login("acme").await;
    let url = format!("/users/{}/api-keys", t.acme);
    let res = acme
        .post(
            &url,
            &[("name", "backup script"), ("expires_at", "2099-01-31")],
        )
        .await;
    assert_redirect_to(&res, &url);
    // Between the POST and the page, the session holds the secret only sealed.
    let waiting: Vec<String> = sessions::table
        .select(sessions::state)
        .load(&mut app.conn())
        .unwrap();
    assert!(waiting.iter().any(|s| s.contains("new_api_key")));
    let res = acme.get(&url).await;
    assert_status!(res, 200);
    assert_eq!(
        res.headers()
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap(),
        "no-store"
    );
    let page = res.text().await.unwrap();
    let secret = secret_in(&page).expect("the page shows the new key");
    assert_eq!(secret.len(), 4 + 43);
    assert!(page.contains("shown only this once"));
    let random = &secret[4..];
    assert!(
        waiting.iter().all(|s| !s.contains(random)),
        "never in the clear in the sessions table"
    );

    let (hash, prefix, expires): (String, String, Option<chrono::NaiveDate>) = api_keys::table
        .filter(api_keys::user_id.eq(t.acme))
        .select((
            api_keys::token_hash,
            api_keys::token_prefix,
            api_keys::expires_on,
        ))
        .first(&mut app.conn())
        .unwrap();
    assert_eq!(hash, steward::security::token::sha256_hex(&secret));
    assert_eq!(prefix, &secret[..12]);
    assert_eq!(expires.unwrap().to_string(), "2099-01-31");

    // It works.
    let me = reqwest::Client::new()
        .get(format!("{}/api/v1/me", app.address))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_status!(me, 200);

    // And it never appears again: not on the page, not in the audit log, not in sessions.
    let again = acme.get_html(&url).await;
    assert!(secret_in(&again).is_none());
    assert!(again.contains(&prefix), "the visible prefix is listed");
    let rows: Vec<(String, String, String)> = audit_log::table
        .select((audit_log::action, audit_log::target, audit_log::details))
        .load(&mut app.conn())
        .unwrap();
    assert!(rows.iter().any(|(a, _, _)| a == "api_key.create"));
    for (a, target, details) in &rows {
        assert!(!target.contains(random) && !details.contains(random), "{a}");
    }
    let states: Vec<String> = sessions::table
        .select(sessions::state)
        .load(&mut app.conn())
        .unwrap();
    assert!(states.iter().all(|s| !s.contains(random)));
    let users_text: Vec<String> = users::table
        .select(users::password_hash)
        .load(&mut app.conn())
        .unwrap();
    assert!(users_text.iter().all(|s| !s.contains(random)));
}

async fn an_api_key_expiry_must_lie_in_the_future(app: TestApp) {
    let t = tenants(&app);
    let acme = app.login("acme").await;
    let url = format!("/users/{}/api-keys", t.acme);
    for (expires, message) in [("2001-01-01", "after today"), ("31/12/2099", "YYYY-MM-DD")] {
        let res = acme
            .post(&url, &[("name", "kept-name"), ("expires_at", expires)])
            .await;
        assert_status!(res, 422);
        let page = res.text().await.unwrap();
        assert!(page.contains(message));
        assert!(page.contains(r#"id="expires_at-error""#));
        assert!(page.contains(r#"value="kept-name""#));
        assert!(secret_in(&page).is_none());
    }
    assert_status!(acme.post(&url, &[("name", "  ")]).await, 422);
    assert_eq!(api_key_count(&app, t.acme), 0);
}

async fn revoking_an_api_key_is_audited_and_keeps_it_listed(app: TestApp) {
    let t = tenants(&app);
    let acme = app.login("acme").await;
    let url = format!("/users/{}/api-keys", t.acme);
    let secret = create_api_key(&acme, &url, &[("name", "ci deploy")]).await;
    let kid: i32 = api_keys::table
        .filter(api_keys::user_id.eq(t.acme))
        .select(api_keys::id)
        .first(&mut app.conn())
        .unwrap();
    let res = acme.post(&format!("{url}/{kid}/revoke"), &[]).await;
    assert_redirect_to(&res, &url);
    let listed = acme.get_html(&url).await;
    assert!(listed.contains("ci deploy") && listed.contains("Revoked"));
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("api_key.revoke"))
        .filter(audit_log::via_api.eq(false))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 1);
    let me = reqwest::Client::new()
        .get(format!("{}/api/v1/me", app.address))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_status!(me, 401);
}
