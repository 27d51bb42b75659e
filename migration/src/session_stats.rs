//! Per-session registration counters kept by triggers, so `stats` reads one row per session.
//!
//! `session_stats` holds, per session, the registrations by type, the attended
//! registrations and the distinct attending ticket holders. The last one cannot be a
//! plain counter (a holder with two tickets may attend through both), so
//! `session_attendance` keeps how many attended registrations each attending holder has
//! in each session; a holder counts once, when that number goes from 0 to 1.
//!
//! Triggers rather than application code keep them: the platform's own writers, imports
//! and test fixtures all write these tables directly. The same statements run on both
//! backends: as SQLite trigger bodies, and as the bodies of PL/pgSQL trigger functions.
//! They rely only on the two counter tables and on ticket holders, never on other
//! registrations, because PostgreSQL runs row-level AFTER triggers at the end of the
//! statement, when every row of a multi-row insert is already visible; the counter tables
//! are written by the triggers alone, one invocation after the other, so they stay exact.

use sea_orm_migration::sea_orm::DbBackend;

use crate::triggers::{self, Trigger};

/// The holder of the ticket of registration `$ROW` (`NEW` or `OLD`).
const HOLDER: &str =
    "(SELECT t.holder_user_id FROM event_tickets t WHERE t.id = $ROW.event_ticket_id)";

/// Adds registration `NEW` to the counters.
const ADD_REGISTRATION: &[&str] = &[
    "UPDATE session_stats SET \
     registered = registered + CASE WHEN $ROW.registration_type = 'REGISTERED' THEN 1 ELSE 0 END, \
     interested = interested + CASE WHEN $ROW.registration_type = 'INTERESTED' THEN 1 ELSE 0 END, \
     attended = attended + CASE WHEN $ROW.attended THEN 1 ELSE 0 END, \
     attendees = attendees + CASE WHEN $ROW.attended AND NOT EXISTS (\
       SELECT 1 FROM session_attendance a WHERE a.session_id = $ROW.session_id \
       AND a.holder_user_id = $HOLDER) THEN 1 ELSE 0 END \
     WHERE session_id = $ROW.session_id",
    // `WHERE` also keeps SQLite from reading `ON CONFLICT` as a join constraint.
    "INSERT INTO session_attendance (session_id, holder_user_id, registrations) \
     SELECT $ROW.session_id, t.holder_user_id, 1 FROM event_tickets t \
     WHERE t.id = $ROW.event_ticket_id AND $ROW.attended \
     ON CONFLICT (session_id, holder_user_id) \
     DO UPDATE SET registrations = session_attendance.registrations + 1",
];

/// Takes registration `OLD` off the counters.
const REMOVE_REGISTRATION: &[&str] = &[
    "UPDATE session_attendance SET registrations = registrations - 1 \
     WHERE $ROW.attended AND session_id = $ROW.session_id AND holder_user_id = $HOLDER",
    "UPDATE session_stats SET \
     registered = registered - CASE WHEN $ROW.registration_type = 'REGISTERED' THEN 1 ELSE 0 END, \
     interested = interested - CASE WHEN $ROW.registration_type = 'INTERESTED' THEN 1 ELSE 0 END, \
     attended = attended - CASE WHEN $ROW.attended THEN 1 ELSE 0 END, \
     attendees = attendees - CASE WHEN $ROW.attended AND EXISTS (\
       SELECT 1 FROM session_attendance a WHERE a.session_id = $ROW.session_id \
       AND a.holder_user_id = $HOLDER AND a.registrations <= 0) THEN 1 ELSE 0 END \
     WHERE session_id = $ROW.session_id",
    "DELETE FROM session_attendance WHERE $ROW.attended AND session_id = $ROW.session_id \
     AND holder_user_id = $HOLDER AND registrations <= 0",
];

