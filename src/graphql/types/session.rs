//! `Session`: one session with its settings and its expand fields.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};
use chrono::{Duration, Utc};

use super::{
    analytics::{
        AttendanceBucket, MAX_TIMELINE_BUCKETS, TimelineBucket, VideoAnalytics, bucket_count,
        fill_timeline,
    },
    asset::MuxAsset,
    registrant::{RegisteredHolderUser, RegistrantCount, RegistrantOrder},
    speaker::Speaker,
    sponsor::Sponsor,
    stats::SessionStats,
};
use crate::{
    config::Limits,
    entity::{
        enums::{SessionFormat, SessionVisibility, StreamProvider, SubStreamProvider},
        session,
    },
    error::{AppError, AppResult},
    graphql::{
        batch::{Batch, leaf, related},
        input::SearchTerm,
        loaders::{
            AssetsKey, RegistrantPageKey, SpeakersKey, SponsorsKey, StatsKey, TimelineKey,
            VideoStatsKey, ViewerPresenceKey, ViewerTicketsKey,
        },
        pagination::{
            ListKind, Page, connection, connection_cost, cursor_time, decode_cursor, encode_cursor,
            page_size,
        },
        responses::Reads,
        scalars::DateTime,
    },
    store::{
        analytics::TimelineArgs,
        registrants::{RegistrantFilter, RegistrantKey, RegistrantPageArgs},
        sessions::{StatsRow, ViewerTickets},
    },
};

/// Complexity of `attendanceTimeline`: a hundred buckets, more than a session of a few
/// hours has in five-minute buckets. The real bound is `MAX_TIMELINE_BUCKETS` per
/// session; charging it in full would refuse a page of 20 sessions with their
/// timelines under the default complexity limit.
fn timeline_cost(child_complexity: usize) -> usize {
    child_complexity.saturating_mul(100).saturating_add(1)
}

/// How long before its start a session opens for check-in.
const CHECK_IN_OPENS_BEFORE_MINUTES: i64 = 15;

/// The viewer's own state for a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum SessionStatus {
    /// The viewer is registered; check-in is not open.
    Registered,
    /// The viewer is registered and the check-in window is open now.
    CheckInAvailable,
    /// The viewer is in the session's meeting right now.
    InMeeting,
}

/// One session of an event. Only built for viewers who host its event, so every
/// field below is already authorized.
#[derive(Clone)]
pub struct Session {
    /// The session's own row.
    row: Arc<session::Model>,
    /// The sessions of the list this one came in: a relation is loaded for all of them
    /// at once.
    batch: Arc<Batch>,
}

impl Session {
    /// A session of `batch` (the sessions its list returned).
    pub(crate) fn hosted(model: session::Model, batch: Arc<Batch>) -> Self {
        Self {
            row: Arc::new(model),
            batch,
        }
    }

    async fn viewer_tickets(&self, ctx: &Context<'_>) -> AppResult<ViewerTickets> {
        let (tickets, _) = related(ctx, &self.batch, self.row.id, ViewerTicketsKey, leaf).await?;
        Ok(tickets.unwrap_or_default())
    }

    async fn stats_row(&self, ctx: &Context<'_>) -> AppResult<StatsRow> {
        let (row, _) = related(ctx, &self.batch, self.row.id, StatsKey, leaf).await?;
        Ok(row.unwrap_or_default())
    }

    /// True while check-in is open: from shortly before the start until the end, or
    /// until the allowed lateness has passed when the session sets one.
    fn check_in_open(&self, now: chrono::DateTime<Utc>) -> bool {
        let s = &self.row;
        let opens = s.start_time - Duration::minutes(CHECK_IN_OPENS_BEFORE_MINUTES);
        let closes = match s.allowed_minutes_to_join_late {
            Some(late) => (s.start_time + Duration::minutes(i64::from(late))).min(s.end_time),
            None => s.end_time,
        };
        opens <= now && now <= closes
    }
}

/// Cursor of a registrant page: the order, its sort key and the registration id.
#[derive(serde::Serialize, serde::Deserialize)]
struct RegistrantCursor {
    o: RegistrantOrder,
    k: RegistrantKey,
    i: i64,
}

connection!(
    plain RegisteredHolderUserConnection,
    RegisteredHolderUserEdge,
    RegisteredHolderUser,
    RegistrantCount,
    "registered ticket holders"
);

/// One session of an event, with its settings and the analytics the host sees.
#[Object]
impl Session {
    /// Session id.
    async fn id(&self) -> ID {
        self.row.id.into()
    }

