//! Figures derived from attendee activity: `VideoAnalytics`, the attendance timeline, `EventAnalytics` and the sessions table's orders.

use async_graphql::{Enum, Object};
use chrono::Utc;

use crate::{
    error::{AppError, AppResult},
    graphql::{
        pagination::{cursor_time, decode_cursor, encode_cursor},
        scalars::DateTime,
    },
    store::{
        analytics::{EventTotalsRow, TimelineRow, VideoStatsRow},
        sessions::{SessionKey, SessionOrder as StoreOrder, SessionSort},
    },
};

/// Counts are `Int` (32 bits) like every count of the API, held at 2,147,483,647 in
/// the unreachable case of more.
fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Sums of seconds are `Float`: a session's viewers together pass `Int`'s 68 years
/// (2^31 seconds) at about 100,000 viewers of six hours. A `Float` holds every whole
/// number up to 2^53 exactly.
fn seconds(n: i64) -> f64 {
    n as f64
}

/// Seconds per viewer, rounded down; 0 without viewers.
fn average(seconds: i64, viewers: i64) -> i32 {
    if viewers > 0 {
        count(seconds / viewers)
    } else {
        0
    }
}

/// A session's video figures (`Session.videoAnalytics`), as derived by the ingestion.
pub struct VideoAnalytics(pub VideoStatsRow);

/// A session's video analytics, derived from its attendees' activity. A heartbeat at
/// `t` covers `[t - 10, t]`, a `JOIN` or `LEAVE` the instant `t`; a viewer's covered
/// intervals in one mode (live or recording) form one view while the gaps between them
/// are at most 60 seconds, and a view's watch time is its span. A view counts when it
/// lasts at least 30 seconds, or the whole video when the video is shorter.
#[Object]
impl VideoAnalytics {
    /// Live views that count: views of at least 30 seconds (or of the whole video when
    /// it is shorter), a viewer's watching split into views by gaps over 60 seconds.
    async fn live_views(&self) -> i32 {
        count(self.0.live_views)
    }

    /// Recording (on-demand) views that count, by the same rules as `liveViews`.
    async fn recording_views(&self) -> i32 {
        count(self.0.recording_views)
    }

    /// Viewers who watched live at all, however briefly: the divisor of
    /// `averageLiveWatchSeconds`.
    async fn live_viewers(&self) -> i32 {
        count(self.0.live_viewers)
    }

    /// Viewers who watched the recording at all, however briefly: the divisor of
    /// `averageRecordingWatchSeconds`.
    async fn recording_viewers(&self) -> i32 {
        count(self.0.recording_viewers)
    }

    /// Distinct viewers with at least one live view that counts.
    async fn unique_live_viewers(&self) -> i32 {
        count(self.0.unique_live_viewers)
    }

    /// Distinct viewers with at least one recording view that counts.
    async fn unique_recording_viewers(&self) -> i32 {
        count(self.0.unique_recording_viewers)
    }

    /// Seconds watched live by all viewers together: the sum of their live views' spans,
    /// short views included. A Float because the sum can pass Int's 32 bits; always a
    /// whole number.
    async fn live_watch_seconds(&self) -> f64 {
        seconds(self.0.live_seconds)
    }

    /// Seconds of the recording watched by all viewers together, as `liveWatchSeconds`.
    async fn recording_watch_seconds(&self) -> f64 {
        seconds(self.0.recording_seconds)
    }

    /// `liveWatchSeconds` plus `recordingWatchSeconds`. A Float because the sum can pass
    /// Int's 32 bits; always a whole number.
    async fn total_watch_seconds(&self) -> f64 {
        seconds(self.0.live_seconds.saturating_add(self.0.recording_seconds))
    }

    /// `liveWatchSeconds` per live viewer (`liveViewers`), in whole seconds rounded
    /// down; 0 without live viewers. The sessions table's "average attended duration".
    async fn average_live_watch_seconds(&self) -> i32 {
        average(self.0.live_seconds, self.0.live_viewers)
    }

    /// `recordingWatchSeconds` per recording viewer (`recordingViewers`), in whole
    /// seconds rounded down; 0 without recording viewers.
    async fn average_recording_watch_seconds(&self) -> i32 {
        average(self.0.recording_seconds, self.0.recording_viewers)
    }

    /// Chat messages sent (counted only: no text is stored).
    async fn chat_messages(&self) -> i32 {
        count(self.0.chat_messages)
    }

    /// Questions asked.
    async fn questions(&self) -> i32 {
        count(self.0.questions)
    }

