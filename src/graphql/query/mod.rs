//! The root query and mutation objects, one per domain, merged.

mod activity;
mod event;
mod login;
mod session;
mod viewer;

use async_graphql::{ID, MergedObject};

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
