//! Per-session data versions: every write an answer about a session can read moves that session's `session_stats.data_version` on, for the response cache.
//!
//! The server's cache of whole answers (`src/graphql/responses.rs`) keeps an answer
//! under the versions of what it read, read *before* the data: the cache generation
//! (`cache_generation`, moved by speakers, sponsors, assets, ticket types, users, host
//! assignments and events) and, for each session it read, this number. So every table
//! a session's answer reads that the generation does not cover has a trigger here:
//! the session row itself, its registrations (and the tickets they name) and the
//! figures derived from its activity that answers show. Sessions created, deleted or moved to another
//! event change their events' session lists: those move the generation instead.
//!
//! PostgreSQL bumps once per statement and session (transition tables name the
//! sessions, as in `live_notify`), locking the counter rows in session order first so
//! that two writers of several sessions cannot deadlock on them; SQLite, which has row
//! triggers only, bumps once per row. The number only ever grows while its row lives;
//! `seed`'s recompute of the counters starts it again at 0, and moves the generation.

use sea_orm_migration::sea_orm::DbBackend;

use crate::{
    cache_generation,
    triggers::{self, Trigger},
};

/// Tables whose rows belong to one session (`session_id`) and that answers read: each
/// write to them moves it. Not here, because no answer the cache may keep reads them:
/// the activity log (only a session's `status` does, which reads the clock and is never
/// kept), the view segments and the per-viewer figures (derivation and the CSV export
/// read them; registrants show the watch time rolled up into `session_registrations`).
/// Leaving them out matters on PostgreSQL: an activity batch writes the log first, and a
/// bump there would hold the session's counter row locked for the whole transaction,
/// serializing concurrent batches of one session; the tables here are written last.
const BY_SESSION: &[&str] = &[
    "session_registrations",
    "session_video_stats",
    "session_timeline",
];

/// The writes that change an event's list of sessions: they move the generation.
const EVENT_LISTS: &[(&str, &[&str])] = &[("sessions", &["INSERT", "DELETE"])];

pub const ADD_COLUMN: &str =
    "ALTER TABLE session_stats ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0";
pub const DROP_COLUMN: &str = "ALTER TABLE session_stats DROP COLUMN data_version";

/// What one trigger bumps: the sessions of the rows a write touched.
struct Bump {
    table: &'static str,
    write: &'static str,
    /// The sessions, as a `SELECT` over `$ROWS` (PostgreSQL: the transition table;
    /// SQLite: `NEW` or `OLD`, written `SELECT NEW.session_id`).
    sessions: &'static str,
}

fn bumps() -> Vec<Bump> {
    let mut out = Vec::new();
    for table in BY_SESSION {
        for write in ["INSERT", "UPDATE", "DELETE"] {
            out.push(Bump {
                table,
                write,
                sessions: "SELECT $ROWS.session_id",
            });
        }
    }
    // A session's own settings (the session's id never changes: registrations refer to it).
    out.push(Bump {
        table: "sessions",
        write: "UPDATE",
        sessions: "SELECT $ROWS.id",
    });
    // Registrants show their ticket's holder and purchaser: the sessions a changed
    // ticket is registered for. A deleted ticket's registrations go first (their own
    // triggers bump), a new ticket has none yet.
    out.push(Bump {
        table: "event_tickets",
        write: "UPDATE",
        sessions: "SELECT r.session_id FROM session_registrations r \
                   WHERE r.event_ticket_id = $ROWS.id",
    });
    out
}

fn name(bump: &Bump) -> String {
    format!("data_version_{}_{}", bump.table, bump.write.to_lowercase())
}

/// The transition tables of a PostgreSQL statement trigger on `write`.
fn transitions(write: &str) -> (&'static str, Vec<&'static str>) {
    match write {
        "INSERT" => ("REFERENCING NEW TABLE AS new_rows", vec!["new_rows"]),
        "DELETE" => ("REFERENCING OLD TABLE AS old_rows", vec!["old_rows"]),
        _ => (
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            vec!["new_rows", "old_rows"],
        ),
    }
}

