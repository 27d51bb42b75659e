//! HTTP glue: the axum router, shared state, and the GraphQL, GraphiQL and health routes.

mod graphiql;
mod graphql;
mod health;

use std::sync::Arc;

use axum::{Router, routing::get};
use sea_orm::DatabaseConnection;

use crate::{auth::Keys, db::StatementCounter, graphql::AppSchema};

/// What every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: DatabaseConnection,
    pub schema: AppSchema,
    pub keys: Keys,
    pub statements: StatementCounter,
}

impl AppState {
    pub fn new(
        db: DatabaseConnection,
        schema: AppSchema,
        keys: Keys,
        statements: StatementCounter,
    ) -> Self {
        Self(Arc::new(Inner {
            db,
            schema,
            keys,
            statements,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Builds the router: `POST /graphql`, `GET /graphql` (GraphiQL), `GET /health`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/graphql", get(graphiql::page).post(graphql::execute))
        .route("/health", get(health::check))
        .with_state(state)
}
