//! `steward backup --to FILE`: a consistent copy of the SQLite database taken
//! while the panel runs. `VACUUM INTO` reads one snapshot (a read transaction, which in
//! WAL mode never blocks the panel's writers, nor they it) and writes it out as a
//! compact, self-contained database with no WAL beside it. The copy is written under a
//! temporary name, checked with `PRAGMA integrity_check`, synced, and only then renamed
//! to FILE, so FILE is never a half-written database. PostgreSQL has its own tool for
//! this (pg_dump), and the command says so rather than pretending.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, QueryableByName, RunQueryDsl, SqliteConnection};

use crate::config::redact_url;
use crate::db::{sqlite_path, Backend};

/// What was written.
#[derive(Debug)]
pub struct Written {
    pub path: PathBuf,
    pub bytes: u64,
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

pub const POSTGRES_GUIDANCE: &str = "steward backup copies SQLite databases only. \
For PostgreSQL use its own tools, which take a consistent snapshot while the panel runs:\n  \
pg_dump --format=custom --file=steward.dump \"$STEWARD_DATABASE_URL\"\n\
and restore into an empty database with:\n  \
pg_restore --no-owner --dbname=\"postgres://…/steward\" steward.dump";

pub fn backup(database_url: &str, to: &Path) -> anyhow::Result<Written> {
    if Backend::of_url(database_url) == Backend::Postgres {
        bail!(
            "{POSTGRES_GUIDANCE}\n(STEWARD_DATABASE_URL is {})",
            redact_url(database_url)
        );
    }
    let source = sqlite_path(database_url);
    if !Path::new(source).is_file() {
        bail!("there is no SQLite database at {source} (check STEWARD_DATABASE_URL)");
    }
    if to.exists() {
        bail!(
            "{} already exists; choose a new file name (a backup never overwrites)",
            to.display()
        );
    }
    let file_name = to
        .file_name()
        .context("--to must name a file")?
        .to_string_lossy()
        .to_string();
    let partial = to.with_file_name(format!(".{file_name}.partial"));
    let _ = std::fs::remove_file(&partial);

    let mut conn = SqliteConnection::establish(source)
        .with_context(|| format!("opening the database {source}"))?;
    // Wait for a writer's checkpoint rather than failing with "database is locked".
    conn.batch_execute("PRAGMA busy_timeout = 15000;")?;
    let target = partial.to_string_lossy().to_string();
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(&target)
        .execute(&mut conn)
        .with_context(|| format!("writing the copy to {}", partial.display()))?;
    drop(conn);

    let result = check_and_sync(&partial);
    if let Err(e) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    std::fs::rename(&partial, to)
        .with_context(|| format!("renaming the copy to {}", to.display()))?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename itself is durable only once the folder is synced.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    let bytes = std::fs::metadata(to)?.len();
    Ok(Written {
        path: to.to_path_buf(),
        bytes,
    })
}

fn check_and_sync(copy: &Path) -> anyhow::Result<()> {
    let mut conn = SqliteConnection::establish(&copy.to_string_lossy())
        .context("opening the copy to check it")?;
    let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn)?;
    drop(conn);
    if rows.len() != 1 || rows[0].integrity_check != "ok" {
        let found: Vec<String> = rows.into_iter().map(|r| r.integrity_check).collect();
        bail!("the copy failed its integrity check: {}", found.join("; "));
    }
    std::fs::File::open(copy)?.sync_all()?;
    Ok(())
}
