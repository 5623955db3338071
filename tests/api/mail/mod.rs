//! The panel's mail, against a real SMTP server over TCP (`sink::SmtpSink`): a queued mail
//! arrives with its text and HTML parts and the configured sender; a mail server that is
//! down or stalled costs retries (recorded) but never a page's time; a sensitive body is
//! blanked once sent; a restart after SIGKILL loses no mail; two instances on one
//! PostgreSQL send each mail exactly once; and the admin page shows the queue to admins
//! only, never a body.

pub mod sink;

use std::time::{Duration, Instant};

use diesel::prelude::*;
use steward::db::schema::mail_outbox;
use steward::db::{Backend, DbConn};
use steward::models::outbox::{self, NewMail, REMOVED_BODY};

use crate::helpers::{fresh_database, spawn_app_with_mail, TestApp};
use crate::resilience::Instance;
use sink::{Mode, SmtpSink};

fn mail(to: &str, subject: &str, sensitive: bool) -> NewMail {
    NewMail {
        kind: "test".into(),
        recipient: to.into(),
        subject: subject.into(),
        body_text: format!("Hello {to},\n\nfollow https://panel.test/invitations/secret-{subject}\n"),
        body_html: format!("<p>Hello {to}, <a href=\"https://panel.test/invitations/secret-{subject}\">accept</a></p>"),
        sensitive,
    }
}

fn enqueue(c: &mut DbConn, m: &NewMail) -> i32 {
    steward::db::transaction(c, |c| outbox::enqueue(c, m)).expect("enqueue")
}

fn row(c: &mut DbConn, id: i32) -> outbox::OutboxMail {
    mail_outbox::table
        .find(id)
        .select(outbox::OutboxMail::as_select())
        .first(c)
        .expect("the mail's row")
}

/// Polls the row until `done` holds (panics after `timeout`).
async fn wait_row(
    app: &TestApp,
    id: i32,
    timeout: Duration,
    done: impl Fn(&outbox::OutboxMail) -> bool,
) -> outbox::OutboxMail {
    let until = Instant::now() + timeout;
    loop {
        let r = row(&mut app.conn(), id);
        if done(&r) {
            return r;
        }
        assert!(Instant::now() < until, "mail {id} stayed {r:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn with_mail(backend: Backend, test: impl AsyncFnOnce(TestApp, SmtpSink)) {
    let (app, sink) = spawn_app_with_mail(backend).await;
    test(app, sink).await;
}

macro_rules! mail_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::with_mail(steward::db::Backend::Sqlite, super::$name).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::with_mail(steward::db::Backend::Postgres, super::$name).await;
                }
            }
        )*
    };
}

mail_tests!(
    a_queued_mail_arrives_with_its_text_and_html_parts_and_the_sender,
    a_sensitive_body_is_blanked_once_sent_and_an_ordinary_one_is_kept,
    with_the_mail_server_refusing_the_mail_is_retried_and_arrives_once_it_is_back,
    a_stalled_mail_server_never_slows_a_page,
);

async fn a_queued_mail_arrives_with_its_text_and_html_parts_and_the_sender(
    app: TestApp,
    sink: SmtpSink,
) {
    let id = enqueue(&mut app.conn(), &mail("ann@example.com", "welcome", false));
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    let m = &got[0];
    assert_eq!(m.from, "steward@localhost");
    assert!(
        m.from_header.contains("steward@localhost"),
        "{}",
        m.from_header
    );
    assert_eq!(m.to, ["ann@example.com"]);
    assert_eq!(m.subject, "welcome");
    assert!(m
        .data
        .to_ascii_lowercase()
        .contains("multipart/alternative"));
    let text = m.text.as_deref().expect("a plain-text part");
    assert!(
        text.contains("https://panel.test/invitations/secret-welcome"),
        "{text}"
    );
    let html = m.html.as_deref().expect("an HTML part");
    assert!(
        html.contains("<a href=\"https://panel.test/invitations/secret-welcome\">"),
        "{html}"
    );
    let r = wait_row(&app, id, Duration::from_secs(5), |r| r.status == "sent").await;
    assert_eq!(r.attempts, 1);
    assert!(r.sent_at.is_some() && r.locked_until.is_none());
    // Sent once: later polls do not send it again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 1);
}

