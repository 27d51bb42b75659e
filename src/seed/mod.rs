//! Deterministic data sets: the small demo set, and synthetic sets up to a million
//! registrations for benchmarks, bulk-loaded into an empty database.

mod bulk;
mod demo;
mod synthetic;

use anyhow::Context;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, PaginatorTrait,
    TransactionTrait,
};

pub use bulk::{insert_all, insert_rows};
pub use synthetic::Dimensions;

use crate::{
    auth::password,
    entity::{organizer, user},
    progress::Progress,
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
const TABLES_CHILDREN_FIRST: [&str; 16] = [
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
        _ => Some(Dimensions::of(size).rows()),
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
    let txn = db.begin().await?;
    if has_data(&txn).await? {
        match on_existing {
            OnExisting::Refuse => return Err(NotEmpty.into()),
            OnExisting::Replace => delete_everything(&txn)
                .await
                .context("emptying the database failed")?,
        }
    }
    let rows = match size {
        Size::Demo => {
            let data = demo::DemoData::generate(&hash);
            data.insert(&txn, progress).await?;
            data.rows()
        }
        Size::Small | Size::Medium | Size::Large => {
            let dims = Dimensions::of(size);
            synthetic::insert(&txn, &dims, &hash, progress).await?;
            dims.rows()
        }
    };
    if txn.get_database_backend() == DbBackend::Postgres {
        reset_sequences(&txn).await?;
        // Fresh statistics, so the first queries after a bulk load get good plans.
        txn.execute_unprepared("ANALYZE").await?;
    }
    txn.commit().await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok(rows)
}

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

async fn delete_everything(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(&format!(
                "TRUNCATE {} CASCADE",
                TABLES_CHILDREN_FIRST.join(", ")
            ))
            .await?;
        }
        _ => {
            for table in TABLES_CHILDREN_FIRST {
                db.execute_unprepared(&format!("DELETE FROM {table}"))
                    .await?;
            }
        }
    }
    Ok(())
}

/// The seeded rows use explicit ids (so examples and benchmarks can name them); move
/// PostgreSQL's id sequences past them so later inserts do not collide.
async fn reset_sequences(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    for table in [
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
    ] {
        db.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
        .await?;
    }
    Ok(())
}
