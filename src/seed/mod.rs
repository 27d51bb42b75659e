//! Deterministic data sets: the small demo set, and synthetic sets up to a million
//! registrations for benchmarks, bulk-loaded into an empty database.

mod activity;
mod bulk;
mod demo;
mod synthetic;

use std::time::Instant;

use anyhow::Context;
use migration::{cache_generation, data_versions, session_search, session_stats};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    TransactionTrait, sqlx,
};

use bulk::Sink;
pub use bulk::{insert_all, insert_rows};
pub use synthetic::Dimensions;

use crate::{
    auth::password,
    entity::{organizer, user},
    progress::Progress,
    store::activity::{self as ingest, NewActivity},
};

/// The password of every demo account (and of the accounts that can log in in the
/// synthetic sets).
pub const DEMO_PASSWORD: &str = "demo-password";

/// Which data set `seed` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Size {
    /// The hand-shaped demo set the server loads into an empty embedded database.
    Demo,
    /// A few thousand rows in a second or two: CI smoke benchmarks and tests.
    Small,
    /// About 300,000 rows.
    Medium,
    /// About 1.6 million rows: 1,000,000 registrations, 100,000 of them in session 1.
    Large,
}

/// What seeding does when the database already holds data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnExisting {
    /// Refuse, changing nothing.
    Refuse,
    /// Delete every row of every table first (in the same transaction as the load).
    Replace,
}

/// The database already had data and seeding was told not to replace it.
#[derive(Debug, thiserror::Error)]
#[error(
    "the database already holds data; seed only writes into an empty database (pass --replace to delete everything first)"
)]
pub struct NotEmpty;

/// Every table, children before parents, for deleting in an order foreign keys allow.
const TABLES_CHILDREN_FIRST: [&str; 20] = [
    "session_timeline",
    "session_video_stats",
    "session_viewer_stats",
    "session_view_segments",
    "session_activities",
    "session_registrations",
    "speaker_ticket_types",
    "session_speakers",
    "session_sponsors",
    "mux_assets",
    "speakers",
    "sponsors",
    "event_tickets",
    "ticket_types",
    "sessions",
    "event_admins",
    "organizer_admins",
    "events",
    "users",
    "organizers",
];

/// Rows the data set `size` has, when known before generating it.
pub fn expected_rows(size: Size) -> Option<u64> {
    match size {
        Size::Demo => None,
        _ => Some(Dimensions::of(size).rows() + Dimensions::of(size).activity_rows()),
    }
}

/// Whether the database holds any users or organizers.
async fn has_data(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(user::Entity::find().count(db).await? > 0 || organizer::Entity::find().count(db).await? > 0)
}

