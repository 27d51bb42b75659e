//! `POST /graphql`: verifies the bearer token, then runs the operation.

use std::time::Instant;

use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use super::AppState;
use crate::{
    error::AppError,
    graphql::{context::RequestContext, loaders::Loaders},
};

/// Runs one GraphQL request. A request without a token runs anonymously (only
/// `login` and errors are open to it); a request with a bad token is refused whole
/// with 401, so a client never mistakes a broken token for missing data.
pub async fn execute(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> Response {
    let user_id = match bearer_user(&state, &headers) {
        Ok(user_id) => user_id,
        Err(err) => return unauthorized(err),
    };
    let started = Instant::now();
    let statements_before = state.statements.get();
    let request = request
        .into_inner()
        .data(RequestContext::new(state.db.clone(), user_id))
        .data(Loaders::new(state.db.clone(), user_id));
    let operation = request.operation_name.clone();
    let mut response = state.schema.execute(request).await;
    for error in &mut response.errors {
        label_request_error(error);
    }
    // Statement counts are exact when requests do not overlap, a close estimate otherwise.
    tracing::info!(
        operation = operation.as_deref().unwrap_or("-"),
        ok = response.errors.is_empty(),
        errors = response.errors.len(),
        statements = state.statements.get().saturating_sub(statements_before),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "graphql request"
    );
    GraphQLResponse::from(response).into_response()
}

/// Errors our resolvers raise carry a code already; the rest come from async-graphql
/// itself rejecting the document (syntax, unknown fields, wrong argument types, depth
/// and complexity limits), which the contract calls BAD_REQUEST.
fn label_request_error(error: &mut async_graphql::ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        let bad = AppError::bad_request("");
        extensions.set("code", bad.code());
        extensions.set("status", bad.status());
    }
}

/// The user id of a valid bearer token, `None` without an Authorization header.
fn bearer_user(state: &AppState, headers: &HeaderMap) -> Result<Option<i64>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed =
        || AppError::Unauthenticated("the Authorization header must be `Bearer <token>`".into());
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed());
    }
    let claims = state.keys.verify(token)?;
    claims.user_id().map(Some)
}

/// A 401 in the GraphQL response shape, with the RFC 6750 challenge.
fn unauthorized(err: AppError) -> Response {
    let body = serde_json::json!({
        "errors": [{
            "message": err.message(),
            "extensions": { "code": err.code(), "status": err.status() },
        }]
    });
    let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(r#"Bearer error="invalid_token""#),
    );
    response
}
