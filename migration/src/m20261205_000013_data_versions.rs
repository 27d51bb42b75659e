//! Per-session data versions for the response cache: `session_stats.data_version`, moved by every write a session's answer reads.

use sea_orm_migration::prelude::*;

use crate::{data_versions, execute_all};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_all(
            manager,
            data_versions::create(manager.get_database_backend()),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_all(manager, data_versions::drop(manager.get_database_backend())).await
    }
}