/// A ticket changed hands: its attended registrations move from the old holder to the new.
const TRANSFER_TICKET: &[&str] = &[
    "UPDATE session_attendance SET registrations = registrations - (\
       SELECT COUNT(*) FROM session_registrations r WHERE r.event_ticket_id = OLD.id \
       AND r.attended AND r.session_id = session_attendance.session_id) \
     WHERE holder_user_id = OLD.holder_user_id AND session_id IN (\
       SELECT r.session_id FROM session_registrations r \
       WHERE r.event_ticket_id = OLD.id AND r.attended)",
    "UPDATE session_stats SET attendees = attendees - 1 WHERE session_id IN (\
       SELECT a.session_id FROM session_attendance a \
       WHERE a.holder_user_id = OLD.holder_user_id AND a.registrations <= 0)",
    "DELETE FROM session_attendance WHERE holder_user_id = OLD.holder_user_id \
     AND registrations <= 0",
    "UPDATE session_stats SET attendees = attendees + 1 WHERE session_id IN (\
       SELECT r.session_id FROM session_registrations r \
       WHERE r.event_ticket_id = NEW.id AND r.attended) \
     AND NOT EXISTS (SELECT 1 FROM session_attendance a \
       WHERE a.session_id = session_stats.session_id AND a.holder_user_id = NEW.holder_user_id)",
    "INSERT INTO session_attendance (session_id, holder_user_id, registrations) \
     SELECT r.session_id, NEW.holder_user_id, COUNT(*) FROM session_registrations r \
     WHERE r.event_ticket_id = NEW.id AND r.attended GROUP BY r.session_id \
     ON CONFLICT (session_id, holder_user_id) \
     DO UPDATE SET registrations = session_attendance.registrations + excluded.registrations",
];

/// A ticket's registrations go before the ticket does: the cascade would delete them after
/// it, when their holder can no longer be looked up.
const DELETE_TICKET: &[&str] =
    &["DELETE FROM session_registrations WHERE event_ticket_id = OLD.id"];

const ADD_SESSION: &[&str] =
    &["INSERT INTO session_stats (session_id) VALUES (NEW.id) ON CONFLICT (session_id) DO NOTHING"];

fn on(row: &str, statements: &[&str]) -> Vec<String> {
    statements
        .iter()
        .map(|s| s.replace("$HOLDER", HOLDER).replace("$ROW", row))
        .collect()
}

fn triggers() -> Vec<Trigger> {
    vec![
        Trigger {
            name: "session_stats_session_insert",
            when: "AFTER INSERT ON sessions",
            only_if: None,
            body: on("NEW", ADD_SESSION),
            before: false,
        },
        Trigger {
            name: "session_stats_registration_insert",
            when: "AFTER INSERT ON session_registrations",
            only_if: None,
            body: on("NEW", ADD_REGISTRATION),
            before: false,
        },
        Trigger {
            name: "session_stats_registration_delete",
            when: "AFTER DELETE ON session_registrations",
            only_if: None,
            body: on("OLD", REMOVE_REGISTRATION),
            before: false,
        },
        Trigger {
            name: "session_stats_registration_update",
            when: "AFTER UPDATE OF session_id, event_ticket_id, registration_type, attended \
                   ON session_registrations",
            only_if: None,
            body: [on("OLD", REMOVE_REGISTRATION), on("NEW", ADD_REGISTRATION)].concat(),
            before: false,
        },
        Trigger {
            name: "session_stats_ticket_transfer",
            when: "AFTER UPDATE OF holder_user_id ON event_tickets",
            only_if: Some("OLD.holder_user_id <> NEW.holder_user_id".to_owned()),
            body: on("NEW", TRANSFER_TICKET),
            before: false,
        },
        Trigger {
            name: "session_stats_ticket_delete",
            when: "BEFORE DELETE ON event_tickets",
            only_if: None,
            body: on("OLD", DELETE_TICKET),
            before: true,
        },
    ]
}

