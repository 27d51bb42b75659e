//! `/graphql` over WebSocket: subscriptions, in `graphql-transport-ws` or the legacy `subscriptions-transport-ws` protocol.
//!
//! async-graphql-axum's [`GraphQLWebSocket`] speaks the protocols; this module sits
//! between it and the socket and adds what it lacks:
//!
//! * the upgrade is refused (before any protocol message) for a browser origin that
//!   is neither this server's nor in `CORS_ALLOWED_ORIGINS` (cross-site WebSocket
//!   hijacking: browsers send cookies and no CORS check on an upgrade), and over the
//!   connection budgets (per address, per instance);
//! * the bearer token comes in `connection_init`'s payload (browsers cannot set
//!   headers on a WebSocket), or else the upgrade's `Authorization` header; a missing
//!   or bad one closes the socket with 4403, as does one user's connection budget;
//!   no `connection_init` within `LIVE_INIT_TIMEOUT_SECONDS`: 4408;
//! * the socket is closed with 4401 when the token expires (each subscription first
//!   ends with an UNAUTHENTICATED error), with 1001 when the server stops, and without
//!   ceremony when a WebSocket ping goes unanswered (a peer that vanished).
//!
//! Queries and mutations go over HTTP: on a socket they get one BAD_REQUEST error.

use std::{
    future::Future,
    net::IpAddr,
    sync::{Arc, Mutex, PoisonError, atomic::AtomicU32},
    time::Duration,
};

use async_graphql::{
    Data, Executor, Request, Response,
    parser::types::{DocumentOperations, OperationType},
};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response as HttpResponse},
};
use futures_util::{SinkExt, StreamExt, stream::BoxStream};
use tokio::time::{Instant, sleep_until};

use super::{AppState, respond::write};
use crate::{
    error::AppError,
    graphql::{AppSchema, response::Finished},
    live::{ConnectionPermit, LiveCaller, Refusal},
};

/// The protocols offered, in the order of preference.
const PROTOCOLS: [&str; 2] = ["graphql-transport-ws", "graphql-ws"];

/// How long after expiry the socket closes: the subscriptions' own errors go first.
const EXPIRY_GRACE: Duration = Duration::from_millis(250);

/// Upgrades `GET /graphql` to a WebSocket, or refuses it with an HTTP status.
pub fn upgrade(
    state: &AppState,
    ws: WebSocketUpgrade,
    protocol: Result<GraphQLProtocol, StatusCode>,
    headers: &HeaderMap,
    address: Option<IpAddr>,
) -> HttpResponse {
    if let Some(origin) = headers.get(header::ORIGIN)
        && !origin_allowed(state, origin.to_str().unwrap_or(""), headers)
    {
        tracing::info!(
            status = 403,
            "websocket upgrade from a foreign origin refused"
        );
        return refuse(
            StatusCode::FORBIDDEN,
            &AppError::NotAllowed(
                "this page's origin may not open live connections (CORS_ALLOWED_ORIGINS)",
            ),
        );
    }
    let Ok(protocol) = protocol else {
        return refuse(
            StatusCode::BAD_REQUEST,
            &AppError::bad_request(
                "Sec-WebSocket-Protocol must offer graphql-transport-ws or graphql-ws",
            ),
        );
    };
    let permit = match state.live.connect(address) {
        Ok(permit) => permit,
        Err(refusal) => {
            let status = match refusal {
                Refusal::InstanceFull => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::TOO_MANY_REQUESTS,
            };
            tracing::info!(
                status = status.as_u16(),
                "websocket upgrade over a live budget"
            );
            return refuse(
                status,
                &AppError::TooManySubscriptions(refusal.message().into()),
            );
        }
    };
    let header_token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .map(strip_bearer);
    let state = state.clone();
    ws.protocols(PROTOCOLS)
        .max_message_size(state.limits.max_body_bytes as usize)
        // Subscribers send little: small buffers keep 10,000 sockets cheap.
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0)
        .on_upgrade(move |socket| serve(state, socket, protocol, permit, header_token))
        .into_response()
}

fn refuse(status: StatusCode, err: &AppError) -> HttpResponse {
    write(Finished::refused(status, err), None)
}

