//! HTTP glue: the axum router, shared state, and the GraphQL, GraphiQL, CSV export, health and web page routes.

mod assets;
pub(crate) mod connection;
pub mod drain;
pub mod edge;
mod export;
mod graphiql;
mod graphql;
mod guards;
mod health;
pub mod media;
mod metrics;
mod params;
pub mod persisted;
pub mod respond;
mod websocket;

use std::sync::Arc;

use axum::{Router, extract::DefaultBodyLimit, middleware, routing::get};
use sea_orm::DatabaseConnection;
use tower_http::catch_panic::CatchPanicLayer;

use crate::{
    auth::{Keys, Verifier},
    config::Limits,
    db::{StatementCounter, replicas::Replicas},
    graphql::pipeline::Engine,
    live::Live,
    rate_limit::RateLimiter,
    telemetry::{self, Telemetry},
};

/// What every handler shares; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub db: DatabaseConnection,
    /// The GraphQL pipeline: the schema and what requests are checked against.
    pub engine: Engine,
    pub keys: Keys,
    /// Verifies bearer tokens: ours, and an identity provider's when one is configured.
    pub verifier: Verifier,
    pub statements: StatementCounter,
    pub limits: Limits,
    /// Production mode: no GraphiQL, no introspection, no suggestions.
    pub production: bool,
    /// Automatic persisted queries, trusted documents, or neither.
    pub persisted: persisted::PersistedQueries,
    /// CORS and compression around every route.
    pub edge: edge::Edge,
    /// Metrics registry and tracer of this instance.
    pub telemetry: Telemetry,
    /// The per-client budgets, shared with the GraphQL pipeline: routes outside
    /// `/graphql` (the CSV exports) spend from the same buckets.
    pub limiter: Arc<RateLimiter>,
    /// Live subscriptions: the hub, the connection budgets, the shutdown signal.
    pub live: Arc<Live>,
    /// Read replicas (`DATABASE_REPLICA_URLS`), if any.
    pub replicas: Option<Arc<Replicas>>,
    /// Set when the instance starts leaving the load balancer (`/ready` answers 503).
    pub draining: drain::Draining,
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
/// browsers outside production; subscriptions over a WebSocket upgrade), the hosts' CSV exports
/// (`GET /export/sessions/{id}/registrants.csv`, `GET /export/events/{id}/sessions.csv`),
/// `GET /health`, `GET /ready` and (unless turned off) `GET /metrics`, inside CORS and
/// compression, inside the telemetry layer, inside the drain layer (`Connection: close`
/// while the instance drains, [`drain::close_connections`]). The time limit bounds an export until its
/// response starts (admission and the first page), not the streamed body after it.
pub fn router(state: AppState) -> Router {
    let body_limit = DefaultBodyLimit::max(state.limits.max_body_bytes as usize);
    let router = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route(
            "/export/sessions/{id}/registrants.csv",
            get(export::session_registrants),
        )
        .route(
            "/export/events/{id}/sessions.csv",
            get(export::event_sessions),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            guards::time_limit,
        ))
        .layer(body_limit)
        .route("/health", get(health::check))
        .route("/ready", get(health::ready))
        .merge(assets::routes());
    let router = if state.telemetry.metrics_enabled() {
        router.route("/metrics", get(metrics::scrape))
    } else {
        router
    };
    let telemetry = state.telemetry.clone();
    let draining = middleware::from_fn_with_state(state.draining.clone(), drain::close_connections);
    observe(state.edge.clone().apply(protect(router)), telemetry)
        .layer(draining)
        .with_state(state)
}

/// Wraps every route of `router` (and its 404 fallback) in the request scope: every
/// response, a panic's 500 and a time limit's 503 included, carries the request id
/// and gets its log line. Goes outside [`protect`], so that it sees what that answers.
pub fn observe<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    telemetry: Telemetry,
) -> Router<S> {
    router.layer(middleware::from_fn_with_state(telemetry, telemetry::track))
}

/// Wraps every route of `router` so that a panic in a handler becomes a 500 with an
/// `INTERNAL` error (and a log line) instead of a dropped connection; the process and
/// the other requests live on.
pub fn protect<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(CatchPanicLayer::custom(guards::panic_response))
}
