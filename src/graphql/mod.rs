//! The GraphQL schema: types, resolvers, loaders and the per-request context.

pub mod batch;
pub mod cache;
pub mod context;
pub mod guard;
pub mod index;
pub mod input;
pub mod limits;
pub mod loaders;
mod nulls;
pub mod pagination;
pub mod pipeline;
mod query;
pub mod request;
pub mod response;
pub mod scalars;
mod subscription;
pub mod types;
mod variables;

use std::sync::Arc;

use async_graphql::{Context, Schema};
use sea_orm::DatabaseConnection;

pub use query::{Mutation, Query};
pub use subscription::Subscription;

use crate::{
    auth::Keys,
    config::Limits,
    error::{AppError, AppResult},
    live::Live,
    rate_limit::RateLimiter,
};
use limits::CostBudget;
use loaders::RequestLoader;

/// The executable schema.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema. Connects nothing: the connection, keys and limits are just
/// stored (`live`, the hub subscriptions read from, is absent only in tests that run
/// no subscriptions). In production, introspection and "did you mean" suggestions are off.
/// Requests go through [`pipeline::Engine`], which adds what the schema alone lacks:
/// document and string limits, variable checks, null propagation, status codes.
pub fn build_schema(
    db: DatabaseConnection,
    keys: Keys,
    limits: &Limits,
    production: bool,
    limiter: Arc<RateLimiter>,
    live: Option<Arc<Live>>,
) -> AppSchema {
    let mut builder = Schema::build(Query::default(), Mutation::default(), Subscription)
        .data(db)
        .data(keys)
        .data(limits.clone())
        .data(limiter.clone())
        .limit_depth(limits.max_query_depth as usize)
        .limit_complexity(limits.max_query_complexity as usize)
        .limit_directives(limits.max_directives_per_field as usize)
        .extension(CostBudget(limiter));
    if let Some(live) = live {
        builder = builder.data(live);
    }
    if production {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .finish()
        .sdl()
}

/// The request's DataLoader.
pub fn request_loader<'a>(ctx: &'a Context<'_>) -> AppResult<&'a RequestLoader> {
    ctx.data::<RequestLoader>().map_err(|_| AppError::Internal)
}
