//! The activity log's writes: what a batch refers to (one statement each), and its insert, once per client event id, derived in the same transaction.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, TransactionTrait,
};

use super::{
    derived::{self, Fresh},
    sql::{Column, Sql},
};
use crate::{
    analytics::{self, Logged},
    entity::enums::ActivityKind,
};

pub use super::rederive::{Rederived, rederive};

/// Attempts of a batch whose transaction PostgreSQL aborted as a deadlock victim or
/// for a serialization failure: the whole transaction runs again.
const ATTEMPTS: u32 = 5;

/// Bound values per statement: under SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMS: usize = 16_000;

/// One event to log, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewActivity {
    pub client_event_id: String,
    pub session_id: i64,
    pub user_id: i64,
    pub event_ticket_id: Option<i64>,
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
    pub position_seconds: Option<i32>,
}

/// A session's event, when that event was created, and the length of its video.
#[derive(Clone, Copy, Debug)]
pub struct SessionEvent {
    pub event_id: i64,
    pub event_created_at: DateTime<Utc>,
    /// `sessions.duration_seconds`: sets the view threshold of a shorter video.
    pub duration_seconds: Option<i32>,
}

/// A ticket of an event and its holder.
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    pub id: i64,
    pub event_id: i64,
    pub holder_user_id: i64,
}

/// The sessions among `ids` that exist, with their event (one statement).
pub async fn session_events(
    db: &DatabaseConnection,
    ids: &[i64],
) -> Result<HashMap<i64, SessionEvent>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT s.id AS id, s.event_id AS event_id, e.created_at AS created_at, \
         s.duration_seconds AS duration_seconds FROM sessions s JOIN events e ON e.id = s.event_id WHERE ",
    )
    .push_in("s.id", ids);
    let mut found = HashMap::with_capacity(ids.len());
    for row in db.query_all_raw(sql.build()).await? {
        found.insert(
            row.try_get::<i64>("", "id")?,
            SessionEvent {
                event_id: row.try_get("", "event_id")?,
                event_created_at: row.try_get("", "created_at")?,
                duration_seconds: row.try_get("", "duration_seconds")?,
            },
        );
    }
    Ok(found)
}

/// The tickets among `ticket_ids`, and the tickets of `events` held by `holders` (one
/// statement): enough to tell who each event is about and whether they may be.
pub async fn tickets(
    db: &DatabaseConnection,
    ticket_ids: &[i64],
    holders: &[i64],
    events: &[i64],
) -> Result<Vec<Ticket>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT id, event_id, holder_user_id FROM event_tickets WHERE ")
        .push_in("id", ticket_ids);
    // Most batches name tickets only: no second branch for the planner to weigh.
    if !holders.is_empty() {
        sql.push(" OR (")
            .push_in("holder_user_id", holders)
            .push(" AND ")
            .push_in("event_id", events)
            .push(")");
    }
    sql.push(" ORDER BY id");
    db.query_all_raw(sql.build())
        .await?
        .into_iter()
        .map(|row| {
            Ok(Ticket {
                id: row.try_get("", "id")?,
                event_id: row.try_get("", "event_id")?,
                holder_user_id: row.try_get("", "holder_user_id")?,
            })
        })
        .collect()
}

const COLUMNS: &str = "client_event_id, session_id, user_id, event_ticket_id, kind, \
                       occurred_at, position_seconds";
const COLUMN_COUNT: usize = 7;

