//! Per-session registration counters kept by triggers (see [`crate::session_stats`]).

use sea_orm_migration::prelude::*;

use crate::{execute_all, session_stats};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Migration 2's covering index for `stats` and unsearched counts: those now read
/// `session_stats`, and nothing else reads it, so it would only cost every write.
const DROP_COUNTS_INDEX: &str = "DROP INDEX IF EXISTS idx_session_registrations_counts";
const CREATE_COUNTS_INDEX: &str = "CREATE INDEX idx_session_registrations_counts \
     ON session_registrations (session_id, registration_type, attended, event_ticket_id)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let statements = session_stats::CREATE_TABLES
            .iter()
            .chain(session_stats::RECOMPUTE)
            .map(|s| (*s).to_owned())
            .chain(session_stats::migration_3_triggers(backend, true))
            .chain([DROP_COUNTS_INDEX.to_owned()])
            .collect::<Vec<_>>();
        execute_all(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let statements = session_stats::migration_3_triggers(backend, false)
            .into_iter()
            .chain(session_stats::DROP_TABLES.iter().map(|s| (*s).to_owned()))
            .chain([CREATE_COUNTS_INDEX.to_owned()])
            .collect::<Vec<_>>();
        execute_all(manager, statements).await
    }
}