/// Writes the data set `size` in one transaction and returns the number of rows
/// written. `progress` counts rows as they go.
pub async fn seed(
    db: &DatabaseConnection,
    size: Size,
    on_existing: OnExisting,
    progress: &Progress,
) -> anyhow::Result<u64> {
    // One hash for every account that can log in: argon2 is slow on purpose.
    let hash = password::hash(DEMO_PASSWORD.to_owned())
        .await
        .map_err(|_| anyhow::anyhow!("hashing the demo password failed"))?;
    if db.get_database_backend() == DbBackend::Postgres {
        // COPY needs the driver's own connection; the whole load is one transaction on it.
        let mut txn = db.get_postgres_connection_pool().begin().await?;
        // The pool's statement timeout is for requests; one index build over the
        // activity log of `large` takes longer. The setting ends with the transaction.
        sqlx::raw_sql("SET LOCAL statement_timeout = 0")
            .execute(&mut *txn)
            .await?;
        let has_data: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM organizers)",
        )
        .fetch_one(&mut *txn)
        .await?;
        if has_data {
            match on_existing {
                OnExisting::Refuse => return Err(NotEmpty.into()),
                OnExisting::Replace => {
                    // Table names from the constant list above, nothing from outside.
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                        "TRUNCATE {} CASCADE",
                        TABLES_CHILDREN_FIRST.join(", ")
                    )))
                    .execute(&mut *txn)
                    .await
                    .context("emptying the database failed")?;
                }
            }
        }
        for statement in triggers_off(DbBackend::Postgres) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut *txn)
                .await?;
        }
        let rebuild = detach_indexes(&mut txn).await?;
        let counter_keys = detach_foreign_keys(&mut txn, COUNTER_TABLES).await?;
        let generated = generate(&mut Sink::Copy(&mut txn), size, &hash, progress).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(session_search::fill_text(
            DbBackend::Postgres,
        )))
        .execute(&mut *txn)
        .await
        .context("filling the search text of large sessions failed")?;
        // Index builds sort in memory up to this much; the setting ends with the transaction.
        sqlx::raw_sql("SET LOCAL maintenance_work_mem = '256MB'")
            .execute(&mut *txn)
            .await?;
        let phase = Instant::now();
        for statement in rebuild {
            let started = Instant::now();
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.as_str()))
                .execute(&mut *txn)
                .await
                .context("rebuilding an index after the load failed")?;
            tracing::debug!(%statement, seconds = started.elapsed().as_secs_f64(), "rebuilt");
        }
        tracing::info!(
            seconds = phase.elapsed().as_secs_f64(),
            "indexes and foreign keys rebuilt"
        );
        let phase = Instant::now();
        sqlx::raw_sql(sqlx::AssertSqlSafe(reset_sequences_sql()))
            .execute(&mut *txn)
            .await?;
        for statement in counters_on(DbBackend::Postgres) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut *txn)
                .await
                .context("computing the session counters after the load failed")?;
        }
        for statement in counter_keys {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut *txn)
                .await
                .context("checking the session counters' foreign keys failed")?;
        }
        tracing::info!(
            seconds = phase.elapsed().as_secs_f64(),
            "session counters computed"
        );
        let phase = Instant::now();
        // Fresh statistics, so the first queries after a bulk load get good plans.
        sqlx::raw_sql("ANALYZE").execute(&mut *txn).await?;
        txn.commit().await?;
        tracing::info!(
            seconds = phase.elapsed().as_secs_f64(),
            "analyzed and committed"
        );
        let phase = Instant::now();
        // And a visibility map: until a VACUUM, PostgreSQL prices index-only scans as
        // heap reads and planned small sessions' pages as parallel sequential scans of
        // every ticket (80 ms instead of 3: docs/PERFORMANCE.md). VACUUM cannot run in
        // the load's transaction, so it follows it.
        // Without the statement timeout too, on a connection closed afterwards rather
        // than returned to the pool with the setting.
        let mut conn = db.get_postgres_connection_pool().acquire().await?;
        conn.close_on_drop();
        sqlx::raw_sql("SET statement_timeout = 0")
            .execute(&mut *conn)
            .await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "VACUUM {}",
            BULK_TABLES.join(", ")
        )))
        .execute(&mut *conn)
        .await
        .context("vacuuming after the load failed")?;
        drop(conn);
        tracing::info!(seconds = phase.elapsed().as_secs_f64(), "vacuumed");
        return Ok(generated.rows + record_activity(db, &generated.activity, progress).await?);
    }
    let txn = db.begin().await?;
    for statement in triggers_off(DbBackend::Sqlite) {
        txn.execute_unprepared(&statement).await?;
    }
    if has_data(&txn).await? {
        match on_existing {
            OnExisting::Refuse => return Err(NotEmpty.into()),
            OnExisting::Replace => {
                for table in TABLES_CHILDREN_FIRST {
                    txn.execute_unprepared(&format!("DELETE FROM {table}"))
                        .await
                        .context("emptying the database failed")?;
                }
            }
        }
    }
    let rebuild = detach_sqlite_indexes(&txn).await?;
    let generated = generate(&mut Sink::Statements(&txn), size, &hash, progress).await?;
    for statement in rebuild {
        txn.execute_unprepared(&statement)
            .await
            .context("rebuilding an index after the load failed")?;
    }
    for statement in counters_on(DbBackend::Sqlite) {
        txn.execute_unprepared(&statement)
            .await
            .context("computing the session counters after the load failed")?;
    }
    txn.commit().await?;
    let activity = record_activity(db, &generated.activity, progress).await?;
    db.execute_unprepared("ANALYZE").await?;
    Ok(generated.rows + activity)
}

/// Statements that drop the triggers of the derived tables (the session counters, their
/// data versions and the large sessions' search index) for the load, in its transaction.
fn triggers_off(backend: DbBackend) -> Vec<String> {
    session_stats::drop_triggers(backend)
        .into_iter()
        .chain(session_search::drop_triggers(backend))
        .chain(data_versions::drop_triggers(backend))
        .collect()
}

