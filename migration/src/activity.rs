//! Figures derived from the activity log as it arrives: covered watch slots, per-viewer counters, registrant rollups.
//!
//! Watch time is a set, not a sum: a heartbeat at time `t` says the viewer was watching
//! (live or the recording) during slot `floor(t / HEARTBEAT_SECONDS)`, and
//! `session_watch_slots` keeps each (session, viewer, mode, slot) once. A slot already
//! covered changes nothing, so duplicate, overlapping, retried and out-of-order heartbeats
//! all give the same figures. Only a slot that is really new adds `HEARTBEAT_SECONDS`
//! to the viewer's counter in `session_viewer_stats`, through the insert trigger on the
//! slots table (an `ON CONFLICT DO NOTHING` that skips a row fires no insert trigger on
//! either backend). `attended` is set, never cleared, by the first JOIN, LIVE_HEARTBEAT
//! or CHECK_IN. So reads stay one row per registrant, whatever the amount of activity.
//!
//! Rollups on `session_registrations` (what the API reads): each figure keeps its stored
//! (imported) value until activity that feeds it arrives for the holder: `attended`
//! becomes true with the first attending event, `watch_time_seconds` becomes live plus
//! recording seconds with the first heartbeat. Only rows with a client event id
//! (`client_event_id`, set by `recordActivity` and by imports of such records) are
//! derived: the log written before ingestion existed (the demo set, old imports) stays
//! history, and the figures stored beside it stay as they were.
//!
//! Triggers, as in [`crate::session_stats`], so that `recordActivity`, `import` and any
//! other writer of the log derive the same figures. Each one's statements touch only
//! the derived tables and registrations, never other activity rows, so PostgreSQL
//! running row triggers at the end of a multi-row insert changes nothing.

use sea_orm_migration::sea_orm::DbBackend;

use crate::triggers::{self, Trigger};

/// Seconds one heartbeat stands for, and the width of one watch slot. Players send a
/// heartbeat this often. It is part of the schema, not a server setting: every
/// instance writing to one database, and every slot already stored, must agree on it;
/// changing it is a migration that recomputes the slots.
pub const HEARTBEAT_SECONDS: i64 = 10;

/// The kinds that make a viewer count as attended.
const ATTENDING: &str = "('JOIN', 'LIVE_HEARTBEAT', 'CHECK_IN')";

/// The registrations of the viewer `NEW.user_id` in session `NEW.session_id` (one per
/// ticket they hold that is registered for it).
const REGISTRATIONS: &str = "session_id = NEW.session_id AND event_ticket_id IN (\
     SELECT t.id FROM event_tickets t WHERE t.holder_user_id = NEW.user_id)";

/// The slot a heartbeat at `NEW.occurred_at` covers (whole seconds since 1970).
fn slot(backend: DbBackend) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "CAST(FLOOR(EXTRACT(EPOCH FROM NEW.occurred_at) / {HEARTBEAT_SECONDS}) AS BIGINT)"
        ),
        _ => format!("CAST(strftime('%s', NEW.occurred_at) AS INTEGER) / {HEARTBEAT_SECONDS}"),
    }
}

