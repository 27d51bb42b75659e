//! `session(id)`: one session, for its event's hosts.

use async_graphql::{Context, ID, Object, Result};

use super::parse_id;
use crate::{
    error::AppError,
    graphql::{
        batch::Batch,
        context::{db, request},
        guard::HostRoleGuard,
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
    #[graphql(guard = "HostRoleGuard")]
    async fn session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Session id.")] id: ID,
    ) -> Result<Option<Session>> {
        let id = parse_id(&id, "a session")?;
        let (session, event) = store::sessions::find_with_event(db(ctx)?, id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::SessionNotFound)?;
        request(ctx)?.host_of(&event).await?;
        if let Some(reads) = ctx.data_opt::<Reads>() {
            reads.session(id);
        }
        Ok(Some(Session::hosted(session, Batch::single(id))))
    }
}
