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
pub async fn count_rows(db: &DatabaseConnection) -> Result<u64, sea_orm::DbErr> {
    let mut total = 0;
    for ty in TYPES {
        let sql = format!("SELECT COUNT(*) AS n FROM {}", ty.table);
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await?;
        if let Some(row) = row {
            total += u64::try_from(row.try_get::<i64>("", "n")?).unwrap_or(0);
        }
    }
    Ok(total)
}

/// Writes every record of the database to `out`, counting them on `progress`; returns
/// how many it wrote. The output is deterministic: the same data gives the same bytes.
pub async fn export(
    db: &DatabaseConnection,
    out: &mut impl Write,
    progress: &Progress,
) -> Result<u64, ExportError> {
    let mut written = 0;
    let mut line = String::new();
    for ty in TYPES {
        let mut after: Option<Vec<i64>> = None;
        loop {
            let rows = db.query_all_raw(page(db, ty, after.as_deref())).await?;
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
fn page(db: &DatabaseConnection, ty: &RecordType, after: Option<&[i64]>) -> sea_orm::Statement {
    let columns: Vec<&str> = ty.fields.iter().map(|field| field.name).collect();
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(&format!("SELECT {} FROM {}", columns.join(", "), ty.table));
    match (after, ty.key) {
        (Some([id]), [column]) => {
            sql.push(&format!(" WHERE {column} > ")).bind(*id);
        }
        (Some([a, b]), [first, second]) => {
            sql.push(&format!(" WHERE {first} > "))
                .bind(*a)
                .push(&format!(" OR ({first} = "))
                .bind(*a)
                .push(&format!(" AND {second} > "))
                .bind(*b)
                .push(")");
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