async fn a_sensitive_body_is_blanked_once_sent_and_an_ordinary_one_is_kept(
    app: TestApp,
    sink: SmtpSink,
) {
    let secret = enqueue(&mut app.conn(), &mail("bob@example.com", "invite", true));
    let plain = enqueue(&mut app.conn(), &mail("bob@example.com", "notice", false));
    let got = sink.wait_for(2, Duration::from_secs(10)).await;
    let invite = got
        .iter()
        .find(|m| m.subject == "invite")
        .expect("the invitation");
    assert!(invite.text.as_deref().unwrap().contains("secret-invite"));
    let r = wait_row(&app, secret, Duration::from_secs(5), |r| r.status == "sent").await;
    assert_eq!(r.mail.body_text, REMOVED_BODY);
    assert_eq!(r.mail.body_html, REMOVED_BODY);
    let r = wait_row(&app, plain, Duration::from_secs(5), |r| r.status == "sent").await;
    assert!(r.mail.body_text.contains("secret-notice"));
}

async fn with_the_mail_server_refusing_the_mail_is_retried_and_arrives_once_it_is_back(
    app: TestApp,
    sink: SmtpSink,
) {
    sink.set_mode(Mode::Refuse);
    let id = enqueue(&mut app.conn(), &mail("cat@example.com", "retry", false));
    let r = wait_row(&app, id, Duration::from_secs(10), |r| r.attempts >= 1).await;
    assert_eq!(r.status, "queued");
    assert!(r.last_error.contains("451"), "last error: {}", r.last_error);
    assert!(r.locked_until.is_none());
    let wait = r.next_attempt_at - steward::models::now();
    assert!(
        wait > chrono::Duration::seconds(20) && wait <= chrono::Duration::seconds(30),
        "the first retry waits 30 s, not {wait}"
    );
    // The server goes down altogether: connections dropped. Time passes (the retry is
    // made due now), the attempt fails again, and the next wait doubles.
    sink.set_mode(Mode::Drop);
    make_due(&app, id);
    let r = wait_row(&app, id, Duration::from_secs(10), |r| r.attempts >= 2).await;
    assert_eq!(r.status, "queued");
    assert!(!r.last_error.is_empty());
    let wait = r.next_attempt_at - steward::models::now();
    assert!(
        wait > chrono::Duration::seconds(50),
        "the second retry waits 60 s, not {wait}"
    );
    assert!(sink.received().is_empty());
    // Back up: the next attempt delivers it, once.
    sink.set_mode(Mode::Accept);
    make_due(&app, id);
    let got = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].subject, "retry");
    let r = wait_row(&app, id, Duration::from_secs(5), |r| r.status == "sent").await;
    assert_eq!(r.attempts, 3);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.received().len(), 1);
}

fn make_due(app: &TestApp, id: i32) {
    diesel::update(mail_outbox::table.find(id))
        .set(mail_outbox::next_attempt_at.eq(steward::models::now() - chrono::Duration::seconds(1)))
        .execute(&mut app.conn())
        .expect("make the mail due");
}

async fn a_stalled_mail_server_never_slows_a_page(app: TestApp, sink: SmtpSink) {
    sink.set_mode(Mode::Stall);
    let admin = app.admin("root");
    let browser = app.login("root").await;
    let id = enqueue(&mut app.conn(), &mail("dan@example.com", "stalled", false));
    // The worker is now talking to a server that never answers (for up to 10 s).
    let until = Instant::now() + Duration::from_secs(10);
    while sink.connections() == 0 {
        assert!(Instant::now() < until, "the worker never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for _ in 0..3 {
        let started = Instant::now();
        let (status, _) = browser.get_page(&format!("/users/{admin}")).await;
        assert_eq!(status, 200);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a page took {:?}",
            started.elapsed()
        );
        // A page that writes (here: queueing one more mail) answers at once too.
        let started = Instant::now();
        enqueue(&mut app.conn(), &mail("dan@example.com", "more", false));
        assert!(started.elapsed() < Duration::from_secs(2));
    }
    let r = row(&mut app.conn(), id);
    assert_eq!(r.status, "queued");
    assert!(r.locked_until.is_some(), "claimed while it is being sent");
}

