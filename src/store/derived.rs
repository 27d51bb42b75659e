//! Writes of the tables derived from the activity log: a newly logged batch applied incrementally, and the statements it shares with [`super::rederive`].
//!
//! Both paths use the rules of [`crate::analytics::derive`], so an ingested, an
//! imported and a rederived log give the same figures. The multi-row statements read
//! their rows as a list ([`Sql::push_list`]: one array per column on PostgreSQL,
//! literals on SQLite), so a statement holds any number of rows (no bound-parameter
//! limit), which keeps the statements per batch constant whatever its size, and on
//! PostgreSQL its text is the same every time, so it is prepared once.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use super::sql::{Column, Sql};

use crate::{
    analytics::{self, Logged, Mode, Span, TimelineSlot, VideoStats, Watching},
    entity::enums::ActivityKind,
};

/// Appends `items` to `sql` as `(…), (…)`, each written by `row`.
pub(super) fn rows<T>(
    sql: &mut String,
    items: impl IntoIterator<Item = T>,
    mut row: impl FnMut(&mut String, T),
) {
    for (i, item) in items.into_iter().enumerate() {
        sql.push_str(if i == 0 { "(" } else { ", (" });
        row(sql, item);
        sql.push(')');
    }
}

/// The 32-bit columns (`live_views`, the registrants' watch time) clamp rather than wrap.
pub(super) fn clamp_i32(n: i64) -> i64 {
    n.clamp(0, i64::from(i32::MAX))
}

pub(super) fn statement(conn: &impl ConnectionTrait, sql: String) -> Statement {
    Statement::from_string(conn.get_database_backend(), sql)
}

/// One newly logged event of `session_id`.
#[derive(Clone, Copy, Debug)]
pub struct Fresh {
    pub session_id: i64,
    pub event: Logged,
}