    /// Id of the event the session belongs to.
    async fn event_id(&self) -> ID {
        self.row.event_id.into()
    }

    /// Session name.
    async fn title(&self) -> &str {
        &self.row.title
    }

    /// When the session begins.
    async fn start_time(&self) -> DateTime {
        self.row.start_time.into()
    }

    /// When the session ends.
    async fn end_time(&self) -> DateTime {
        self.row.end_time.into()
    }

    /// The platform or room where the session takes place.
    async fn location(&self) -> Option<&str> {
        self.row.location.as_deref()
    }

    /// What the session is about.
    async fn description(&self) -> Option<&str> {
        self.row.description.as_deref()
    }

    /// How many attendees can join.
    async fn capacity(&self) -> Option<i32> {
        self.row.capacity
    }

    /// The viewer's own state for this session; null when the viewer holds no
    /// registration for it. Check-in opens 15 minutes before the start and closes at
    /// the end, or once `allowedMinutesToJoinLate` have passed since the start.
    async fn status(&self, ctx: &Context<'_>) -> Result<Option<SessionStatus>> {
        // Null for a viewer without a ticket (hosts, mostly) whatever the time: that
        // answer can be kept, since tickets and registrations move the session's
        // version. Otherwise check-in opens and closes with the clock, and presence
        // comes from the activity log, which no version covers: never kept.
        if self.viewer_tickets(ctx).await?.held.is_none() {
            return Ok(None);
        }
        if let Some(reads) = ctx.data_opt::<Reads>() {
            reads.clock();
        }
        let (present, _) = related(ctx, &self.batch, self.row.id, ViewerPresenceKey, leaf).await?;
        if present.unwrap_or(false) {
            return Ok(Some(SessionStatus::InMeeting));
        }
        Ok(Some(if self.check_in_open(Utc::now()) {
            SessionStatus::CheckInAvailable
        } else {
            SessionStatus::Registered
        }))
    }

    /// How the session is run.
    async fn format(&self) -> SessionFormat {
        self.row.format
    }

