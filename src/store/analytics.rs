//! Reads of the figures derived from activity: per-session video figures, the attendance timeline and event totals.
//!
//! The derivation (`store::activity`) keeps `session_video_stats` (one row per session)
//! and `session_timeline` (one row per session and 10-second slot) up to date as
//! activity arrives, so every read here is one statement whose cost depends on the
//! sessions asked for, never on the amount of activity behind them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use migration::activity::HEARTBEAT_SECONDS;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Statement,
};

use super::{group_by, sql::Sql};
use crate::entity::session;

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
pub(crate) const VIDEO_COLUMNS: &str = "session_id, live_views, recording_views, live_viewers, \
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

/// Sessions per timeline statement: SQLite allows at most 500 terms in a compound
/// `SELECT`; 250 branches also keep a page of sessions (at most 100) in one statement.
const SESSIONS_PER_STATEMENT: usize = 250;

/// The non-empty buckets of each session's timeline from its start to its end: the
/// sessions' bounds (one primary-key lookup), then one grouped statement over
/// `session_timeline` per 250 sessions.
///
/// Bucket `i` of a session holds the slots that begin in `[start + i*B, start + (i+1)*B)`
/// (the slot the session starts in goes to bucket 0), up to the end and at most
/// `max_buckets` buckets. Each session is its own `UNION ALL` branch reading one range
/// of the primary key `(session_id, slot)` with bound slot numbers: the cost is the
/// slots in the window (8,640 for a day), never the activity logged, and PostgreSQL
/// estimates each range from its statistics. Measured on PostgreSQL with ten sessions
/// of 400,000 slots and a four-hour window each (on a busy 2-core machine): this shape
/// takes 8 to 16 ms. The shapes that spare the lookup by computing the bounds from
/// `sessions` inside the statement were worse: one join of all the sessions with the
/// timeline is hash-joined over the whole table (1.8 s), and a branch per session
/// joined with its row is planned for a tenth of the session's slots, which pushes the
/// cost over `jit_above_cost` and adds about 0.5 s of JIT compilation.
pub async fn timelines(
    db: &DatabaseConnection,
    session_ids: &[i64],
    args: &TimelineArgs,
) -> Result<HashMap<i64, Vec<TimelineRow>>, DbErr> {
    let bounds: Vec<(i64, DateTime<Utc>, DateTime<Utc>)> = session::Entity::find()
        .select_only()
        .columns([
            session::Column::Id,
            session::Column::StartTime,
            session::Column::EndTime,
        ])
        .filter(session::Column::Id.is_in(session_ids.iter().copied()))
        .order_by_asc(session::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let windows: Vec<Window> = bounds
        .into_iter()
        .filter_map(|(id, start, end)| Window::new(id, start.timestamp(), end.timestamp(), args))
        .collect();
    let mut rows = Vec::new();
    for chunk in windows.chunks(SESSIONS_PER_STATEMENT) {
        let statement = timeline_statement(db.get_database_backend(), chunk, args);
        rows.extend(TimelineRow::find_by_statement(statement).all(db).await?);
    }
    Ok(group_by(rows, |r| r.session_id))
}

/// The slots of a session's timeline that are read: `lo <= slot < hi`.
struct Window {
    session_id: i64,
    /// The session's start, unix seconds.
    start: i64,
    lo: i64,
    hi: i64,
}

impl Window {
    /// The slots from the one holding `start` to the last that begins before `end` and
    /// within `max_buckets` buckets; `None` when there are none.
    fn new(session_id: i64, start: i64, end: i64, args: &TimelineArgs) -> Option<Self> {
        let h = HEARTBEAT_SECONDS;
        let last =
            end.min(start.saturating_add(args.bucket_seconds.saturating_mul(args.max_buckets)));
        // `slot * h < last` is `slot < ceil(last / h)`.
        let (lo, hi) = (
            start.div_euclid(h),
            last.saturating_add(h - 1).div_euclid(h),
        );
        (hi > lo).then_some(Self {
            session_id,
            start,
            lo,
            hi,
        })
    }
}

fn timeline_statement(backend: DbBackend, windows: &[Window], args: &TimelineArgs) -> Statement {
    // Only numbers the server chose are written into the text; the rest is bound.
    let (h, size) = (HEARTBEAT_SECONDS, args.bucket_seconds);
    let mut sql = Sql::new(backend);
    sql.push(
        "SELECT session_id, bucket, MAX(live_viewers) AS live_viewers, \
         MAX(recording_viewers) AS recording_viewers, \
         CAST(SUM(joins) AS BIGINT) AS joins, CAST(SUM(leaves) AS BIGINT) AS leaves FROM (",
    );
    for (i, w) in windows.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        // The slot the session starts in begins before it: bucket 0 all the same.
        sql.push(&format!("SELECT session_id, (CASE WHEN slot * {h} > "))
            .bind(w.start)
            .push(&format!(" THEN slot * {h} - "))
            .bind(w.start)
            .push(&format!(
                " ELSE 0 END) / {size} AS bucket, live_viewers, recording_viewers, joins, leaves \
                 FROM session_timeline WHERE session_id = "
            ))
            .bind(w.session_id)
            .push(" AND slot >= ")
            .bind(w.lo)
            .push(" AND slot < ")
            .bind(w.hi);
    }
    sql.push(") b GROUP BY session_id, bucket ORDER BY session_id, bucket");
    sql.build()
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
