//! Building the application once, the same way for `main` and for every test.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::{
    auth::{Keys, Verifier, jwks::ExternalVerifier, secret},
    config::Config,
    db::{self, StatementCounter, replicas::Replicas},
    graphql::{cache::SharedCache, pipeline::Engine, responses::ResponseCache},
    http::{self, AppState, Inner, edge::Edge, persisted::PersistedQueries},
    live::Live,
    rate_limit::RateLimiter,
    seed,
    telemetry::{Telemetry, Traces},
};

/// Connects to the configured database without touching its schema (creating the data
/// directory of the embedded default first): the one connect path of every subcommand.
pub async fn connect(config: &Config) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    connect_observed(config, |_| {}).await
}

/// [`connect`], with `observe` called after every SQL statement (telemetry).
async fn connect_observed(
    config: &Config,
    observe: impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    ensure_data_dir(config)?;
    db::connect_observed(
        &config.effective_database_url(),
        config.database_max_connections,
        Duration::from_millis(config.database_acquire_timeout_ms),
        Duration::from_millis(config.limits.statement_timeout_ms),
        observe,
    )
    .await
    .context("cannot connect to the database (check DATABASE_URL)")
}

/// Connects and checks (per `MIGRATE_AT_START`: migrates) the schema, without seeding:
/// for `import` and `export`, which must see exactly the data that is there.
pub async fn open(config: &Config) -> anyhow::Result<(DatabaseConnection, StatementCounter)> {
    let (db, statements) = connect(config).await?;
    db::prepare_schema(&db, schema_mode(config))
        .await
        .context("cannot use this database")?;
    Ok((db, statements))
}

/// The embedded default keeps its database and signing secret in the data directory.
fn ensure_data_dir(config: &Config) -> anyhow::Result<()> {
    if config.is_embedded_default() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
    }
    Ok(())
}

fn schema_mode(config: &Config) -> db::SchemaMode {
    if config.migrate_at_start {
        db::SchemaMode::Migrate
    } else {
        db::SchemaMode::Verify
    }
}

/// Connects, checks and migrates the schema, (if wanted) seeds the database, and builds
/// the keys. Fails, saying why, on a database this binary cannot serve.
pub async fn prepare(
    config: &Config,
) -> anyhow::Result<(DatabaseConnection, StatementCounter, Keys)> {
    prepare_observed(config, |_| {}).await
}

/// [`prepare`], with `observe` called after every SQL statement (telemetry).
pub async fn prepare_observed(
    config: &Config,
    observe: impl Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
) -> anyhow::Result<(DatabaseConnection, StatementCounter, Keys)> {
    ensure_data_dir(config)?;
    let secret = secret::load_or_create(config)?;
    let keys = Keys::new(
        &secret,
        &config.jwt_issuer,
        &config.jwt_audience,
        config.token_ttl_seconds,
    );
    let (db, statements) = connect_observed(config, observe).await?;
    // A database a newer binary migrated is refused here, naming its migrations.
    db::prepare_schema(&db, schema_mode(config))
        .await
        .context("cannot start on this database")?;
    if config.wants_demo_data() {
        seed::seed_demo_if_empty(&db)
            .await
            .context("seeding the demo data failed")?;
    }
    Ok((db, statements, keys))
}

/// The read replicas of `DATABASE_REPLICA_URLS` (none: `None`), their checks started.
async fn open_replicas(
    config: &Config,
    telemetry: &Telemetry,
) -> anyhow::Result<Option<Arc<Replicas>>> {
    let urls = config.replica_urls()?;
    if urls.is_empty() {
        return Ok(None);
    }
    let replicas = Replicas::open(
        &urls,
        Duration::from_millis(config.max_replica_lag_ms),
        Duration::from_millis(config.replica_check_interval_ms),
        |url| {
            let observe = telemetry.statement_observer();
            async move {
                db::connect_replica(
                    &url,
                    config.database_max_connections,
                    Duration::from_millis(config.database_acquire_timeout_ms),
                    Duration::from_millis(config.limits.statement_timeout_ms),
                    observe,
                )
                .await
            }
        },
    )
    .await
    .context("cannot open the read replicas (DATABASE_REPLICA_URLS)")?;
    let replicas = Arc::new(replicas);
    replicas
        .spawn_checks(&config.effective_database_url())
        .await
        .context("cannot open the replica checks' connection to the primary")?;
    Ok(Some(replicas))
}

