//! Live subscriptions: host assignments move the cache generation, and on PostgreSQL writes `NOTIFY session_live`.

use sea_orm_migration::prelude::*;

use crate::{execute_all, live_notify};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_all(manager, live_notify::create(manager.get_database_backend())).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_all(manager, live_notify::drop(manager.get_database_backend())).await
    }
}
