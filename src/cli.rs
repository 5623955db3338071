//! The `steward` command line: `serve` (the default), `serve --demo`,
//! `create-admin`, `migrate`, `backup` and `reset-2fa`, configured by the STEWARD_*
//! environment variables. (The benchmark's data set is another binary, `bench-data`.)

use std::io::Read;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{redact_url, Settings};
use crate::db;
use crate::startup::Application;

#[derive(Parser)]
#[command(
    name = "steward",
    version,
    about = "Steward: accounts, alias users and access for bare-metal hosting"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run pending migrations and serve the panel (the default).
    Serve {
        /// On an empty database, also load demo data and print the demo logins.
        #[arg(long)]
        demo: bool,
    },
    /// Create an admin account; the password is read from standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Read the password from standard input (required: never pass it as an argument).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Run pending migrations and exit.
    Migrate,
    /// Write a consistent copy of the SQLite database to FILE while the panel runs
    /// (PostgreSQL: use pg_dump). Restore by pointing STEWARD_DATABASE_URL at the copy.
    Backup {
        #[arg(long, value_name = "FILE")]
        to: std::path::PathBuf,
    },
    /// Remove every second factor (authenticator app, recovery codes) of one login, for
    /// the admin at the console when its owner lost them all; audited.
    #[command(name = "reset-2fa")]
    Reset2fa {
        #[arg(long)]
        username: String,
    },
}

pub fn run() -> anyhow::Result<()> {
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("info,actix_server=warn"),
    )
    .init();
    let cli = Cli::parse();
    if let Some(Command::Backup { to }) = &cli.command {
        // Needs only the database URL: no secret key is read or created for a backup.
        let written = crate::ops::backup::backup(&crate::config::database_url_from_env(), to)?;
        println!(
            "Backup written to {} ({} bytes); integrity check ok.",
            written.path.display(),
            written.bytes
        );
        return Ok(());
    }
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => serve(settings, demo),
        Command::Migrate => {
            let pool = connect_and_migrate(&settings.database_url)?;
            drop(pool);
            println!("Migrations are up to date.");
            Ok(())
        }
        Command::Backup { .. } => unreachable!("handled before the settings are read"),
        Command::Reset2fa { username } => reset_2fa(&settings, &username),
        Command::CreateAdmin {
            username, email, ..
        } => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            let pool = connect_and_migrate(&settings.database_url)?;
            let mut conn = pool.get()?;
            let id = crate::bootstrap::create_admin(&mut conn, &username, &email, password)?;
            println!("Created admin {username} (id {id}).");
            Ok(())
        }
    }
}

/// Connects to the database and applies pending migrations, as every command does first.
/// Public for the `bench-data` binary (src/bin/bench-data), which opens the same database.
pub fn connect_and_migrate(database_url: &str) -> anyhow::Result<db::DbPool> {
    let pool = db::connect(database_url)
        .with_context(|| format!("connecting to {}", redact_url(database_url)))?;
    let mut conn = pool.get()?;
    let applied = db::migrations::run_pending(&mut conn)?;
    if applied > 0 {
        log::info!("applied {applied} migration(s)");
    }
    Ok(pool)
}

/// `steward reset-2fa --username U`: removes the login's factors in one transaction with
/// an audit row (actor "console") and the account owner's notice; fails for an unknown
/// username.
fn reset_2fa(settings: &Settings, username: &str) -> anyhow::Result<()> {
    let pool = connect_and_migrate(&settings.database_url)?;
    let mut conn = pool.get()?;
    let key = username.trim().to_ascii_lowercase();
    let login = crate::models::user::User::find_by_username(&mut conn, &key)?
        .with_context(|| format!("no login is named {username}"))?;
    let by = crate::operations::notices::By::console("steward reset-2fa");
    let removed = db::transaction(&mut conn, |c| {
        let removed = crate::models::two_factor::remove_all(c, login.id)?;
        if removed {
            crate::operations::notices::factors_removed(
                c,
                &by,
                &login,
                crate::operations::notices::FACTORS_RESET,
            )?;
        }
        crate::models::audit::NewAuditEntry {
            account_id: Some(login.parent_id.unwrap_or(login.id)),
            actor_id: None,
            actor_name: "console".into(),
            impersonator_id: None,
            impersonator_name: None,
            action: "two_factor.reset".into(),
            target: format!("login {}", login.username),
            details: "steward reset-2fa".into(),
            ip: String::new(),
            user_agent: String::new(),
            via_api: false,
            created_at: crate::models::now(),
        }
        .insert(c)?;
        Ok::<_, diesel::result::Error>(removed)
    })?;
    if removed {
        println!(
            "Removed every second factor of {}: it logs in with its password alone until it sets up a new one.",
            login.username
        );
    } else {
        println!(
            "{} had no second factor; nothing to remove.",
            login.username
        );
    }
    Ok(())
}

fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    crate::ops::memory::start_trimming();
    let pool = connect_and_migrate(&settings.database_url)?;
    {
        let mut conn = pool.get()?;
        if let Some(password) = crate::bootstrap::ensure_first_admin(&mut conn)? {
            println!("Created the first admin account. Log in with:");
            println!("  username: admin");
            println!("  password: {password}");
            println!("(shown only this once; change it under My account)");
        }
        if demo {
            let admin = crate::models::user::User::find_by_username(&mut conn, "admin")?
                .map(|u| u.id)
                .context("demo data needs the admin account")?;
            for login in crate::bootstrap::demo::load(&mut conn, admin)? {
                println!(
                    "Demo login: {} / {} ({})",
                    login.username, login.password, login.what
                );
            }
        }
    }
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(&settings, pool)?;
        let host = settings
            .bind
            .rsplit_once(':')
            .map_or("127.0.0.1", |(h, _)| h);
        let host = if host == "0.0.0.0" { "127.0.0.1" } else { host };
        println!(
            "Steward is listening: log in at http://{host}:{}/login",
            app.port
        );
        let mut handles = vec![app.server.handle()];
        let metrics = app.metrics.map(|(port, server)| {
            println!("Metrics for Prometheus: GET /metrics on port {port} (STEWARD_METRICS_BIND)");
            handles.push(server.handle());
            actix_web::rt::spawn(server)
        });
        actix_web::rt::spawn(crate::ops::shutdown::stop_on_signal(handles));
        app.server.await?;
        if let Some(m) = metrics {
            let _ = m.await;
        }
        // The pages are done; the workers finish the send and the calls in hand and take no
        // more (queued jobs and mails wait in the database for the next start).
        app.mail.stop().await;
        app.driver.stop().await;
        println!("Steward stopped.");
        Ok(())
    })
}
