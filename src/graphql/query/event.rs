//! `event(id)` and `events`: the events the viewer hosts.

use async_graphql::{Context, ID, Object, Result};

use super::viewer_and_id;
use crate::{
    error::AppError,
    graphql::{
        batch::Batch,
        context::{db, request},
        guard::HostRoleGuard,
        pagination::{ListKind, Page, connection_cost, page_size},
        responses::Reads,
        types::event::{Event, EventConnection, EventCount, TimeCursor},
    },
    store,
};

#[derive(Default)]
pub struct EventQuery;

#[Object]
impl EventQuery {
    /// One event the viewer hosts.
    // No role guard, as for `session(id)`: the role is checked on the viewer read with
    // the event.
    async fn event(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Event id.")] id: ID,
    ) -> Result<Option<Event>> {
        let request = request(ctx)?;
        let (user_id, id) = viewer_and_id(request, &id, "an event").await?;
        // One statement: the event and the viewer's rights.
        let found = store::events::find_for_viewer(db(ctx)?, id, user_id)
            .await
            .map_err(AppError::from)?;
        let Some((event, viewer)) = found else {
            return Err(request.role_first(AppError::EventNotFound).await.into());
        };
        request.prime(viewer);
        request.host_of(&event).await?;
        // Everything under the event (its sessions, their figures) is covered by the
        // event's version: the sum of its sessions' (`store::versions`).
        if let Some(reads) = ctx.data_opt::<Reads>() {
            reads.event(id);
        }
        Ok(Some(Event::hosted(event, Batch::single(id))))
    }

    /// The events the viewer may host, newest first.
    #[graphql(
        guard = "HostRoleGuard",
        complexity = "connection_cost(first, 20, child_complexity)"
    )]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Page size, from 0 to the server's limit (100 unless configured).",
            default_with = "Some(20)"
        )]
        first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<EventConnection> {
        let size = page_size(ctx, first.unwrap_or(20), ListKind::Plain)?;
        let access = request(ctx)?.admin().await?;
        let rows = store::events::hosted_page(
            db(ctx)?,
            &access,
            TimeCursor::decode(after.as_deref())?,
            size as u64 + 1,
        )
        .await
        .map_err(AppError::from)?;
        let batch = Batch::new(rows.iter().take(size).map(|e| e.id));
        let page = Page::from_rows(
            rows,
            size,
            after.is_some(),
            |e| (e.start_time, e.id),
            |(time, id)| TimeCursor::encode(*time, *id),
            |e| Event::hosted(e, batch.clone()),
        );
        Ok(EventConnection {
            page,
            count: EventCount,
        })
    }
}