/// Whole seconds since 1970 (floored), the unit of every derived time.
pub fn seconds(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

/// What a viewer's row of `session_viewer_stats` held before this batch.
#[derive(Clone, Copy, Debug, Default)]
struct Stored {
    live_seconds: i64,
    recording_seconds: i64,
    attended: bool,
    live_views: i64,
    recording_views: i64,
}

/// One viewer's part of the batch.
#[derive(Default)]
struct Incoming {
    live: Vec<Span>,
    recording: Vec<Span>,
    attends: bool,
    heartbeat: bool,
}

/// Derives `fresh` (events just logged in this transaction, each once) into every
/// derived table, on top of what earlier batches derived. At most ten statements,
/// whatever the batch's size; those with nothing to write are skipped:
///
/// 1. create the affected viewers' missing `session_viewer_stats` rows;
/// 2. lock all of them (PostgreSQL: `FOR UPDATE`, in (session, user) order) and read
///    them: a second transaction touching one of these viewers waits here until this
///    one commits, then reads what it wrote, so concurrent batches neither deadlock on
///    viewers nor lose an update;
/// 3. read those viewers' views;
/// 4. delete the views that merging absorbed;
/// 5. upsert the new and grown views;
/// 6. write the viewers' figures;
/// 7. set the registrants' watch time (once they have a heartbeat);
/// 8. mark the registrants of first-time attendees attended (this fires the
///    `session_stats` triggers);
/// 9. add to `session_timeline`, reading the slots back for the peak;
/// 10. add to `session_video_stats` (peak: the larger, on a tie the earlier).
///
/// The rows shared by every viewer of a session (8 to 10) come last and in session
/// order, so their locks are held briefly and taken in the same order by every
/// transaction.
pub async fn apply(
    conn: &impl ConnectionTrait,
    fresh: &[Fresh],
    thresholds: &HashMap<i64, i64>,
) -> Result<(), DbErr> {
    if fresh.is_empty() {
        return Ok(());
    }
    let mut viewers: BTreeMap<(i64, i64), Incoming> = BTreeMap::new();
    // Per session, the video figures as deltas (the peak: the candidate read back from
    // the timeline).
    let mut sessions: BTreeMap<i64, VideoStats> = BTreeMap::new();
    let mut timeline: BTreeMap<(i64, i64), TimelineSlot> = BTreeMap::new();
    for f in fresh {
        let e = f.event;
        sessions.entry(f.session_id).or_default().counts.add(e.kind);
        let viewer = viewers.entry((f.session_id, e.user_id)).or_default();
        viewer.attends |= analytics::attends(e.kind);
        viewer.heartbeat |= analytics::is_heartbeat(e.kind);
        if let Some((mode, span)) = analytics::span_of(e.kind, e.at) {
            match mode {
                Mode::Live => viewer.live.push(span),
                Mode::Recording => viewer.recording.push(span),
            }
        }
        if matches!(e.kind, ActivityKind::Join | ActivityKind::Leave) {
            let slot = analytics::slot_of(e.at);
            let row = timeline
                .entry((f.session_id, slot))
                .or_insert(TimelineSlot {
                    slot,
                    ..TimelineSlot::default()
                });
            if e.kind == ActivityKind::Join {
                row.joins += 1;
            } else {
                row.leaves += 1;
            }
        }
    }

    // 1. Lock the viewers: create the missing rows (`DO NOTHING` writes nothing for
    // the others), then lock them all, in (session, user) order. Locking with a no-op
    // `DO UPDATE` instead would write a new version of every viewer's row just to lock
    // it, and it is written again below.
    let backend = conn.get_database_backend();
    let (sessions_col, users_col): (Vec<i64>, Vec<i64>) = viewers.keys().copied().unzip();
    let viewer_list = [
        ("session_id", Column::Int(sessions_col)),
        ("user_id", Column::Int(users_col)),
    ];
    let mut sql = Sql::new(backend);
    sql.push("WITH ").push_list("v", &viewer_list).push(
        " INSERT INTO session_viewer_stats (session_id, user_id) \
         SELECT session_id, user_id FROM v WHERE TRUE \
         ON CONFLICT (session_id, user_id) DO NOTHING",
    );
    conn.execute_raw(sql.build()).await?;
    let mut sql = Sql::new(backend);
    sql.push("WITH ")
        .push_list("v", &viewer_list)
        .push(&format!(
            " SELECT s.session_id AS session_id, s.user_id AS user_id, \
         s.live_seconds AS live_seconds, s.recording_seconds AS recording_seconds, \
         s.attended AS attended, s.live_views AS live_views, \
         s.recording_views AS recording_views {}",
            rows_of_viewers(backend, "session_viewer_stats", true)
        ));
    let mut stored: HashMap<(i64, i64), Stored> = HashMap::with_capacity(viewers.len());
    for row in conn.query_all_raw(sql.build()).await? {
        stored.insert(
            (row.try_get("", "session_id")?, row.try_get("", "user_id")?),
            Stored {
                live_seconds: row.try_get("", "live_seconds")?,
                recording_seconds: row.try_get("", "recording_seconds")?,
                attended: row.try_get("", "attended")?,
                live_views: i64::from(row.try_get::<i32>("", "live_views")?),
                recording_views: i64::from(row.try_get::<i32>("", "recording_views")?),
            },
        );
    }

    // 2. Their views, read after the lock: they include what any transaction that
    // held it before committed. (SQLite: a join from the list, not `(session_id,
    // user_id) IN (VALUES …)`, which scans the whole table for a row-value IN on part
    // of a key.)
    let mut sql = Sql::new(backend);
    sql.push("WITH ")
        .push_list("v", &viewer_list)
        .push(&format!(
            " SELECT s.session_id AS session_id, s.user_id AS user_id, s.recording AS recording, \
         s.started_at AS started_at, s.ended_at AS ended_at {}",
            rows_of_viewers(backend, "session_view_segments", false)
        ));
    let mut old: HashMap<(i64, i64, bool), Vec<Span>> = HashMap::new();
    for row in conn.query_all_raw(sql.build()).await? {
        old.entry((
            row.try_get("", "session_id")?,
            row.try_get("", "user_id")?,
            row.try_get("", "recording")?,
        ))
        .or_default()
        .push(Span {
            start: row.try_get("", "started_at")?,
            end: row.try_get("", "ended_at")?,
        });
    }

    // Merge in Rust.
    let mut deletes: Vec<(i64, i64, bool, i64)> = Vec::new();
    let mut upserts: Vec<(i64, i64, bool, Span)> = Vec::new();
    let mut figures: Vec<(i64, i64, Watching, Watching, bool)> = Vec::new();
    let mut watch: Vec<(i64, i64, i64, bool)> = Vec::new();
    let mut attend: Vec<(i64, i64)> = Vec::new();
    for (&(session, user), incoming) in &viewers {
        let before = stored.get(&(session, user)).copied().unwrap_or_default();
        let threshold = thresholds
            .get(&session)
            .copied()
            .unwrap_or(analytics::MIN_VIEW_SECONDS);
        let delta = sessions.entry(session).or_default();
        let mut now = [Watching::default(); 2];
        for (i, (mode, spans)) in [
            (Mode::Live, &incoming.live),
            (Mode::Recording, &incoming.recording),
        ]
        .into_iter()
        .enumerate()
        {
            let recording = mode.is_recording();
            let mut was = old.remove(&(session, user, recording)).unwrap_or_default();
            was.sort_unstable();
            let mut views = was.clone();
            for span in spans {
                analytics::merge(&mut views, *span);
            }
            let watching = analytics::watching(&views, threshold);
            now[i] = watching;
            if views != was {
                let starts: BTreeSet<i64> = views.iter().map(|v| v.start).collect();
                let kept: BTreeSet<Span> = was.iter().copied().collect();
                deletes.extend(
                    was.iter()
                        .filter(|v| !starts.contains(&v.start))
                        .map(|v| (session, user, recording, v.start)),
                );
                upserts.extend(
                    views
                        .iter()
                        .filter(|v| !kept.contains(v))
                        .map(|v| (session, user, recording, *v)),
                );
                // Covered slots only grow: count the viewer in the new ones (found
                // from the views' slot ranges, not by listing every slot a long view
                // covers at each batch).
                for slot in analytics::new_slots(&was, &views) {
                    let row = timeline.entry((session, slot)).or_insert(TimelineSlot {
                        slot,
                        ..TimelineSlot::default()
                    });
                    if recording {
                        row.recording_viewers += 1;
                    } else {
                        row.live_viewers += 1;
                    }
                }
            }
            let (stored_views, stored_seconds) = if recording {
                (before.recording_views, before.recording_seconds)
            } else {
                (before.live_views, before.live_seconds)
            };
            let viewers_delta = i64::from(!views.is_empty()) - i64::from(!was.is_empty());
            let unique_delta = i64::from(watching.views > 0) - i64::from(stored_views > 0);
            if recording {
                delta.recording_views += watching.views - stored_views;
                delta.recording_seconds += watching.seconds - stored_seconds;
                delta.recording_viewers += viewers_delta;
                delta.unique_recording_viewers += unique_delta;
            } else {
                delta.live_views += watching.views - stored_views;
                delta.live_seconds += watching.seconds - stored_seconds;
                delta.live_viewers += viewers_delta;
                delta.unique_live_viewers += unique_delta;
            }
        }
        let [live, recording] = now;
        let attended = before.attended || incoming.attends;
        if live.seconds != before.live_seconds
            || recording.seconds != before.recording_seconds
            || live.views != before.live_views
            || recording.views != before.recording_views
            || attended != before.attended
        {
            figures.push((session, user, live, recording, attended));
        }
        let total = live.seconds + recording.seconds;
        if incoming.heartbeat || total != before.live_seconds + before.recording_seconds {
            watch.push((session, user, clamp_i32(total), incoming.heartbeat));
        }
        // A viewer attended before has had their registrations marked already.
        if incoming.attends && !before.attended {
            attend.push((session, user));
        }
    }

    // 3. Views absorbed by a view that starts elsewhere.
    if !deletes.is_empty() {
        let mut sql = Sql::new(backend);
        sql.push("WITH ")
            .push_list(
                "d",
                &[
                    (
                        "session_id",
                        Column::Int(deletes.iter().map(|d| d.0).collect()),
                    ),
                    (
                        "user_id",
                        Column::Int(deletes.iter().map(|d| d.1).collect()),
                    ),
                    (
                        "recording",
                        Column::Bool(deletes.iter().map(|d| d.2).collect()),
                    ),
                    (
                        "started_at",
                        Column::Int(deletes.iter().map(|d| d.3).collect()),
                    ),
                ],
            )
            .push(
                " DELETE FROM session_view_segments \
                 WHERE (session_id, user_id, recording, started_at) IN \
                   (SELECT session_id, user_id, recording, started_at FROM d)",
            );
        conn.execute_raw(sql.build()).await?;
    }
    // 4. New views, and views that grew (same start, later end).
    if !upserts.is_empty() {
        let mut sql = Sql::new(backend);
        sql.push("WITH ")
            .push_list("u", &segment_columns(&upserts))
            .push(
                " INSERT INTO session_view_segments (session_id, user_id, recording, \
                 started_at, ended_at) \
                 SELECT session_id, user_id, recording, started_at, ended_at FROM u WHERE TRUE \
                 ON CONFLICT (session_id, user_id, recording, started_at) \
                 DO UPDATE SET ended_at = excluded.ended_at",
            );
        conn.execute_raw(sql.build()).await?;
    }
    // 5. The viewers' figures.
    write_viewer_figures(conn, &figures).await?;
    // 6. Watch time.
    set_watch_time(conn, &watch).await?;
    // 7. Attendance (this fires the `session_stats` triggers, whose row is shared by
    // every viewer of the session: hence late, but before the other session rows).
    mark_attended(conn, &attend).await?;

    // 8. The timeline, read back: the peak candidates.
    let mut peaks: HashMap<i64, (i64, i64)> = HashMap::new();
    if !timeline.is_empty() {
        let slots: Vec<&TimelineSlot> = timeline.values().collect();
        let mut sql = Sql::new(backend);
        sql.push("WITH ")
            .push_list(
                "t",
                &[
                    ("session_id", Column::Int(timeline.keys().map(|k| k.0).collect())),
                    ("slot", Column::Int(slots.iter().map(|r| r.slot).collect())),
                    ("live", Column::Int(slots.iter().map(|r| r.live_viewers).collect())),
                    ("rec", Column::Int(slots.iter().map(|r| r.recording_viewers).collect())),
                    ("joins", Column::Int(slots.iter().map(|r| r.joins).collect())),
                    ("leaves", Column::Int(slots.iter().map(|r| r.leaves).collect())),
                ],
            )
            .push(
                " INSERT INTO session_timeline (session_id, slot, live_viewers, \
                 recording_viewers, joins, leaves) \
                 SELECT session_id, slot, live, rec, joins, leaves FROM t WHERE TRUE \
                 ON CONFLICT (session_id, slot) DO UPDATE SET \
                 live_viewers = session_timeline.live_viewers + excluded.live_viewers, \
                 recording_viewers = session_timeline.recording_viewers + excluded.recording_viewers, \
                 joins = session_timeline.joins + excluded.joins, \
                 leaves = session_timeline.leaves + excluded.leaves \
                 RETURNING session_id, slot, live_viewers",
            );
        for row in conn.query_all_raw(sql.build()).await? {
            let session: i64 = row.try_get("", "session_id")?;
            let slot: i64 = row.try_get("", "slot")?;
            let live: i64 = row.try_get("", "live_viewers")?;
            if live == 0 {
                continue;
            }
            let best = peaks.entry(session).or_insert((live, slot));
            if live > best.0 || (live == best.0 && slot < best.1) {
                *best = (live, slot);
            }
        }
    }
    for (session, (viewers, slot)) in peaks {
        if let Some(delta) = sessions.get_mut(&session) {
            delta.peak_concurrent_viewers = viewers;
            delta.peak_at = Some(slot * analytics::HEARTBEAT_SECONDS);
        }
    }

    // 9. The sessions' figures.
    let mut sql = Sql::new(backend);
    video_stats_insert(&mut sql, sessions.iter().map(|(id, d)| (*id, d)));
    sql.push(
        " ON CONFLICT (session_id) DO UPDATE SET \
         live_views = session_video_stats.live_views + excluded.live_views, \
         recording_views = session_video_stats.recording_views + excluded.recording_views, \
         live_viewers = session_video_stats.live_viewers + excluded.live_viewers, \
         recording_viewers = session_video_stats.recording_viewers + excluded.recording_viewers, \
         unique_live_viewers = session_video_stats.unique_live_viewers + excluded.unique_live_viewers, \
         unique_recording_viewers = \
           session_video_stats.unique_recording_viewers + excluded.unique_recording_viewers, \
         live_seconds = session_video_stats.live_seconds + excluded.live_seconds, \
         recording_seconds = session_video_stats.recording_seconds + excluded.recording_seconds, \
         joins = session_video_stats.joins + excluded.joins, \
         leaves = session_video_stats.leaves + excluded.leaves, \
         check_ins = session_video_stats.check_ins + excluded.check_ins, \
         chat_messages = session_video_stats.chat_messages + excluded.chat_messages, \
         questions = session_video_stats.questions + excluded.questions, \
         poll_votes = session_video_stats.poll_votes + excluded.poll_votes, \
         peak_concurrent_viewers = CASE \
           WHEN excluded.peak_concurrent_viewers > session_video_stats.peak_concurrent_viewers \
           THEN excluded.peak_concurrent_viewers \
           ELSE session_video_stats.peak_concurrent_viewers END, \
         peak_at = CASE \
           WHEN excluded.peak_concurrent_viewers > session_video_stats.peak_concurrent_viewers \
           THEN excluded.peak_at \
           WHEN excluded.peak_concurrent_viewers = session_video_stats.peak_concurrent_viewers \
             AND excluded.peak_at < session_video_stats.peak_at \
           THEN excluded.peak_at \
           ELSE session_video_stats.peak_at END",
    );
    conn.execute_raw(sql.build()).await?;
    Ok(())
}

/// `FROM …` the rows of `table` (as `s`) of the viewers in the list `v`: on PostgreSQL
/// one index probe per viewer (`LATERAL`, whatever the planner thinks of the list),
/// locked with `lock`; on SQLite a `CROSS JOIN`, which keeps to that order (SQLite
/// has one writer at a time, so the transaction holds the database: no row locks).
fn rows_of_viewers(backend: DbBackend, table: &str, lock: bool) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "FROM v CROSS JOIN LATERAL (SELECT * FROM {table} x \
             WHERE x.session_id = v.session_id AND x.user_id = v.user_id{}) s",
            if lock { " FOR UPDATE" } else { "" }
        ),
        _ => format!(
            "FROM v CROSS JOIN {table} s \
             WHERE s.session_id = v.session_id AND s.user_id = v.user_id"
        ),
    }
}

