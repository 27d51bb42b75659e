//! Reads of the figures derived from activity: per-session video figures, the attendance timeline and event totals.
//!
//! The derivation (`store::activity`) keeps `session_video_stats` (one row per session)
//! and `session_timeline` (one row per session and 10-second slot) up to date as
//! activity arrives, so every read here is one statement whose cost depends on the
//! sessions asked for, never on the amount of activity behind them.

use std::collections::HashMap;

use migration::activity::HEARTBEAT_SECONDS;
use sea_orm::{DatabaseConnection, DbBackend, DbErr, FromQueryResult};

use super::{group_by, sql::Sql};

/// A session's video figures: its `session_video_stats` row; a session without one has
/// no activity yet, and every figure is zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct VideoStatsRow {
    pub session_id: i64,
    pub live_views: i64,
    pub recording_views: i64,
    pub live_viewers: i64,
    pub recording_viewers: i64,
    pub unique_live_viewers: i64,
    pub unique_recording_viewers: i64,
    pub live_seconds: i64,
    pub recording_seconds: i64,
    pub joins: i64,
    pub leaves: i64,
    pub check_ins: i64,
    pub chat_messages: i64,
    pub questions: i64,
    pub poll_votes: i64,
    pub peak_concurrent_viewers: i64,
    /// Unix seconds of the first slot that reached the peak.
    pub peak_at: Option<i64>,
}

/// The columns of [`VideoStatsRow`], in its order.
const VIDEO_COLUMNS: &str = "session_id, live_views, recording_views, live_viewers, \
     recording_viewers, unique_live_viewers, unique_recording_viewers, live_seconds, \
     recording_seconds, joins, leaves, check_ins, chat_messages, questions, poll_votes, \
     peak_concurrent_viewers, peak_at";

/// The video figures of each session that has any (one statement, by primary key).
pub async fn video_stats(
    db: &DatabaseConnection,
    session_ids: &[i64],
) -> Result<HashMap<i64, VideoStatsRow>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT ")
        .push(VIDEO_COLUMNS)
        .push(" FROM session_video_stats WHERE session_id IN ")
        .bind_list(session_ids);
    let rows = VideoStatsRow::find_by_statement(sql.build())
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.session_id, r)).collect())
}

/// How a timeline is cut: the bucket length and how many buckets a session may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimelineArgs {
    /// A whole number of slots (`HEARTBEAT_SECONDS`), so no slot straddles two
    /// buckets of a session that starts on a slot boundary.
    pub bucket_seconds: i64,
    /// Buckets past this many are not read (the resolver refuses such a session).
    pub max_buckets: i64,
}

/// One non-empty bucket of a session's timeline: its index from the session's start,
/// the peaks of concurrent viewers within it and the joins and leaves in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct TimelineRow {
    pub session_id: i64,
    pub bucket: i64,
    pub live_viewers: i64,
    pub recording_viewers: i64,
    pub joins: i64,
    pub leaves: i64,
}

/// `column` (a timestamp) as whole unix seconds, rounded down as chrono's `timestamp()`.
fn unix_seconds(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("CAST(FLOOR(EXTRACT(EPOCH FROM {column})) AS BIGINT)"),
        _ => format!("CAST(strftime('%s', {column}) AS INTEGER)"),
    }
}

