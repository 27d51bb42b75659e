//! Logs, metrics and traces: the request scope, the per-request log line, and the
//! statement observer the database calls.
//!
//! Each request runs inside a [`RequestScope`] (a tokio task-local set by [`track`]).
//! The database's metric callback runs inside the statement's future, so it finds the
//! scope of the request that ran the statement: that makes a request's statement count
//! exact however many requests run at once. Work a request spawns (DataLoader batches)
//! is spawned with [`spawner`], which carries the scope along.

pub mod logging;
pub mod metrics;
pub mod request_id;
pub mod traces;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
};
use sea_orm::metric::Info;
use tracing::Instrument as _;

pub use self::{metrics::Metrics, request_id::RequestId, traces::Traces};
use crate::config;

/// The telemetry of one application instance: its metrics registry and, when traces
/// are exported, its tracer. Cheap to clone.
#[derive(Clone)]
pub struct Telemetry(Arc<Inner>);

struct Inner {
    metrics: Metrics,
    traces: Option<Traces>,
    metrics_enabled: bool,
    metrics_token: Option<config::Secret>,
}

impl Telemetry {
    /// Metrics as `config` asks, and traces to `traces` (none: not exported).
    pub fn new(config: &config::Telemetry, traces: Option<Traces>) -> anyhow::Result<Self> {
        if let Some(token) = &config.metrics_token
            && token.expose().len() < 16
        {
            anyhow::bail!("METRICS_TOKEN must be at least 16 bytes long");
        }
        Ok(Self(Arc::new(Inner {
            metrics: Metrics::new()?,
            traces,
            metrics_enabled: config.metrics_enabled,
            metrics_token: config.metrics_token.clone(),
        })))
    }

    /// Traces to the configured OTLP endpoint, if there is one.
    pub fn from_config(config: &config::Telemetry) -> anyhow::Result<Self> {
        let traces = match &config.otlp_endpoint {
            Some(endpoint) if !endpoint.trim().is_empty() => {
                Some(Traces::otlp(endpoint, &config.otel_service_name)?)
            }
            _ => None,
        };
        Self::new(config, traces)
    }

    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    /// Whether `GET /metrics` is served.
    pub fn metrics_enabled(&self) -> bool {
        self.0.metrics_enabled
    }

    /// The bearer token `GET /metrics` requires, if any.
    pub fn metrics_token(&self) -> Option<&config::Secret> {
        self.0.metrics_token.as_ref()
    }

    /// Flushes exported traces (at shutdown).
    pub fn shutdown(&self) {
        if let Some(traces) = &self.0.traces {
            traces.shutdown();
        }
    }

    /// What the database calls after every statement: counts it for the instance and
    /// for the request running it, times it, and adds a span under the request's.
    pub fn statement_observer(&self) -> impl Fn(&Info<'_>) + Send + Sync + 'static {
        let telemetry = self.clone();
        move |info: &Info<'_>| {
            let metrics = telemetry.metrics();
            metrics.statements.inc();
            metrics
                .statement_seconds
                .observe(info.elapsed.as_secs_f64());
            if info.failed {
                metrics.statement_errors.inc();
            }
            let _ = SCOPE.try_with(|scope| {
                scope.statements.fetch_add(1, Ordering::Relaxed);
                if let (Some(traces), Some(parent)) = (&telemetry.0.traces, &scope.trace) {
                    traces.statement(
                        parent,
                        info.statement.db_backend,
                        &info.statement.sql,
                        info.elapsed,
                        info.failed,
                    );
                }
            });
        }
    }
}

/// What one request has done so far, shared by everything that runs for it.
pub struct RequestScope {
    telemetry: Telemetry,
    statements: AtomicU64,
    /// The operation name as the client sent it (checked before it is logged).
    operation: Mutex<Option<String>>,
    /// `ok`, or the first error's code.
    outcome: Mutex<Option<&'static str>>,
    trace: Option<opentelemetry::Context>,
}

tokio::task_local! {
    static SCOPE: Arc<RequestScope>;
}

impl RequestScope {
    /// SQL statements the request has run so far.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }
}

/// Records the operation a GraphQL request runs (`None`: anonymous).
pub fn record_operation(name: Option<&str>) {
    let _ = SCOPE.try_with(|scope| {
        if let Ok(mut operation) = scope.operation.lock() {
            *operation = Some(name.unwrap_or("anonymous").to_owned());
        }
    });
}

/// Records how a GraphQL response went: `ok`, or the code of its first error; counts
/// every error's code.
pub fn record_errors<'a>(codes: impl IntoIterator<Item = Option<&'a str>>) {
    let _ = SCOPE.try_with(|scope| {
        let metrics = scope.telemetry.metrics();
        let mut first = None;
        for code in codes {
            let code = metrics::closed_code(code.unwrap_or("INTERNAL"));
            metrics.count_error(code);
            first.get_or_insert(code);
        }
        if let Ok(mut outcome) = scope.outcome.lock() {
            *outcome = Some(first.unwrap_or("ok"));
        }
    });
}

/// Records a DataLoader batch of `keys` keys for `loader` (a fixed name).
pub fn observe_batch(loader: &'static str, keys: usize) {
    let _ = SCOPE.try_with(|scope| {
        scope
            .telemetry
            .metrics()
            .batch_size
            .with_label_values(&[loader])
            .observe(keys as f64);
    });
}

/// Records a cross-request cache lookup of `hits + misses` ids of one kind.
pub fn observe_cache(kind: &'static str, hits: usize, misses: usize) {
    let _ = SCOPE.try_with(|scope| {
        let lookups = &scope.telemetry.metrics().cache_lookups;
        lookups
            .with_label_values(&[kind, "hit"])
            .inc_by(hits as u64);
        lookups
            .with_label_values(&[kind, "miss"])
            .inc_by(misses as u64);
    });
}