/// The columns of view rows (session, user, recording, span) for [`Sql::push_list`].
pub(super) fn segment_columns(views: &[(i64, i64, bool, Span)]) -> [(&'static str, Column); 5] {
    [
        (
            "session_id",
            Column::Int(views.iter().map(|v| v.0).collect()),
        ),
        ("user_id", Column::Int(views.iter().map(|v| v.1).collect())),
        (
            "recording",
            Column::Bool(views.iter().map(|v| v.2).collect()),
        ),
        (
            "started_at",
            Column::Int(views.iter().map(|v| v.3.start).collect()),
        ),
        (
            "ended_at",
            Column::Int(views.iter().map(|v| v.3.end).collect()),
        ),
    ]
}

/// The columns of `session_video_stats`, in the order every writer lists them.
pub const VIDEO_STATS_COLUMNS: [&str; 17] = [
    "session_id",
    "live_views",
    "recording_views",
    "live_viewers",
    "recording_viewers",
    "unique_live_viewers",
    "unique_recording_viewers",
    "live_seconds",
    "recording_seconds",
    "joins",
    "leaves",
    "check_ins",
    "chat_messages",
    "questions",
    "poll_votes",
    "peak_concurrent_viewers",
    "peak_at",
];

/// Appends `WITH n (…) AS (…) INSERT INTO session_video_stats (…) SELECT … FROM n` for
/// `items` (at least one), to which the caller may add an `ON CONFLICT` clause.
pub(super) fn video_stats_insert<'a>(
    sql: &mut Sql,
    items: impl IntoIterator<Item = (i64, &'a VideoStats)>,
) {
    let mut columns: [Vec<i64>; 17] = Default::default();
    for (session, v) in items {
        let c = v.counts;
        // `peak_at` is NULL while there is no peak: -1 in the list (times are seconds
        // since 1970 of events after their event's creation, never negative).
        let row = [
            session,
            v.live_views,
            v.recording_views,
            v.live_viewers,
            v.recording_viewers,
            v.unique_live_viewers,
            v.unique_recording_viewers,
            v.live_seconds,
            v.recording_seconds,
            c.joins,
            c.leaves,
            c.check_ins,
            c.chat_messages,
            c.questions,
            c.poll_votes,
            v.peak_concurrent_viewers,
            v.peak_at.unwrap_or(-1),
        ];
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
    }
    let list: Vec<(&str, Column)> = VIDEO_STATS_COLUMNS
        .iter()
        .zip(columns)
        .map(|(name, values)| (*name, Column::Int(values)))
        .collect();
    let names = VIDEO_STATS_COLUMNS.join(", ");
    let selected = names.replace("peak_at", "NULLIF(peak_at, -1)");
    sql.push("WITH ").push_list("n", &list).push(&format!(
        " INSERT INTO session_video_stats ({names}) SELECT {selected} FROM n WHERE TRUE"
    ));
}

/// Upserts whole `session_viewer_stats` rows (one statement).
pub(super) async fn write_viewer_figures(
    conn: &impl ConnectionTrait,
    figures: &[(i64, i64, Watching, Watching, bool)],
) -> Result<(), DbErr> {
    if figures.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(conn.get_database_backend());
    sql.push("WITH ")
        .push_list(
            "f",
            &[
                (
                    "session_id",
                    Column::Int(figures.iter().map(|f| f.0).collect()),
                ),
                (
                    "user_id",
                    Column::Int(figures.iter().map(|f| f.1).collect()),
                ),
                (
                    "live",
                    Column::Int(figures.iter().map(|f| f.2.seconds).collect()),
                ),
                (
                    "rec",
                    Column::Int(figures.iter().map(|f| f.3.seconds).collect()),
                ),
                (
                    "attended",
                    Column::Bool(figures.iter().map(|f| f.4).collect()),
                ),
                (
                    "live_views",
                    Column::Int(figures.iter().map(|f| clamp_i32(f.2.views)).collect()),
                ),
                (
                    "rec_views",
                    Column::Int(figures.iter().map(|f| clamp_i32(f.3.views)).collect()),
                ),
            ],
        )
        .push(
            " INSERT INTO session_viewer_stats (session_id, user_id, live_seconds, \
             recording_seconds, attended, live_views, recording_views) \
             SELECT session_id, user_id, live, rec, attended, live_views, rec_views \
             FROM f WHERE TRUE \
             ON CONFLICT (session_id, user_id) DO UPDATE SET \
             live_seconds = excluded.live_seconds, \
             recording_seconds = excluded.recording_seconds, \
             attended = excluded.attended, \
             live_views = excluded.live_views, \
             recording_views = excluded.recording_views",
        );
    conn.execute_raw(sql.build()).await?;
    Ok(())
}

/// Sets the watch time of the viewers' registrations in those sessions to their live
/// plus recording seconds, for viewers with a heartbeat (in `watch` or logged before):
/// until then an imported figure stands. `watch`: (session, user, seconds, heartbeat).
///
/// The registrations are found from the list through the holder's tickets, one index
/// probe each (`LATERAL` on PostgreSQL; on SQLite `CROSS JOIN` keeps to that order and
/// `MATERIALIZED` keeps the list from being folded into the update): any other order
/// reads every registration of the session.
pub(super) async fn set_watch_time(
    conn: &impl ConnectionTrait,
    watch: &[(i64, i64, i64, bool)],
) -> Result<(), DbErr> {
    if watch.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let mut sql = Sql::new(backend);
    sql.push("WITH ").push_list(
        "v",
        &[
            (
                "session_id",
                Column::Int(watch.iter().map(|w| w.0).collect()),
            ),
            ("user_id", Column::Int(watch.iter().map(|w| w.1).collect())),
            ("seconds", Column::Int(watch.iter().map(|w| w.2).collect())),
            (
                "heartbeat",
                Column::Bool(watch.iter().map(|w| w.3).collect()),
            ),
        ],
    );
    let heartbeat = "(v.heartbeat OR EXISTS (SELECT 1 FROM session_activities a \
         WHERE a.session_id = v.session_id AND a.user_id = v.user_id \
           AND a.kind IN ('LIVE_HEARTBEAT', 'RECORDING_HEARTBEAT') \
           AND a.client_event_id IS NOT NULL))";
    sql.push(&match backend {
        DbBackend::Postgres => format!(
            ", w AS MATERIALIZED (SELECT r.id AS id, v.seconds AS seconds \
               FROM v CROSS JOIN LATERAL (SELECT r.id FROM event_tickets t \
                 JOIN session_registrations r \
                   ON r.session_id = v.session_id AND r.event_ticket_id = t.id \
                 WHERE t.holder_user_id = v.user_id AND r.watch_time_seconds <> v.seconds) r \
               WHERE {heartbeat})"
        ),
        _ => format!(
            ", w AS MATERIALIZED (SELECT r.id AS id, v.seconds AS seconds \
               FROM v CROSS JOIN event_tickets t CROSS JOIN session_registrations r \
               WHERE t.holder_user_id = v.user_id AND r.session_id = v.session_id \
                 AND r.event_ticket_id = t.id AND r.watch_time_seconds <> v.seconds \
                 AND {heartbeat})"
        ),
    })
    .push(
        " UPDATE session_registrations SET watch_time_seconds = w.seconds \
         FROM w WHERE session_registrations.id = w.id",
    );
    conn.execute_raw(sql.build()).await?;
    Ok(())
}

/// Marks the registrations of the viewers (session, user) in those sessions attended.
/// Only rows not yet attended are updated: the `session_stats` triggers fire for those
/// alone.
pub(super) async fn mark_attended(
    conn: &impl ConnectionTrait,
    attend: &[(i64, i64)],
) -> Result<(), DbErr> {
    if attend.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let mut sql = Sql::new(backend);
    sql.push("WITH ")
        .push_list(
            "v",
            &[
                (
                    "session_id",
                    Column::Int(attend.iter().map(|a| a.0).collect()),
                ),
                ("user_id", Column::Int(attend.iter().map(|a| a.1).collect())),
            ],
        )
        .push(match backend {
            DbBackend::Postgres => {
                ", w AS MATERIALIZED (SELECT r.id AS id \
                   FROM v CROSS JOIN LATERAL (SELECT r.id FROM event_tickets t \
                     JOIN session_registrations r \
                       ON r.session_id = v.session_id AND r.event_ticket_id = t.id \
                     WHERE t.holder_user_id = v.user_id AND NOT r.attended) r)"
            }
            _ => {
                ", w AS MATERIALIZED (SELECT r.id AS id \
                   FROM v CROSS JOIN event_tickets t CROSS JOIN session_registrations r \
                   WHERE t.holder_user_id = v.user_id AND r.session_id = v.session_id \
                     AND r.event_ticket_id = t.id AND NOT r.attended)"
            }
        })
        .push(
            " UPDATE session_registrations SET attended = TRUE \
             FROM w WHERE session_registrations.id = w.id",
        );
    conn.execute_raw(sql.build()).await?;
    Ok(())
}
