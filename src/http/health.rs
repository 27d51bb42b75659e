//! `GET /health` (liveness, and whether the database answers) and `GET /ready`
//! (readiness: the instance is not shutting down, the database answers and its schema
//! is this binary's).

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use super::AppState;
use crate::rate_limit::Backend;

/// 200 with `{"status":"ok","database":"up"}`, or 503 with `"database":"down"` when the
/// database does not answer within the request time limit (a pool that cannot hand out
/// a connection gives up sooner, after its acquire timeout).
pub async fn check(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let limit = Duration::from_millis(state.limits.request_timeout_ms);
    let up = tokio::time::timeout(limit, crate::db::ping(&state.db))
        .await
        .unwrap_or(false);
    if up {
        (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": "up" })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "degraded", "database": "down" })),
        )
    }
}

/// Why an instance is not ready; the code is stable, for monitors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NotReady {
    /// The database does not answer (in time).
    DatabaseUnavailable,
    /// Migrations this binary needs are not applied.
    MigrationsPending,
    /// The database has migrations this binary does not know (a newer one migrated it).
    MigrationsUnknown,
    /// The instance is stopping: it still serves, for the shutdown ready delay, so that
    /// a load balancer's health check takes it out of rotation before it stops
    /// accepting connections.
    ShuttingDown,
}

impl NotReady {
    fn code(self) -> &'static str {
        match self {
            Self::DatabaseUnavailable => "DATABASE_UNAVAILABLE",
            Self::MigrationsPending => "MIGRATIONS_PENDING",
            Self::MigrationsUnknown => "MIGRATIONS_UNKNOWN",
            Self::ShuttingDown => "SHUTTING_DOWN",
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Self::DatabaseUnavailable => "the database does not answer",
            Self::MigrationsPending => "the database lacks migrations this binary needs",
            Self::MigrationsUnknown => "the database has migrations this binary does not know",
            Self::ShuttingDown => "the instance is shutting down",
        }
    }
}

/// 200 with `{"status":"ready"}` when the instance is not shutting down, the database
/// answers `SELECT 1` and every migration this binary knows, and no other, is applied;
/// else 503 with `{"status":"unavailable","code":…,"reason":…}`. Neither names the
/// migrations nor repeats driver text; the log line does name the migrations.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    // Checked first and without the database: the answer a load balancer polls for
    // while the instance drains. Not logged per poll: the shutdown itself is.
    if state.draining.is_draining() {
        return not_ready(NotReady::ShuttingDown);
    }
    let limit = Duration::from_millis(state.limits.request_timeout_ms);
    let verdict = tokio::time::timeout(limit, readiness(&state))
        .await
        .unwrap_or(Err(NotReady::DatabaseUnavailable));
    match verdict {
        Ok(()) => (StatusCode::OK, Json(ready_body(&state).await)),
        Err(why) => {
            tracing::warn!(code = why.code(), "not ready");
            not_ready(why)
        }
    }
}

/// `{"status":"ready"}`, and with Redis configured where budgets are counted: `redis`, or
/// `memory` with `"degraded"` while Redis does not answer. That is still ready (200): the
/// instance serves every request, with per-instance budgets, and taking instances out of
/// a load balancer because a shared Redis is down would turn its outage into the API's.
async fn ready_body(state: &AppState) -> Value {
    let mut body = match state.limiter.backend().await {
        Backend::Memory => json!({ "status": "ready" }),
        Backend::Redis => json!({ "status": "ready", "rate_limits": "redis" }),
        Backend::MemoryRedisDown => json!({
            "status": "ready",
            "rate_limits": "memory",
            "degraded": "RATE_LIMIT_REDIS_UNAVAILABLE",
        }),
    };
    // Replicas out of rotation leave the instance ready: the primary serves their
    // reads. Monitors see which and why here.
    if let Some(replicas) = &state.replicas {
        body["replicas"] = replicas
            .members
            .iter()
            .map(|r| json!({ "name": r.name, "inRotation": r.healthy(), "lagMs": r.lag_ms() }))
            .collect();
    }
    body
}

fn not_ready(why: NotReady) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({
            "status": "unavailable",
            "code": why.code(),
            "reason": why.reason(),
        })),
    )
}

async fn readiness(state: &AppState) -> Result<(), NotReady> {
    if !crate::db::ping(&state.db).await {
        return Err(NotReady::DatabaseUnavailable);
    }
    // The same reading start-up uses (`db::prepare_schema`), changing nothing.
    let status = crate::db::schema_status(&state.db)
        .await
        .map_err(|_| NotReady::DatabaseUnavailable)?;
    if !status.unknown.is_empty() {
        tracing::warn!(migrations = %status.unknown.join(", "), "unknown migrations applied");
        return Err(NotReady::MigrationsUnknown);
    }
    if !status.pending.is_empty() {
        tracing::warn!(migrations = %status.pending.join(", "), "migrations pending");
        return Err(NotReady::MigrationsPending);
    }
    Ok(())
}
