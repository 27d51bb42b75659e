//! Indexes for big sessions: the engagement page, index-only stats counts, and (on
//! PostgreSQL) trigram indexes for the registrant search.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::execute_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Indexes on both backends. `ENGAGEMENT_DESC` orders by watch time descending, then
/// id ascending: only an index with those exact directions hands rows over in page
/// order, so the old all-ascending one is replaced.
const COMMON_UP: &[&str] = &[
    "DROP INDEX IF EXISTS idx_session_registrations_session_id_watch_time_seconds_id",
    "CREATE INDEX idx_session_registrations_engagement \
     ON session_registrations (session_id, watch_time_seconds DESC, id)",
    // Everything the stats and unfiltered counts read: answered from the index alone.
    "CREATE INDEX idx_session_registrations_counts \
     ON session_registrations (session_id, registration_type, attended, event_ticket_id)",
    // Ticket -> holder lookups of the registrant joins without touching the table.
    "CREATE INDEX idx_event_tickets_id_holder_user_id ON event_tickets (id, holder_user_id)",
];

const COMMON_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_event_tickets_id_holder_user_id",
    "DROP INDEX IF EXISTS idx_session_registrations_counts",
    "DROP INDEX IF EXISTS idx_session_registrations_engagement",
    "CREATE INDEX idx_session_registrations_session_id_watch_time_seconds_id \
     ON session_registrations (session_id, watch_time_seconds, id)",
];

/// The search is `LOWER(column) LIKE '%term%'` on PostgreSQL; trigram GIN indexes
/// answer it without reading every user. `pg_trgm` ships with PostgreSQL and is a
/// trusted extension (13+), so the database owner may create it.
const POSTGRES_UP: &[&str] = &[
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX idx_users_first_name_trgm ON users USING gin (LOWER(first_name) gin_trgm_ops)",
    "CREATE INDEX idx_users_last_name_trgm ON users USING gin (LOWER(last_name) gin_trgm_ops)",
    "CREATE INDEX idx_users_email_trgm ON users USING gin (LOWER(email) gin_trgm_ops)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS idx_users_email_trgm",
    "DROP INDEX IF EXISTS idx_users_last_name_trgm",
    "DROP INDEX IF EXISTS idx_users_first_name_trgm",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        execute_all(manager, COMMON_UP).await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            execute_all(manager, POSTGRES_UP).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Postgres {
            execute_all(manager, POSTGRES_DOWN).await?;
        }
        execute_all(manager, COMMON_DOWN).await
    }
}
