//! A TCP proxy a test can cut: a database (primary or replica) "stops" without touching the real cluster.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// How long a proxy waits for its connections to close.
const HANG: Duration = Duration::from_secs(15);

/// Forwards 127.0.0.1:<port> to `upstream`.
///
/// * `cut` drops every forwarded connection and accepts new ones only to close them at
///   once (a database that fails mid-conversation); `restore` forwards again.
/// * `stop` also closes the listening socket, so connecting is refused, as with a
///   stopped database server; `start_again` listens on the same port again.
pub struct Proxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    open: watch::Sender<bool>,
    /// Connections being forwarded right now.
    pub live: Arc<AtomicUsize>,
    /// The accept loop; `None` while stopped.
    accepting: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let mut proxy = Self {
            addr: listener.local_addr().expect("proxy address"),
            upstream,
            open: watch::channel(true).0,
            live: Arc::new(AtomicUsize::new(0)),
            accepting: None,
        };
        proxy.accept_on(listener);
        proxy
    }

    fn accept_on(&mut self, listener: TcpListener) {
        let (upstream, watching, live) = (self.upstream, self.open.subscribe(), self.live.clone());
        self.accepting = Some(tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let mut open = watching.clone();
                if !*open.borrow() {
                    continue; // refused: dropping `client` closes it
                }
                live.fetch_add(1, Ordering::SeqCst);
                let live = live.clone();
                tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        tokio::select! {
                            biased;
                            // Cut: both ends are dropped, so both see the connection close.
                            _ = open.wait_for(|open| !*open) => {}
                            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        }
                    }
                    drop(client);
                    live.fetch_sub(1, Ordering::SeqCst);
                });
            }
        }));
    }

    pub fn cut(&self) {
        self.open.send_replace(false);
    }

    /// Cuts, and returns once every forwarded connection is closed.
    pub async fn cut_and_wait(&self) {
        self.cut();
        let deadline = Instant::now() + HANG;
        while self.live.load(Ordering::SeqCst) > 0 {
            assert!(
                Instant::now() < deadline,
                "the proxy never closed its connections"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    pub fn restore(&self) {
        self.open.send_replace(true);
    }

    /// Cuts and stops listening: connecting is refused.
    pub async fn stop(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
            let _ = accepting.await; // the listener is closed once the task is gone
        }
        self.cut_and_wait().await;
    }

    /// Listens on the same port again and forwards.
    pub async fn start_again(&mut self) {
        let listener = TcpListener::bind(self.addr)
            .await
            .expect("listen on the proxy's port again");
        self.accept_on(listener);
        self.restore();
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn url_for(&self, url: &str) -> String {
        let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let user = authority
            .rsplit_once('@')
            .map(|(user, _)| format!("{user}@"))
            .unwrap_or_default();
        format!("{scheme}://{user}{}{path}", self.addr)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
        }
        self.cut();
    }
}

/// The host and port a PostgreSQL URL points at (loopback in every test set-up).
pub async fn upstream_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").expect("a URL with a scheme").1;
    let authority = rest.split('/').next().unwrap_or(rest);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    let host_port = if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    };
    let addr = tokio::net::lookup_host(host_port.as_str())
        .await
        .expect("resolve the database host")
        .next()
        .expect("an address");
    assert!(
        addr.ip().is_loopback(),
        "the fault tests only proxy loopback databases"
    );
    addr
}