/// A bound, ready-to-serve application.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    header_read_timeout: Duration,
}

/// How long shutdown waits for in-flight requests before it closes their connections.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

impl Application {
    /// Prepares the database and binds `bind` (port 0 picks a free port). Traces go to
    /// the configured OTLP endpoint, if any.
    pub async fn build(config: &Config, bind: SocketAddr) -> anyhow::Result<Self> {
        let telemetry = Telemetry::from_config(&config.telemetry)?;
        Self::build_with_telemetry(config, bind, telemetry).await
    }

    /// [`build`](Self::build), with the spans handed to `traces` whatever the
    /// configuration says (tests: an in-memory exporter).
    pub async fn build_with_traces(
        config: &Config,
        bind: SocketAddr,
        traces: Traces,
    ) -> anyhow::Result<Self> {
        let telemetry = Telemetry::new(&config.telemetry, Some(traces))?;
        Self::build_with_telemetry(config, bind, telemetry).await
    }

    async fn build_with_telemetry(
        config: &Config,
        bind: SocketAddr,
        telemetry: Telemetry,
    ) -> anyhow::Result<Self> {
        // The identity provider's settings and keys first: a server that could not
        // check its tokens does not start.
        let external = ExternalVerifier::from_config(&config.external_auth).await?;
        // So is one with a bad trusted-documents manifest or CORS origin.
        let persisted = PersistedQueries::from_config(&config.delivery)?;
        let edge = Edge::from_config(&config.delivery)?;
        // And one with a malformed RATE_LIMIT_REDIS_URL; an unreachable Redis is logged
        // and budgets are counted in memory until it answers.
        let limiter = Arc::new(
            RateLimiter::new(&config.rate_limits)?
                .with_rejections(telemetry.metrics().rate_limited.clone())
                .with_backend_gauge(telemetry.metrics().rate_limit_backend.clone()),
        );
        limiter.connect().await;
        let (db, statements, keys) =
            prepare_observed(config, telemetry.statement_observer()).await?;
        if let Some(external) = &external {
            external.spawn_refresh();
        }
        let verifier = Verifier::new(keys.clone(), external);
        let cache = SharedCache::new(
            config.delivery.shared_cache_entries as usize,
            Duration::from_secs(config.delivery.shared_cache_max_age_seconds.into()),
        );
        let replicas = open_replicas(config, &telemetry).await?;
        let live = Live::start(
            config.live.clone(),
            &db,
            &config.effective_database_url(),
            config.database_max_connections,
        );
        let engine = Engine::new(
            db.clone(),
            keys.clone(),
            &config.limits,
            config.production,
            limiter.clone(),
            cache,
            Some(live.clone()),
        )?
        .with_replicas(replicas.clone())
        .with_responses(ResponseCache::from_config(&config.delivery));
        let state = AppState::new(Inner {
            db,
            engine,
            keys,
            verifier,
            statements,
            limits: config.limits.clone(),
            production: config.production,
            persisted,
            edge,
            telemetry,
            limiter,
            live,
            replicas,
            draining: http::drain::Draining::default(),
        });
        let listener = TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        Ok(Self {
            listener,
            state,
            header_read_timeout: Duration::from_millis(config.limits.header_read_timeout_ms),
        })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Counts the SQL statements each read replica ran (in `DATABASE_REPLICA_URLS` order).
    pub fn replica_statements(&self) -> Vec<StatementCounter> {
        self.state
            .replicas
            .iter()
            .flat_map(|r| r.members.iter().map(|m| m.statements.clone()))
            .collect()
    }

    /// Counts the SQL statements this application runs.
    pub fn statements(&self) -> StatementCounter {
        self.state.statements.clone()
    }

    pub fn keys(&self) -> Keys {
        self.state.keys.clone()
    }

    pub fn db(&self) -> DatabaseConnection {
        self.state.db.clone()
    }

    /// This instance's metrics and tracer.
    pub fn telemetry(&self) -> Telemetry {
        self.state.telemetry.clone()
    }

    /// Serves until `shutdown` resolves, then stops accepting, finishes in-flight
    /// requests (for at most 30 s) and returns: [`run_with_drain`](Self::run_with_drain)
    /// with no time between leaving the rotation and stopping.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        self.run_with_drain(shutdown, async {}).await
    }

