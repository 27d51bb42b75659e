//! The GraphQL schema: types, resolvers, loaders and the per-request context.

pub mod batch;
pub mod context;
pub mod guard;
pub mod loaders;
pub mod pagination;
mod query;
pub mod scalars;
pub mod types;

use async_graphql::{Context, EmptySubscription, Schema};
use sea_orm::DatabaseConnection;

pub use query::{Mutation, Query};

use crate::{
    auth::Keys,
    error::{AppError, AppResult},
};
use loaders::RequestLoader;

/// The executable schema.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Limits on what one GraphQL document may ask for.
#[derive(Clone, Copy, Debug)]
pub struct QueryLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        // Depth: the deepest useful query (events > sessions > speakers > ticket types,
        // through edges and nodes) is about 10; introspection needs about 13.
        Self {
            max_depth: 16,
            max_complexity: 5_000,
        }
    }
}

/// Builds the schema. Connects nothing: the connection and keys are just stored.
pub fn build_schema(db: DatabaseConnection, keys: Keys, limits: QueryLimits) -> AppSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(db)
        .data(keys)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}

/// The request's DataLoader.
pub fn request_loader<'a>(ctx: &'a Context<'_>) -> AppResult<&'a RequestLoader> {
    ctx.data::<RequestLoader>().map_err(|_| AppError::Internal)
}
