//! HTTP glue: the axum router, shared state, and the GraphQL, GraphiQL and health routes.

mod graphiql;
mod graphql;
mod guards;
mod health;
mod media;

use std::sync::Arc;

use axum::{Router, extract::DefaultBodyLimit, middleware, routing::get};
use sea_orm::DatabaseConnection;
use tower_http::catch_panic::CatchPanicLayer;

use crate::{auth::Keys, config::Limits, db::StatementCounter, graphql::AppSchema};

/// What every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
    pub keys: Keys,
    pub statements: StatementCounter,
    pub limits: Limits,
    /// Production mode: no GraphiQL, no introspection, no suggestions.
    pub production: bool,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Builds the router: `/graphql` (POST and GET per GraphQL over HTTP; GraphiQL for
/// browsers outside production) and `GET /health`.
pub fn router(state: AppState) -> Router {
    let body_limit = DefaultBodyLimit::max(state.limits.max_body_bytes as usize);
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guards::time_limit,
        ))
        .layer(body_limit)
        .route("/health", get(health::check))
        .layer(CatchPanicLayer::custom(guards::panic_response))
        .with_state(state)
}
