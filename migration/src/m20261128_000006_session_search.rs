//! The search index for large sessions (see [`crate::session_search`]).

use sea_orm_migration::prelude::*;

use crate::{execute_all, session_search};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let statements = session_search::create_tables(backend)
            .into_iter()
            .chain(session_search::fill(backend))
            .chain(session_search::create_triggers(backend))
            .collect::<Vec<_>>();
        execute_all(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let statements = session_search::drop_triggers(backend)
            .into_iter()
            .chain(session_search::drop_functions(backend))
            .chain(session_search::drop_tables(backend))
            .collect::<Vec<_>>();
        execute_all(manager, statements).await
    }
}