fn trigger_list(backend: DbBackend) -> Vec<Trigger> {
    let s = HEARTBEAT_SECONDS;
    vec![
        Trigger {
            name: "activity_heartbeat",
            when: "AFTER INSERT ON session_activities",
            only_if: Some(
                "NEW.client_event_id IS NOT NULL \
                 AND NEW.kind IN ('LIVE_HEARTBEAT', 'RECORDING_HEARTBEAT')"
                    .to_owned(),
            ),
            body: vec![format!(
                "INSERT INTO session_watch_slots (session_id, user_id, recording, slot) \
                 VALUES (NEW.session_id, NEW.user_id, NEW.kind = 'RECORDING_HEARTBEAT', {}) \
                 ON CONFLICT (session_id, user_id, recording, slot) DO NOTHING",
                slot(backend)
            )],
            before: false,
        },
        Trigger {
            name: "activity_attended",
            when: "AFTER INSERT ON session_activities",
            only_if: Some(format!(
                "NEW.client_event_id IS NOT NULL AND NEW.kind IN {ATTENDING}"
            )),
            body: vec![
                "INSERT INTO session_viewer_stats (session_id, user_id, attended) \
                 VALUES (NEW.session_id, NEW.user_id, TRUE) \
                 ON CONFLICT (session_id, user_id) DO UPDATE SET attended = TRUE \
                 WHERE NOT session_viewer_stats.attended"
                    .to_owned(),
                format!(
                    "UPDATE session_registrations SET attended = TRUE \
                     WHERE NOT attended AND {REGISTRATIONS}"
                ),
            ],
            before: false,
        },
        Trigger {
            name: "watch_slot_insert",
            when: "AFTER INSERT ON session_watch_slots",
            only_if: None,
            body: vec![
                format!(
                    "INSERT INTO session_viewer_stats \
                     (session_id, user_id, live_seconds, recording_seconds) \
                     VALUES (NEW.session_id, NEW.user_id, \
                       CASE WHEN NEW.recording THEN 0 ELSE {s} END, \
                       CASE WHEN NEW.recording THEN {s} ELSE 0 END) \
                     ON CONFLICT (session_id, user_id) DO UPDATE SET \
                       live_seconds = session_viewer_stats.live_seconds + excluded.live_seconds, \
                       recording_seconds = \
                         session_viewer_stats.recording_seconds + excluded.recording_seconds"
                ),
                // The registrant column is a 32-bit integer: clamp (68 years of video).
                format!(
                    "UPDATE session_registrations SET watch_time_seconds = (\
                       SELECT CASE WHEN v.live_seconds + v.recording_seconds > 2147483647 \
                         THEN 2147483647 ELSE v.live_seconds + v.recording_seconds END \
                       FROM session_viewer_stats v \
                       WHERE v.session_id = NEW.session_id AND v.user_id = NEW.user_id) \
                     WHERE {REGISTRATIONS}"
                ),
            ],
            before: false,
        },
    ]
}

/// The new columns of the log, and the derived tables with their indexes. Foreign keys
/// to sessions are checked at commit, as for `session_stats`.
pub const CREATE_TABLES: &[&str] = &[
    "ALTER TABLE session_activities ADD COLUMN client_event_id VARCHAR(128) NULL",
    "ALTER TABLE session_activities ADD COLUMN position_seconds INTEGER NULL",
    // Unique: the same event id sent twice, or by two instances at once, is written once
    // (`INSERT … ON CONFLICT DO NOTHING`). Rows from before ingestion have NULL, which
    // both backends let repeat.
    "CREATE UNIQUE INDEX idx_session_activities_client_event_id \
     ON session_activities (client_event_id)",
    "CREATE TABLE session_watch_slots (\
       session_id BIGINT NOT NULL \
         REFERENCES sessions (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       user_id BIGINT NOT NULL \
         REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       recording BOOLEAN NOT NULL, \
       slot BIGINT NOT NULL, \
       PRIMARY KEY (session_id, user_id, recording, slot))",
    "CREATE INDEX idx_session_watch_slots_user_id ON session_watch_slots (user_id)",
    "CREATE TABLE session_viewer_stats (\
       session_id BIGINT NOT NULL \
         REFERENCES sessions (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       user_id BIGINT NOT NULL \
         REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       live_seconds BIGINT NOT NULL DEFAULT 0, \
       recording_seconds BIGINT NOT NULL DEFAULT 0, \
       attended BOOLEAN NOT NULL DEFAULT FALSE, \
       PRIMARY KEY (session_id, user_id))",
    "CREATE INDEX idx_session_viewer_stats_user_id ON session_viewer_stats (user_id)",
];

pub const DROP_TABLES: &[&str] = &[
    "DROP TABLE IF EXISTS session_viewer_stats",
    "DROP TABLE IF EXISTS session_watch_slots",
    "DROP INDEX IF EXISTS idx_session_activities_client_event_id",
    "ALTER TABLE session_activities DROP COLUMN position_seconds",
    "ALTER TABLE session_activities DROP COLUMN client_event_id",
];

/// Statements that create the triggers (and on PostgreSQL their functions).
pub fn create_triggers(backend: DbBackend) -> Vec<String> {
    triggers::create(backend, trigger_list(backend))
}

/// Statements that drop the triggers.
pub fn drop_triggers(backend: DbBackend) -> Vec<String> {
    triggers::drop(backend, trigger_list(backend))
}

/// Statements that drop the PostgreSQL trigger functions (after the triggers).
pub fn drop_functions(backend: DbBackend) -> Vec<String> {
    triggers::drop_functions(backend, trigger_list(backend))
}