/// What the registration update trigger of migration 3 became in migration 9: two
/// triggers. An update that only marks a registration attended (or not), the one an
/// activity batch makes for each new attendee, moves the attended counters alone: one
/// counter update instead of the general trigger's two (take the row off, put it back),
/// which also woke `session_search_fill` on every call. Any other change of a counted
/// column takes the general path as before; an update changing none of them fires
/// nothing (its counters cannot move).
fn split_update_triggers() -> Vec<Trigger> {
    const SAME_KEY: &str = "OLD.session_id = NEW.session_id \
        AND OLD.event_ticket_id = NEW.event_ticket_id \
        AND OLD.registration_type = NEW.registration_type";
    vec![
        // A new name rather than the old one re-created: SQLite refused to create a
        // trigger under the name just dropped in the same migration.
        Trigger {
            name: "session_stats_registration_change",
            when: "AFTER UPDATE OF session_id, event_ticket_id, registration_type, attended \
                   ON session_registrations",
            only_if: Some(format!("NOT ({SAME_KEY})")),
            body: [on("OLD", REMOVE_REGISTRATION), on("NEW", ADD_REGISTRATION)].concat(),
            before: false,
        },
        Trigger {
            name: "session_stats_registration_attend",
            when: "AFTER UPDATE OF attended ON session_registrations",
            only_if: Some(format!("{SAME_KEY} AND OLD.attended <> NEW.attended")),
            body: [on("OLD", UNATTEND), on("NEW", ATTEND)].concat(),
            before: false,
        },
    ]
}

/// Registration `NEW` became attended.
const ATTEND: &[&str] = &[
    "UPDATE session_stats SET attended = attended + 1, \
     attendees = attendees + CASE WHEN NOT EXISTS (\
       SELECT 1 FROM session_attendance a WHERE a.session_id = $ROW.session_id \
       AND a.holder_user_id = $HOLDER) THEN 1 ELSE 0 END \
     WHERE $ROW.attended AND session_id = $ROW.session_id",
    "INSERT INTO session_attendance (session_id, holder_user_id, registrations) \
     SELECT $ROW.session_id, t.holder_user_id, 1 FROM event_tickets t \
     WHERE t.id = $ROW.event_ticket_id AND $ROW.attended \
     ON CONFLICT (session_id, holder_user_id) \
     DO UPDATE SET registrations = session_attendance.registrations + 1",
];

/// Registration `OLD` was attended and is no longer.
const UNATTEND: &[&str] = &[
    "UPDATE session_attendance SET registrations = registrations - 1 \
     WHERE $ROW.attended AND session_id = $ROW.session_id AND holder_user_id = $HOLDER",
    "UPDATE session_stats SET attended = attended - 1, \
     attendees = attendees - CASE WHEN EXISTS (\
       SELECT 1 FROM session_attendance a WHERE a.session_id = $ROW.session_id \
       AND a.holder_user_id = $HOLDER AND a.registrations <= 0) THEN 1 ELSE 0 END \
     WHERE $ROW.attended AND session_id = $ROW.session_id",
    "DELETE FROM session_attendance WHERE $ROW.attended AND session_id = $ROW.session_id \
     AND holder_user_id = $HOLDER AND registrations <= 0",
];

/// Migration 3's registration update trigger, alone.
fn original_update_trigger() -> Vec<Trigger> {
    triggers()
        .into_iter()
        .filter(|t| t.name == "session_stats_registration_update")
        .collect()
}

/// Migration 9: the registration update trigger split in two ([`split_update_triggers`]).
pub fn split_registration_update(backend: DbBackend) -> Vec<String> {
    let mut out = triggers::drop(backend, original_update_trigger());
    out.extend(triggers::drop_functions(backend, original_update_trigger()));
    out.extend(triggers::create(backend, split_update_triggers()));
    out
}

/// Undoes [`split_registration_update`].
pub fn join_registration_update(backend: DbBackend) -> Vec<String> {
    let mut out = triggers::drop(backend, split_update_triggers());
    out.extend(triggers::drop_functions(backend, split_update_triggers()));
    out.extend(triggers::create(backend, original_update_trigger()));
    out
}

