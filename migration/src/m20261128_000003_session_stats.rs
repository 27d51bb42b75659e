//! Per-session registration counters kept by triggers (see [`crate::session_stats`]).

use sea_orm_migration::prelude::*;

use crate::session_stats;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let statements = session_stats::CREATE_TABLES
            .iter()
            .chain(session_stats::RECOMPUTE)
            .map(|s| (*s).to_owned())
            .chain(session_stats::create_triggers(backend));
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let statements = session_stats::drop_triggers(backend)
            .into_iter()
            .chain(session_stats::drop_functions(backend))
            .chain(session_stats::DROP_TABLES.iter().map(|s| (*s).to_owned()));
        for sql in statements {
            db.execute_unprepared(&sql).await?;
        }
        Ok(())
    }
}
