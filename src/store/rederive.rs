//! Recomputing the derived tables from the activity log: every session (`session-analytics rederive`) or those an import wrote to.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    fmt::Write as _,
};

use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    Statement, TransactionTrait,
};

use super::{
    derived::{
        clamp_i32, mark_attended, rows, seconds, segment_columns, set_watch_time, statement,
        video_stats_insert, write_viewer_figures,
    },
    sql::Sql,
};
use crate::{
    analytics::{self, Logged, Mode, SessionFigures, Span, TimelineSlot, Watching},
    entity::enums::ActivityKind,
};

/// Log rows read per rederive transaction, about (a larger session is read whole): the
/// memory a rederive needs is bounded by this, or by the largest session.
const REDERIVE_CHUNK_EVENTS: i64 = 200_000;

/// Rows per statement when a rederive writes a whole session back.
const ROWS_PER_INSERT: usize = 5_000;

/// What a rederive did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rederived {
    pub sessions: u64,
    pub events: u64,
}

/// Recomputes every derived table (`session_view_segments`, `session_viewer_stats`,
/// `session_video_stats`, `session_timeline`, and the registrant rollups of holders
/// with derived activity) from the log rows that carry a client event id, with the
/// same rules as ingestion. One transaction per chunk of sessions of about
/// 200,000 events, so memory stays bounded; derived rows of sessions without such
/// activity are deleted first. Meant for a quiet database (`session-analytics
/// rederive`, tests, the benchmark's check): a batch ingested while it runs may be
/// counted in a session before that session is rederived and so be counted twice.
pub async fn rederive(db: &DatabaseConnection) -> Result<Rederived, DbErr> {
    let backend = db.get_database_backend();
    let txn = db.begin().await?;
    no_statement_timeout(&txn).await?;
    let sizes = txn
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT session_id, COUNT(*) AS n FROM session_activities \
             WHERE client_event_id IS NOT NULL GROUP BY session_id ORDER BY session_id",
        ))
        .await?
        .into_iter()
        .map(|row| {
            Ok((
                row.try_get::<i64>("", "session_id")?,
                row.try_get::<i64>("", "n")?,
            ))
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    for table in [
        "session_view_segments",
        "session_viewer_stats",
        "session_timeline",
        "session_video_stats",
    ] {
        // An anti-join on the log's session index: `NOT IN` over a log of millions of
        // rows wants a hashed subplan that does not fit the default `work_mem`.
        txn.execute_unprepared(&format!(
            "DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM session_activities a \
             WHERE a.session_id = {table}.session_id AND a.client_event_id IS NOT NULL)"
        ))
        .await?;
    }
    txn.commit().await?;
    let mut done = Rederived::default();
    for chunk in chunks(&sizes) {
        let txn = db.begin().await?;
        no_statement_timeout(&txn).await?;
        done.events += rederive_sessions(&txn, chunk).await?;
        txn.commit().await?;
        done.sessions += chunk.len() as u64;
    }
    Ok(done)
}

/// Lifts PostgreSQL's per-statement time limit for the rest of the transaction: a
/// rederive is maintenance, not a request, and scanning a log of millions of rows
/// takes longer than the pool's `STATEMENT_TIMEOUT_MS` allows a request.
async fn no_statement_timeout(txn: &DatabaseTransaction) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await?;
    }
    Ok(())
}

/// Rederives `sessions` (chunked by their size in the log) on `conn`, inside the
/// caller's transaction: what an import does for the sessions it wrote activity to.
pub async fn rederive_some(
    conn: &impl ConnectionTrait,
    sessions: &BTreeSet<i64>,
) -> Result<u64, DbErr> {
    let ids: Vec<i64> = sessions.iter().copied().collect();
    let mut sizes = Vec::with_capacity(ids.len());
    for part in ids.chunks(10_000) {
        let mut sql = String::from(
            "SELECT session_id, COUNT(*) AS n FROM session_activities \
             WHERE client_event_id IS NOT NULL AND session_id IN (",
        );
        list(&mut sql, part);
        sql.push_str(") GROUP BY session_id");
        for row in conn.query_all_raw(statement(conn, sql)).await? {
            sizes.push((
                row.try_get::<i64>("", "session_id")?,
                row.try_get::<i64>("", "n")?,
            ));
        }
    }
    // Sessions without derivable activity (any more) keep no derived rows.
    let counted: BTreeSet<i64> = sizes.iter().map(|(id, _)| *id).collect();
    let empty: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !counted.contains(id))
        .collect();
    clear(conn, &empty).await?;
    sizes.sort_unstable();
    let mut events = 0;
    for chunk in chunks(&sizes) {
        events += rederive_sessions(conn, chunk).await?;
    }
    Ok(events)
}

/// Groups (session, events) into runs of about [`REDERIVE_CHUNK_EVENTS`] events.
fn chunks(sizes: &[(i64, i64)]) -> Vec<&[(i64, i64)]> {
    let mut out = Vec::new();
    let (mut start, mut total) = (0, 0);
    for (i, (_, n)) in sizes.iter().enumerate() {
        if total > 0 && total + n > REDERIVE_CHUNK_EVENTS {
            out.push(&sizes[start..i]);
            (start, total) = (i, 0);
        }
        total += n;
    }
    if start < sizes.len() {
        out.push(&sizes[start..]);
    }
    out
}

fn list(sql: &mut String, ids: &[i64]) {
    if ids.is_empty() {
        sql.push_str("NULL");
    }
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            sql.push_str(", ");
        }
        let _ = write!(sql, "{id}");
    }
}

