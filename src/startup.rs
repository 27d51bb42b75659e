//! Building the application once, the same way for `main` and for every test.

use std::{future::Future, net::SocketAddr};

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::{
    auth::{Keys, secret},
    config::Config,
    db::{self, StatementCounter},
    graphql::{self, QueryLimits},
    http::{self, AppState},
    seed,
};

/// Connects, migrates and (if wanted) seeds the database, and builds the keys.
pub async fn prepare(
    config: &Config,
) -> anyhow::Result<(DatabaseConnection, StatementCounter, Keys)> {
    let url = config.effective_database_url();
    if config.is_embedded_default() {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                config.data_dir.display()
            )
        })?;
    }
    let secret = secret::load_or_create(config)?;
    let keys = Keys::new(
        &secret,
        &config.jwt_issuer,
        &config.jwt_audience,
        config.token_ttl_seconds,
    );
    let (db, statements) = db::connect(&url, config.database_max_connections)
        .await
        .context("cannot connect to the database (check DATABASE_URL)")?;
    db::migrate(&db)
        .await
        .context("database migration failed")?;
    if config.wants_demo_data() {
        seed::seed_demo_if_empty(&db)
            .await
            .context("seeding the demo data failed")?;
    }
    Ok((db, statements, keys))
}

/// A bound, ready-to-serve application.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Prepares the database and binds `bind` (port 0 picks a free port).
    pub async fn build(config: &Config, bind: SocketAddr) -> anyhow::Result<Self> {
        let (db, statements, keys) = prepare(config).await?;
        let schema = graphql::build_schema(db.clone(), keys.clone(), QueryLimits::default());
        let state = AppState::new(db, schema, keys, statements);
        let listener = TcpListener::bind(bind)
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
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

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        axum::serve(self.listener, http::router(self.state))
            .with_graceful_shutdown(shutdown)
            .await?;
        Ok(())
    }
}
