//! `export`: every table as NDJSON records, parents first, each table in key order.

use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult};

use super::format::{Field, Kind, RecordType, TYPES};
use crate::{progress::Progress, store::sql::Sql};

/// Rows read per statement: memory stays bounded whatever the table's size.
const PAGE: u64 = 5_000;

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("reading the database failed: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("writing the export failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("{table}.{column} holds a value this version cannot export")]
    Value {
        table: &'static str,
        column: &'static str,
    },
}

/// Counts the rows `export` would write (the progress total).
pub async fn count_rows(
    db: &DatabaseConnection,
    event: Option<i64>,
) -> Result<u64, sea_orm::DbErr> {
    let mut total = 0;
    for ty in TYPES {
        let mut sql = Sql::new(db.get_database_backend());
        sql.push(&format!("SELECT COUNT(*) AS n FROM {} WHERE ", ty.table));
        push_scope(&mut sql, ty, event);
        if let Some(row) = db.query_one_raw(sql.build()).await? {
            total += u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0);
        }
    }
    Ok(total)
}

/// Rows of one event: the event, its organizer and the organizer's admins, and
/// everything that belongs to the event, with every user any of it references, so
/// that the export imports into an empty database. `{e}` stands for the event id.
fn event_scope(tag: &str) -> &'static str {
    match tag {
        "organizer" => "id = (SELECT organizer_id FROM events WHERE id = {e})",
        "event" => "id = {e}",
        "organizer_admin" => "organizer_id = (SELECT organizer_id FROM events WHERE id = {e})",
        "user" => {
            "id IN (SELECT user_id FROM organizer_admins WHERE organizer_id = (SELECT organizer_id FROM events WHERE id = {e}) \
             UNION SELECT user_id FROM event_admins WHERE event_id = {e} \
             UNION SELECT holder_user_id FROM event_tickets WHERE event_id = {e} \
             UNION SELECT purchaser_user_id FROM event_tickets WHERE event_id = {e} \
             UNION SELECT user_id FROM speakers WHERE event_id = {e} \
             UNION SELECT user_id FROM session_activities WHERE session_id IN (SELECT id FROM sessions WHERE event_id = {e}) \
             UNION SELECT created_by_user_id FROM mux_assets WHERE session_id IN (SELECT id FROM sessions WHERE event_id = {e}))"
        }
        "speaker_ticket_type" => "speaker_id IN (SELECT id FROM speakers WHERE event_id = {e})",
        "registration" | "session_speaker" | "session_sponsor" | "asset" | "session_activity" => {
            "session_id IN (SELECT id FROM sessions WHERE event_id = {e})"
        }
        // event_admin, session, ticket_type, ticket, speaker, sponsor
        _ => "event_id = {e}",
    }
}

/// Appends the condition that selects the exported rows of `ty` (`1 = 1`: all).
fn push_scope(sql: &mut Sql, ty: &RecordType, event: Option<i64>) {
    let Some(event) = event else {
        sql.push("1 = 1");
        return;
    };
    sql.push("(");
    for (i, part) in event_scope(ty.tag).split("{e}").enumerate() {
        if i > 0 {
            sql.bind(event);
        }
        sql.push(part);
    }
    sql.push(")");
}
/// Writes every record of the database to `out`, counting them on `progress`; returns
/// how many it wrote. The output is deterministic: the same data gives the same bytes.
/// With `event`, only that event's records and what they reference (see `event_scope`).
pub async fn export(
    db: &DatabaseConnection,
    out: &mut impl Write,
    progress: &Progress,
    event: Option<i64>,
) -> Result<u64, ExportError> {
    let mut written = 0;
    let mut line = String::new();
    for ty in TYPES {
        let mut after: Option<Vec<i64>> = None;
        loop {
            let rows = db
                .query_all_raw(page(db, ty, event, after.as_deref()))
                .await?;
            for row in &rows {
                line.clear();
                write_record(ty, row, &mut line)?;
                line.push('\n');
                out.write_all(line.as_bytes())?;
            }
            let count = rows.len() as u64;
            written += count;
            progress.inc(count);
            if count < PAGE {
                break;
            }
            let Some(last) = rows.last() else { break };
            after = Some(
                ty.key
                    .iter()
                    .map(|column| last.try_get::<i64>("", column))
                    .collect::<Result<_, _>>()?,
            );
        }
    }
    out.flush()?;
    Ok(written)
}

/// The next page of `ty` after the key `after` (keyset pagination on the primary key).
fn page(
    db: &DatabaseConnection,
    ty: &RecordType,
    event: Option<i64>,
    after: Option<&[i64]>,
) -> sea_orm::Statement {
    let columns: Vec<&str> = ty.fields.iter().map(|field| field.name).collect();
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(&format!(
        "SELECT {} FROM {} WHERE ",
        columns.join(", "),
        ty.table
    ));
    push_scope(&mut sql, ty, event);
    match (after, ty.key) {
        (Some([id]), [column]) => {
            sql.push(&format!(" AND {column} > ")).bind(*id);
        }
        (Some([a, b]), [first, second]) => {
            sql.push(&format!(" AND ({first} > "))
                .bind(*a)
                .push(&format!(" OR ({first} = "))
                .bind(*a)
                .push(&format!(" AND {second} > "))
                .bind(*b)
                .push("))");
        }
        _ => {}
    }
    sql.push(&format!(" ORDER BY {} LIMIT {PAGE}", ty.key.join(", ")));
    sql.build()
}

/// Appends `{"type":…,"field":value,…}` in the fields' declared order.
fn write_record(ty: &RecordType, row: &QueryResult, line: &mut String) -> Result<(), ExportError> {
    line.push_str("{\"type\":\"");
    line.push_str(ty.tag);
    line.push('"');
    for field in ty.fields {
        line.push_str(",\"");
        line.push_str(field.name);
        line.push_str("\":");
        let value = read(ty, field, row)?;
        // Serializing a serde_json::Value into a String cannot fail.
        line.push_str(&value.to_string());
    }
    line.push('}');
    Ok(())
}

fn read(
    ty: &RecordType,
    field: &Field,
    row: &QueryResult,
) -> Result<serde_json::Value, ExportError> {
    use serde_json::Value as J;
    let bad = |_| ExportError::Value {
        table: ty.table,
        column: field.name,
    };
    let column = field.name;
    Ok(match field.kind {
        Kind::Id(_) => row
            .try_get::<Option<i64>>("", column)
            .map_err(bad)?
            .map_or(J::Null, J::from),
        Kind::Count => row
            .try_get::<Option<i32>>("", column)
            .map_err(bad)?
            .map_or(J::Null, J::from),
        Kind::Bool => row
            .try_get::<Option<bool>>("", column)
            .map_err(bad)?
            .map_or(J::Null, J::from),
        Kind::Text(_) | Kind::Email | Kind::Enum(_) => row
            .try_get::<Option<String>>("", column)
            .map_err(bad)?
            .map_or(J::Null, J::from),
        Kind::Time => row
            .try_get::<Option<DateTime<Utc>>>("", column)
            .map_err(bad)?
            .map_or(J::Null, |time| J::from(format_time(time))),
    })
}

/// The one timestamp spelling of the format: UTC, `Z`, fractions only when present.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
