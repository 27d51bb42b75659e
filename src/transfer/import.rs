//! `import`: validates NDJSON records and upserts them by key in one transaction.

use std::{
    collections::{BTreeSet, HashSet},
    io::{BufRead, Read},
};

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, TransactionTrait,
    Value,
};
use serde_json::Value as J;

use super::format::{Field, Kind, Missing, RecordType, TYPES, by_table, by_tag};
use crate::{
    progress::Progress,
    store::{rederive, sql::Sql},
};

/// Errors listed at most; the rest are only counted.
pub const MAX_ERRORS: usize = 100;
/// Records buffered before they are checked against the database and written.
const BATCH: usize = 5_000;
/// Bound values per statement, below SQLite's and PostgreSQL's limits.
const MAX_PARAMS: usize = 16_000;
/// The log, whose sessions are rederived after an import.
const ACTIVITY_TABLE: &str = "session_activities";
/// Longest accepted line, in bytes.
const MAX_LINE: usize = 1 << 20;

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Records failed validation: each message is `line N: <type>.<field>: <problem>`.
    #[error("{}", render(.errors, *.total))]
    Invalid { errors: Vec<String>, total: usize },
    #[error("reading the input failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing to the database failed: {0}")]
    Db(#[from] DbErr),
}

fn render(errors: &[String], total: usize) -> String {
    let mut text = format!(
        "the import is invalid and nothing was written ({total} error{}):",
        if total == 1 { "" } else { "s" }
    );
    for error in errors {
        text.push_str("\n  ");
        text.push_str(error);
    }
    if total > errors.len() {
        text.push_str(&format!("\n  … and {} more", total - errors.len()));
    }
    text
}

/// What an import wrote: records per type, in the format's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub records: u64,
    pub per_type: Vec<(&'static str, u64)>,
}

/// Reads NDJSON records from `input`, validates each, and upserts them by key in one
/// transaction: either every record is written or, on any error, none. The sessions
/// the file wrote activity to are then rederived from their whole log in that
/// transaction ([`rederive::rederive_some`]), so imported activity gives the same
/// figures as the same activity ingested.
pub async fn import(
    db: &DatabaseConnection,
    input: impl BufRead,
    progress: &Progress,
) -> Result<ImportSummary, ImportError> {
    let txn = db.begin().await?;
    let mut importer = Importer::new(&txn);
    let result = importer.run(input, progress).await;
    let Importer {
        errors,
        total_errors,
        counts,
        activity_sessions,
        ..
    } = importer;
    if let Err(err) = result {
        txn.rollback().await.ok();
        return Err(err);
    }
    if total_errors > 0 {
        txn.rollback().await.ok();
        return Err(ImportError::Invalid {
            errors,
            total: total_errors,
        });
    }
    rederive::rederive_some(&txn, &activity_sessions).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        reset_sequences(&txn).await?;
    }
    txn.commit().await?;
    let per_type = TYPES
        .iter()
        .zip(&counts)
        .map(|(ty, count)| (ty.tag, *count))
        .collect();
    Ok(ImportSummary {
        records: counts.iter().sum(),
        per_type,
    })
}

/// Imported rows keep their ids; PostgreSQL's sequences must move past them so that
/// later inserts do not collide.
async fn reset_sequences(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    for ty in TYPES.iter().filter(|ty| ty.has_id_sequence()) {
        let table = ty.table;
        txn.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
        .await?;
    }
    Ok(())
}

/// Records of one type waiting to be written, with their line numbers.
#[derive(Default)]
struct Pending {
    rows: Vec<Vec<Value>>,
    lines: Vec<u64>,
}

struct Importer<'a> {
    txn: &'a DatabaseTransaction,
    pending: Vec<Pending>,
    buffered: usize,
    /// Keys seen per type: a record given twice is an error, not a silent overwrite.
    seen: Vec<HashSet<(i64, i64)>>,
    errors: Vec<String>,
    total_errors: usize,
    counts: Vec<u64>,
    /// Sessions whose log the file changed: rederived at the end.
    activity_sessions: BTreeSet<i64>,
}

impl<'a> Importer<'a> {
    fn new(txn: &'a DatabaseTransaction) -> Self {
        Self {
            txn,
            pending: TYPES.iter().map(|_| Pending::default()).collect(),
            buffered: 0,
            seen: TYPES.iter().map(|_| HashSet::new()).collect(),
            errors: Vec::new(),
            total_errors: 0,
            counts: vec![0; TYPES.len()],
            activity_sessions: BTreeSet::new(),
        }
    }

