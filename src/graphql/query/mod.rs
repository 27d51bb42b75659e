//! The root query and mutation objects, one per domain, merged.

mod activity;
mod event;
mod login;
mod session;
mod viewer;

use async_graphql::{ID, MergedObject};

use super::context::RequestContext;
use crate::error::{AppError, AppResult};

/// Every query field.
#[derive(MergedObject, Default)]
pub struct Query(
    session::SessionQuery,
    event::EventQuery,
    viewer::ViewerQuery,
);

/// Every mutation field.
#[derive(MergedObject, Default)]
pub struct Mutation(login::LoginMutation, activity::ActivityMutation);

/// Parses an `ID` argument into our numeric ids.
pub(crate) fn parse_id(id: &ID, what: &str) -> AppResult<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::bad_request(format!("`id` must be {what} id: a positive integer")))
}

/// The signed-in viewer's id and the root's parsed `id`, for the roots that check the
/// role themselves (on the viewer read with their data): refused as the role guard
/// would first (UNAUTHENTICATED, then FORBIDDEN), then for a malformed id.
pub(crate) async fn viewer_and_id(
    request: &RequestContext,
    id: &ID,
    what: &str,
) -> AppResult<(i64, i64)> {
    let user_id = request.signed_in()?;
    match parse_id(id, what) {
        Ok(id) => Ok((user_id, id)),
        Err(err) => Err(request.role_first(err).await),
    }
}