    /// Poll votes cast.
    async fn poll_votes(&self) -> i32 {
        count(self.0.poll_votes)
    }

    /// In-person check-ins.
    async fn check_ins(&self) -> i32 {
        count(self.0.check_ins)
    }

    /// `JOIN` events: viewers entering the live session (every entry counts).
    async fn joins(&self) -> i32 {
        count(self.0.joins)
    }

    /// `LEAVE` events: viewers leaving the live session.
    async fn leaves(&self) -> i32 {
        count(self.0.leaves)
    }

    /// The most viewers watching live at the same time, counted per 10-second slot (a
    /// viewer is in every slot their live views touch); 0 without live viewers.
    async fn peak_concurrent_viewers(&self) -> i32 {
        count(self.0.peak_concurrent_viewers)
    }

    /// Start of the first 10-second slot that reached `peakConcurrentViewers`; null
    /// when nobody watched live.
    async fn peak_concurrent_at(&self) -> Option<DateTime> {
        if self.0.peak_concurrent_viewers == 0 {
            return None;
        }
        self.0
            .peak_at
            .and_then(|t| chrono::DateTime::<Utc>::from_timestamp(t, 0))
            .map(DateTime)
    }
}

/// The length of the buckets of `Session.attendanceTimeline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum TimelineBucket {
    /// One minute.
    Minute,
    /// Five minutes.
    FiveMinutes,
    /// Fifteen minutes.
    FifteenMinutes,
}

impl TimelineBucket {
    pub fn seconds(self) -> i64 {
        match self {
            Self::Minute => 60,
            Self::FiveMinutes => 300,
            Self::FifteenMinutes => 900,
        }
    }
}

/// The most buckets one `attendanceTimeline` returns: a day by the minute, five days by
/// five minutes, fifteen days by fifteen minutes.
pub const MAX_TIMELINE_BUCKETS: i64 = 1_440;

/// The buckets from `start` to `end` (unix seconds), refused with `TIMELINE_TOO_LONG`
/// beyond [`MAX_TIMELINE_BUCKETS`]. A session that ends when it starts has none.
pub fn bucket_count(start: i64, end: i64, bucket: TimelineBucket) -> AppResult<i64> {
    let size = bucket.seconds();
    let buckets = if end > start {
        (end - start + size - 1) / size
    } else {
        0
    };
    if buckets > MAX_TIMELINE_BUCKETS {
        return Err(AppError::TimelineTooLong {
            buckets,
            max: MAX_TIMELINE_BUCKETS,
        });
    }
    Ok(buckets)
}

/// Every bucket from `start` (`buckets` of them), the non-empty ones from `rows`
/// (ordered by bucket), the others zero.
pub fn fill_timeline(
    start: chrono::DateTime<Utc>,
    bucket: TimelineBucket,
    buckets: i64,
    rows: &[TimelineRow],
) -> Vec<AttendanceBucket> {
    let mut rows = rows.iter().peekable();
    (0..buckets)
        .map(|i| {
            // Rows before bucket `i` cannot exist (they are ordered and start at 0);
            // skipping them keeps a forged or stray row from shifting the others.
            while rows.next_if(|r| r.bucket < i).is_some() {}
            let row = rows.next_if(|r| r.bucket == i).copied().unwrap_or_default();
            AttendanceBucket {
                start: start + chrono::Duration::seconds(i * bucket.seconds()),
                row,
            }
        })
        .collect()
}

/// One bucket of a session's attendance timeline.
pub struct AttendanceBucket {
    start: chrono::DateTime<Utc>,
    row: TimelineRow,
}

/// One bucket of a session's attendance timeline.
#[Object]
impl AttendanceBucket {
    /// When the bucket begins: the session's start plus a whole number of buckets.
    async fn start_time(&self) -> DateTime {
        self.start.into()
    }

    /// The most viewers watching live at the same time within the bucket (its highest
    /// 10-second slot).
    async fn peak_live_viewers(&self) -> i32 {
        count(self.row.live_viewers)
    }

    /// The most viewers watching the recording at the same time within the bucket.
    async fn peak_recording_viewers(&self) -> i32 {
        count(self.row.recording_viewers)
    }

    /// `JOIN` events within the bucket.
    async fn joins(&self) -> i32 {
        count(self.row.joins)
    }

    /// `LEAVE` events within the bucket.
    async fn leaves(&self) -> i32 {
        count(self.row.leaves)
    }
}

/// An event's totals over all its sessions (sums of the sessions' figures).
pub struct EventAnalytics(pub EventTotalsRow);