/// Same origin as the request (the page this server serves), or one CORS allows.
fn origin_allowed(state: &AppState, origin: &str, headers: &HeaderMap) -> bool {
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .unwrap_or("");
    let same = origin
        .split_once("://")
        .is_some_and(|(scheme, rest)| matches!(scheme, "http" | "https") && rest == host);
    same || state.edge.allows_origin(origin)
}

fn strip_bearer(value: &str) -> String {
    let value = value.trim();
    match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim().to_owned(),
        _ => value.to_owned(),
    }
}

/// The bearer token in a `connection_init` payload: `Authorization` (or
/// `authorization`) as an HTTP header would carry it, the same inside `headers`
/// (Apollo's clients), or a bare `token` / `authToken`.
fn payload_token(payload: &serde_json::Value) -> Option<String> {
    let text =
        |v: &serde_json::Value, key: &str| v.get(key).and_then(|t| t.as_str()).map(str::to_owned);
    let headers = payload.get("headers").unwrap_or(&serde_json::Value::Null);
    text(payload, "Authorization")
        .or_else(|| text(payload, "authorization"))
        .or_else(|| text(headers, "Authorization"))
        .or_else(|| text(headers, "authorization"))
        .map(|value| strip_bearer(&value))
        .or_else(|| text(payload, "token"))
        .or_else(|| text(payload, "authToken"))
}

/// What a close frame says.
fn close(code: u16, reason: &str) -> CloseFrame {
    CloseFrame {
        code,
        reason: reason.into(),
    }
}

/// Runs one connection until either side ends it.
async fn serve(
    state: AppState,
    socket: WebSocket,
    protocol: GraphQLProtocol,
    mut permit: ConnectionPermit,
    header_token: Option<String>,
) {
    let settings = state.live.settings.clone();
    let ping_interval = Duration::from_secs(settings.live_ping_interval_seconds);
    let pong_timeout = Duration::from_secs(settings.live_pong_timeout_seconds);
    let (mut sink, mut stream) = socket.split();

    // The protocol engine reads from and writes to channels, so that this loop sees
    // every message both ways.
    let (to_engine, from_socket) = tokio::sync::mpsc::channel::<Message>(16);
    let (to_socket, mut from_engine) = tokio::sync::mpsc::channel::<Message>(16);
    let input = futures_util::stream::unfold(from_socket, |mut rx| async move {
        rx.recv().await.map(|m| (Ok::<_, axum::Error>(m), rx))
    });
    let output = futures_util::sink::unfold(to_socket, |tx, m: Message| async move {
        tx.send(m).await.map(|()| tx).map_err(|_| ())
    });
    // The connection's data, put here by this loop once it verified the token.
    let accepted: Arc<Mutex<Option<Data>>> = Arc::default();
    let slot = accepted.clone();
    let engine = GraphQLWebSocket::new_with_pair(
        output,
        input,
        SubscriptionsOnly(state.engine.schema().clone()),
        protocol,
    )
    .on_connection_init(move |_payload| async move {
        slot.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .ok_or_else(|| async_graphql::Error::new("connection_init was refused"))
    });
    let engine = tokio::spawn(engine.serve());

    let init_deadline = Instant::now() + Duration::from_secs(settings.live_init_timeout_seconds);
    let mut expires_at: Option<Option<Instant>> = None;
    let mut last_heard = Instant::now();
    let mut ping_sent: Option<Instant> = None;
    let mut stopping = state.live.stopping();
    let closing: Option<CloseFrame> = loop {
        let ping_at = match ping_sent {
            Some(sent) => sent + pong_timeout,
            None => last_heard + ping_interval,
        };
        let expiry = async {
            match expires_at {
                Some(Some(at)) => sleep_until(at + EXPIRY_GRACE).await,
                _ => std::future::pending().await,
            }
        };
        tokio::select! {
            incoming = stream.next() => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    Some(Err(_)) | None => break None,
                };
                last_heard = Instant::now();
                ping_sent = None;
                let text = match message {
                    Message::Text(text) => text,
                    Message::Close(_) => break None,
                    // Pings are answered by axum; either way the peer is alive.
                    Message::Ping(_) | Message::Pong(_) | Message::Binary(_) => continue,
                };
                if expires_at.is_none() && is_connection_init(text.as_str()) {
                    match authenticate(&state, text.as_str(), header_token.as_deref(), &mut permit).await {
                        Ok((data, until)) => {
                            *accepted.lock().unwrap_or_else(PoisonError::into_inner) = Some(data);
                            expires_at = Some(until);
                        }
                        Err(frame) => break Some(frame),
                    }
                }
                if to_engine.send(Message::Text(text)).await.is_err() {
                    break None;
                }
            }
            outgoing = from_engine.recv() => {
                let Some(message) = outgoing else { break None };
                let last = matches!(message, Message::Close(_));
                if sink.send(message).await.is_err() || last {
                    break None;
                }
            }
            () = sleep_until(init_deadline), if expires_at.is_none() => {
                break Some(close(4408, "Connection initialisation timeout"));
            }
            () = sleep_until(ping_at) => {
                if ping_sent.is_some() {
                    tracing::debug!("websocket peer stopped answering pings; closing");
                    break None;
                }
                if sink.send(Message::Ping(Default::default())).await.is_err() {
                    break None;
                }
                ping_sent = Some(Instant::now());
            }
            () = expiry => break Some(close(4401, "the bearer token has expired")),
            _ = stopping.changed() => break Some(close(1001, "the server is shutting down")),
        }
    };
    if let Some(frame) = closing {
        let _ = sink.send(Message::Close(Some(frame))).await;
    }
    let _ = sink.close().await;
    engine.abort();
}