/// The tables and indexes the counters live in. Their foreign keys are checked at
/// commit: when a session goes, PostgreSQL may run its registrations' delete triggers
/// after the session row is gone, and their update of a counter row (deleted later in the
/// same statement) must not fail an immediate check.
pub const CREATE_TABLES: &[&str] = &[
    "CREATE TABLE session_stats (\
       session_id BIGINT NOT NULL PRIMARY KEY \
         REFERENCES sessions (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       registered BIGINT NOT NULL DEFAULT 0, \
       interested BIGINT NOT NULL DEFAULT 0, \
       attended BIGINT NOT NULL DEFAULT 0, \
       attendees BIGINT NOT NULL DEFAULT 0)",
    // No foreign key to users: a holder's tickets (and so their rows here) go first.
    "CREATE TABLE session_attendance (\
       session_id BIGINT NOT NULL \
         REFERENCES sessions (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       holder_user_id BIGINT NOT NULL, \
       registrations BIGINT NOT NULL, \
       PRIMARY KEY (session_id, holder_user_id))",
    "CREATE INDEX idx_session_attendance_holder_user_id ON session_attendance (holder_user_id)",
];

pub const DROP_TABLES: &[&str] = &[
    "DROP TABLE IF EXISTS session_attendance",
    "DROP TABLE IF EXISTS session_stats",
];

/// Rebuilds both counter tables from the registrations: after a migration, or after a bulk
/// load that ran with the triggers dropped.
pub const RECOMPUTE: &[&str] = &[
    "DELETE FROM session_attendance",
    "DELETE FROM session_stats",
    "INSERT INTO session_stats (session_id, registered, interested, attended, attendees) \
     SELECT s.id, \
       COALESCE(c.registered, 0), COALESCE(c.interested, 0), COALESCE(c.attended, 0), \
       COALESCE(c.attendees, 0) \
     FROM sessions s LEFT JOIN (\
       SELECT r.session_id, \
         SUM(CASE WHEN r.registration_type = 'REGISTERED' THEN 1 ELSE 0 END) AS registered, \
         SUM(CASE WHEN r.registration_type = 'INTERESTED' THEN 1 ELSE 0 END) AS interested, \
         SUM(CASE WHEN r.attended THEN 1 ELSE 0 END) AS attended, \
         COUNT(DISTINCT CASE WHEN r.attended THEN t.holder_user_id END) AS attendees \
       FROM session_registrations r JOIN event_tickets t ON t.id = r.event_ticket_id \
       GROUP BY r.session_id) c ON c.session_id = s.id",
    "INSERT INTO session_attendance (session_id, holder_user_id, registrations) \
     SELECT r.session_id, t.holder_user_id, COUNT(*) \
     FROM session_registrations r JOIN event_tickets t ON t.id = r.event_ticket_id \
     WHERE r.attended GROUP BY r.session_id, t.holder_user_id",
];

/// The triggers as the latest migration left them: migration 3's, with the
/// registration update split by migration 9.
fn current_triggers() -> Vec<Trigger> {
    triggers()
        .into_iter()
        .filter(|t| t.name != "session_stats_registration_update")
        .chain(split_update_triggers())
        .collect()
}

/// Statements that create the triggers (and on PostgreSQL their functions), as the
/// latest migration defines them: what a bulk load that dropped them puts back.
pub fn create_triggers(backend: DbBackend) -> Vec<String> {
    triggers::create(backend, current_triggers())
}

/// Statements that drop the triggers (the PostgreSQL functions stay; they are replaced
/// when the triggers are created again).
pub fn drop_triggers(backend: DbBackend) -> Vec<String> {
    triggers::drop(backend, current_triggers())
}

/// Migration 3's triggers, which that migration creates and drops: later migrations
/// change them, and each undoes its own change first.
pub fn migration_3_triggers(backend: DbBackend, create: bool) -> Vec<String> {
    if create {
        triggers::create(backend, triggers())
    } else {
        let mut out = triggers::drop(backend, triggers());
        out.extend(triggers::drop_functions(backend, triggers()));
        out
    }
}
