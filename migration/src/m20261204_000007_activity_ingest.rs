//! Activity ingestion: client event ids and positions in the log, watch slots and per-viewer counters (see [`crate::activity`]).

use sea_orm_migration::prelude::*;

use crate::{activity, execute_all};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        // Nothing to recompute: rows already in the log have no client event id, and
        // only rows with one are derived.
        let statements = activity::CREATE_TABLES
            .iter()
            .map(|s| (*s).to_owned())
            .chain(activity::create_triggers(backend))
            .collect::<Vec<_>>();
        execute_all(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let statements = activity::drop_triggers(backend)
            .into_iter()
            .chain(activity::drop_functions(backend))
            .chain(activity::DROP_TABLES.iter().map(|s| (*s).to_owned()))
            .collect::<Vec<_>>();
        execute_all(manager, statements).await
    }
}