/// An event's totals over all its sessions.
#[Object]
impl EventAnalytics {
    /// The event's sessions.
    async fn session_count(&self) -> i32 {
        count(self.0.sessions)
    }

    /// Registrations over all sessions (a holder registered for two sessions counts twice).
    async fn registered_count(&self) -> i32 {
        count(self.0.registered)
    }

    /// Attendees over all sessions (a holder who joined two sessions counts twice).
    async fn attendee_count(&self) -> i32 {
        count(self.0.attendees)
    }

    /// Live views that count, over all sessions (see `VideoAnalytics.liveViews`).
    async fn live_views(&self) -> i32 {
        count(self.0.live_views)
    }

    /// Recording views that count, over all sessions.
    async fn recording_views(&self) -> i32 {
        count(self.0.recording_views)
    }

    /// Seconds watched live over all sessions. A Float because the sum can pass Int's
    /// 32 bits; always a whole number.
    async fn live_watch_seconds(&self) -> f64 {
        seconds(self.0.live_seconds)
    }

    /// Seconds of recordings watched over all sessions; a whole number.
    async fn recording_watch_seconds(&self) -> f64 {
        seconds(self.0.recording_seconds)
    }

    /// `liveWatchSeconds` plus `recordingWatchSeconds`; a whole number.
    async fn total_watch_seconds(&self) -> f64 {
        seconds(self.0.live_seconds.saturating_add(self.0.recording_seconds))
    }

    /// Chat messages over all sessions.
    async fn chat_messages(&self) -> i32 {
        count(self.0.chat_messages)
    }

    /// Questions over all sessions.
    async fn questions(&self) -> i32 {
        count(self.0.questions)
    }

    /// Poll votes over all sessions.
    async fn poll_votes(&self) -> i32 {
        count(self.0.poll_votes)
    }

    /// In-person check-ins over all sessions.
    async fn check_ins(&self) -> i32 {
        count(self.0.check_ins)
    }
}

/// Orders of an event's sessions table. Ties are broken by session id, ascending, so
/// every order is total and pages neither repeat nor skip a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum, serde::Serialize, serde::Deserialize)]
pub enum SessionOrder {
    /// Earliest start first (the default).
    StartTimeAsc,
    /// Latest start first.
    StartTimeDesc,
    /// By title, A to Z, ignoring case (PostgreSQL folds every letter its character
    /// type knows; SQLite folds ASCII letters).
    TitleAsc,
    /// By title, Z to A, ignoring case.
    TitleDesc,
    /// Fewest registrations first (`stats.registeredCount`).
    RegisteredCountAsc,
    /// Most registrations first.
    RegisteredCountDesc,
    /// Fewest attendees first (`attendeeCount`).
    AttendeeCountAsc,
    /// Most attendees first.
    AttendeeCountDesc,
    /// Shortest video first (`duration`); sessions without a video come before all others.
    DurationAsc,
    /// Longest video first; sessions without a video come last.
    DurationDesc,
    /// Lowest `videoAnalytics.averageLiveWatchSeconds` first.
    AverageLiveWatchSecondsAsc,
    /// Highest `videoAnalytics.averageLiveWatchSeconds` first.
    AverageLiveWatchSecondsDesc,
    /// Fewest `videoAnalytics.liveViews` first.
    LiveViewsAsc,
    /// Most `videoAnalytics.liveViews` first.
    LiveViewsDesc,
    /// Fewest `videoAnalytics.recordingViews` first.
    RecordingViewsAsc,
    /// Most `videoAnalytics.recordingViews` first.
    RecordingViewsDesc,
}

impl From<SessionOrder> for StoreOrder {
    fn from(order: SessionOrder) -> Self {
        use SessionOrder::*;
        let (sort, descending) = match order {
            StartTimeAsc => (SessionSort::StartTime, false),
            StartTimeDesc => (SessionSort::StartTime, true),
            TitleAsc => (SessionSort::Title, false),
            TitleDesc => (SessionSort::Title, true),
            RegisteredCountAsc => (SessionSort::Registered, false),
            RegisteredCountDesc => (SessionSort::Registered, true),
            AttendeeCountAsc => (SessionSort::Attendees, false),
            AttendeeCountDesc => (SessionSort::Attendees, true),
            DurationAsc => (SessionSort::Duration, false),
            DurationDesc => (SessionSort::Duration, true),
            AverageLiveWatchSecondsAsc => (SessionSort::AverageLiveWatch, false),
            AverageLiveWatchSecondsDesc => (SessionSort::AverageLiveWatch, true),
            LiveViewsAsc => (SessionSort::LiveViews, false),
            LiveViewsDesc => (SessionSort::LiveViews, true),
            RecordingViewsAsc => (SessionSort::RecordingViews, false),
            RecordingViewsDesc => (SessionSort::RecordingViews, true),
        };
        Self { sort, descending }
    }
}

