//! `GET /health`: liveness, and whether the database answers.

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use super::AppState;

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