    /// Serves until `leave` resolves. Then the instance leaves the load balancer's
    /// rotation while it still serves: `/ready` answers 503 `SHUTTING_DOWN` and every
    /// HTTP/1 response closes its connection ([`http::drain`]), until `stop` resolves
    /// (`main`: after `SHUTDOWN_READY_DELAY_MS`, or at a second signal). Then it stops
    /// accepting (connections already waiting in the listen backlog are accepted and
    /// served first), tells WebSockets to close (1001), finishes in-flight requests for
    /// at most 30 s, and returns.
    ///
    /// Hyper is driven directly rather than through `axum::serve`, which has no header
    /// read timeout: without one, a client that sends its headers a byte at a time
    /// holds a connection forever.
    pub async fn run_with_drain(
        self,
        leave: impl Future<Output = ()> + Send + 'static,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let telemetry = self.state.telemetry.clone();
        let live = self.state.live.clone();
        let draining = self.state.draining.clone();
        let router = http::router(self.state);
        let protocols = http::connection::Protocols::new(self.header_read_timeout);
        let graceful = http::connection::Shutdown::default();
        // The watcher is taken at accept: the shutdown then waits for the connection
        // even while its protocol is still being read.
        let serve = |stream: tokio::net::TcpStream, peer: SocketAddr| {
            http::connection::spawn(
                protocols.clone(),
                router.clone(),
                stream,
                peer,
                graceful.watcher(),
            );
        };
        tokio::pin!(leave, stop);
        let mut leaving = false;
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    match accepted {
                        Ok((stream, peer)) => serve(stream, peer),
                        Err(err) => {
                            // Out of file descriptors and the like: back off, do not spin.
                            tracing::warn!(error = %err, "accepting a connection failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
                () = &mut leave, if !leaving => {
                    leaving = true;
                    draining.start();
                    tracing::info!("leaving the load balancer: /ready answers 503, requests are still served");
                }
                () = &mut stop, if leaving => break,
            }
        }
        // A connection the kernel has completed but nobody accepted would be reset when
        // the listener closes, after the client (a load balancer) may have written a
        // request it will not retry. Accept what is queued, straight from the socket
        // (the reactor may not have seen it yet), and serve it like any other.
        let swept = match self.listener.into_std() {
            Ok(listener) => {
                let mut swept = 0_u32;
                while let Ok((stream, peer)) = listener.accept() {
                    match stream
                        .set_nonblocking(true)
                        .and_then(|()| tokio::net::TcpStream::from_std(stream))
                    {
                        Ok(stream) => {
                            serve(stream, peer);
                            swept += 1;
                        }
                        Err(err) => tracing::warn!(error = %err, "a queued connection failed"),
                    }
                }
                swept
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot sweep the listen backlog");
                0
            }
        };
        tracing::info!(
            queued = swept,
            "stopped accepting connections; finishing in-flight requests"
        );
        // Upgraded connections are no longer hyper's to drain: tell them to close (1001).
        live.shut_down();
        if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("in-flight requests did not finish within 30 s; closing them");
        }
        // The exporter blocks while it flushes; keep that off the async workers.
        let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
        Ok(())
    }
}
