//! The generation number behind the cross-request cache (see [`crate::cache_generation`]).

use sea_orm_migration::prelude::*;

use crate::{cache_generation, execute_all};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_all(
            manager,
            cache_generation::create(manager.get_database_backend()),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_all(
            manager,
            cache_generation::drop(manager.get_database_backend()),
        )
        .await
    }
}