/// Records `n` response cache events of one kind (`hit`, `miss`, `store`, `eviction`).
pub fn observe_responses(result: &'static str, n: u64) {
    if n == 0 {
        return;
    }
    let _ = SCOPE.try_with(|scope| {
        scope
            .telemetry
            .metrics()
            .response_cache
            .with_label_values(&[result])
            .inc_by(n);
    });
}

/// A spawner for work a request starts (DataLoader batches): the spawned task runs in
/// the request's scope, so its statements count for the request.
pub fn spawner()
-> impl Fn(futures::BoxFuture<'static, ()>) -> tokio::task::JoinHandle<()> + Send + Sync + 'static {
    let scope = SCOPE.try_with(Arc::clone).ok();
    move |work| match &scope {
        Some(scope) => tokio::spawn(SCOPE.scope(scope.clone(), work)),
        None => tokio::spawn(work),
    }
}

mod futures {
    pub use async_graphql::futures_util::future::BoxFuture;
}

/// Middleware around every route: the request id (accepted or made, returned on every
/// response), the request scope, the operation span, and one log line per request with
/// the metrics that go with it.
pub async fn track(State(telemetry): State<Telemetry>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = RequestId::from_headers(request.headers());
    let route = route_of(request.uri().path());
    let graphql = route == "/graphql";
    let trace = match (&telemetry.0.traces, graphql) {
        (Some(traces), true) => Some(traces.start_operation(&id, request.headers())),
        _ => None,
    };
    let scope = Arc::new(RequestScope {
        telemetry: telemetry.clone(),
        statements: AtomicU64::new(0),
        operation: Mutex::new(None),
        outcome: Mutex::new(None),
        trace,
    });
    let method = request.method().clone();
    // Every line logged while the request runs carries its id.
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = SCOPE
        .scope(scope.clone(), next.run(request))
        .instrument(span)
        .await;
    if let Some(value) = id.header_value() {
        response.headers_mut().insert(request_id::HEADER, value);
    }
    let status = response.status();
    let statements = scope.statements();
    let elapsed = started.elapsed();
    // A time limit or a panic answers for a handler that never finished.
    let recorded = scope.outcome.lock().ok().and_then(|outcome| *outcome);
    let outcome = match recorded {
        Some(outcome) if !status.is_server_error() => outcome,
        _ => outcome_of_status(status.as_u16()),
    };
    let operation = scope.operation.lock().ok().and_then(|name| name.clone());
    // Client-controlled: only a valid GraphQL name is written to logs and labels.
    let operation = match operation.as_deref() {
        None => "none".to_owned(),
        Some(name) if metrics::is_operation_name(name) => name.to_owned(),
        Some(_) => "invalid".to_owned(),
    };
    if graphql {
        let metrics = telemetry.metrics();
        let label = match operation.as_str() {
            "none" | "anonymous" => operation.clone(),
            name => metrics.operation_label(name),
        };
        metrics
            .requests
            .with_label_values(&[label.as_str(), outcome])
            .inc();
        metrics
            .request_seconds
            .with_label_values(&[label.as_str()])
            .observe(elapsed.as_secs_f64());
        metrics.request_statements.observe(statements as f64);
        if let Some(cx) = &scope.trace {
            traces::end_operation(cx, &operation, outcome, status.as_u16(), statements);
        }
    }
    tracing::info!(
        request_id = %id,
        method = %method,
        route,
        operation = %operation,
        outcome,
        status = status.as_u16(),
        duration_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
        statements,
        "request"
    );
    response
}

/// The route a path names, or `other`: paths come from clients and are not logged.
fn route_of(path: &str) -> &'static str {
    match path {
        "/graphql" => "/graphql",
        "/health" => "/health",
        "/ready" => "/ready",
        "/metrics" => "/metrics",
        _ if is_export(path, "/export/sessions/", "/registrants.csv") => {
            "/export/sessions/{id}/registrants.csv"
        }
        _ if is_export(path, "/export/events/", "/sessions.csv") => {
            "/export/events/{id}/sessions.csv"
        }
        _ => "other",
    }
}

/// `prefix`, one path segment, `suffix`: an export route, logged by its template.
fn is_export(path: &str, prefix: &str, suffix: &str) -> bool {
    path.strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(suffix))
        .is_some_and(|id| !id.is_empty() && !id.contains('/'))
}

/// The outcome of a response the GraphQL handler did not describe.
fn outcome_of_status(status: u16) -> &'static str {
    match status {
        200..=399 => "ok",
        401 => "UNAUTHENTICATED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        429 => "RATE_LIMITED",
        503 => "SERVICE_UNAVAILABLE",
        400..=499 => "BAD_REQUEST",
        _ => "INTERNAL",
    }
}

#[cfg(test)]
mod tests {
    use super::route_of;

    #[test]
    fn only_our_routes_are_named_in_logs() {
        for route in ["/graphql", "/health", "/ready", "/metrics"] {
            assert_eq!(route_of(route), route);
        }
        for path in ["/", "/graphql/", "/users/alice@example.com", "/READY"] {
            assert_eq!(route_of(path), "other");
        }
        assert_eq!(
            route_of("/export/sessions/12/registrants.csv"),
            "/export/sessions/{id}/registrants.csv"
        );
        assert_eq!(
            route_of("/export/events/3/sessions.csv"),
            "/export/events/{id}/sessions.csv"
        );
        for path in [
            "/export/sessions//registrants.csv",
            "/export/sessions/1/2/registrants.csv",
            "/export/events/1/registrants.csv",
        ] {
            assert_eq!(route_of(path), "other", "{path}");
        }
    }
}