/// The non-empty buckets of each session's timeline from its start to its end, in one
/// grouped statement over `session_timeline`.
///
/// Bucket `i` of a session holds the slots that begin in `[start + i*B, start + (i+1)*B)`
/// (the slot the session starts in goes to bucket 0), up to the end and at most
/// `max_buckets` buckets. Per session the statement reads a range of the primary key
/// `(session_id, slot)`: its cost is the number of slots in the window (a session of
/// a day has 8,640), not the activity logged. The session bounds are converted to
/// unix seconds in SQL so that one statement serves a whole page of sessions.
pub async fn timelines(
    db: &DatabaseConnection,
    session_ids: &[i64],
    args: &TimelineArgs,
) -> Result<HashMap<i64, Vec<TimelineRow>>, DbErr> {
    let backend = db.get_database_backend();
    let (h, t0, t1) = (
        HEARTBEAT_SECONDS,
        unix_seconds(backend, "start_time"),
        unix_seconds(backend, "end_time"),
    );
    let mut sql = Sql::new(backend);
    sql.push(&format!(
        "SELECT session_id, bucket, MAX(live_viewers) AS live_viewers, \
         MAX(recording_viewers) AS recording_viewers, \
         CAST(SUM(joins) AS BIGINT) AS joins, CAST(SUM(leaves) AS BIGINT) AS leaves \
         FROM (SELECT t.session_id AS session_id, \
         (CASE WHEN t.slot * {h} > w.t0 THEN t.slot * {h} - w.t0 ELSE 0 END) / "
    ))
    .bind(args.bucket_seconds)
    .push(&format!(
        " AS bucket, t.live_viewers AS live_viewers, t.recording_viewers AS recording_viewers, \
         t.joins AS joins, t.leaves AS leaves \
         FROM (SELECT id, {t0} AS t0, {t1} AS t1 FROM sessions WHERE id IN "
    ))
    .bind_list(session_ids)
    .push(&format!(
        ") w JOIN session_timeline t ON t.session_id = w.id \
         AND t.slot >= w.t0 / {h} AND t.slot * {h} < w.t1 AND t.slot * {h} < w.t0 + "
    ))
    .bind(args.bucket_seconds.saturating_mul(args.max_buckets))
    .push(") b GROUP BY session_id, bucket ORDER BY session_id, bucket");
    let rows = TimelineRow::find_by_statement(sql.build()).all(db).await?;
    Ok(group_by(rows, |r| r.session_id))
}

/// An event's totals over all its sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct EventTotalsRow {
    pub event_id: i64,
    pub sessions: i64,
    pub registered: i64,
    pub attendees: i64,
    pub live_views: i64,
    pub recording_views: i64,
    pub live_seconds: i64,
    pub recording_seconds: i64,
    pub chat_messages: i64,
    pub questions: i64,
    pub poll_votes: i64,
    pub check_ins: i64,
}

/// The totals of each event that has sessions: one aggregate over the events' sessions
/// and their counter rows (`session_stats`, `session_video_stats`), so its cost grows
/// with the number of sessions, not with registrations or activity.
pub async fn event_totals(
    db: &DatabaseConnection,
    event_ids: &[i64],
) -> Result<HashMap<i64, EventTotalsRow>, DbErr> {
    // PostgreSQL sums BIGINT into NUMERIC: cast back. A session without a counter row
    // contributes NULL, which SUM skips.
    let sum = |column: &str| format!(", CAST(COALESCE(SUM({column}), 0) AS BIGINT) AS ");
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT s.event_id AS event_id, COUNT(*) AS sessions");
    for (column, alias) in [
        ("st.registered", "registered"),
        ("st.attendees", "attendees"),
        ("v.live_views", "live_views"),
        ("v.recording_views", "recording_views"),
        ("v.live_seconds", "live_seconds"),
        ("v.recording_seconds", "recording_seconds"),
        ("v.chat_messages", "chat_messages"),
        ("v.questions", "questions"),
        ("v.poll_votes", "poll_votes"),
        ("v.check_ins", "check_ins"),
    ] {
        sql.push(&sum(column)).push(alias);
    }
    sql.push(
        " FROM sessions s \
         LEFT JOIN session_stats st ON st.session_id = s.id \
         LEFT JOIN session_video_stats v ON v.session_id = s.id \
         WHERE s.event_id IN ",
    )
    .bind_list(event_ids)
    .push(" GROUP BY s.event_id");
    let rows = EventTotalsRow::find_by_statement(sql.build())
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.event_id, r)).collect())
}
