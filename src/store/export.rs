//! Reads of the CSV exports: keyset pages of a session's registrants and of an event's
//! sessions, with the figures each row carries.
//!
//! Each page is its own statements on a connection taken from the pool and given back,
//! never one transaction for the whole download: a client reads at its own pace, and a
//! snapshot held open for it would keep a pooled connection (and, on PostgreSQL, the
//! vacuum horizon; on SQLite, the WAL checkpoint) for as long as it takes. The pages
//! follow a total order instead (registration date then id; start time then id), so a
//! row is written at most once and every row that exists for the whole download is
//! written; a row added or removed while it runs is written or not depending on
//! whether the export has already passed its place, and each page's figures are those
//! of the moment it was read.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr, FromQueryResult};

use super::{
    registrants::{
        self, RegistrantFilter, RegistrantKey, RegistrantOrder, RegistrantPageArgs, RegistrantRow,
    },
    sessions::{self, SessionFilter, SessionKey, SessionOrder, SessionPageArgs},
    sql::Sql,
};
use crate::entity::session;

/// Where a page resumes: the sort key and id of the previous page's last row.
pub type After = Option<(DateTime<Utc>, i64)>;

/// The next `limit` registrants of `session_id` after `after`, by registration date
/// then registration id: the API's default order, through the same statement (one
/// `UNION ALL` branch, served by the `(session_id, registered_at, id)` index).
pub async fn registrant_page(
    db: &DatabaseConnection,
    session_id: i64,
    after: After,
    limit: u64,
) -> Result<Vec<RegistrantRow>, DbErr> {
    let args = RegistrantPageArgs {
        filter: RegistrantFilter::default(),
        order: RegistrantOrder::RegistrationDateAsc,
        after: after.map(|(date, id)| (RegistrantKey::Date(date), id)),
        limit,
    };
    let mut pages = registrants::pages(db, &[session_id], &args).await?;
    Ok(pages.remove(&session_id).unwrap_or_default())
}

/// A viewer's derived watching in one session (`session_viewer_stats`); all zero
/// without a row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct ViewerFigures {
    pub user_id: i64,
    pub live_seconds: i64,
    pub recording_seconds: i64,
    pub live_views: i64,
    pub recording_views: i64,
}

/// The watching of `user_ids` in `session_id`, by user: one statement, a primary-key
/// lookup per user.
pub async fn viewer_figures(
    db: &DatabaseConnection,
    session_id: i64,
    user_ids: &[i64],
) -> Result<HashMap<i64, ViewerFigures>, DbErr> {
    if user_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(db.get_database_backend());
    // The view counts are INTEGER columns: cast, so both backends decode 64-bit values.
    sql.push(
        "SELECT user_id, live_seconds, recording_seconds, \
         CAST(live_views AS BIGINT) AS live_views, \
         CAST(recording_views AS BIGINT) AS recording_views \
         FROM session_viewer_stats WHERE session_id = ",
    )
    .bind(session_id)
    .push(" AND user_id IN ")
    .bind_list(user_ids);
    let rows = ViewerFigures::find_by_statement(sql.build())
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.user_id, r)).collect())
}

/// The next `limit` sessions of `event_id` after `after`, by start time then id (the
/// order of `Event.sessions`).
pub async fn session_page(
    db: &DatabaseConnection,
    event_id: i64,
    after: After,
    limit: u64,
) -> Result<Vec<session::Model>, DbErr> {
    let args = SessionPageArgs {
        filter: SessionFilter::default(),
        order: SessionOrder::DEFAULT,
        after: after.map(|(at, id)| (SessionKey::Time(at), id)),
        limit,
    };
    let mut pages = sessions::pages(db, &[event_id], &args).await?;
    Ok(pages
        .remove(&event_id)
        .unwrap_or_default()
        .into_iter()
        .map(|row| row.session)
        .collect())
}

/// A session's video figures (`session_video_stats`); all zero without a row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct VideoFigures {
    pub session_id: i64,
    pub live_views: i64,
    pub recording_views: i64,
    pub live_viewers: i64,
    pub recording_viewers: i64,
    pub unique_live_viewers: i64,
    pub unique_recording_viewers: i64,
    pub live_seconds: i64,
    pub recording_seconds: i64,
    pub check_ins: i64,
    pub chat_messages: i64,
    pub questions: i64,
    pub poll_votes: i64,
    pub peak_concurrent_viewers: i64,
}

impl VideoFigures {
    /// Live seconds per live viewer (anyone with a live view row); 0 without viewers.
    pub fn average_live_seconds(&self) -> f64 {
        average(self.live_seconds, self.live_viewers)
    }

    /// Recording seconds per recording viewer; 0 without viewers.
    pub fn average_recording_seconds(&self) -> f64 {
        average(self.recording_seconds, self.recording_viewers)
    }

    pub fn total_seconds(&self) -> i64 {
        self.live_seconds.saturating_add(self.recording_seconds)
    }
}

fn average(seconds: i64, viewers: i64) -> f64 {
    if viewers > 0 {
        seconds as f64 / viewers as f64
    } else {
        0.0
    }
}

/// The video figures of `session_ids`, by session: one statement.
pub async fn video_figures(
    db: &DatabaseConnection,
    session_ids: &[i64],
) -> Result<HashMap<i64, VideoFigures>, DbErr> {
    if session_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT session_id, live_views, recording_views, live_viewers, recording_viewers, \
         unique_live_viewers, unique_recording_viewers, live_seconds, recording_seconds, \
         check_ins, chat_messages, questions, poll_votes, peak_concurrent_viewers \
         FROM session_video_stats WHERE session_id IN ",
    )
    .bind_list(session_ids);
    let rows = VideoFigures::find_by_statement(sql.build()).all(db).await?;
    Ok(rows.into_iter().map(|r| (r.session_id, r)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_are_per_viewer_and_zero_without_viewers() {
        let figures = VideoFigures {
            live_seconds: 100,
            live_viewers: 3,
            recording_seconds: 50,
            ..VideoFigures::default()
        };
        assert!((figures.average_live_seconds() - 33.333).abs() < 0.001);
        assert_eq!(figures.average_recording_seconds(), 0.0);
        assert_eq!(figures.total_seconds(), 150);
    }
}
