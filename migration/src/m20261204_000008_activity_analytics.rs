//! Activity analytics: view segments, per-session video figures and the timeline, derived in Rust (see [`crate::analytics`]).

use sea_orm_migration::prelude::*;

use crate::{activity, analytics, execute_all};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let statements = activity::drop_triggers(backend)
            .into_iter()
            .chain(activity::drop_functions(backend))
            .chain(analytics::CREATE_TABLES.iter().map(|s| (*s).to_owned()))
            .collect::<Vec<_>>();
        execute_all(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let statements = analytics::DROP_TABLES
            .iter()
            .map(|s| (*s).to_owned())
            .chain(activity::create_triggers(backend))
            .collect::<Vec<_>>();
        execute_all(manager, statements).await
    }
}
