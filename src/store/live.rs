//! The one read behind live subscriptions: a page of sessions' current figures, with the cache generation.

use std::collections::HashMap;

use migration::activity::HEARTBEAT_SECONDS;
use sea_orm::{DatabaseConnection, DbErr, FromQueryResult};

use super::{
    analytics::{VIDEO_COLUMNS, VideoStatsRow},
    sessions::StatsRow,
    sql::Sql,
};

/// How far back "live" looks: a player reports at least once a minute, so a viewer who
/// is still watching has touched one of the slots of the last 60 seconds.
pub const LIVE_WINDOW_SECONDS: i64 = 60;

/// A session's live figures as one row: its counters (`session_stats`,
/// `session_video_stats`, read into the rows the API already answers from), two sums
/// over the last minute of its timeline, and the cache generation read in the same
/// statement (see [`figures`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct LiveRow {
    #[sea_orm(nested)]
    pub stats: StatsRow,
    #[sea_orm(nested)]
    pub video: VideoStatsRow,
    /// The most live viewers in one 10-second slot of the last minute.
    pub concurrent_viewers: i64,
    /// `JOIN` events in the slots of the last minute.
    pub joins_last_minute: i64,
    /// `cache_generation` when the row was read: it moves on every change of users
    /// and host assignments, which is when a subscriber's rights are checked again.
    pub generation: i64,
}

/// Sessions per statement: SQLite binds at most 32,766 parameters, and a page this
/// size keeps each statement short.
const SESSIONS_PER_STATEMENT: usize = 500;

/// The live figures of each of `session_ids` that exists, as of `now` (unix seconds):
/// one statement per 500 sessions, by primary key, whatever the subscribers or the
/// activity behind them. A session that is not in the answer was deleted.
pub async fn figures(
    db: &DatabaseConnection,
    session_ids: &[i64],
    now: i64,
) -> Result<HashMap<i64, LiveRow>, DbErr> {
    let slot = now.div_euclid(HEARTBEAT_SECONDS);
    let first = (now - LIVE_WINDOW_SECONDS).div_euclid(HEARTBEAT_SECONDS);
    let mut found = HashMap::with_capacity(session_ids.len());
    for chunk in session_ids.chunks(SESSIONS_PER_STATEMENT) {
        let mut sql = Sql::new(db.get_database_backend());
        sql.push(
            "SELECT s.id AS session_id, COALESCE(st.registered, 0) AS registered, \
             COALESCE(st.interested, 0) AS interested, COALESCE(st.attended, 0) AS attended, \
             COALESCE(st.attendees, 0) AS attendees",
        );
        for column in VIDEO_COLUMNS.split(", ").map(str::trim) {
            match column {
                "session_id" => {}
                "peak_at" => {
                    sql.push(", v.peak_at AS peak_at");
                }
                _ => {
                    sql.push(&format!(", COALESCE(v.{column}, 0) AS {column}"));
                }
            }
        }
        sql.push(
            ", CAST(COALESCE((SELECT MAX(t.live_viewers) FROM session_timeline t \
             WHERE t.session_id = s.id AND t.slot >= ",
        )
        .bind(first)
        .push(" AND t.slot <= ")
        .bind(slot)
        .push(
            "), 0) AS BIGINT) AS concurrent_viewers, \
             CAST(COALESCE((SELECT SUM(t.joins) FROM session_timeline t \
             WHERE t.session_id = s.id AND t.slot >= ",
        )
        .bind(first)
        .push(" AND t.slot <= ")
        .bind(slot)
        .push(
            "), 0) AS BIGINT) AS joins_last_minute, \
             (SELECT g.generation FROM cache_generation g WHERE g.id = 1) AS generation \
             FROM sessions s \
             LEFT JOIN session_stats st ON st.session_id = s.id \
             LEFT JOIN session_video_stats v ON v.session_id = s.id WHERE ",
        )
        .push_in("s.id", chunk);
        for row in LiveRow::find_by_statement(sql.build()).all(db).await? {
            found.insert(row.stats.session_id, row);
        }
    }
    Ok(found)
}