/// A mail queued while the panel runs survives SIGKILL and is sent by the next start; so
/// does one whose send was cut by the kill, once its lease ends.
async fn a_mail_queued_when_the_panel_is_killed_is_sent_after_restart(backend: Backend) {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let (database_url, _pg, _dir) = fresh_database(backend);
    let _drop_pg = PgDrop(_pg);
    // A worker that looks only at its start: the mail below waits in the queue.
    let first = Instance::start_with(
        &database_url,
        &[
            ("STEWARD_SMTP_URL", &url),
            ("STEWARD_MAIL_POLL_MS", "600000"),
        ],
    );
    let pool = steward::db::connect(&database_url).expect("pool");
    let waiting = enqueue(
        &mut pool.get().unwrap(),
        &mail("eve@example.com", "waiting", false),
    );
    first.kill();
    assert!(sink.received().is_empty());

    // Cut mid-send: the server stalls, the instance is killed while it talks to it.
    sink.set_mode(Mode::Stall);
    let second = Instance::start_with(
        &database_url,
        &[("STEWARD_SMTP_URL", &url), ("STEWARD_MAIL_POLL_MS", "100")],
    );
    let until = Instant::now() + Duration::from_secs(20);
    while sink.connections() == 0 {
        assert!(Instant::now() < until, "the worker never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    second.kill();
    let r = row(&mut pool.get().unwrap(), waiting);
    assert_eq!(r.status, "queued");
    assert!(r.locked_until.is_some(), "the killed instance held a lease");
    // The lease ends (time passes); the next start sends it.
    diesel::update(mail_outbox::table.find(waiting))
        .set(
            mail_outbox::locked_until
                .eq(Some(steward::models::now() - chrono::Duration::seconds(1))),
        )
        .execute(&mut pool.get().unwrap())
        .unwrap();
    drop(pool);
    sink.set_mode(Mode::Accept);
    let _third = Instance::start_with(
        &database_url,
        &[("STEWARD_SMTP_URL", &url), ("STEWARD_MAIL_POLL_MS", "100")],
    );
    let got = sink.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(got[0].subject, "waiting");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 1);
}

/// Drops a PostgreSQL test database at the end (`fresh_database` does not).
struct PgDrop(Option<String>);
impl Drop for PgDrop {
    fn drop(&mut self) {
        if let Some(name) = &self.0 {
            if let Ok(mut c) = diesel::PgConnection::establish(&format!(
                "{}/postgres",
                crate::helpers::postgres_base()
            )) {
                let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c);
            }
        }
    }
}

mod a_mail_queued_when_the_panel_is_killed_is_sent_after_restart {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_mail_queued_when_the_panel_is_killed_is_sent_after_restart(
            steward::db::Backend::Sqlite,
        )
        .await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_mail_queued_when_the_panel_is_killed_is_sent_after_restart(
            steward::db::Backend::Postgres,
        )
        .await;
    }
}

