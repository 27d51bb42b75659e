//! Connecting to SQLite or PostgreSQL, checking and migrating the schema, and counting
//! SQL statements.

use std::{
    collections::BTreeSet,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait, SchemaManager};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};

mod lock;
pub mod planned;
pub mod replicas;

pub use lock::{MIGRATION_LOCK_KEY, MigrationLock};

/// Counts every SQL statement the server runs. Tests read it to prove that a
/// request's statement count does not grow with the rows it returns; the count of one
/// request, exact under concurrency, is kept by `telemetry::RequestScope`.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    /// Statements run so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A pooled connection idle for at least this long is pinged before it is handed out;
/// one used more recently is handed out as it is (see [`connect_observed`]).
pub const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

/// Opens a pool on `url` and installs the statement counter (see [`connect_observed`]).
pub async fn connect(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Duration,
) -> Result<(DatabaseConnection, StatementCounter), DbErr> {
    connect_observed(
        url,
        max_connections,
        acquire_timeout,
        statement_timeout,
        |_| {},
    )
    .await
}

/// Opens a pool on `url` and installs the statement counter and `observe`, which is
/// called after every statement, inside the future that ran it (so it sees the
/// task-locals of the request that ran the statement).
///
/// A request waits at most `acquire_timeout` for a connection: a pool that is busy (every
/// connection in use) or a database that cannot be reached fails fast with
/// SERVICE_UNAVAILABLE instead of queueing. A connection idle for [`PING_IF_IDLE_FOR`]
/// or longer is checked with a ping before it is handed out, so connections a database
/// restart (or a network cut) killed while nobody asked are replaced by new ones without
/// failing a request. A connection killed less than that after its last use is not
/// checked: the one request that lands on it fails with SERVICE_UNAVAILABLE, and the
/// connection is then discarded (sqlx pings every connection it takes back), so each
/// dead connection fails at most one request and the server serves again by itself.
pub async fn connect_observed(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Duration,
    observe: impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
) -> Result<(DatabaseConnection, StatementCounter), DbErr> {
    open(
        url,
        max_connections,
        acquire_timeout,
        statement_timeout,
        false,
        observe,
    )
    .await
}

/// [`connect_observed`] for a read replica: lazy, so that a replica that is down at
/// start only stays out of rotation (`db::replicas`) instead of failing the start.
pub async fn connect_replica(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Duration,
    observe: impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
) -> Result<(DatabaseConnection, StatementCounter), DbErr> {
    open(
        url,
        max_connections,
        acquire_timeout,
        statement_timeout,
        true,
        observe,
    )
    .await
}

async fn open(
    url: &str,
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Duration,
    lazy: bool,
    observe: impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
) -> Result<(DatabaseConnection, StatementCounter), DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        // PostgreSQL cancels a statement that runs longer; SQLite has no such setting,
        // and there the request time limit bounds the work instead.
        .statement_timeout(statement_timeout)
        .min_connections(u32::from(!lazy))
        .connect_lazy(lazy)
        // Bounds both the wait for a free connection and the opening of a new one
        // (sqlx's connect timeout is the same setting).
        .acquire_timeout(acquire_timeout)
        // A ping is a round trip: on every checkout it doubled the round trips of each
        // statement. Only a connection idle long enough to have died unnoticed (database
        // restart, network cut while nobody asked) is pinged; one that fails a statement
        // is discarded by sqlx's ping on release, so it fails at most one request.
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        // Recycle idle and old connections, so that none outlives a failover for long.
        .idle_timeout(Duration::from_secs(300))
        .max_lifetime(Duration::from_secs(1800))
        // Statements are counted and errors logged by us; sqlx's per-statement logs
        // would print bound values, which include personal data.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            // WAL lets readers proceed while the seeder writes; the busy timeout makes
            // concurrent writers wait instead of failing with SQLITE_BUSY.
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    let mut db = Database::connect(options).await?;
    let counter = StatementCounter::default();
    let inner = counter.0.clone();
    let observe: planned::Observer = Arc::new(move |info| {
        inner.fetch_add(1, Ordering::Relaxed);
        observe(info);
    });
    // PostgreSQL's default plan caching (`auto`) for every statement: a generic plan
    // once a statement has run five times on a connection, instead of planning it
    // again on every bind. The statements whose plan depends on their values (a
    // registrant search) run through `planned`, which PostgreSQL plans every time.
    planned::register(&db, observe.clone());
    db.set_metric_callback(move |info| observe(info));
    Ok((db, counter))
}

