//! One accepted connection served by hyper: its protocol (HTTP/1, or HTTP/2 with prior
//! knowledge) chosen from its first bytes, and its graceful shutdown.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::Router;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto::Builder,
    service::TowerToHyperService,
};
use tokio::{net::TcpStream, sync::watch};

use crate::rate_limit::ClientAddress;

/// What an HTTP/2 client sends first (RFC 9113, 3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// hyper's connection builders, configured once: one per protocol, and the detecting one.
pub struct Protocols {
    header_read_timeout: Duration,
    detect: Builder<TokioExecutor>,
    http1: Builder<TokioExecutor>,
    http2: Builder<TokioExecutor>,
}

impl Protocols {
    pub fn new(header_read_timeout: Duration) -> Arc<Self> {
        let mut detect = Builder::new(TokioExecutor::new());
        detect
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout);
        Arc::new(Self {
            header_read_timeout,
            http1: detect.clone().http1_only(),
            http2: detect.clone().http2_only(),
            detect,
        })
    }

    /// The builder for `stream`, from the bytes it has sent (without consuming them);
    /// `None` when it closes or sends nothing within the header read timeout.
    ///
    /// Why not hyper-util's own detection: a connection still detecting when the graceful
    /// shutdown starts is closed at once, even if its request is already in the socket,
    /// and a load balancer that wrote a POST on it cannot retry it (a 502 for the client;
    /// seen under load behind nginx). A connection known to be HTTP/1 instead serves the
    /// request it has and then closes.
    async fn for_stream(&self, stream: &TcpStream) -> Option<&Builder<TokioExecutor>> {
        let mut first = [0u8; H2_PREFACE.len()];
        let peeked = tokio::time::timeout(self.header_read_timeout, stream.peek(&mut first));
        let n = match peeked.await {
            Ok(Ok(n)) if n > 0 => n,
            _ => return None,
        };
        Some(if first[..n] != H2_PREFACE[..n] {
            &self.http1
        } else if n == H2_PREFACE.len() {
            &self.http2
        } else {
            // A part of the preface so far (rare: a client writing a byte at a time);
            // hyper-util reads the rest.
            &self.detect
        })
    }
}

/// Tells every connection to finish and waits for them to end. Each connection holds a
/// [`Watcher`] from the moment it is accepted until it ends.
///
/// Like hyper-util's `GracefulShutdown`, with one difference: a connection is polled (so
/// hyper reads the request already in its socket) before it is told to shut down. hyper
/// closes an HTTP/1 connection that has read nothing yet at once, and closing a socket
/// with unread data sends a reset: a load balancer that wrote a POST on a connection we
/// accepted just before stopping got a 502 (seen behind nginx, `.ci/loadbalancer`).
pub struct Shutdown(watch::Sender<bool>);

/// A connection's share of the [`Shutdown`]: it says when to finish, and holding it
/// keeps the shutdown waiting.
pub struct Watcher(watch::Receiver<bool>);

impl Default for Shutdown {
    fn default() -> Self {
        Self(watch::channel(false).0)
    }
}

impl Shutdown {
    pub fn watcher(&self) -> Watcher {
        Watcher(self.0.subscribe())
    }

    /// Tells every connection to finish, and resolves once all of them have ended.
    pub async fn shutdown(self) {
        let _ = self.0.send(true);
        self.0.closed().await;
    }
}

/// Serves `stream` on a task of its own until it closes; `watcher` (taken when the
/// connection was accepted) holds the shutdown until it ends.
pub fn spawn(
    protocols: Arc<Protocols>,
    router: Router,
    stream: TcpStream,
    peer: SocketAddr,
    watcher: Watcher,
) {
    // Rate limits of anonymous clients and login attempts key on the peer.
    let service = TowerToHyperService::new(router.layer(axum::Extension(ClientAddress(peer.ip()))));
    tokio::spawn(async move {
        let Watcher(mut stopping) = watcher;
        let Some(builder) = protocols.for_stream(&stream).await else {
            return;
        };
        let mut connection =
            std::pin::pin!(builder.serve_connection_with_upgrades(TokioIo::new(stream), service));
        // `biased`: the connection is polled first, every time, so it has read what the
        // peer sent (at least the bytes peeked above) before it learns of the shutdown.
        let ended = tokio::select! {
            biased;
            result = connection.as_mut() => Some(result),
            _ = stopping.wait_for(|stop| *stop) => None,
        };
        let result = match ended {
            Some(result) => result,
            None => {
                // HTTP/1: finish the request under way, then close; HTTP/2: GOAWAY.
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(err) = result {
            tracing::debug!(error = %err, "connection ended with an error");
        }
        drop(stopping);
    });
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::{Router, routing::post};
    use tokio::{
        io::{AsyncReadExt, AsyncWriteExt},
        net::{TcpListener, TcpStream},
    };

    use super::{Protocols, Shutdown, spawn};

    /// A POST accepted just as the server stops: its bytes are in the socket, hyper has
    /// read none of them, and the shutdown is already under way. It must be answered,
    /// not reset.
    #[tokio::test]
    async fn a_request_accepted_as_the_shutdown_starts_is_answered() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let mut client = TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        client
            .write_all(b"POST /q HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
            .await
            .expect("send");
        let (stream, peer) = listener.accept().await.expect("accept");

        let shutdown = Shutdown::default();
        let watcher = shutdown.watcher();
        let _ = shutdown.0.send(true);
        let router = Router::new().route("/q", post(|| async { "answered" }));
        spawn(
            Protocols::new(Duration::from_secs(5)),
            router,
            stream,
            peer,
            watcher,
        );

        let mut response = String::new();
        tokio::time::timeout(
            Duration::from_secs(10),
            client.read_to_string(&mut response),
        )
        .await
        .expect("the server closes the connection after answering")
        .expect("a response, not a reset");
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("answered"), "{response}");
        tokio::time::timeout(Duration::from_secs(10), shutdown.shutdown())
            .await
            .expect("the shutdown ends with the connection");
    }
}
