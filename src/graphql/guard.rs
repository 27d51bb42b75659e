//! The role guard on every field that reads event data.

use async_graphql::{Context, Guard};

use super::context::request;

/// Admits SUPER_ADMIN, ORGANIZER_ADMIN and EVENT_ADMIN; anonymous callers get
/// UNAUTHENTICATED and other roles FORBIDDEN. Whether the viewer hosts the
/// particular event is checked by the resolver once it knows the event. The roots
/// `session(id)` and `event(id)` check the role themselves, in this order, on the viewer
/// read with their data (`RequestContext::role_first`), which saves the guard's own read.
///
/// Guards are not applied to fields reached through an interface (async-graphql
/// issue 1826), so guarded data is never put behind one.
pub struct HostRoleGuard;

impl Guard for HostRoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        request(ctx)?.admin().await?;
        Ok(())
    }
}
