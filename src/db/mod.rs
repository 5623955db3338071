//! The database layer: one connection type for SQLite and PostgreSQL, the r2d2 pool, the
//! per-connection setup (SQLite PRAGMAs), embedded migrations, and the two helpers every
//! model uses: `run` (do blocking DB work off the async threads) and `transaction` (one
//! atomic, durable unit of writes). Nothing here knows about HTTP or permissions.

pub mod deadline;
pub mod migrations;
pub mod probe;
pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::result::Error as DieselError;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};

/// One connection to whichever backend the URL names.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type PooledConn = PooledConnection<ConnectionManager<DbConn>>;

impl DbConn {
    /// Which backend this connection speaks to.
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Postgres(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// The r2d2 pool, plus an async gate with one slot per connection that `run` passes
/// before it takes a blocking thread. Without the gate, every request beyond the pool's
/// size parked a blocking thread in `pool.get()`: 32 concurrent requests grew the process
/// to ~80 threads, each with its own allocator arena (memory) and all of them switching
/// (CPU). With it, requests wait as cheap futures and at most one thread per connection
/// does database work (BENCHMARKS.md).
#[derive(Clone)]
pub struct DbPool {
    pool: Pool<ConnectionManager<DbConn>>,
    slots: std::sync::Arc<tokio::sync::Semaphore>,
    /// How long a search may run (`run_search`); set from `Limits` by the server.
    search_deadline: Duration,
}

impl DbPool {
    fn new(pool: Pool<ConnectionManager<DbConn>>) -> DbPool {
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(pool.max_size() as usize));
        DbPool {
            pool,
            slots,
            search_deadline: Duration::from_secs(3),
        }
    }

    /// The same pool, with searches stopped after `limit`.
    /// How long a search's statements may run (`deadline`).
    pub fn search_deadline(&self) -> Duration {
        self.search_deadline
    }

    pub fn with_search_deadline(mut self, limit: Duration) -> DbPool {
        self.search_deadline = limit;
        self
    }

    /// How many connections the pool holds at most.
    pub fn max_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// A connection for work on a blocking thread outside `run` (a streamed export, one
    /// chunk at a time): it waits for a slot like `run` does, so an export shares the pool
    /// fairly with pages and never holds a connection between chunks.
    pub fn blocking_get(
        &self,
        rt: &tokio::runtime::Handle,
    ) -> Result<(tokio::sync::OwnedSemaphorePermit, PooledConn), DbError> {
        let permit = rt
            .block_on(self.slots.clone().acquire_owned())
            .map_err(|_| DbError::Cancelled)?;
        let conn = self.pool.get().map_err(DbError::from)?;
        Ok((permit, conn))
    }

    /// The one shape handlers use for database work: `work` runs on a pooled connection off
    /// the async threads (`run`), and every error is a `DbError`, so closures need no type
    /// annotations and `?` converts diesel's errors.
    pub async fn db<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        run(self, work).await
    }

    /// `db` for writes: `work` is one transaction (`transaction`), committed when it answers
    /// `Ok` and rolled back when it answers `Err`.
    pub async fn tx<T, F>(&self, work: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, DbError> + Send + 'static,
        T: Send + 'static,
    {
        run(self, move |c| transaction(c, work)).await
    }

    /// A connection for synchronous callers (the CLI, tests); blocks while none is free.
    pub fn get(&self) -> Result<PooledConn, diesel::r2d2::PoolError> {
        self.pool.get()
    }
}

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Errors of the database layer, for callers that must tell "not there" from "broken".
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database query failed: {0}")]
    Query(#[from] DieselError),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("database task was cancelled")]
    Cancelled,
    /// A search ran past its statement deadline (`deadline::bounded`) and was stopped.
    #[error("the search ran past its deadline")]
    Deadline,
}

impl DbError {
    /// Whether the database refused to store a write (read-only, disk full) rather than
    /// the request being wrong: the panel then answers 503, with nothing saved.
    pub fn is_write_refused(&self) -> bool {
        match self {
            DbError::Query(e) => is_write_refusal(e),
            _ => false,
        }
    }

    /// Whether the database could not be reached at all (no connection in time).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, DbError::Pool(_))
    }
}

