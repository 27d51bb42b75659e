//! `Event` and its sessions table, plus the connection types of both.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};
use chrono::Utc;

use crate::graphql::scalars::DateTime;

type UtcTime = chrono::DateTime<Utc>;

use super::{
    analytics::{EventAnalytics, SessionCursor, SessionOrder},
    session::Session,
};
use crate::{
    config::Limits,
    entity::{enums::SessionFormat, event},
    error::{AppError, AppResult},
    graphql::{
        batch::{Batch, leaf, related},
        context::{db, request},
        input::SearchTerm,
        loaders::{EventTotalsKey, SessionCountKey, SessionPageKey},
        pagination::{
            ListKind, Page, TotalCount, connection, connection_cost, cursor_time, decode_cursor,
            encode_cursor, page_size,
        },
    },
    store::{
        self,
        sessions::{SessionFilter, SessionPageArgs},
    },
};

/// Cursor of time-ordered lists (sessions, events): the start time and the id.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct TimeCursor {
    t: UtcTime,
    i: i64,
}

impl TimeCursor {
    pub(crate) fn encode(t: UtcTime, i: i64) -> String {
        encode_cursor(&Self { t, i })
    }

    pub(crate) fn decode(after: Option<&str>) -> AppResult<Option<(UtcTime, i64)>> {
        after
            .map(|c| {
                let c = decode_cursor::<Self>(c)?;
                Ok((cursor_time(c.t)?, c.i))
            })
            .transpose()
    }
}

/// An event the viewer hosts. Only built after the host check.
#[derive(Clone)]
pub struct Event(pub(crate) Arc<event::Model>, pub(crate) Arc<Batch>);

impl Event {
    /// An event of `batch` (the events its list returned).
    pub(crate) fn hosted(model: event::Model, batch: Arc<Batch>) -> Self {
        Self(Arc::new(model), batch)
    }
}

connection!(
    SessionConnection,
    SessionEdge,
    Session,
    SessionCount,
    "sessions"
);
connection!(EventConnection, EventEdge, Event, EventCount, "events");

/// Counts an event's sessions on demand, for all sibling events at once.
pub struct SessionCount {
    event_id: i64,
    filter: SessionFilter,
    batch: Arc<Batch>,
}

impl TotalCount for SessionCount {
    async fn total(&self, ctx: &Context<'_>) -> AppResult<i64> {
        let key = |event_id| SessionCountKey {
            event_id,
            args: self.filter.clone(),
        };
        let (count, _) = related(ctx, &self.batch, self.event_id, key, leaf).await?;
        Ok(count.unwrap_or(0))
    }
}

/// Counts the viewer's hosted events on demand.
pub struct EventCount;

impl TotalCount for EventCount {
    async fn total(&self, ctx: &Context<'_>) -> AppResult<i64> {
        let access = request(ctx)?.admin().await?;
        let total = store::events::hosted_count(db(ctx)?, &access).await?;
        Ok(i64::try_from(total).unwrap_or(i64::MAX))
    }
}

/// An event the viewer hosts.
#[Object]
impl Event {
    /// Event id.
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    /// Event name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The organizer running the event.
    async fn organizer_id(&self) -> ID {
        self.0.organizer_id.into()
    }

    /// When the event begins.
    async fn start_time(&self) -> DateTime {
        self.0.start_time.into()
    }

    /// When the event ends.
    async fn end_time(&self) -> DateTime {
        self.0.end_time.into()
    }

    /// Totals over all the event's sessions (registrations, attendees, views, watch time,
    /// interactions): one aggregate statement for every event of a list.
    async fn analytics(&self, ctx: &Context<'_>) -> Result<EventAnalytics> {
        let (row, _) = related(ctx, &self.1, self.0.id, EventTotalsKey, leaf).await?;
        Ok(EventAnalytics(row.unwrap_or_default()))
    }

    /// The Analytics -> Sessions table: the event's sessions, ordered by `orderBy` (start
    /// time unless asked otherwise). Each row's figures (`stats`, `attendeeCount`,
    /// `duration`, `videoAnalytics`) load for the whole page at once.
    #[graphql(complexity = "connection_cost(first, 20, child_complexity)")]
    async fn sessions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page size, from 0 to the server's limit (100 unless configured).",
            default_with = "Some(20)"
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Case-insensitive match on the title.")] search: Option<String>,
        #[graphql(desc = "Only sessions of this format.")] format: Option<SessionFormat>,
        #[graphql(
            desc = "Sort order; ties are broken by session id. A cursor only continues a list in its own order.",
            default_with = "Some(SessionOrder::StartTimeAsc)"
        )]
        order_by: Option<SessionOrder>,
    ) -> Result<SessionConnection> {
        let size = page_size(ctx, first.unwrap_or(20), ListKind::Plain)?;
        let limits = ctx.data::<Limits>().map_err(|_| AppError::Internal)?;
        let filter = SessionFilter {
            search: SearchTerm::parse(search, limits)?.map(SearchTerm::into_string),
            format,
        };
        let order_by = order_by.unwrap_or(SessionOrder::StartTimeAsc);
        let args = SessionPageArgs {
            filter: filter.clone(),
            order: order_by.into(),
            after: SessionCursor::decode(after.as_deref(), order_by)?,
            limit: size as u64 + 1,
        };
        let key = |event_id| SessionPageKey {
            event_id,
            args: args.clone(),
        };
        let (rows, sessions) = related(ctx, &self.1, self.0.id, key, |rows| {
            rows.iter().take(size).map(|r| r.session.id).collect()
        })
        .await?;
        let rows = rows.unwrap_or_default();
        let page = Page::from_rows(
            rows.iter().cloned().collect(),
            size,
            after.is_some(),
            |r| (r.key.clone(), r.session.id),
            move |(key, id)| SessionCursor::encode(order_by, key, *id),
            |r| Session::hosted(r.session, sessions.clone()),
        );
        Ok(SessionConnection {
            page,
            count: SessionCount {
                event_id: self.0.id,
                filter,
                batch: self.1.clone(),
            },
        })
    }
}