/// Cursor of a sessions page. In the default order it is `{t, i}` (start time and id),
/// exactly the cursor the table had before it could be ordered, so cursors clients
/// hold keep working; other orders write `{o, k, i}` (order, sort key, id).
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct SessionCursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    o: Option<SessionOrder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<chrono::DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k: Option<SessionKey>,
    i: i64,
}

impl SessionCursor {
    pub(crate) fn encode(order: SessionOrder, key: &SessionKey, id: i64) -> String {
        let cursor = match (order, key) {
            (SessionOrder::StartTimeAsc, SessionKey::Time(t)) => Self {
                o: None,
                t: Some(*t),
                k: None,
                i: id,
            },
            _ => Self {
                o: Some(order),
                t: None,
                k: Some(key.clone()),
                i: id,
            },
        };
        encode_cursor(&cursor)
    }

    /// The keyset position `after` names, refused when it is not a cursor of a list in
    /// `order`.
    pub(crate) fn decode(
        after: Option<&str>,
        order: SessionOrder,
    ) -> AppResult<Option<(SessionKey, i64)>> {
        let Some(after) = after else {
            return Ok(None);
        };
        let cursor: Self = decode_cursor(after)?;
        if cursor.o.unwrap_or(SessionOrder::StartTimeAsc) != order {
            return Err(AppError::bad_request(
                "`after` comes from a list in another order; use the same `orderBy`",
            ));
        }
        let key = match (cursor.t, cursor.k) {
            (Some(t), None) if cursor.o.is_none() => SessionKey::Time(t),
            (None, Some(key)) if cursor.o.is_some() => key,
            _ => return Err(not_a_cursor()),
        };
        if !key.fits(StoreOrder::from(order).sort) {
            return Err(not_a_cursor());
        }
        if let SessionKey::Time(t) = key {
            cursor_time(t)?;
        }
        Ok(Some((key, cursor.i)))
    }
}

fn not_a_cursor() -> AppError {
    AppError::bad_request("`after` is not a cursor from this list; pass an `endCursor`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graphql::types::event::TimeCursor;

    #[test]
    fn default_order_cursors_are_the_cursors_the_table_always_had() {
        let t = chrono::DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let ours = SessionCursor::encode(SessionOrder::StartTimeAsc, &SessionKey::Time(t), 42);
        assert_eq!(ours, TimeCursor::encode(t, 42));
        assert_eq!(
            SessionCursor::decode(Some(&ours), SessionOrder::StartTimeAsc),
            Ok(Some((SessionKey::Time(t), 42)))
        );
    }

    #[test]
    fn a_cursor_of_another_order_or_kind_is_refused() {
        let views = SessionCursor::encode(SessionOrder::LiveViewsDesc, &SessionKey::Number(7), 1);
        assert_eq!(
            SessionCursor::decode(Some(&views), SessionOrder::LiveViewsDesc),
            Ok(Some((SessionKey::Number(7), 1)))
        );
        for order in [SessionOrder::LiveViewsAsc, SessionOrder::StartTimeAsc] {
            assert!(SessionCursor::decode(Some(&views), order).is_err());
        }
        let forged = SessionCursor::encode(
            SessionOrder::TitleAsc,
            &SessionKey::Number(7), // a title order with a number key
            1,
        );
        assert!(SessionCursor::decode(Some(&forged), SessionOrder::TitleAsc).is_err());
    }

    #[test]
    fn a_session_is_cut_into_whole_buckets_up_to_the_limit() {
        let hour = 3_600;
        assert_eq!(bucket_count(0, hour, TimelineBucket::FiveMinutes), Ok(12));
        assert_eq!(
            bucket_count(0, hour + 1, TimelineBucket::FiveMinutes),
            Ok(13)
        );
        assert_eq!(bucket_count(0, 0, TimelineBucket::Minute), Ok(0));
        assert_eq!(
            bucket_count(0, 24 * hour, TimelineBucket::Minute),
            Ok(1_440)
        );
        assert_eq!(
            bucket_count(0, 24 * hour + 1, TimelineBucket::Minute),
            Err(AppError::TimelineTooLong {
                buckets: 1_441,
                max: 1_440
            })
        );
    }
}
