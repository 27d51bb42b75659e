//! `/graphql` over HTTP, as the GraphQL-over-HTTP specification describes it.
//!
//! * `POST` with an `application/json` body (UTF-8) runs any operation.
//! * `GET` with URL parameters runs queries only: a mutation is refused with 405.
//!   A browser's `GET` (one that asks for HTML) gets GraphiQL instead.
//! * The response is `application/graphql-response+json` when the client names that
//!   type in `Accept`, else `application/json` for legacy clients (no `Accept`, `*/*`,
//!   `application/json`); 406 when `Accept` allows neither.
//! * Request errors and their status codes are the pipeline's
//!   (`graphql::response`): 400 with no `data` for `application/graphql-response+json`
//!   when nothing ran, 200 for legacy `application/json` clients.
//! * A request that is not a well-formed GraphQL-over-HTTP request (no or another
//!   `Content-Type`, invalid JSON, an unknown or mistyped parameter, a batch) is refused
//!   before anything runs: 415 or 400 with a GraphQL-shaped `BAD_REQUEST` error.
//!
//! The bearer token is checked first: a bad one refuses the whole request with 401.
//!
//! The newest draft also suggests 422 for validation errors and 294 for partial
//! success, which graphql-http's `auditServer` does not expect and which we do not use.

use async_graphql_axum::GraphQLProtocol;
use axum::{
    Extension,
    body::Bytes,
    extract::{
        Query, State,
        rejection::BytesRejection,
        ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};

use super::{
    AppState, graphiql,
    media::{MediaType, negotiate, wants_graphiql},
    params::{self, Params, Rejection},
    respond::write,
    websocket,
};
use crate::{
    auth::bearer::{Bearer, BearerRejection},
    error::AppError,
    graphql::{request::Caller, response::Finished},
    rate_limit::ClientAddress,
};

/// `POST /graphql`: a JSON-encoded request.
pub async fn post(
    State(state): State<AppState>,
    bearer: Result<Bearer, BearerRejection>,
    address: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (caller, media) = match admit(bearer, address, &headers) {
        Ok(admitted) => admitted,
        Err(refusal) => return *refusal,
    };
    let params = params::check_content_type(&headers)
        .and_then(|()| body.map_err(Rejection::body))
        .and_then(|body| params::from_body(&body));
    match params {
        Ok(params) => run(&state, params, caller, media, false).await,
        Err(rejection) => write(rejection.finish(), Some(media)),
    }
}

/// `GET /graphql`: a WebSocket for subscriptions, GraphiQL for a browser, else a query
/// in the URL parameters.
pub async fn get(
    State(state): State<AppState>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    protocol: Result<GraphQLProtocol, StatusCode>,
    bearer: Result<Bearer, BearerRejection>,
    address: Option<Extension<ClientAddress>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let address = address.map(|Extension(address)| address);
    if headers.contains_key(header::UPGRADE) {
        return match upgrade {
            Ok(upgrade) => websocket::upgrade(
                &state,
                upgrade,
                protocol,
                &headers,
                address.map(|ClientAddress(ip)| ip),
            ),
            Err(rejection) => rejection.into_response(),
        };
    }
    let pairs = Query::<Vec<(String, String)>>::try_from_uri(&uri)
        .map(|Query(pairs)| pairs)
        .unwrap_or_default();
    // A persisted query names its document by id: it is no browser opening GraphiQL.
    let has_query = pairs
        .iter()
        .any(|(key, _)| matches!(key.as_str(), "query" | "documentId" | "extensions"));
    let mut response = if !state.production && wants_graphiql(&headers, has_query) {
        graphiql::page().await.into_response()
    } else {
        match admit(bearer, address.map(Extension), &headers) {
            Ok((caller, media)) => match params::from_pairs(pairs) {
                Ok(params) => run(&state, params, caller, media, true).await,
                Err(rejection) => write(rejection.finish(), Some(media)),
            },
            Err(refusal) => *refusal,
        }
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept"));
    response
}

/// Who is calling and the media type to answer in, or the response refusing the
/// request: the token is checked first (401), then `Accept` (406).
fn admit(
    bearer: Result<Bearer, BearerRejection>,
    address: Option<Extension<ClientAddress>>,
    headers: &HeaderMap,
) -> Result<(Caller, MediaType), Box<Response>> {
    let media = negotiate(headers);
    let Bearer(user_id) = bearer.map_err(|rejection| Box::new(write(rejection.finish(), media)))?;
    let media = media.ok_or_else(|| Box::new(not_acceptable()))?;
    let caller = Caller {
        user_id,
        address: address.map(|Extension(address)| address),
    };
    Ok((caller, media))
}

/// Resolves a persisted document, prepares the request and runs it through the
/// pipeline; `read_only` (GET) refuses a mutation with 405. An APQ document is
/// remembered once it has run (so it parsed and passed every limit).
async fn run(
    state: &AppState,
    mut params: Params,
    caller: Caller,
    media: MediaType,
    read_only: bool,
) -> Response {
    let statuses = media.statuses();
    let registration = match state.persisted.apply(&mut params) {
        Ok(registration) => registration,
        Err(refusal) => return write(refusal.finish(statuses), Some(media)),
    };
    let request = match params.into_request(caller, state.engine.documents()) {
        Ok(request) => request.statuses(statuses),
        Err(rejection) => return write(rejection.finish(), Some(media)),
    };
    if read_only && request.is_mutation() {
        return write(params::refuse_mutation().finish(), Some(media));
    }
    let finished = state.engine.run(request).await;
    if finished.executed()
        && let Some(registration) = registration
    {
        state.persisted.register(registration);
    }
    write(finished, Some(media))
}

/// 406: `Accept` allows neither JSON media type. The body is JSON all the same.
fn not_acceptable() -> Response {
    tracing::info!(status = 406, "graphql request refused before execution");
    let err = AppError::bad_request(
        "the Accept header allows neither `application/graphql-response+json` nor `application/json`",
    );
    write(Finished::refused(StatusCode::NOT_ACCEPTABLE, &err), None)
}
