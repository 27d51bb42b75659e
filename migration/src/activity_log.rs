//! The activity log's references without foreign keys on PostgreSQL: checked by the writers, followed on delete by triggers.
//!
//! Every `recordActivity` batch and every import checks, in the request, that each
//! event's session, user and ticket exist and belong together (and refuses the batch
//! otherwise). The foreign keys checked the same again for every row: three
//! `SELECT … FOR KEY SHARE` lookups per event, 43 ms of a 1,000-event batch's 133 ms
//! insert on the `large` seed, and a row lock on the session and ticket rows that every
//! concurrent batch of the same session then shares. What the keys did on delete stays,
//! as triggers that run the same statements a cascade would: deleting a session or a
//! user deletes their activity (erasure), deleting a ticket clears it from the events
//! that named it. A session deleted while a batch naming it is being written can leave
//! that batch's rows behind; nothing in this server deletes sessions.
//!
//! SQLite keeps its foreign keys: dropping one there means rebuilding the table, and
//! its checks are in-process lookups.

use sea_orm_migration::sea_orm::DbBackend;

use crate::triggers::{self, Trigger};

fn trigger_list() -> Vec<Trigger> {
    vec![
        Trigger {
            name: "session_activities_session_delete",
            when: "AFTER DELETE ON sessions",
            only_if: None,
            body: vec!["DELETE FROM session_activities WHERE session_id = OLD.id".to_owned()],
            before: false,
        },
        Trigger {
            name: "session_activities_user_delete",
            when: "AFTER DELETE ON users",
            only_if: None,
            body: vec!["DELETE FROM session_activities WHERE user_id = OLD.id".to_owned()],
            before: false,
        },
        Trigger {
            name: "session_activities_ticket_delete",
            when: "AFTER DELETE ON event_tickets",
            only_if: None,
            body: vec![
                "UPDATE session_activities SET event_ticket_id = NULL \
                 WHERE event_ticket_id = OLD.id"
                    .to_owned(),
            ],
            before: false,
        },
    ]
}

/// The foreign keys of `session_activities`: (constraint, column, table, on delete).
const KEYS: &[(&str, &str, &str, &str)] = &[
    (
        "fk_session_activities_session_id",
        "session_id",
        "sessions",
        "CASCADE",
    ),
    (
        "fk_session_activities_user_id",
        "user_id",
        "users",
        "CASCADE",
    ),
    (
        "fk_session_activities_event_ticket_id",
        "event_ticket_id",
        "event_tickets",
        "SET NULL",
    ),
];

/// Drops the log's foreign keys and creates the delete triggers (PostgreSQL only).
pub fn drop_foreign_keys(backend: DbBackend) -> Vec<String> {
    if backend != DbBackend::Postgres {
        return Vec::new();
    }
    let mut out: Vec<String> = KEYS
        .iter()
        .map(|(name, ..)| {
            format!("ALTER TABLE session_activities DROP CONSTRAINT IF EXISTS {name}")
        })
        .collect();
    out.extend(triggers::create(backend, trigger_list()));
    out
}

/// Undoes [`drop_foreign_keys`].
pub fn restore_foreign_keys(backend: DbBackend) -> Vec<String> {
    if backend != DbBackend::Postgres {
        return Vec::new();
    }
    let mut out = triggers::drop(backend, trigger_list());
    out.extend(triggers::drop_functions(backend, trigger_list()));
    out.extend(KEYS.iter().map(|(name, column, table, action)| {
        format!(
            "ALTER TABLE session_activities ADD CONSTRAINT {name} FOREIGN KEY ({column}) \
             REFERENCES {table} (id) ON DELETE {action}"
        )
    }));
    out
}