/// A write the database would not store: PostgreSQL read-only (25006) or out of space
/// (53100), SQLite read-only, full, or unable to write its files.
pub fn is_write_refusal(e: &DieselError) -> bool {
    use diesel::result::DatabaseErrorKind;
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, _) => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message().to_ascii_lowercase();
            m.contains("readonly database")
                || m.contains("read-only transaction")
                || m.contains("database or disk is full")
                || m.contains("no space left on device")
                || m.contains("disk i/o error")
                || m.contains("could not extend file")
        }
        _ => false,
    }
}

/// SQLite accepts plain paths; strip the `sqlite://` scheme users may write.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap_or(url)
}

#[derive(Debug)]
pub(crate) struct SqliteSetup;

impl CustomizeConnection<DbConn, diesel::r2d2::Error> for SqliteSetup {
    fn on_acquire(&self, conn: &mut DbConn) -> Result<(), diesel::r2d2::Error> {
        if let DbConn::Sqlite(c) = conn {
            // WAL lets readers run beside the one writer; synchronous=FULL makes every
            // acknowledged commit durable across a crash or power loss; the busy timeout
            // makes a second writer wait instead of failing with "database is locked".
            c.batch_execute(
                "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
            )
            .map_err(diesel::r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Connections per pool: `STEWARD_DB_POOL_SIZE` (1–64), else 8 for SQLite and 12 for
/// PostgreSQL (BENCHMARKS.md, "PostgreSQL latency", measures other sizes). It also bounds
/// the blocking threads doing database work, one per connection.
fn pool_size(backend: Backend) -> u32 {
    let default = match backend {
        Backend::Sqlite => 8,
        Backend::Postgres => 12,
    };
    std::env::var("STEWARD_DB_POOL_SIZE")
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .map_or(default, |n| n.clamp(1, 64))
}

/// Builds the pool for a database URL. For SQLite the file's folder is created.
pub fn connect(url: &str) -> anyhow::Result<DbPool> {
    let backend = Backend::of_url(url);
    if backend == Backend::Sqlite {
        deadline::install_sqlite_progress_handler();
    }
    let target = match backend {
        Backend::Postgres => url.to_string(),
        Backend::Sqlite => {
            let path = sqlite_path(url);
            if let Some(dir) = std::path::Path::new(path).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir)?;
                }
            }
            path.to_string()
        }
    };
    let manager = ConnectionManager::<DbConn>::new(target);
    let pool = Pool::builder()
        .max_size(pool_size(backend))
        .connection_timeout(Duration::from_secs(15))
        .connection_customizer(Box::new(SqliteSetup))
        .build(manager)?;
    Ok(DbPool::new(pool))
}

tokio::task_local! {
    /// The hand-offs of the request being served, when one is being counted.
    static HANDOFFS: std::rc::Rc<std::cell::Cell<u32>>;
}

/// Runs `request` and answers how many times its work went to a blocking thread with a
/// pooled connection (`run` calls): the figure a page's cost is made of, which the metrics
/// report per route. Work outside any counted request (the workers) is not counted.
pub async fn counting_handoffs<F: std::future::Future>(request: F) -> (F::Output, u32) {
    let count = std::rc::Rc::new(std::cell::Cell::new(0));
    let output = HANDOFFS.scope(count.clone(), request).await;
    (output, count.get())
}

/// Runs blocking database work on actix's blocking thread pool.
pub async fn run<T, E, F>(pool: &DbPool, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let _ = HANDOFFS.try_with(|n| n.set(n.get() + 1));
    // The permit is held until the blocking work ends (it moves into the closure), so a
    // request cancelled while its query runs cannot let a second one in on its slot.
    let waiting = std::time::Instant::now();
    let permit = pool
        .slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| DbError::Cancelled)?;
    let pool = pool.pool.clone();
    actix_web::web::block(move || {
        let _permit = permit;
        let mut conn = pool.get().map_err(DbError::from)?;
        crate::ops::metrics::pool_wait(waiting.elapsed());
        work(&mut conn)
    })
    .await
    .map_err(|_| DbError::Cancelled)?
}

