//! Read replicas: the heartbeat row the primary's clock is written into and each replica's lag is read from (PostgreSQL only).

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::execute_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite has no replicas.
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        execute_all(
            manager,
            [
                "CREATE TABLE replica_heartbeat (id INTEGER NOT NULL PRIMARY KEY, \
                 beat_ms BIGINT NOT NULL)",
                "INSERT INTO replica_heartbeat (id, beat_ms) \
                 VALUES (1, CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT))",
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        execute_all(manager, ["DROP TABLE IF EXISTS replica_heartbeat"]).await
    }
}
