//! Leaving a load balancer's rotation before stopping: while an instance drains,
//! `/ready` answers 503 `SHUTTING_DOWN` and every HTTP/1 response closes its connection.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use axum::{
    extract::{Request, State},
    http::{HeaderValue, StatusCode, Version, header},
    middleware::Next,
    response::Response,
};

/// Whether this instance is on its way out; shared by the server loop (which sets it)
/// and the routes (which read it). Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    /// From now on `/ready` answers 503 and responses close their connections. There
    /// is no way back: a draining instance only stops.
    pub fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_draining(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// While draining, asks the client to close the connection after this response
/// (`Connection: close`; hyper then closes it once the response is written).
///
/// A load balancer keeps idle connections to its upstreams and reuses them. If the
/// server closed one of those while the balancer was writing a request onto it, the
/// balancer could not retry a POST (it cannot know whether the server acted on it) and
/// the client would get a 502. Closing each connection after a response, from our side
/// and in the open, empties the balancer's pool of connections to this instance during
/// the ready delay; once the listener closes, new connections are refused, which a
/// balancer retries on another instance whatever the method.
///
/// HTTP/2 has no `Connection` header (hyper's graceful shutdown sends GOAWAY instead),
/// and a protocol switch (101, a WebSocket) keeps its own.
pub async fn close_connections(
    State(draining): State<Draining>,
    request: Request,
    next: Next,
) -> Response {
    let http1 = matches!(request.version(), Version::HTTP_10 | Version::HTTP_11);
    let mut response = next.run(request).await;
    if http1 && draining.is_draining() && response.status() != StatusCode::SWITCHING_PROTOCOLS {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}