/// Two instances on one PostgreSQL, both sending: 30 mails queued at once each arrive
/// exactly once (`FOR UPDATE SKIP LOCKED` and the lease).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_send_each_mail_exactly_once() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let (database_url, pg, _dir) = fresh_database(Backend::Postgres);
    let _drop_pg = PgDrop(pg);
    let env = [
        ("STEWARD_SMTP_URL", url.as_str()),
        ("STEWARD_MAIL_POLL_MS", "50"),
    ];
    let _a = Instance::start_with(&database_url, &env);
    let _b = Instance::start_with(&database_url, &env);
    let pool = steward::db::connect(&database_url).expect("pool");
    let mut conn = pool.get().unwrap();
    steward::db::transaction(&mut conn, |c| {
        for i in 0..30 {
            outbox::enqueue(
                c,
                &mail(&format!("user{i}@example.com"), &format!("mail {i}"), false),
            )?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
    let got = sink.wait_for(30, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got_after = sink.received();
    assert_eq!(
        got_after.len(),
        30,
        "{} mails arrived for 30 queued",
        got_after.len()
    );
    let mut subjects: Vec<&str> = got.iter().map(|m| m.subject.as_str()).collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 30, "each mail once");
    let sent: i64 = mail_outbox::table
        .filter(mail_outbox::status.eq("sent"))
        .filter(mail_outbox::attempts.eq(1))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(sent, 30);
}

backend_tests!(the_admin_page_shows_the_queue_to_admins_only_and_never_a_body);

async fn the_admin_page_shows_the_queue_to_admins_only_and_never_a_body(app: TestApp) {
    let admin = app.admin("root");
    let customer = app.customer("acme", admin);
    // Queued with a lease far ahead, so that the app's own worker leaves them alone, and
    // each given its state.
    let later = steward::models::now() + chrono::Duration::hours(1);
    let (queued, sent, failed) = steward::db::transaction(&mut app.conn(), |c| {
        let ids = (
            outbox::enqueue(c, &mail("q@example.com", "Queued one", true))?,
            outbox::enqueue(c, &mail("s@example.com", "Sent one", false))?,
            outbox::enqueue(c, &mail("f@example.com", "Failed one", false))?,
        );
        diesel::update(mail_outbox::table)
            .set(mail_outbox::locked_until.eq(Some(later)))
            .execute(c)?;
        diesel::update(mail_outbox::table.find(ids.1))
            .set((
                mail_outbox::status.eq("sent"),
                mail_outbox::sent_at.eq(Some(steward::models::now())),
            ))
            .execute(c)?;
        diesel::update(mail_outbox::table.find(ids.2))
            .set((
                mail_outbox::status.eq("failed"),
                mail_outbox::attempts.eq(outbox::MAX_ATTEMPTS),
                mail_outbox::last_error.eq("permanent error (550): no such user"),
            ))
            .execute(c)?;
        Ok::<_, diesel::result::Error>(ids)
    })
    .unwrap();

    let root = app.login("root").await;
    let page = root.get_html("/admin/mail").await;
    for shown in [
        "Queued one",
        "Sent one",
        "Failed one",
        "q@example.com",
        "permanent error (550): no such user",
        "<strong>1</strong> queued",
        "<strong>1</strong> sent",
        "<strong>1</strong> failed",
        &format!("/admin/mail/{failed}/retry"),
    ] {
        assert!(page.contains(shown), "the page lacks {shown:?}");
    }
    assert!(!page.contains("secret-"), "a body was shown");
    assert!(!page.contains(&format!("/admin/mail/{sent}/retry")));

    // Not an admin: 403 for the page and the retry, and nothing changes.
    let other = app.login("acme").await;
    assert_status!(other.get("/admin/mail").await, 403);
    assert_status!(
        other
            .post(&format!("/admin/mail/{failed}/retry"), &[])
            .await,
        403
    );
    assert_eq!(row(&mut app.conn(), failed).status, "failed");
    let _ = customer;

    // Unknown or non-numeric ids: 404. A mail that has not failed stays as it is.
    assert_status!(root.post("/admin/mail/999999/retry", &[]).await, 404);
    assert_status!(root.post("/admin/mail/x/retry", &[]).await, 404);
    assert_status!(
        root.post(&format!("/admin/mail/{sent}/retry"), &[]).await,
        303
    );
    assert_eq!(row(&mut app.conn(), sent).status, "sent");
    assert_eq!(row(&mut app.conn(), queued).status, "queued");

    // The admin sends a failed mail again: queued, due now, fresh attempts, audited.
    assert_status!(
        root.post(&format!("/admin/mail/{failed}/retry"), &[]).await,
        303
    );
    // (The app's worker may already have sent it, to the log.)
    let r = row(&mut app.conn(), failed);
    assert!(r.status == "queued" || r.status == "sent", "{r:?}");
    assert!(r.attempts <= 1);
    let audited: i64 = steward::db::schema::audit_log::table
        .filter(steward::db::schema::audit_log::action.eq("mail.retry"))
        .count()
        .get_result(&mut app.conn())
        .unwrap();
    assert_eq!(audited, 1);
}

/// On SIGTERM the worker finishes the send in hand (the server answers it late)
/// and takes no new mail; `steward serve` exits 0 and the rest stays queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_send_in_hand_and_leaves_the_rest_queued() {
    let sink = SmtpSink::start().await;
    sink.set_mode(Mode::Slow(1500));
    let (database_url, _pg, _dir) = fresh_database(Backend::Sqlite);
    let mut serving = Instance::start_with(
        &database_url,
        &[
            ("STEWARD_SMTP_URL", &sink.url()),
            ("STEWARD_MAIL_POLL_MS", "100"),
        ],
    );
    let pool = steward::db::connect(&database_url).expect("pool");
    let (first, second) = steward::db::transaction(&mut pool.get().unwrap(), |c| {
        Ok::<_, diesel::result::Error>((
            outbox::enqueue(c, &mail("fay@example.com", "first", false))?,
            outbox::enqueue(c, &mail("fay@example.com", "second", false))?,
        ))
    })
    .unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while sink.connections() == 0 {
        assert!(Instant::now() < until, "the worker never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    serving.signal("TERM");
    let status = serving
        .exit_status(Duration::from_secs(20))
        .expect("steward exited after SIGTERM");
    assert_eq!(status.code(), Some(0));
    let got = sink.received();
    assert_eq!(
        got.len(),
        1,
        "the send in hand finished, and no other began"
    );
    assert_eq!(got[0].subject, "first");
    let mut c = pool.get().unwrap();
    assert_eq!(row(&mut c, first).status, "sent");
    let r = row(&mut c, second);
    assert_eq!((r.status.as_str(), r.attempts), ("queued", 0));
}