    /// The viewer's ticket registered for this session, if any.
    async fn current_user_registered_event_ticket_id(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<ID>> {
        Ok(self.viewer_tickets(ctx).await?.held.map(ID::from))
    }

    /// A ticket registered for this session that the viewer purchased, if any.
    async fn purchaser_user_registered_event_ticket_id(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<ID>> {
        Ok(self.viewer_tickets(ctx).await?.purchased.map(ID::from))
    }

    /// Video length in seconds; null where the session has no video (workshops, networking).
    async fn duration(&self) -> Option<i32> {
        self.row.duration_seconds
    }

    /// True when attendees cannot see the session.
    async fn hide_session_from_attendees(&self) -> bool {
        self.row.hide_session_from_attendees
    }

    /// True when attendees can ask questions.
    #[graphql(name = "enableQandA")]
    async fn enable_qanda(&self) -> bool {
        self.row.enable_qanda
    }

    /// True when attendees can chat.
    async fn enable_chat(&self) -> bool {
        self.row.enable_chat
    }

    /// True when attendees can answer polls.
    async fn enable_poll(&self) -> bool {
        self.row.enable_poll
    }

    /// Secret key of the live stream.
    async fn stream_key(&self) -> Option<&str> {
        self.row.stream_key.as_deref()
    }

    /// Address of the live stream page.
    async fn stream_url(&self) -> Option<&str> {
        self.row.stream_url.as_deref()
    }

    /// Where the stream comes from.
    async fn stream_provider(&self) -> Option<StreamProvider> {
        self.row.stream_provider
    }

    /// The studio's real-time provider, for sessions run in the studio.
    async fn sub_stream_provider(&self) -> Option<SubStreamProvider> {
        self.row.sub_stream_provider
    }

    /// RTMP ingest URL for streaming software, for RTMP sessions.
    async fn rtmp_url(&self) -> Option<&str> {
        self.row.rtmp_url.as_deref()
    }

    /// True when the session is broadcast from the built-in studio.
    async fn accel_events_studio(&self) -> bool {
        self.row.accel_events_studio
    }

    /// True when the video starts playing by itself.
    async fn direct_video_auto_start(&self) -> bool {
        self.row.direct_video_auto_start
    }

    /// The session's video assets (Mux), oldest first.
    async fn asset_list(&self, ctx: &Context<'_>) -> Result<Vec<MuxAsset>> {
        let (assets, creators) = related(ctx, &self.batch, self.row.id, AssetsKey, |list| {
            list.iter().filter_map(|a| a.created_by_user_id).collect()
        })
        .await?;
        Ok(assets
            .map(|list| {
                list.iter()
                    .map(|a| MuxAsset(a.clone(), creators.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// True when the donation button is shown.
    async fn display_donation(&self) -> bool {
        self.row.display_donation
    }

    /// Zoom meeting password.
    async fn meeting_password(&self) -> Option<&str> {
        self.row.meeting_password.as_deref()
    }

    /// Height of the closed-caption area, in pixels.
    async fn closed_caption_height(&self) -> Option<i32> {
        self.row.closed_caption_height
    }

    /// Address of the live closed-caption feed.
    async fn closed_caption_url(&self) -> Option<&str> {
        self.row.closed_caption_url.as_deref()
    }

    /// True when the session is recorded.
    async fn record_session(&self) -> bool {
        self.row.record_session
    }

    /// True when attendees do not see the video controls.
    async fn hide_video_controls(&self) -> bool {
        self.row.hide_video_controls
    }

    /// Address of the subtitle file of the video.
    async fn sub_title_file_url(&self) -> Option<&str> {
        self.row.sub_title_file_url.as_deref()
    }

    /// Whether the session is public or private.
    async fn session_visibility_type(&self) -> SessionVisibility {
        self.row.visibility
    }

    /// True when the attendee list is shown in the session.
    async fn enable_attendee_list(&self) -> bool {
        self.row.enable_attendee_list
    }

    /// How many minutes after the start attendees may still join.
    async fn allowed_minutes_to_join_late(&self) -> Option<i32> {
        self.row.allowed_minutes_to_join_late
    }

    /// True when attendees' questions are private.
    #[graphql(name = "qandAPrivate")]
    async fn qanda_private(&self) -> bool {
        self.row.qanda_private
    }

    /// expand=stats: registered, interested and attended counts.
    async fn stats(&self, ctx: &Context<'_>) -> Result<SessionStats> {
        Ok(SessionStats(self.stats_row(ctx).await?))
    }

    /// expand=attendeeCount: distinct ticket holders who joined.
    async fn attendee_count(&self, ctx: &Context<'_>) -> Result<i32> {
        Ok(SessionStats(self.stats_row(ctx).await?).attendees())
    }

    /// expand=speaker: the session's speakers in display order.
    async fn speakers(&self, ctx: &Context<'_>) -> Result<Vec<Speaker>> {
        let (rows, speakers) = related(ctx, &self.batch, self.row.id, SpeakersKey, |list| {
            list.iter().map(|s| s.speaker_id).collect()
        })
        .await?;
        Ok(rows
            .map(|list| {
                list.iter()
                    .map(|r| Speaker(Arc::new(r.clone()), speakers.clone()))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The session's sponsors in display order.
    async fn sponsors(&self, ctx: &Context<'_>) -> Result<Vec<Sponsor>> {
        let (rows, _) = related(ctx, &self.batch, self.row.id, SponsorsKey, leaf).await?;
        Ok(rows
            .map(|list| list.iter().cloned().map(Sponsor).collect())
            .unwrap_or_default())
    }

    /// expand=registerdHolderUsers: ticket holders who registered for or bookmarked
    /// the session, a page at a time (keyset pagination: pass `endCursor` as `after`).
    #[graphql(complexity = "connection_cost(first, 50, child_complexity)")]
    async fn registered_holder_users(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page size, from 0 to the server's limit (500 unless configured).",
            default_with = "Some(50)"
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Only holders who joined (true) or did not (false).")] attended: Option<
            bool,
        >,
        #[graphql(desc = "Case-insensitive match on first name, last name or email.")]
        search: Option<String>,
        #[graphql(
            desc = "Sort order.",
            default_with = "Some(RegistrantOrder::RegistrationDateAsc)"
        )]
        order_by: Option<RegistrantOrder>,
    ) -> Result<RegisteredHolderUserConnection> {
        let size = page_size(ctx, first.unwrap_or(50), ListKind::Registrants)?;
        let order_by = order_by.unwrap_or(RegistrantOrder::RegistrationDateAsc);
        let order = order_by.into();
        let after_key = match &after {
            Some(cursor) => {
                let cursor: RegistrantCursor = decode_cursor(cursor)?;
                if cursor.o != order_by || !cursor.k.fits(order) {
                    return Err(AppError::bad_request(
                        "`after` comes from a list in another order; use the same `orderBy`",
                    )
                    .into());
                }
                if let RegistrantKey::Date(t) = cursor.k {
                    cursor_time(t)?;
                }
                Some((cursor.k, cursor.i))
            }
            None => None,
        };
        let limits = ctx.data::<Limits>().map_err(|_| AppError::Internal)?;
        let filter = RegistrantFilter {
            attended,
            search: SearchTerm::parse(search, limits)?.map(SearchTerm::into_string),
        };
        let args = RegistrantPageArgs {
            filter: filter.clone(),
            order,
            after: after_key,
            limit: size as u64 + 1,
        };
        let key = |session_id| RegistrantPageKey {
            session_id,
            args: args.clone(),
        };
        let (rows, _) = related(ctx, &self.batch, self.row.id, key, leaf).await?;
        let rows = rows.unwrap_or_default();
        let duration = self.row.duration_seconds;
        let page = Page::from_rows(
            rows.iter().cloned().collect(),
            size,
            after.is_some(),
            |row| (row.key(order), row.registration_id),
            move |(key, id)| {
                encode_cursor(&RegistrantCursor {
                    o: order_by,
                    k: key.clone(),
                    i: *id,
                })
            },
            |row| RegisteredHolderUser::new(row, duration),
        );
        Ok(RegisteredHolderUserConnection {
            page,
            count: RegistrantCount {
                session_id: self.row.id,
                filter,
                batch: self.batch.clone(),
            },
        })
    }

    /// Video analytics of the session, derived from its attendees' activity: views by
    /// the 30-second rule, viewers, watch time, interactions and the live peak (see
    /// `VideoAnalytics`). All zero before any activity. Loaded for every session of a
    /// list in one statement.
    async fn video_analytics(&self, ctx: &Context<'_>) -> Result<VideoAnalytics> {
        let (row, _) = related(ctx, &self.batch, self.row.id, VideoStatsKey, leaf).await?;
        Ok(VideoAnalytics(row.unwrap_or_default()))
    }

    /// Attendance over time: every bucket from the session's start to its end (the
    /// last one ends with the session; a session that ends when it starts has none),
    /// with the peak of concurrent live and recording viewers in it and its joins and
    /// leaves; a bucket without activity is all zeros. At most 1,440 buckets (a day by
    /// the minute, five days by five minutes, fifteen days by fifteen minutes): a
    /// longer session is refused with `TIMELINE_TOO_LONG` (`extensions.buckets` and
    /// `maxBuckets` say by how much), and a longer `bucket` answers. One statement for
    /// every session of a list, reading the session's 10-second slots, not its raw
    /// activity. Counts as 100 buckets towards the query complexity.
    #[graphql(complexity = "timeline_cost(child_complexity)")]
    async fn attendance_timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Length of each bucket.",
            default_with = "Some(TimelineBucket::FiveMinutes)"
        )]
        bucket: Option<TimelineBucket>,
    ) -> Result<Vec<AttendanceBucket>> {
        let bucket = bucket.unwrap_or(TimelineBucket::FiveMinutes);
        let start = self.row.start_time;
        let buckets = bucket_count(start.timestamp(), self.row.end_time.timestamp(), bucket)?;
        let args = TimelineArgs {
            bucket_seconds: bucket.seconds(),
            max_buckets: MAX_TIMELINE_BUCKETS,
        };
        let key = |session_id| TimelineKey { session_id, args };
        let (rows, _) = related(ctx, &self.batch, self.row.id, key, leaf).await?;
        Ok(fill_timeline(
            start,
            bucket,
            buckets,
            rows.as_deref().map(Vec::as_slice).unwrap_or_default(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{store::registrants::RegistrantOrder as StoreOrder, transfer::format::SHORT};

    /// `MAX_STRING_CHARS` must let every cursor the server makes come back as `after`.
    /// The longest is a registrant cursor ordered by last name: it carries the name,
    /// which `import` accepts up to `SHORT` characters, each at worst a control
    /// character JSON writes as `\u0001` (six bytes) before base64 adds a third.
    #[test]
    fn the_longest_registrant_cursor_fits_the_default_string_limit() {
        let key = RegistrantKey::Name("\u{1}".repeat(SHORT));
        assert!(key.fits(StoreOrder::LastNameAsc));
        let cursor = encode_cursor(&RegistrantCursor {
            o: RegistrantOrder::LastNameAsc,
            k: key,
            i: i64::MAX,
        });
        let limit = crate::config::Limits::default().max_string_chars as usize;
        assert!(
            cursor.chars().count() <= limit,
            "a cursor of {} characters; MAX_STRING_CHARS defaults to {limit}",
            cursor.chars().count()
        );
    }
}