/// `sessions` over transition table `rows`, as a set query: `SELECT $ROWS.x` becomes
/// `SELECT rows.x FROM rows`, a correlated one `SELECT … JOIN rows`.
fn over(sessions: &str, rows: &str) -> String {
    if let Some(rest) = sessions.strip_prefix("SELECT $ROWS.") {
        format!("SELECT {rows}.{rest} FROM {rows}")
    } else {
        // `… WHERE r.event_ticket_id = $ROWS.id`: the rows joined in.
        sessions.replace(
            "WHERE r.event_ticket_id = $ROWS.id",
            &format!("JOIN {rows} ON r.event_ticket_id = {rows}.id"),
        )
    }
}

/// Statements that create the version triggers (and on PostgreSQL their functions).
pub fn create_triggers(backend: DbBackend) -> Vec<String> {
    let mut out = Vec::new();
    match backend {
        DbBackend::Postgres => {
            for bump in bumps() {
                let name = name(&bump);
                let (referencing, tables) = transitions(bump.write);
                let ids = tables
                    .iter()
                    .map(|rows| over(bump.sessions, rows))
                    .collect::<Vec<_>>()
                    .join(" UNION ");
                out.push(format!(
                    "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n\
                     BEGIN\n\
                     PERFORM 1 FROM session_stats WHERE session_id IN ({ids}) \
                     ORDER BY session_id FOR UPDATE;\n\
                     UPDATE session_stats SET data_version = data_version + 1 \
                     WHERE session_id IN ({ids});\n\
                     RETURN NULL;\nEND\n$$"
                ));
                out.push(format!(
                    "CREATE TRIGGER {name} AFTER {write} ON {table} {referencing} \
                     FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
                    write = bump.write,
                    table = bump.table
                ));
            }
        }
        // SQLite has row triggers only.
        _ => {
            for bump in bumps() {
                let rows: &[&str] = match bump.write {
                    "INSERT" => &["NEW"],
                    "DELETE" => &["OLD"],
                    _ => &["NEW", "OLD"],
                };
                let ids = rows
                    .iter()
                    .map(|row| bump.sessions.replace("$ROWS", row))
                    .collect::<Vec<_>>()
                    .join(" UNION ");
                out.push(format!(
                    "CREATE TRIGGER {name} AFTER {write} ON {table} FOR EACH ROW BEGIN\n\
                     UPDATE session_stats SET data_version = data_version + 1 \
                     WHERE session_id IN ({ids});\nEND",
                    name = name(&bump),
                    write = bump.write,
                    table = bump.table
                ));
            }
        }
    }
    out
}

/// Statements that drop the version triggers (a bulk load runs without them and
/// recomputes the counters instead).
pub fn drop_triggers(backend: DbBackend) -> Vec<String> {
    bumps()
        .iter()
        .map(|bump| match backend {
            DbBackend::Postgres => {
                format!("DROP TRIGGER IF EXISTS {} ON {}", name(bump), bump.table)
            }
            _ => format!("DROP TRIGGER IF EXISTS {}", name(bump)),
        })
        .collect()
}

fn drop_functions(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Postgres => bumps()
            .iter()
            .map(|bump| format!("DROP FUNCTION IF EXISTS {}()", name(bump)))
            .collect(),
        _ => Vec::new(),
    }
}

/// A session moved to another event leaves one list and joins another.
fn moved() -> Vec<Trigger> {
    vec![Trigger {
        name: "cache_generation_session_moved",
        when: "AFTER UPDATE OF event_id ON sessions",
        only_if: Some("OLD.event_id <> NEW.event_id".to_owned()),
        body: vec![cache_generation::BUMP.to_owned()],
        before: false,
    }]
}

/// Migration 13: the column, its triggers, and the generation moved by the writes
/// that change an event's sessions.
pub fn create(backend: DbBackend) -> Vec<String> {
    let mut out = vec![ADD_COLUMN.to_owned()];
    out.extend(create_triggers(backend));
    out.extend(cache_generation::create_bumps(backend, EVENT_LISTS));
    out.extend(triggers::create(backend, moved()));
    out
}

/// Undoes [`create`].
pub fn drop(backend: DbBackend) -> Vec<String> {
    let mut out = triggers::drop(backend, moved());
    out.extend(triggers::drop_functions(backend, moved()));
    out.extend(cache_generation::drop_bumps(backend, EVENT_LISTS));
    out.extend(drop_triggers(backend));
    out.extend(drop_functions(backend));
    out.push(DROP_COLUMN.to_owned());
    out
}
