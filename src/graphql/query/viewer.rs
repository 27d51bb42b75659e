//! `viewer`: who the bearer token belongs to.

use async_graphql::{Context, Object, Result};

use crate::graphql::{context::request, types::viewer::Viewer};

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The user the bearer token belongs to.
    async fn viewer(&self, ctx: &Context<'_>) -> Result<Viewer> {
        let access = request(ctx)?.access().await?;
        Ok(Viewer(access.user.clone()))
    }
}