/// `run` for a search: its statements are stopped at the pool's search deadline, and the
/// caller gets `DbError::Deadline` instead of a connection held for as long as it scans.
pub async fn run_search<T, F>(pool: &DbPool, work: F) -> Result<T, DbError>
where
    F: FnOnce(&mut DbConn) -> Result<T, DbError> + Send + 'static,
    T: Send + 'static,
{
    let limit = pool.search_deadline;
    run(pool, move |c| deadline::bounded(c, limit, work)).await
}

/// Runs `work` as one transaction. On SQLite it begins IMMEDIATE, taking the write lock up
/// front: a deferred transaction that reads and then writes can fail with SQLITE_BUSY when
/// another writer committed in between, and the busy timeout cannot retry that case.
///
/// SQLite has one writer at a time anyway; writers of this process first queue on a mutex
/// (woken the moment the previous one commits) rather than in SQLite's busy handler, which
/// sleeps in steps of up to 100 ms and made the tail latency of concurrent POSTs half a
/// second (BENCHMARKS.md). Transactions are never nested, so the lock cannot be re-entered.
pub fn transaction<T, E, F>(conn: &mut DbConn, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    match conn {
        DbConn::Postgres(_) => conn.transaction(work),
        DbConn::Sqlite(_) => {
            static WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());
            // A poisoned lock only means a writer panicked; SQLite rolled its work back.
            let _writer = WRITER.lock().unwrap_or_else(|e| e.into_inner());
            conn.batch_execute("BEGIN IMMEDIATE")?;
            let result = work(conn);
            commit_or_roll_back(conn, result)
        }
    }
}

/// `transaction` for writes whose loss in a crash harms nobody and that the next request
/// would redo: a session's expiry pushed forward, or only its flash message changed. They
/// commit without waiting for the disk (PostgreSQL `SET LOCAL synchronous_commit = off`,
/// SQLite `synchronous = NORMAL` for this commit only), so a POST that answers with a
/// flash costs one durable commit (its change) instead of two. Order still holds: a
/// later durable commit makes this one durable too (one WAL, written in order), so a crash
/// can only lose the newest relaxed writes, never one before a durable one.
pub fn transaction_relaxed<T, E, F>(conn: &mut DbConn, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    match conn {
        DbConn::Postgres(_) => transaction(conn, |c| {
            c.batch_execute("SET LOCAL synchronous_commit = off")?;
            work(c)
        }),
        DbConn::Sqlite(_) => {
            conn.batch_execute("PRAGMA synchronous = NORMAL")?;
            let result = transaction(conn, work);
            // Every other commit on this pooled connection must be durable again.
            conn.batch_execute("PRAGMA synchronous = FULL")?;
            result
        }
    }
}

/// Inside a transaction, runs `work` so that an `Err` undoes what it wrote and nothing
/// else: a savepoint, released on `Ok`, rolled back to on `Err`. A door that makes its
/// change in the same transaction as its session read uses it for a change that may be
/// refused halfway (a name taken at the insert), so the refusal can still be rendered
/// while the transaction around it commits nothing of it. Both backends take the same
/// statements, and on PostgreSQL the rollback also clears a failed statement's abort.
pub fn attempt<T, E, F>(conn: &mut DbConn, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    conn.batch_execute("SAVEPOINT steward_attempt")?;
    match work(conn) {
        Ok(value) => {
            conn.batch_execute("RELEASE SAVEPOINT steward_attempt")?;
            Ok(value)
        }
        Err(e) => {
            conn.batch_execute(
                "ROLLBACK TO SAVEPOINT steward_attempt; RELEASE SAVEPOINT steward_attempt",
            )?;
            Err(e)
        }
    }
}

/// Runs reads as one consistent snapshot: every statement of `work` sees the database as
/// of the first one (PostgreSQL `REPEATABLE READ READ ONLY`, SQLite a deferred read
/// transaction in WAL mode). Nothing is locked against writers; `work` must not write.
pub fn read_snapshot<T, E, F>(conn: &mut DbConn, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    let begin = match conn {
        DbConn::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        DbConn::Sqlite(_) => "BEGIN DEFERRED",
    };
    conn.batch_execute(begin)?;
    let result = work(conn);
    commit_or_roll_back(conn, result)
}