    fn error(&mut self, message: String) {
        self.total_errors += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(message);
        }
    }

    async fn run(
        &mut self,
        mut input: impl BufRead,
        progress: &Progress,
    ) -> Result<(), ImportError> {
        let mut buf = Vec::new();
        let mut line_no = 0u64;
        loop {
            buf.clear();
            let read = input
                .by_ref()
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut buf)?;
            if read == 0 {
                break;
            }
            line_no += 1;
            if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
                self.error(format!("line {line_no}: longer than {MAX_LINE} bytes"));
                // Skip the rest of the over-long line.
                let mut rest = Vec::new();
                input.read_until(b'\n', &mut rest)?;
                continue;
            }
            match std::str::from_utf8(&buf) {
                Ok(text) => self.record(line_no, text),
                Err(_) => self.error(format!("line {line_no}: not valid UTF-8")),
            }
            progress.inc(1);
            if self.buffered >= BATCH {
                self.flush().await?;
            }
        }
        self.flush().await
    }

    /// Validates one line and buffers its row.
    fn record(&mut self, line: u64, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let mut object = match serde_json::from_str::<J>(text) {
            Ok(J::Object(object)) => object,
            Ok(_) => return self.error(format!("line {line}: not a JSON object")),
            Err(err) => return self.error(format!("line {line}: invalid JSON: {err}")),
        };
        let (index, ty) = match object.remove("type") {
            None => return self.error(format!("line {line}: type: missing")),
            Some(J::String(tag)) => match by_tag(&tag) {
                Some(found) => found,
                None => {
                    return self.error(format!(
                        "line {line}: type: unknown record type {}",
                        quote_name(&tag)
                    ));
                }
            },
            Some(_) => return self.error(format!("line {line}: type: must be a string")),
        };
        let mut ok = true;
        for name in object.keys() {
            if ty.field(name).is_none() {
                ok = false;
                let message = if name == "password_hash" || name == "password" {
                    "passwords cannot be imported".to_owned()
                } else {
                    "unknown field".to_owned()
                };
                self.error(format!(
                    "line {line}: {}.{}: {message}",
                    ty.tag,
                    quote_field(name)
                ));
            }
        }
        let mut row = Vec::with_capacity(ty.fields.len());
        for field in ty.fields {
            match convert(field, object.get(field.name)) {
                Ok(value) => row.push(value),
                Err(problem) => {
                    ok = false;
                    self.error(format!("line {line}: {}.{}: {problem}", ty.tag, field.name));
                }
            }
        }
        if !ok {
            return;
        }
        let key = key_of(ty, &row);
        if !self.seen[index].insert(key) {
            let shown = match ty.key {
                [_] => key.0.to_string(),
                _ => format!("({}, {})", key.0, key.1),
            };
            return self.error(format!(
                "line {line}: {}.{}: {shown} appears more than once in the file",
                ty.tag,
                ty.key.join("+")
            ));
        }
        self.pending[index].rows.push(row);
        self.pending[index].lines.push(line);
        self.buffered += 1;
    }

    /// Checks the buffered rows' references and writes them, parents first. After the
    /// first error nothing more is written (the transaction is rolled back anyway);
    /// the rest of the file is still validated.
    async fn flush(&mut self) -> Result<(), ImportError> {
        let pending = std::mem::replace(
            &mut self.pending,
            TYPES.iter().map(|_| Pending::default()).collect(),
        );
        self.buffered = 0;
        for (index, (ty, batch)) in TYPES.iter().zip(pending).enumerate() {
            if batch.rows.is_empty() || self.total_errors > 0 {
                continue;
            }
            self.check_references(ty, &batch).await?;
            if self.total_errors > 0 {
                continue;
            }
            if ty.table == ACTIVITY_TABLE {
                self.note_activity_sessions(ty, &batch).await?;
            }
            if let Err(err) = upsert(self.txn, ty, &batch.rows).await {
                let (first, last) = (
                    batch.lines.first().copied().unwrap_or(0),
                    batch.lines.last().copied().unwrap_or(0),
                );
                match err.sql_err() {
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
                        self.error(format!(
                            "lines {first}–{last}: {}: a record conflicts with another one over a \
                             value that must be unique ({})",
                            ty.tag,
                            unique_hint(ty)
                        ));
                    }
                    _ => return Err(err.into()),
                }
            } else {
                self.counts[index] += batch.rows.len() as u64;
            }
        }
        Ok(())
    }

    /// Notes the sessions of activity `batch` and, for rows it replaces, the sessions
    /// those rows were logged in (a replaced row may move to another session).
    async fn note_activity_sessions(
        &mut self,
        ty: &RecordType,
        batch: &Pending,
    ) -> Result<(), ImportError> {
        let column = |name: &str| ty.fields.iter().position(|field| field.name == name);
        let (Some(id), Some(session)) = (column("id"), column("session_id")) else {
            return Ok(());
        };
        let mut ids = Vec::with_capacity(batch.rows.len());
        for row in &batch.rows {
            self.activity_sessions.extend(as_i64(&row[session]));
            ids.extend(as_i64(&row[id]));
        }
        for chunk in ids.chunks(MAX_PARAMS) {
            let mut sql = Sql::new(self.txn.get_database_backend());
            sql.push(
                "SELECT DISTINCT session_id FROM session_activities \
                 WHERE client_event_id IS NOT NULL AND id IN ",
            )
            .bind_list(chunk);
            for row in self.txn.query_all_raw(sql.build()).await? {
                self.activity_sessions
                    .insert(row.try_get::<i64>("", "session_id")?);
            }
        }
        Ok(())
    }

    /// Every reference must name a row already in the database (or written earlier in
    /// this transaction). Ids of earlier records of the file are known; the others are
    /// looked up with one `SELECT … WHERE id IN` per referencing field.
    async fn check_references(
        &mut self,
        ty: &RecordType,
        batch: &Pending,
    ) -> Result<(), ImportError> {
        for (position, field) in ty.fields.iter().enumerate() {
            let Some(parent) = field.references() else {
                continue;
            };
            // Rows of this file are known without asking: their parents are written
            // before them (parents come first in TYPES). Only the others are looked up.
            let in_file = TYPES
                .iter()
                .position(|candidate| candidate.table == parent)
                .map(|parent_index| &self.seen[parent_index]);
            let known = |id: i64| in_file.is_some_and(|keys| keys.contains(&(id, 0)));
            let wanted: BTreeSet<i64> = batch
                .rows
                .iter()
                .filter_map(|row| as_i64(&row[position]))
                .filter(|id| !known(*id))
                .collect();
            let found = existing_ids(self.txn, parent, &wanted).await?;
            let mut missing = Vec::new();
            for (row, line) in batch.rows.iter().zip(&batch.lines) {
                if let Some(id) = as_i64(&row[position])
                    && !known(id)
                    && !found.contains(&id)
                {
                    missing.push((*line, id));
                }
            }
            let parent_tag = by_table(parent).map_or(parent, |parent| parent.tag);
            for (line, id) in missing {
                self.error(format!(
                    "line {line}: {}.{}: no {parent_tag} with id {id} in the file (before this line) or the database",
                    ty.tag, field.name
                ));
            }
        }
        Ok(())
    }
}

