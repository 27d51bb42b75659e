//! `session(id)`: one session, for its event's hosts.

use std::collections::HashMap;

use async_graphql::{Context, ID, Object, Result};

use super::viewer_and_id;
use crate::{
    error::AppError,
    graphql::{
        batch::Batch,
        context::{db, request},
        loaders::{StatsKey, ViewerTicketsKey},
        responses::Reads,
        types::session::Session,
    },
    store::{self, sessions::WithStats},
};

#[derive(Default)]
pub struct SessionQuery;

#[Object]
impl SessionQuery {
    /// One session with everything the host's Analytics -> Sessions -> row view shows.
    // No role guard: it would read the viewer in a statement of its own. The role is
    // checked with the host check, on the viewer read with the session, and errors
    // come in the guard's order (`RequestContext::role_first`).
    async fn session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Session id.")] id: ID,
    ) -> Result<Option<Session>> {
        let request = request(ctx)?;
        let (user_id, id) = viewer_and_id(request, &id, "a session").await?;
        // One statement: the session, its event, the viewer's rights and own tickets,
        // and the session's counters when the selection shows or counts from them.
        let found = store::sessions::find_for_viewer(db(ctx)?, id, user_id, with_stats(ctx))
            .await
            .map_err(AppError::from)?;
        let Some(found) = found else {
            return Err(request.role_first(AppError::SessionNotFound).await.into());
        };
        let batch = Batch::single(id);
        request.prime(found.viewer);
        batch.prime(ViewerTicketsKey, HashMap::from([(id, found.tickets)]))?;
        if let Some(stats) = found.stats {
            batch.prime(StatsKey, HashMap::from([(id, stats)]))?;
        }
        request.host_of(&found.event).await?;
        if let Some(reads) = ctx.data_opt::<Reads>() {
            reads.session(id);
        }
        Ok(Some(Session::hosted(found.session, batch)))
    }
}

/// Whether the selection reads the session's counters: its stats, its attendee count,
/// or a registrant list's unsearched total (`RegistrantCount`). Reading them with the
/// session costs a join; reading them later, a statement of their own.
fn with_stats(ctx: &Context<'_>) -> WithStats {
    let session = ctx.look_ahead();
    let counted = session.field("stats").exists()
        || session.field("attendeeCount").exists()
        || session
            .field("registeredHolderUsers")
            .field("totalCount")
            .exists();
    if counted {
        WithStats::Yes
    } else {
        WithStats::No
    }
}