/// Deletes the derived rows of `sessions`.
async fn clear(conn: &impl ConnectionTrait, sessions: &[i64]) -> Result<(), DbErr> {
    if sessions.is_empty() {
        return Ok(());
    }
    for table in [
        "session_view_segments",
        "session_viewer_stats",
        "session_timeline",
        "session_video_stats",
    ] {
        let mut sql = format!("DELETE FROM {table} WHERE session_id IN (");
        list(&mut sql, sessions);
        sql.push(')');
        conn.execute_raw(statement(conn, sql)).await?;
    }
    Ok(())
}

/// Recomputes the derived rows of the sessions of `chunk` from their whole log.
/// Returns the events read.
async fn rederive_sessions(
    conn: &impl ConnectionTrait,
    chunk: &[(i64, i64)],
) -> Result<u64, DbErr> {
    let ids: Vec<i64> = chunk.iter().map(|(id, _)| *id).collect();
    let mut sql = String::from("SELECT id, duration_seconds FROM sessions WHERE id IN (");
    list(&mut sql, &ids);
    sql.push(')');
    let mut thresholds = HashMap::with_capacity(ids.len());
    for row in conn.query_all_raw(statement(conn, sql)).await? {
        thresholds.insert(
            row.try_get::<i64>("", "id")?,
            analytics::threshold(row.try_get::<Option<i32>>("", "duration_seconds")?),
        );
    }
    let mut sql = String::from(
        "SELECT session_id, user_id, kind, occurred_at FROM session_activities \
         WHERE client_event_id IS NOT NULL AND session_id IN (",
    );
    list(&mut sql, &ids);
    sql.push(')');
    let mut logs: BTreeMap<i64, Vec<Logged>> = BTreeMap::new();
    let mut events = 0;
    for row in conn.query_all_raw(statement(conn, sql)).await? {
        events += 1;
        let kind: String = row.try_get("", "kind")?;
        let Ok(kind) = ActivityKind::try_from_value(&kind) else {
            // A kind this version does not know derives nothing.
            continue;
        };
        logs.entry(row.try_get("", "session_id")?)
            .or_default()
            .push(Logged {
                user_id: row.try_get("", "user_id")?,
                kind,
                at: seconds(row.try_get("", "occurred_at")?),
            });
    }
    clear(conn, &ids).await?;
    let derived: Vec<(i64, SessionFigures)> = logs
        .into_iter()
        .map(|(session, log)| {
            let threshold = thresholds
                .get(&session)
                .copied()
                .unwrap_or(analytics::MIN_VIEW_SECONDS);
            (session, analytics::derive_session(threshold, log))
        })
        .collect();

    let views: Vec<(i64, i64, bool, Span)> = derived
        .iter()
        .flat_map(|(session, f)| {
            f.viewers.iter().flat_map(move |v| {
                [Mode::Live, Mode::Recording]
                    .into_iter()
                    .flat_map(move |mode| {
                        v.views(mode)
                            .iter()
                            .map(move |span| (*session, v.user_id, mode.is_recording(), *span))
                    })
            })
        })
        .collect();
    for part in views.chunks(ROWS_PER_INSERT) {
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("WITH ")
            .push_list("u", &segment_columns(part))
            .push(
                " INSERT INTO session_view_segments (session_id, user_id, recording, started_at, \
             ended_at) SELECT session_id, user_id, recording, started_at, ended_at FROM u",
            );
        conn.execute_raw(sql.build()).await?;
    }
    let figures: Vec<(i64, i64, Watching, Watching, bool)> = derived
        .iter()
        .flat_map(|(session, f)| {
            f.viewers
                .iter()
                .map(move |v| (*session, v.user_id, v.live, v.recording, v.attended))
        })
        .collect();
    for part in figures.chunks(ROWS_PER_INSERT) {
        write_viewer_figures(conn, part).await?;
    }
    let timeline: Vec<(i64, TimelineSlot)> = derived
        .iter()
        .flat_map(|(session, f)| f.timeline.iter().map(move |r| (*session, *r)))
        .collect();
    for part in timeline.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO session_timeline (session_id, slot, live_viewers, recording_viewers, \
             joins, leaves) VALUES ",
        );
        rows(&mut sql, part, |s, (session, r)| {
            let _ = write!(
                s,
                "{session}, {}, {}, {}, {}, {}",
                r.slot, r.live_viewers, r.recording_viewers, r.joins, r.leaves
            );
        });
        conn.execute_raw(statement(conn, sql)).await?;
    }
    if !derived.is_empty() {
        let mut sql = Sql::new(conn.get_database_backend());
        video_stats_insert(
            &mut sql,
            derived.iter().map(|(session, f)| (*session, &f.video)),
        );
        conn.execute_raw(sql.build()).await?;
    }
    let watch: Vec<(i64, i64, i64, bool)> = derived
        .iter()
        .flat_map(|(session, f)| {
            f.viewers.iter().filter(|v| v.heartbeat).map(move |v| {
                (
                    *session,
                    v.user_id,
                    clamp_i32(v.live.seconds + v.recording.seconds),
                    true,
                )
            })
        })
        .collect();
    for part in watch.chunks(ROWS_PER_INSERT) {
        set_watch_time(conn, part).await?;
    }
    let attend: Vec<(i64, i64)> = derived
        .iter()
        .flat_map(|(session, f)| {
            f.viewers
                .iter()
                .filter(|v| v.attended)
                .map(move |v| (*session, v.user_id))
        })
        .collect();
    for part in attend.chunks(ROWS_PER_INSERT) {
        mark_attended(conn, part).await?;
    }
    Ok(events)
}
