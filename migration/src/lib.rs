//! Schema migrations of session-analytics, shared by SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

pub mod activity;
pub mod activity_log;
pub mod analytics;
pub mod cache_generation;
pub mod data_versions;
pub mod live_notify;
mod m20261128_000001_create_tables;
mod m20261128_000002_registrant_indexes;
mod m20261128_000003_session_stats;
mod m20261128_000004_cache_generation;
mod m20261128_000005_user_search;
mod m20261128_000006_session_search;
mod m20261204_000007_activity_ingest;
mod m20261204_000008_activity_analytics;
mod m20261205_000009_ingest_speed;
mod m20261205_000010_live_notify;
mod m20261205_000011_replica_heartbeat;
mod m20261205_000013_data_versions;
pub mod session_search;
pub mod session_stats;
mod triggers;

pub struct Migrator;

/// Runs `statements` in order on the migration's connection (every migration here is a
/// list of raw statements, some of them different per backend).
async fn execute_all<S: AsRef<str>>(
    manager: &SchemaManager<'_>,
    statements: impl IntoIterator<Item = S>,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for sql in statements {
        db.execute_unprepared(sql.as_ref()).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261128_000001_create_tables::Migration),
            Box::new(m20261128_000002_registrant_indexes::Migration),
            Box::new(m20261128_000003_session_stats::Migration),
            Box::new(m20261128_000004_cache_generation::Migration),
            Box::new(m20261128_000005_user_search::Migration),
            Box::new(m20261128_000006_session_search::Migration),
            Box::new(m20261204_000007_activity_ingest::Migration),
            Box::new(m20261204_000008_activity_analytics::Migration),
            Box::new(m20261205_000009_ingest_speed::Migration),
            Box::new(m20261205_000010_live_notify::Migration),
            Box::new(m20261205_000011_replica_heartbeat::Migration),
            Box::new(m20261205_000013_data_versions::Migration),
        ]
    }
}
