//! Bulk loading: `COPY ... FROM STDIN` on PostgreSQL; on SQLite multi-row inserts with
//! as many rows per statement as the bound-parameter limit allows, so a million rows
//! cost a few hundred statements.

use std::fmt::Write as _;

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    IdenStatic, IntoActiveModel, Iterable, Statement, Value, sqlx::PgConnection,
};

use crate::progress::Progress;

/// Bound parameters one statement may carry: SQLite's `SQLITE_MAX_VARIABLE_NUMBER`
/// (32,766 since 3.32, the bundled version is newer) and PostgreSQL's protocol limit
/// (65,535). The same statement text recurs for every full chunk, so the driver's
/// statement cache prepares it once per table.
fn max_parameters(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Postgres => 65_535,
        _ => 32_766,
    }
}

/// Rows per statement for an entity with `columns` columns.
fn rows_per_statement(backend: DbBackend, columns: usize) -> usize {
    (max_parameters(backend) / columns.max(1)).max(1)
}

/// Inserts `rows` in as few multi-row statements as the parameter limit allows and
/// counts them into `progress`.
pub async fn insert_rows<E, M>(
    db: &impl ConnectionTrait,
    rows: &[M],
    progress: &Progress,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    M: IntoActiveModel<E::ActiveModel> + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let chunk = rows_per_statement(db.get_database_backend(), E::Column::iter().count());
    for rows in rows.chunks(chunk) {
        E::insert_many(rows.iter().cloned().map(IntoActiveModel::into_active_model))
            .exec_without_returning(db)
            .await?;
        progress.inc(rows.len() as u64);
    }
    Ok(())
}

/// Where generated rows go: one open transaction, on either backend.
pub(super) enum Sink<'a> {
    /// Multi-row `INSERT`s through sea-orm (SQLite).
    Statements(&'a DatabaseTransaction),
    /// `COPY ... FROM STDIN` in text format on a PostgreSQL connection inside a transaction.
    Copy(&'a mut PgConnection),
}

impl Sink<'_> {
    /// Writes `rows` and counts them into `progress`.
    pub(super) async fn insert<E, M>(
        &mut self,
        rows: &[M],
        progress: &Progress,
    ) -> Result<(), DbErr>
    where
        E: EntityTrait,
        M: IntoActiveModel<E::ActiveModel> + Clone,
        E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
    {
        match self {
            Sink::Statements(txn) => insert_rows::<E, M>(*txn, rows, progress).await,
            Sink::Copy(conn) => copy_rows::<E, M>(conn, rows, progress).await,
        }
    }
}

/// A row the loader writes without going through an entity: the activity log and the
/// tables derived from it, millions of rows whose conversion to active models and back
/// to values would cost more than the database's work.
pub(super) trait RawRow {
    const TABLE: &'static str;
    const COLUMNS: &'static [&'static str];
    /// Appends the row in `COPY`'s text format, without the line end.
    fn copy_text(&self, out: &mut String);
    /// Appends the row's values, in [`RawRow::COLUMNS`] order.
    fn values(&self, out: &mut Vec<Value>);
}

impl Sink<'_> {
    /// Writes `rows` (of a [`RawRow`] table) and counts them into `progress`.
    pub(super) async fn insert_raw<R: RawRow>(
        &mut self,
        rows: &[R],
        progress: &Progress,
    ) -> Result<(), DbErr> {
        if rows.is_empty() {
            return Ok(());
        }
        match self {
            Sink::Statements(txn) => {
                let per_statement = rows_per_statement(DbBackend::Sqlite, R::COLUMNS.len());
                let mut values = Vec::with_capacity(per_statement * R::COLUMNS.len());
                for chunk in rows.chunks(per_statement) {
                    let tuple = format!("({})", vec!["?"; R::COLUMNS.len()].join(", "));
                    let sql = format!(
                        "INSERT INTO {} ({}) VALUES {}",
                        R::TABLE,
                        R::COLUMNS.join(", "),
                        vec![tuple; chunk.len()].join(", ")
                    );
                    values.clear();
                    for row in chunk {
                        row.values(&mut values);
                    }
                    let statement = Statement::from_sql_and_values(
                        DbBackend::Sqlite,
                        sql,
                        std::mem::take(&mut values),
                    );
                    txn.execute_raw(statement).await?;
                    progress.inc(chunk.len() as u64);
                }
                Ok(())
            }
            Sink::Copy(conn) => {
                let statement = format!("COPY {} ({}) FROM STDIN", R::TABLE, R::COLUMNS.join(", "));
                let failed =
                    |e: sea_orm::sqlx::Error| DbErr::Custom(format!("COPY into {}: {e}", R::TABLE));
                let mut copy = conn.copy_in_raw(&statement).await.map_err(failed)?;
                let mut buffer = String::with_capacity(COPY_BUFFER + 4096);
                let mut pending = 0u64;
                for row in rows {
                    row.copy_text(&mut buffer);
                    buffer.push('\n');
                    pending += 1;
                    if buffer.len() >= COPY_BUFFER {
                        copy.send(buffer.as_bytes()).await.map_err(failed)?;
                        buffer.clear();
                        progress.inc(pending);
                        pending = 0;
                    }
                }
                if !buffer.is_empty() {
                    copy.send(buffer.as_bytes()).await.map_err(failed)?;
                }
                copy.finish().await.map_err(failed)?;
                progress.inc(pending);
                Ok(())
            }
        }
    }
}