/// Statements that fill the session counters (and on SQLite the search index of large
/// sessions) from the loaded rows and put their triggers back: one aggregate over a
/// million registrations is far cheaper than a trigger per row. PostgreSQL's search
/// text is filled before its indexes and foreign keys come back
/// ([`session_search::fill_text`]): 2.0 s for the `large` session, against 9.3 s for
/// the same update of indexed rows with checked foreign keys.
fn counters_on(backend: DbBackend) -> Vec<String> {
    let search = match backend {
        DbBackend::Postgres => vec![session_search::MARK.to_owned()],
        _ => session_search::fill(backend),
    };
    session_stats::RECOMPUTE
        .iter()
        .map(|s| (*s).to_owned())
        .chain(search)
        .chain(session_search::create_triggers(backend))
        .chain(session_stats::create_triggers(backend))
        .chain(data_versions::create_triggers(backend))
        // The recompute starts every session's data version at 0 again: a new
        // generation keeps cached answers of the replaced data from matching.
        .chain([cache_generation::BUMP.to_owned()])
        .collect()
}

/// The tables that get most rows: their secondary indexes and foreign keys are dropped
/// for the load and rebuilt after it (one sort per index and one join per foreign key
/// instead of a lookup per row), inside the load's transaction, so a failure rolls
/// back to the original schema. The link tables and assets are here for their foreign
/// keys: checked row by row, `COPY session_speakers` (20,000 rows) took 1.3 to 1.9 s.
const BULK_TABLES: &[&str] = &[
    "users",
    "event_tickets",
    "session_registrations",
    "session_speakers",
    "session_sponsors",
    "mux_assets",
    "session_activities",
    "session_view_segments",
    "session_viewer_stats",
    "session_video_stats",
    "session_timeline",
];

/// Drops the secondary indexes and foreign keys of [`BULK_TABLES`] and returns the
/// statements that recreate them, read from the catalog (so they match the migrations).
async fn detach_indexes(txn: &mut sqlx::PgConnection) -> anyhow::Result<Vec<String>> {
    let tables: Vec<String> = BULK_TABLES.iter().map(|t| (*t).to_owned()).collect();
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexname::text, i.indexdef::text FROM pg_indexes i \
         WHERE i.schemaname = current_schema() AND i.tablename = ANY($1) \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.contype IN ('p', 'u', 'x') \
           AND c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass) \
         ORDER BY i.indexname",
    )
    .bind(&tables)
    .fetch_all(&mut *txn)
    .await?;
    let mut rebuild = Vec::new();
    for (name, definition) in indexes {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
            .execute(&mut *txn)
            .await?;
        rebuild.push(definition);
    }
    rebuild.extend(detach_foreign_keys(txn, BULK_TABLES).await?);
    Ok(rebuild)
}

/// The activity log and its derived tables on SQLite: their secondary indexes are
/// dropped for the load and rebuilt after it. Ten million rows inserted in the log's
/// order would update the unique index of client event ids (and three others) at
/// scattered places, row by row; one sort per index after the load is far cheaper.
const SQLITE_BULK_TABLES: &[&str] = &[
    "session_activities",
    "session_view_segments",
    "session_viewer_stats",
];

/// Drops the secondary indexes of [`SQLITE_BULK_TABLES`] and returns the statements
/// that recreate them, read from the catalog (so they match the migrations).
async fn detach_sqlite_indexes(txn: &impl ConnectionTrait) -> anyhow::Result<Vec<String>> {
    let tables = SQLITE_BULK_TABLES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    // Indexes of constraints (primary keys) have no SQL and stay.
    let rows = txn
        .query_all_raw(sea_orm::Statement::from_string(
            DbBackend::Sqlite,
            format!(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' \
                 AND tbl_name IN ({tables}) AND sql IS NOT NULL ORDER BY name"
            ),
        ))
        .await?;
    let mut rebuild = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get("", "name")?;
        txn.execute_unprepared(&format!("DROP INDEX \"{name}\""))
            .await?;
        rebuild.push(row.try_get("", "sql")?);
    }
    Ok(rebuild)
}

/// The derived tables the load recomputes. Their foreign keys are checked at commit
/// (see `migration::session_stats`), one deferred check per row: 460,000 for `large`,
/// which made the commit take 10 s. They are dropped for the load and added back after
/// the recompute, which checks each with one join.
const COUNTER_TABLES: &[&str] = &["session_stats", "session_attendance"];

