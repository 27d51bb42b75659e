//! `session(id)`: one session, for its event's hosts.

use std::collections::HashMap;

use async_graphql::{Context, ID, Object, Result};

use super::viewer_and_id;
use crate::{
    error::AppError,
    graphql::{
        batch::Batch,
        context::{db, request},
        loaders::ViewerTicketsKey,
        responses::Reads,
        types::session::Session,
    },
    store,
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
        // One statement: the session, its event, and the viewer's rights and own tickets.
        let found = store::sessions::find_for_viewer(db(ctx)?, id, user_id)
            .await
            .map_err(AppError::from)?;
        let Some(found) = found else {
            return Err(request.role_first(AppError::SessionNotFound).await.into());
        };
        let batch = Batch::single(id);
        request.prime(found.viewer);
        batch.prime(ViewerTicketsKey, HashMap::from([(id, found.tickets)]))?;
        request.host_of(&found.event).await?;
        if let Some(reads) = ctx.data_opt::<Reads>() {
            reads.session(id);
        }
        Ok(Some(Session::hosted(found.session, batch)))
    }
}