/// Appends `value` to a `COPY` text row, after a tab unless it is the first column.
pub(super) fn copy_field(out: &mut String, first: bool, value: impl std::fmt::Display) {
    if !first {
        out.push('\t');
    }
    push_display(out, value);
}

/// Bytes sent per `COPY` message: big enough to amortize the round trip.
const COPY_BUFFER: usize = 1 << 20;

async fn copy_rows<E, M>(
    conn: &mut PgConnection,
    rows: &[M],
    progress: &Progress,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    M: IntoActiveModel<E::ActiveModel> + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    if rows.is_empty() {
        return Ok(());
    }
    let columns: Vec<E::Column> = E::Column::iter().collect();
    let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
    let statement = format!(
        "COPY {} ({}) FROM STDIN",
        E::default().as_str(),
        names.join(", ")
    );
    let failed = |e: sea_orm::sqlx::Error| {
        DbErr::Custom(format!("COPY into {}: {e}", E::default().as_str()))
    };
    let mut copy = conn.copy_in_raw(&statement).await.map_err(failed)?;
    let mut buffer = String::with_capacity(COPY_BUFFER + 4096);
    let mut pending = 0u64;
    for row in rows {
        let model = row.clone().into_active_model();
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                buffer.push('\t');
            }
            push_copy_text(&mut buffer, model.get(*column).into_value())?;
        }
        buffer.push('\n');
        pending += 1;
        if buffer.len() >= COPY_BUFFER {
            copy.send(buffer.as_bytes()).await.map_err(failed)?;
            buffer.clear();
            progress.inc(pending);
            pending = 0;
        }
    }
    if !buffer.is_empty() {
        copy.send(buffer.as_bytes()).await.map_err(failed)?;
    }
    copy.finish().await.map_err(failed)?;
    progress.inc(pending);
    Ok(())
}

/// One value in `COPY`'s text format: `\N` for NULL, backslash escapes for the
/// separators.
fn push_copy_text(out: &mut String, value: Option<Value>) -> Result<(), DbErr> {
    let Some(value) = value.filter(Value::is_some) else {
        out.push_str("\\N");
        return Ok(());
    };
    match value {
        Value::Bool(Some(b)) => out.push(if b { 't' } else { 'f' }),
        Value::TinyInt(Some(n)) => push_display(out, n),
        Value::SmallInt(Some(n)) => push_display(out, n),
        Value::Int(Some(n)) => push_display(out, n),
        Value::BigInt(Some(n)) => push_display(out, n),
        Value::String(Some(text)) => {
            for c in text.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
        Value::ChronoDateTimeUtc(Some(at)) => {
            push_display(out, at.format("%Y-%m-%d %H:%M:%S%.6f+00"));
        }
        other => {
            return Err(DbErr::Custom(format!(
                "the bulk loader has no COPY encoding for {other:?}"
            )));
        }
    }
    Ok(())
}

fn push_display(out: &mut String, value: impl std::fmt::Display) {
    // Writing into a String cannot fail.
    let _ = write!(out, "{value}");
}

/// [`insert_rows`] without progress, for tests and small fixtures.
pub async fn insert_all<E, M>(db: &impl ConnectionTrait, rows: &[M]) -> Result<(), DbErr>
where
    E: EntityTrait,
    M: IntoActiveModel<E::ActiveModel> + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    insert_rows::<E, M>(db, rows, &Progress::hidden("insert", "rows")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_separators_and_writes_nulls() {
        let mut out = String::new();
        for value in [
            Some(Value::String(Some("a\tb\\c\nd".into()))),
            Some(Value::String(None)),
            None,
            Some(Value::Bool(Some(true))),
            Some(Value::BigInt(Some(-7))),
        ] {
            push_copy_text(&mut out, value).expect("encodable");
            out.push('|');
        }
        assert_eq!(out, "a\\tb\\\\c\\nd|\\N|\\N|t|-7|");
    }

    #[test]
    fn chunks_stay_under_the_parameter_limits() {
        assert_eq!(rows_per_statement(DbBackend::Sqlite, 7), 4_680);
        assert_eq!(rows_per_statement(DbBackend::Postgres, 7), 9_362);
        assert!(rows_per_statement(DbBackend::Sqlite, 7) * 7 <= 32_766);
        assert_eq!(rows_per_statement(DbBackend::Sqlite, 100_000), 1);
    }
}