fn unique_hint(ty: &RecordType) -> &'static str {
    match ty.tag {
        "user" => "email",
        "registration" => "one registration per session and ticket",
        "speaker" => "one speaker per event and user",
        _ => "a unique column",
    }
}

/// Which of `ids` exist in `table`.
async fn existing_ids(
    txn: &DatabaseTransaction,
    table: &str,
    ids: &BTreeSet<i64>,
) -> Result<HashSet<i64>, DbErr> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut found = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_PARAMS) {
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push(&format!("SELECT id FROM {table} WHERE id IN "))
            .bind_list(chunk);
        for row in txn.query_all_raw(sql.build()).await? {
            found.insert(row.try_get::<i64>("", "id")?);
        }
    }
    Ok(found)
}

/// `INSERT … ON CONFLICT (key) DO UPDATE` in multi-row statements. Columns the format
/// does not carry (a user's password hash) are neither written on insert nor touched
/// on update.
async fn upsert(
    txn: &DatabaseTransaction,
    ty: &RecordType,
    rows: &[Vec<Value>],
) -> Result<(), DbErr> {
    let columns: Vec<&str> = ty.fields.iter().map(|field| field.name).collect();
    let updates: Vec<String> = columns
        .iter()
        .filter(|column| !ty.key.contains(column))
        .map(|column| format!("{column} = excluded.{column}"))
        .collect();
    let conflict = if updates.is_empty() {
        format!(" ON CONFLICT ({}) DO NOTHING", ty.key.join(", "))
    } else {
        format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            ty.key.join(", "),
            updates.join(", ")
        )
    };
    let per_statement = (MAX_PARAMS / columns.len()).max(1);
    for chunk in rows.chunks(per_statement) {
        let mut sql = Sql::new(txn.get_database_backend());
        sql.push(&format!(
            "INSERT INTO {} ({}) VALUES ",
            ty.table,
            columns.join(", ")
        ));
        for (i, row) in chunk.iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for (j, value) in row.iter().enumerate() {
                if j > 0 {
                    sql.push(", ");
                }
                sql.bind(value.clone());
            }
            sql.push(")");
        }
        sql.push(&conflict);
        txn.execute_raw(sql.build()).await?;
    }
    Ok(())
}

fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::BigInt(Some(id)) => Some(*id),
        _ => None,
    }
}

fn key_of(ty: &RecordType, row: &[Value]) -> (i64, i64) {
    let position = |name: &str| {
        ty.fields
            .iter()
            .position(|field| field.name == name)
            .and_then(|i| as_i64(&row[i]))
            .unwrap_or(0)
    };
    match ty.key {
        [a] => (position(a), 0),
        [a, b, ..] => (position(a), position(b)),
        [] => (0, 0),
    }
}

/// A record type name for an error message, only if it looks like one: the message
/// must not repeat arbitrary input (which may be personal data).
fn quote_name(name: &str) -> String {
    if name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        format!("\"{name}\"")
    } else {
        "(not shown)".to_owned()
    }
}

fn quote_field(name: &str) -> String {
    if name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_owned()
    } else {
        "(a field name not shown)".to_owned()
    }
}

/// Checks one field and turns it into the value bound for its column.
fn convert(field: &Field, value: Option<&J>) -> Result<Value, String> {
    let value = match value {
        None => {
            return match field.missing {
                Missing::Required => Err("missing".to_owned()),
                Missing::Null => Ok(null_of(field.kind)),
                Missing::False => Ok(Value::Bool(Some(false))),
                Missing::Zero => Ok(Value::Int(Some(0))),
            };
        }
        Some(J::Null) if field.nullable() => return Ok(null_of(field.kind)),
        Some(J::Null) => return Err("must not be null".to_owned()),
        Some(value) => value,
    };
    match field.kind {
        Kind::Id(_) => match value.as_i64() {
            Some(id) if id > 0 => Ok(Value::BigInt(Some(id))),
            _ => Err("must be a positive integer id".to_owned()),
        },
        Kind::Count => match value.as_i64().and_then(|n| i32::try_from(n).ok()) {
            Some(n) if n >= 0 => Ok(Value::Int(Some(n))),
            _ => Err(format!("must be an integer from 0 to {}", i32::MAX)),
        },
        Kind::Bool => match value {
            J::Bool(flag) => Ok(Value::Bool(Some(*flag))),
            _ => Err("must be true or false".to_owned()),
        },
        Kind::Text(max) => match value {
            J::String(text) if text.chars().count() <= max => Ok(Value::String(Some(text.clone()))),
            J::String(_) => Err(format!("longer than {max} characters")),
            _ => Err("must be a string".to_owned()),
        },
        Kind::Email => match value {
            J::String(text) if is_email(text) => Ok(Value::String(Some(text.clone()))),
            _ => Err("must be an email address (at most 320 characters)".to_owned()),
        },
        Kind::Enum(allowed) => match value {
            J::String(text) if allowed.contains(&text.as_str()) => {
                Ok(Value::String(Some(text.clone())))
            }
            _ => Err(format!("must be one of {}", allowed.join(", "))),
        },
        Kind::Time => match value.as_str().map(DateTime::parse_from_rfc3339) {
            Some(Ok(time)) => Ok(Value::from(time.with_timezone(&Utc))),
            _ => Err("must be an RFC 3339 timestamp such as 2026-05-01T09:00:00Z".to_owned()),
        },
    }
}

fn is_email(text: &str) -> bool {
    text.len() <= 320
        && !text.chars().any(char::is_whitespace)
        && text
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
}

fn null_of(kind: Kind) -> Value {
    match kind {
        Kind::Id(_) => Value::BigInt(None),
        Kind::Count => Value::Int(None),
        Kind::Bool => Value::Bool(None),
        Kind::Text(_) | Kind::Email | Kind::Enum(_) => Value::String(None),
        Kind::Time => Value::from(Option::<DateTime<Utc>>::None),
    }
}
