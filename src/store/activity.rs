//! The activity log's writes: what a batch refers to (one statement each) and its insert, once per client event id.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, TransactionTrait};

use super::sql::Sql;
use crate::entity::enums::ActivityKind;

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

/// A session's event and when that event was created.
#[derive(Clone, Copy, Debug)]
pub struct SessionEvent {
    pub event_id: i64,
    pub event_created_at: DateTime<Utc>,
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
        "SELECT s.id AS id, s.event_id AS event_id, e.created_at AS created_at \
         FROM sessions s JOIN events e ON e.id = s.event_id WHERE s.id IN ",
    )
    .bind_list(ids);
    let mut found = HashMap::with_capacity(ids.len());
    for row in db.query_all_raw(sql.build()).await? {
        found.insert(
            row.try_get::<i64>("", "id")?,
            SessionEvent {
                event_id: row.try_get("", "event_id")?,
                event_created_at: row.try_get("", "created_at")?,
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
    sql.push("SELECT id, event_id, holder_user_id FROM event_tickets WHERE id IN ")
        .bind_list(ticket_ids)
        .push(" OR (holder_user_id IN ")
        .bind_list(holders)
        .push(" AND event_id IN ")
        .bind_list(events)
        .push(") ORDER BY id");
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

/// Logs `events` in one transaction, each client event id once: an id already logged
/// (a retry, or the same batch on another instance at this moment) is skipped by the
/// unique index. Returns how many were new. The derived figures follow in the same
/// transaction, by the log's triggers (`migration/src/activity.rs`).
///
/// One multi-row insert per 2,285 events (the parameter limit), so the statements do
/// not grow with a batch up to that size. Rows go in ordered by client event id, so
/// two transactions with overlapping batches take their locks in the same order.
pub async fn record(db: &DatabaseConnection, events: &[NewActivity]) -> Result<u64, DbErr> {
    let mut sorted: Vec<&NewActivity> = events.iter().collect();
    sorted.sort_by(|a, b| a.client_event_id.cmp(&b.client_event_id));
    let txn = db.begin().await?;
    let mut inserted = 0;
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
                .bind(sea_orm::ActiveEnum::to_value(&e.kind))
                .push(", ")
                .bind(e.occurred_at)
                .push(", ")
                .bind(e.position_seconds)
                .push(")");
        }
        sql.push(" ON CONFLICT (client_event_id) DO NOTHING");
        inserted += txn.execute_raw(sql.build()).await?.rows_affected();
    }
    txn.commit().await?;
    Ok(inserted)
}
