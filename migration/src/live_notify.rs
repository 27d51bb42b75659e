//! What tells live subscribers that something changed: the cache generation moves with host assignments too, and on PostgreSQL triggers `NOTIFY session_live`.
//!
//! Subscribers' rights are checked again whenever the cache generation moves
//! (`cache_generation`), so assigning or removing an event admin or organizer admin,
//! and moving or deleting an event, move it now as well.
//!
//! On PostgreSQL, statement-level triggers with transition tables send one
//! notification per writing statement, naming the sessions it touched:
//! `sessions:<id>,<id>,...` from `session_video_stats` (activity), `session_registrations`
//! (the registration counters) and `sessions` (deletions); `rights` when the cache
//! generation moves; `all` when the id list would pass the 8,000-byte payload limit.
//! The notification is sent at commit, so listeners never see a change that was
//! rolled back, whoever wrote it. SQLite has no `NOTIFY`: one instance serves it and
//! hears of its own writes in process.

use sea_orm_migration::sea_orm::DbBackend;

use crate::cache_generation;

/// Host assignments and events: writes that change who may read what.
const RIGHTS: &[(&str, &[&str])] = &[
    ("event_admins", &["INSERT", "UPDATE", "DELETE"]),
    ("organizer_admins", &["INSERT", "UPDATE", "DELETE"]),
    ("events", &["UPDATE", "DELETE"]),
];

/// Tables whose statements notify the sessions they touched: (table, write, which
/// transition table, the session id column).
const TOUCHED: &[(&str, &str, &str, &str)] = &[
    ("session_video_stats", "INSERT", "NEW", "session_id"),
    ("session_video_stats", "UPDATE", "NEW", "session_id"),
    ("session_registrations", "INSERT", "NEW", "session_id"),
    ("session_registrations", "UPDATE", "NEW", "session_id"),
    ("session_registrations", "DELETE", "OLD", "session_id"),
    ("sessions", "DELETE", "OLD", "id"),
];

/// The channel, as `live::listen` listens on it.
pub const CHANNEL: &str = "session_live";

pub fn create(backend: DbBackend) -> Vec<String> {
    let mut out = cache_generation::create_bumps(backend, RIGHTS);
    if backend == DbBackend::Postgres {
        out.push(format!(
            "CREATE OR REPLACE FUNCTION notify_session_live_rights() RETURNS trigger \
             LANGUAGE plpgsql AS $$\nBEGIN\nPERFORM pg_notify('{CHANNEL}', 'rights');\nRETURN NULL;\nEND\n$$"
        ));
        out.push(
            "CREATE TRIGGER session_live_rights AFTER UPDATE ON cache_generation \
             FOR EACH STATEMENT EXECUTE FUNCTION notify_session_live_rights()"
                .to_owned(),
        );
        for (table, write, transition, column) in TOUCHED {
            let name = trigger_name(table, write);
            out.push(format!(
                "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n\
                 DECLARE ids text;\nBEGIN\n\
                 SELECT string_agg(DISTINCT {column}::text, ',') INTO ids FROM touched;\n\
                 IF ids IS NOT NULL THEN\n\
                 PERFORM pg_notify('{CHANNEL}', CASE WHEN length(ids) > 7900 THEN 'all' \
                 ELSE 'sessions:' || ids END);\n\
                 END IF;\nRETURN NULL;\nEND\n$$"
            ));
            out.push(format!(
                "CREATE TRIGGER {name} AFTER {write} ON {table} \
                 REFERENCING {transition} TABLE AS touched \
                 FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            ));
        }
    }
    out
}

pub fn drop(backend: DbBackend) -> Vec<String> {
    let mut out = Vec::new();
    if backend == DbBackend::Postgres {
        for (table, write, _, _) in TOUCHED {
            let name = trigger_name(table, write);
            out.push(format!("DROP TRIGGER IF EXISTS {name} ON {table}"));
            out.push(format!("DROP FUNCTION IF EXISTS {name}()"));
        }
        out.push("DROP TRIGGER IF EXISTS session_live_rights ON cache_generation".to_owned());
        out.push("DROP FUNCTION IF EXISTS notify_session_live_rights()".to_owned());
    }
    out.extend(cache_generation::drop_bumps(backend, RIGHTS));
    out
}

fn trigger_name(table: &str, write: &str) -> String {
    format!("session_live_{table}_{}", write.to_lowercase())
}