/// Ends a transaction begun by hand: commits when its work answered `Ok`, rolls back when
/// it answered `Err`, or when the commit itself failed (the transaction may still be open).
fn commit_or_roll_back<T, E>(conn: &mut DbConn, result: Result<T, E>) -> Result<T, E>
where
    E: From<DieselError>,
{
    match result {
        Ok(value) => {
            if let Err(e) = conn.batch_execute("COMMIT") {
                let _ = conn.batch_execute("ROLLBACK");
                return Err(e.into());
            }
            Ok(value)
        }
        Err(e) => {
            let _ = conn.batch_execute("ROLLBACK");
            Err(e)
        }
    }
}

/// Inserts a row and answers its new id. Both backends support `RETURNING`.
#[macro_export]
macro_rules! insert_returning_id {
    ($conn:expr, $table:path, $values:expr, $id:path) => {{
        use diesel::RunQueryDsl as _;
        let q = diesel::insert_into($table).values($values).returning($id);
        match $conn {
            $crate::db::DbConn::Postgres(c) => q.get_result::<i32>(c),
            $crate::db::DbConn::Sqlite(c) => q.get_result::<i32>(c),
        }
    }};
}

/// Runs a statement on the inner connection of whichever backend this is, for the few
/// statements diesel's multi-backend cannot express (batch inserts).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

/// True when the error is a unique-constraint violation (a race lost to another writer).
pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// A quick round-trip for /healthz.
pub fn ping(conn: &mut DbConn) -> Result<(), DieselError> {
    diesel::sql_query("SELECT 1").execute(conn).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(diesel::QueryableByName)]
    struct Synchronous {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        synchronous: i32,
    }

    fn synchronous(c: &mut DbConn) -> i32 {
        diesel::sql_query("PRAGMA synchronous")
            .get_result::<Synchronous>(c)
            .expect("pragma")
            .synchronous
    }

    #[test]
    fn a_relaxed_write_leaves_its_sqlite_connection_durable_again_whatever_it_answered() {
        let dir = std::env::temp_dir().join(format!("steward-relaxed-{}", std::process::id()));
        let pool = connect(&dir.join("t.db").to_string_lossy()).expect("pool");
        let mut c = pool.get().expect("connection");
        c.batch_execute("CREATE TABLE t (v INTEGER)").unwrap();
        assert_eq!(synchronous(&mut c), 2, "FULL from the start");
        transaction_relaxed(&mut c, |c| {
            assert_eq!(synchronous(c), 1, "NORMAL inside");
            c.batch_execute("INSERT INTO t VALUES (1)")
        })
        .unwrap();
        assert_eq!(synchronous(&mut c), 2, "FULL after a commit");
        let failed: Result<(), DieselError> = transaction_relaxed(&mut c, |c| {
            c.batch_execute("INSERT INTO nowhere VALUES (1)")
        });
        assert!(failed.is_err());
        assert_eq!(synchronous(&mut c), 2, "FULL after a rollback");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_attempt_that_fails_undoes_its_own_writes_and_keeps_the_transactions_others() {
        let dir = std::env::temp_dir().join(format!("steward-attempt-{}", std::process::id()));
        let pool = connect(&dir.join("t.db").to_string_lossy()).expect("pool");
        let mut c = pool.get().expect("connection");
        c.batch_execute("CREATE TABLE t (v INTEGER)").unwrap();
        transaction(&mut c, |c| -> Result<(), DieselError> {
            c.batch_execute("INSERT INTO t VALUES (1)")?;
            let refused: Result<(), DieselError> = attempt(c, |c| {
                c.batch_execute("INSERT INTO t VALUES (2)")?;
                Err(DieselError::NotFound)
            });
            assert!(refused.is_err());
            attempt(c, |c| c.batch_execute("INSERT INTO t VALUES (3)"))
        })
        .unwrap();
        #[derive(diesel::QueryableByName)]
        struct V {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            v: i32,
        }
        let kept: Vec<i32> = diesel::sql_query("SELECT v FROM t ORDER BY v")
            .load::<V>(&mut c)
            .unwrap()
            .into_iter()
            .map(|r| r.v)
            .collect();
        assert_eq!(kept, [1, 3]);
        let _ = std::fs::remove_dir_all(dir);
    }
}