fn is_connection_init(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Kind<'a> {
        #[serde(rename = "type", borrow)]
        kind: &'a str,
    }
    serde_json::from_str::<Kind<'_>>(text).is_ok_and(|k| k.kind == "connection_init")
}

/// Verifies the token of a `connection_init` and counts the connection against its
/// user: the connection's data and when its token expires, or the close frame.
async fn authenticate(
    state: &AppState,
    text: &str,
    header_token: Option<&str>,
    permit: &mut ConnectionPermit,
) -> Result<(Data, Option<Instant>), CloseFrame> {
    let payload = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|message| message.get("payload").cloned())
        .unwrap_or_default();
    let token = payload_token(&payload).or_else(|| header_token.map(str::to_owned));
    let Some(token) = token else {
        return Err(close(
            4403,
            "Forbidden: send the bearer token in connection_init's payload as {\"Authorization\": \"Bearer <token>\"}",
        ));
    };
    let identity = match state.verifier.identify(&state.db, &token).await {
        Ok(identity) => identity,
        Err(err) => return Err(close(4403, &format!("Forbidden: {}", err.message()))),
    };
    if let Err(refusal) = permit.bind_user(identity.user_id) {
        return Err(close(4429, refusal.message()));
    }
    let until = identity.expires_at.map(|at| {
        let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
        Instant::now() + left
    });
    let mut data = Data::default();
    data.insert(LiveCaller {
        user_id: identity.user_id,
        expires_at: identity.expires_at,
        subscriptions: Arc::new(AtomicU32::new(0)),
    });
    Ok((data, until))
}

/// The schema, refusing anything but a subscription (queries and mutations go over
/// HTTP, through the whole request pipeline).
#[derive(Clone)]
struct SubscriptionsOnly(AppSchema);

impl Executor for SubscriptionsOnly {
    fn execute(&self, request: Request) -> impl Future<Output = Response> + Send {
        let schema = self.0.clone();
        async move { schema.execute(request).await }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        if is_query_or_mutation(&request) {
            let err = AppError::bad_request(
                "this socket serves subscriptions; send queries and mutations to POST /graphql",
            );
            let response = Response::from_errors(vec![err.to_server_error(None)]);
            return futures_util::stream::once(async move { response }).boxed();
        }
        Executor::execute_stream(&self.0, request, session_data)
    }
}

/// True when the operation the request runs is a query or a mutation (a document
/// that does not parse goes on, for the schema to report).
fn is_query_or_mutation(request: &Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let ty = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        _ => None,
    };
    matches!(ty, Some(OperationType::Query | OperationType::Mutation))
}