/// What start-up does about the database schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaMode {
    /// Apply the migrations the database lacks (the default).
    Migrate,
    /// Change nothing: refuse to start unless every migration this binary knows is
    /// applied (for operators who migrate separately, before rolling out).
    Verify,
}

/// Why the database schema does not fit this binary.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The database has migrations applied that this binary does not know: a newer
    /// version of the server migrated it.
    #[error(
        "the database has migrations this binary does not know: {}. A newer version of \
         session-analytics migrated it; upgrade this binary (at least to the version that \
         added them) instead of running an older one against it",
        .0.join(", ")
    )]
    Newer(Vec<String>),
    /// Migrations this binary needs are not applied, and it was told not to apply them.
    #[error(
        "the database lacks migrations this binary needs: {}. Apply them first (run the \
         migration tool or start once with migrations enabled)",
        .0.join(", ")
    )]
    Behind(Vec<String>),
    /// Reading or changing the schema failed.
    #[error("reading or migrating the database schema failed: {0}")]
    Db(#[from] DbErr),
}

/// Which of this binary's migrations a database has, and which it has that this binary
/// does not know.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemaStatus {
    /// Known to this binary, not yet applied, in order.
    pub pending: Vec<String>,
    /// Applied, but unknown to this binary (a newer binary applied them), in order.
    pub unknown: Vec<String>,
}

/// Reads the migration table without changing anything (no `CREATE TABLE`): a
/// database without one has nothing applied.
pub async fn schema_status(db: &DatabaseConnection) -> Result<SchemaStatus, DbErr> {
    let table = Migrator::migration_table_name().to_string();
    let applied: BTreeSet<String> = if SchemaManager::new(db).has_table(&table).await? {
        let sql = format!("SELECT version FROM {table}");
        let rows = db
            .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await?;
        rows.iter()
            .map(|row| row.try_get::<String>("", "version"))
            .collect::<Result<_, _>>()?
    } else {
        BTreeSet::new()
    };
    let known: Vec<String> = Migrator::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect();
    Ok(SchemaStatus {
        pending: known
            .iter()
            .filter(|name| !applied.contains(*name))
            .cloned()
            .collect(),
        unknown: applied
            .into_iter()
            .filter(|name| !known.contains(name))
            .collect(),
    })
}

/// Makes sure the schema fits this binary: refuses a database a newer binary migrated,
/// then applies the missing migrations (`Migrate`) or refuses to start without them
/// (`Verify`), logging what it does.
///
/// `Migrate` applies them under the migration lock (see [`MigrationLock`]) and reads the
/// status again once it holds it: instances started together wait for the first one and
/// then find nothing left to do. A database already up to date takes no lock, so
/// restarts do not queue behind each other; `Verify` never takes it.
pub async fn prepare_schema(db: &DatabaseConnection, mode: SchemaMode) -> Result<(), SchemaError> {
    let status = fitting_status(db).await?;
    if status.pending.is_empty() {
        tracing::info!("database schema is up to date");
        return Ok(());
    }
    match mode {
        SchemaMode::Verify => Err(SchemaError::Behind(status.pending)),
        SchemaMode::Migrate => {
            let lock = MigrationLock::acquire(db).await?;
            let applied = apply_pending(db).await;
            lock.release().await;
            applied
        }
    }
}

