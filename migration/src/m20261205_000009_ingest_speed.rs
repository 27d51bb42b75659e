//! Cheaper activity batches: the log without per-row foreign key checks on PostgreSQL, and an attended-only path for the registration counters.

use sea_orm_migration::prelude::*;

use crate::{activity_log, execute_all, session_stats};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let statements = activity_log::drop_foreign_keys(backend)
            .into_iter()
            .chain(session_stats::split_registration_update(backend));
        execute_all(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let statements = session_stats::join_registration_update(backend)
            .into_iter()
            .chain(activity_log::restore_foreign_keys(backend));
        execute_all(manager, statements).await
    }
}
