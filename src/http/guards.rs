//! Request-wide protections: body size, time limit, and panics turned into errors.

use std::{any::Any, time::Duration};

use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::Response,
};

use super::{AppState, respond::refusal};
use crate::error::AppError;

/// Answers 503 when a request runs longer than the configured limit. The request's
/// future is dropped, which cancels its outstanding statements.
pub async fn time_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = Duration::from_millis(state.limits.request_timeout_ms);
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                limit_ms = state.limits.request_timeout_ms,
                "request timed out"
            );
            refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                &AppError::Timeout(state.limits.request_timeout_ms),
            )
        }
    }
}

/// A panic in a handler becomes an INTERNAL error; the process lives on.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = detail, "handler panicked");
    refusal(StatusCode::INTERNAL_SERVER_ERROR, &AppError::Internal)
}