/// Drops the foreign keys of `tables` and returns the statements that add them back.
async fn detach_foreign_keys(
    txn: &mut sqlx::PgConnection,
    tables: &[&str],
) -> anyhow::Result<Vec<String>> {
    let tables: Vec<String> = tables.iter().map(|t| (*t).to_owned()).collect();
    let foreign_keys: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT cl.relname::text, c.conname::text, pg_get_constraintdef(c.oid) \
         FROM pg_constraint c JOIN pg_class cl ON cl.oid = c.conrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace \
         WHERE c.contype = 'f' AND n.nspname = current_schema() AND cl.relname = ANY($1) \
         ORDER BY cl.relname, c.conname",
    )
    .bind(&tables)
    .fetch_all(&mut *txn)
    .await?;
    let mut rebuild = Vec::new();
    for (table, name, definition) in foreign_keys {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "ALTER TABLE \"{table}\" DROP CONSTRAINT \"{name}\""
        )))
        .execute(&mut *txn)
        .await?;
        rebuild.push(format!(
            "ALTER TABLE \"{table}\" ADD CONSTRAINT \"{name}\" {definition}"
        ));
    }
    Ok(rebuild)
}

/// What [`generate`] wrote, and what is left to write after the commit.
struct Generated {
    rows: u64,
    /// The demo's activity: it goes through `store::activity::record` (the path of
    /// `recordActivity`), which opens its own transactions.
    activity: Vec<NewActivity>,
}

async fn generate(
    sink: &mut Sink<'_>,
    size: Size,
    hash: &str,
    progress: &Progress,
) -> Result<Generated, DbErr> {
    Ok(match size {
        Size::Demo => {
            let data = demo::DemoData::generate(hash);
            data.insert(sink, progress).await?;
            Generated {
                rows: data.rows(),
                activity: data.activity().to_vec(),
            }
        }
        Size::Small | Size::Medium | Size::Large => {
            let dims = Dimensions::of(size);
            let started = Instant::now();
            let activity = synthetic::insert(sink, &dims, hash, progress).await?;
            tracing::info!(
                activity_rows = activity,
                seconds = started.elapsed().as_secs_f64(),
                "synthetic rows written (before indexes)"
            );
            Generated {
                rows: dims.rows() + activity,
                activity: Vec::new(),
            }
        }
    })
}

/// Records `activity` through the ingestion path, in batches of the API's size.
async fn record_activity(
    db: &DatabaseConnection,
    activity: &[NewActivity],
    progress: &Progress,
) -> anyhow::Result<u64> {
    if activity.is_empty() {
        return Ok(0);
    }
    let mut sessions: Vec<i64> = activity.iter().map(|a| a.session_id).collect();
    sessions.sort_unstable();
    sessions.dedup();
    let sessions = ingest::session_events(db, &sessions).await?;
    for batch in activity.chunks(1_000) {
        ingest::record(db, batch, &sessions)
            .await
            .context("recording the demo's activity failed")?;
        progress.inc(batch.len() as u64);
    }
    // The rows the derivation wrote count too, as they do for the synthetic sets.
    let mut derived = 0;
    for table in DERIVED_TABLES {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await?;
        derived += row
            .map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0) as u64;
    }
    progress.inc(derived);
    Ok(activity.len() as u64 + derived)
}

/// The tables derived from the activity log.
const DERIVED_TABLES: [&str; 4] = [
    "session_view_segments",
    "session_viewer_stats",
    "session_video_stats",
    "session_timeline",
];

/// Seeds the demo data set when the database has no users; returns whether it did.
pub async fn seed_demo_if_empty(db: &DatabaseConnection) -> anyhow::Result<bool> {
    if has_data(db).await? {
        tracing::info!("database already has data; demo data not loaded");
        return Ok(false);
    }
    let progress = Progress::hidden("demo data", "rows");
    match seed(db, Size::Demo, OnExisting::Refuse, &progress).await {
        Ok(rows) => {
            tracing::info!(rows, "demo data loaded");
            Ok(true)
        }
        // Another instance seeded it between the check and the load.
        Err(e) if e.is::<NotEmpty>() => Ok(false),
        Err(e) => Err(e),
    }
}

/// The seeded rows use explicit ids (so examples and benchmarks can name them); move
/// PostgreSQL's id sequences past them so later inserts do not collide.
fn reset_sequences_sql() -> String {
    [
        "organizers",
        "events",
        "users",
        "sessions",
        "ticket_types",
        "event_tickets",
        "session_registrations",
        "speakers",
        "sponsors",
        "mux_assets",
        "session_activities",
    ]
    .iter()
    .map(|table| {
        format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false);"
        )
    })
    .collect()
}