/// Logs `events` in one transaction, each client event id once, and derives the new
/// ones in it ([`derived::apply`]): an id already logged (a retry, or the same batch on
/// another instance at this moment) is skipped by the unique index and derives
/// nothing. `sessions` holds every session of the batch (for its video length).
/// Returns how many were new.
///
/// Statements: the insert (PostgreSQL: one, with one array per column; SQLite: one
/// per 2,285 events, the parameter limit), then at most ten for the derivation
/// ([`derived::apply`]). Rows go in ordered by client event id, so two transactions
/// with overlapping batches take the index's locks in the same order. On PostgreSQL a
/// transaction chosen as a deadlock victim (40P01) or failing to serialize (40001)
/// runs again, up to five times in all.
pub async fn record(
    db: &DatabaseConnection,
    events: &[NewActivity],
    sessions: &HashMap<i64, SessionEvent>,
) -> Result<u64, DbErr> {
    let mut sorted: Vec<&NewActivity> = events.iter().collect();
    sorted.sort_by(|a, b| a.client_event_id.cmp(&b.client_event_id));
    let thresholds: HashMap<i64, i64> = sessions
        .iter()
        .map(|(id, s)| (*id, analytics::threshold(s.duration_seconds)))
        .collect();
    let mut attempt = 1;
    loop {
        match record_once(db, &sorted, &thresholds).await {
            Err(err) if attempt < ATTEMPTS && is_transient(&err) => {
                tracing::debug!(attempt, error = %err, "activity batch retried");
                // A short, growing and jittered pause, so that the two transactions
                // that collided do not collide again.
                let pause = 5 * (1 << attempt) + rand::random_range(0..10u64);
                tokio::time::sleep(Duration::from_millis(pause)).await;
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// PostgreSQL aborted the transaction for a deadlock or a serialization failure:
/// running it again may well succeed.
fn is_transient(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx::Error as Sqlx};
    match err {
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => {
            matches!(&**e, Sqlx::Database(db) if db.code().is_some_and(|c| c == "40P01" || c == "40001"))
        }
        _ => false,
    }
}

async fn record_once(
    db: &DatabaseConnection,
    sorted: &[&NewActivity],
    thresholds: &HashMap<i64, i64>,
) -> Result<u64, DbErr> {
    let txn = db.begin().await?;
    let mut new_ids: HashSet<String> = HashSet::with_capacity(sorted.len());
    if txn.get_database_backend() == DbBackend::Postgres {
        // One statement, one array per column: its text never changes, so it is
        // prepared once per connection. Absent tickets and positions travel as 0 and
        // -1 (ids are positive, positions were checked not negative), times as
        // microseconds since 1970.
        let mut sql = Sql::new(DbBackend::Postgres);
        sql.push("WITH ")
            .push_list(
                "n",
                &[
                    (
                        "client_event_id",
                        Column::Text(sorted.iter().map(|e| e.client_event_id.clone()).collect()),
                    ),
                    (
                        "session_id",
                        Column::Int(sorted.iter().map(|e| e.session_id).collect()),
                    ),
                    (
                        "user_id",
                        Column::Int(sorted.iter().map(|e| e.user_id).collect()),
                    ),
                    (
                        "ticket",
                        Column::Int(
                            sorted
                                .iter()
                                .map(|e| e.event_ticket_id.unwrap_or(0))
                                .collect(),
                        ),
                    ),
                    (
                        "kind",
                        Column::Text(sorted.iter().map(|e| e.kind.to_value()).collect()),
                    ),
                    (
                        "at_us",
                        Column::Int(
                            sorted
                                .iter()
                                .map(|e| e.occurred_at.timestamp_micros())
                                .collect(),
                        ),
                    ),
                    (
                        "position",
                        Column::Int(
                            sorted
                                .iter()
                                .map(|e| e.position_seconds.map_or(-1, i64::from))
                                .collect(),
                        ),
                    ),
                ],
            )
            .push(&format!(
                " INSERT INTO session_activities ({COLUMNS}) \
                 SELECT client_event_id, session_id, user_id, NULLIF(ticket, 0), kind, \
                   TIMESTAMPTZ 'epoch' + at_us * INTERVAL '1 microsecond', \
                   NULLIF(position, -1)::int4 \
                 FROM n ON CONFLICT (client_event_id) DO NOTHING RETURNING client_event_id"
            ));
        for row in txn.query_all_raw(sql.build()).await? {
            new_ids.insert(row.try_get("", "client_event_id")?);
        }
    } else {
        for chunk in sorted.chunks(MAX_PARAMS / COLUMN_COUNT) {
            let mut sql = Sql::new(txn.get_database_backend());
            sql.push(&format!(
                "INSERT INTO session_activities ({COLUMNS}) VALUES "
            ));
            for (i, e) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" })
                    .bind(e.client_event_id.clone())
                    .push(", ")
                    .bind(e.session_id)
                    .push(", ")
                    .bind(e.user_id)
                    .push(", ")
                    .bind(e.event_ticket_id)
                    .push(", ")
                    .bind(e.kind.to_value())
                    .push(", ")
                    .bind(e.occurred_at)
                    .push(", ")
                    .bind(e.position_seconds)
                    .push(")");
            }
            sql.push(" ON CONFLICT (client_event_id) DO NOTHING RETURNING client_event_id");
            for row in txn.query_all_raw(sql.build()).await? {
                new_ids.insert(row.try_get("", "client_event_id")?);
            }
        }
    }
    let fresh: Vec<Fresh> = sorted
        .iter()
        .filter(|e| new_ids.contains(&e.client_event_id))
        .map(|e| Fresh {
            session_id: e.session_id,
            event: Logged {
                user_id: e.user_id,
                kind: e.kind,
                at: derived::seconds(e.occurred_at),
            },
        })
        .collect();
    derived::apply(&txn, &fresh, thresholds).await?;
    txn.commit().await?;
    Ok(fresh.len() as u64)
}
