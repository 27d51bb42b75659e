//! Connecting to SQLite or PostgreSQL, migrating, and counting SQL statements.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

/// Counts every SQL statement the server runs. Tests read it to prove that a
/// request's statement count does not grow with the rows it returns.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    /// Statements run so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Opens a pool on `url` and installs the statement counter.
pub async fn connect(
    url: &str,
    max_connections: u32,
    statement_timeout: Duration,
) -> Result<(DatabaseConnection, StatementCounter), DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        // PostgreSQL cancels a statement that runs longer; SQLite has no such setting,
        // and there the request time limit bounds the work instead.
        .statement_timeout(statement_timeout)
        .min_connections(1)
        // Fail fast when the database is gone instead of queueing a request for 30 s.
        .acquire_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5))
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
    db.set_metric_callback(move |_info| {
        inner.fetch_add(1, Ordering::Relaxed);
    });
    Ok((db, counter))
}

/// Applies pending migrations, logging what it does.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    let pending = Migrator::get_pending_migrations(db).await?;
    if pending.is_empty() {
        tracing::info!("database schema is up to date");
    } else {
        tracing::info!(count = pending.len(), "applying database migrations");
        Migrator::up(db, None).await?;
        tracing::info!("database migrations applied");
    }
    Ok(())
}

/// True when the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}