/// [`prepare_schema`]'s `Migrate` work, run while holding the migration lock.
async fn apply_pending(db: &DatabaseConnection) -> Result<(), SchemaError> {
    // Read again: another instance may have migrated while this one waited for the lock.
    let status = fitting_status(db).await?;
    if status.pending.is_empty() {
        tracing::info!("database schema is up to date (migrated by another instance)");
        return Ok(());
    }
    tracing::info!(
        count = status.pending.len(),
        migrations = %status.pending.join(", "),
        "applying database migrations"
    );
    Migrator::up(db, None).await?;
    tracing::info!("database migrations applied");
    Ok(())
}

/// [`schema_status`], refusing a database with migrations this binary does not know.
async fn fitting_status(db: &DatabaseConnection) -> Result<SchemaStatus, SchemaError> {
    let status = schema_status(db).await?;
    if !status.unknown.is_empty() {
        return Err(SchemaError::Newer(status.unknown));
    }
    Ok(status)
}

/// Applies pending migrations, logging what it does; refuses a database a newer binary
/// migrated.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), SchemaError> {
    prepare_schema(db, SchemaMode::Migrate).await
}

/// True when the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Every migration of a database: applied (known to this binary), pending, and unknown
/// (applied by a newer binary), each in order. Changes nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrationReport {
    pub applied: Vec<String>,
    pub pending: Vec<String>,
    pub unknown: Vec<String>,
}

/// Reads which migrations are applied, without creating the migration table.
pub async fn migration_report(db: &DatabaseConnection) -> Result<MigrationReport, DbErr> {
    let status = schema_status(db).await?;
    let applied = Migrator::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .filter(|name| !status.pending.contains(name))
        .collect();
    Ok(MigrationReport {
        applied,
        pending: status.pending,
        unknown: status.unknown,
    })
}

/// Applies up to `steps` pending migrations (all when `None`), one at a time, logging
/// each; returns their names. Refuses a database a newer binary migrated.
pub async fn migrate_up(
    db: &DatabaseConnection,
    steps: Option<u32>,
) -> Result<Vec<String>, SchemaError> {
    let lock = MigrationLock::acquire(db).await?;
    let done = migrate_up_locked(db, steps).await;
    lock.release().await;
    done
}

/// [`migrate_up`]'s work, run while holding the migration lock, so what it reads as
/// pending is what no other process is applying.
async fn migrate_up_locked(
    db: &DatabaseConnection,
    steps: Option<u32>,
) -> Result<Vec<String>, SchemaError> {
    let status = fitting_status(db).await?;
    let wanted = steps.map_or(usize::MAX, |steps| steps as usize);
    let mut done = Vec::new();
    for name in status.pending.into_iter().take(wanted) {
        tracing::info!(migration = %name, "applying migration");
        Migrator::up(db, Some(1)).await?;
        done.push(name);
    }
    Ok(done)
}

/// Rolls back the `steps` most recently applied migrations, newest first, logging each;
/// returns their names. Refuses a database a newer binary migrated (this binary cannot
/// undo what it does not know).
pub async fn migrate_down(db: &DatabaseConnection, steps: u32) -> Result<Vec<String>, SchemaError> {
    let lock = MigrationLock::acquire(db).await?;
    let done = migrate_down_locked(db, steps).await;
    lock.release().await;
    done
}

/// [`migrate_down`]'s work, run while holding the migration lock.
async fn migrate_down_locked(
    db: &DatabaseConnection,
    steps: u32,
) -> Result<Vec<String>, SchemaError> {
    let report = migration_report(db).await?;
    if !report.unknown.is_empty() {
        return Err(SchemaError::Newer(report.unknown));
    }
    let mut done = Vec::new();
    for name in report.applied.into_iter().rev().take(steps as usize) {
        tracing::info!(migration = %name, "rolling back migration");
        Migrator::down(db, Some(1)).await?;
        done.push(name);
    }
    Ok(done)
}
