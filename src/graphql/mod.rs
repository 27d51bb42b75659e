//! The GraphQL schema: types, resolvers, loaders and the per-request context.

pub mod batch;
pub mod cache;
mod checker;
pub mod context;
pub mod documents;
pub mod guard;
pub mod index;
pub mod input;
pub mod limits;
pub mod loaders;
mod nulls;
mod order;
pub mod pagination;
pub mod pipeline;
mod query;
pub mod request;
pub mod response;
pub mod responses;
pub mod rows;
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
/// It validates every document in full and charges its cost to the client's budget
/// (an extension): subscriptions reach it directly. Queries and mutations go through
/// [`pipeline::Engine`], which adds what the schema alone lacks (document and string
/// limits, variable checks, null propagation, status codes) and runs them on
/// [`build_runner`]'s schema instead.
pub fn build_schema(
    db: DatabaseConnection,
    keys: Keys,
    limits: &Limits,
    production: bool,
    limiter: Arc<RateLimiter>,
    live: Option<Arc<Live>>,
) -> AppSchema {
    builder(db, keys, limits, production, limiter.clone(), live)
        .extension(CostBudget(limiter))
        .finish()
}

/// The same schema for documents [`pipeline::Engine`] has already validated in full
/// and charged: no extension (async-graphql then resolves each field directly, instead
/// of through the extension chain with a `ResolveInfo` looked up per field), and only
/// the fast validation (complexity and depth limits, fragment cycles) at execution.
pub fn build_runner(
    db: DatabaseConnection,
    keys: Keys,
    limits: &Limits,
    production: bool,
    limiter: Arc<RateLimiter>,
    live: Option<Arc<Live>>,
) -> AppSchema {
    builder(db, keys, limits, production, limiter, live)
        .validation_mode(async_graphql::ValidationMode::Fast)
        .finish()
}

fn builder(
    db: DatabaseConnection,
    keys: Keys,
    limits: &Limits,
    production: bool,
    limiter: Arc<RateLimiter>,
    live: Option<Arc<Live>>,
) -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    let mut builder = Schema::build(Query::default(), Mutation::default(), Subscription)
        .data(db)
        .data(keys)
        .data(limits.clone())
        .data(limiter);
    if let Some(live) = live {
        builder = builder.data(live);
    }
    checked(builder, limits, production)
}

/// The limits and production settings every schema that validates documents shares,
/// so that each refuses a document with the same errors.
pub(crate) fn checked(
    builder: async_graphql::SchemaBuilder<Query, Mutation, Subscription>,
    limits: &Limits,
    production: bool,
) -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    let builder = builder
        .limit_depth(limits.max_query_depth as usize)
        .limit_complexity(limits.max_query_complexity as usize)
        .limit_directives(limits.max_directives_per_field as usize);
    if production {
        builder.disable_introspection().disable_suggestions()
    } else {
        builder
    }
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
