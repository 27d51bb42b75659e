//! `spawn_app`: a server on a random port over a fresh database, and request helpers.

use std::net::SocketAddr;

use rand::Rng;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use session_analytics::{
    auth::Keys,
    config::{Config, Delivery, DemoData, ExternalAuth, Limits, RateLimits, Secret, Telemetry},
    db::StatementCounter,
    entity::enums::Role,
    startup::Application,
    telemetry::Traces,
};

pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const ISSUER: &str = "session-analytics";
pub const AUDIENCE: &str = "session-analytics-api";

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub statements: StatementCounter,
    /// Statements each read replica ran (empty without `DATABASE_REPLICA_URLS`).
    pub replica_statements: Vec<StatementCounter>,
    pub keys: Keys,
    pub db: DatabaseConnection,
    _scratch: Scratch,
}

/// A test's own scratch space: a temporary directory and, with `TEST_DATABASE_URL`,
/// the PostgreSQL databases it created, dropped again when the test ends.
pub struct Scratch {
    dir: tempfile::TempDir,
    databases: Vec<String>,
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Scratch {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            databases: Vec::new(),
        }
    }

    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// A fresh, empty database: a new PostgreSQL database when `TEST_DATABASE_URL` is
    /// set, else a new SQLite file in the scratch directory.
    pub async fn database_url(&mut self) -> String {
        let Some(base) = postgres_base() else {
            let file = format!("test-{}.db", self.databases.len());
            self.databases.push(file.clone());
            return format!("sqlite://{}?mode=rwc", self.dir.path().join(file).display());
        };
        let name = format!("sa_test_{:016x}", rand::rng().random::<u64>());
        let admin = Database::connect(base.as_str())
            .await
            .expect("TEST_DATABASE_URL must point at a reachable PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("creating the test database");
        admin.close().await.ok();
        self.databases.push(name.clone());
        let (prefix, rest) = base
            .rsplit_once('/')
            .expect("TEST_DATABASE_URL has a database name");
        let query = rest
            .split_once('?')
            .map(|(_, q)| format!("?{q}"))
            .unwrap_or_default();
        format!("{prefix}/{name}{query}")
    }
}

fn postgres_base() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// First line of every PostgreSQL-only test, each also marked
/// `#[ignore = "needs PostgreSQL: ..."]`. The mark makes `cargo test` on SQLite list the
/// test as ignored rather than as passed; this panic makes a run with
/// `--include-ignored` but no PostgreSQL fail rather than pass without having tested.
pub fn require_postgres() {
    if postgres_base().is_none() {
        panic!(
            "this test needs PostgreSQL and TEST_DATABASE_URL is not set: run \
             TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo test -- --include-ignored"
        );
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let Some(base) = postgres_base() else { return };
        let names = std::mem::take(&mut self.databases);
        // Drop cannot await, and the test's own runtime may be shutting down: use a
        // thread with its own. FORCE ends the server's pooled connections to it.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(base.as_str()).await {
                    for name in names {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = admin.execute_unprepared(&sql).await;
                    }
                    let _ = admin.close().await;
                }
            });
        })
        .join();
    }
}

pub fn test_config(dir: &std::path::Path, database_url: String) -> Config {
    Config {
        database_url: Some(database_url),
        database_replica_urls: Vec::new(),
        max_replica_lag_ms: 2_000,
        replica_check_interval_ms: 500,
        data_dir: dir.to_path_buf(),
        database_max_connections: 5,
        database_acquire_timeout_ms: 2_000,
        jwt_secret: Some(Secret::new(TEST_SECRET)),
        jwt_issuer: ISSUER.into(),
        jwt_audience: AUDIENCE.into(),
        token_ttl_seconds: 3600,
        demo_data: DemoData::Never,
        migrate_at_start: true,
        production: false,
        limits: Limits::default(),
        rate_limits: RateLimits::default(),
        external_auth: ExternalAuth::default(),
        delivery: Delivery::default(),
        telemetry: Telemetry::default(),
        live: Default::default(),
    }
}

/// With `TEST_LOG_FILE` set, every test server logs into that file (more verbosely than
/// production does), so CI can check that the whole suite logged no personal data,
/// secret or token (`.ci/check-logs`).
///
/// Without it, a bare global subscriber is installed all the same. tracing caches each
/// log call site's interest process-wide; with only one subscriber registered (a test's
/// thread-local capture in `telemetry.rs`), a call site first reached by a thread with no
/// subscriber is cached as "never" and the capturing test misses its line. A second,
/// global subscriber makes tracing ask every subscriber instead.
fn capture_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Some(path) = std::env::var_os("TEST_LOG_FILE") else {
            let _ = tracing_subscriber::util::SubscriberInitExt::try_init(
                tracing_subscriber::registry(),
            );
            return;
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("TEST_LOG_FILE can be opened");
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                "info,session_analytics=trace,sea_orm=debug,sqlx=debug,tower_http=debug",
            )
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .try_init();
    });
}

/// Starts the application on an empty, migrated database.
pub async fn spawn_app() -> TestApp {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    spawn_with_config(test_config(scratch.path(), url), scratch).await
}

/// Starts the application with `config`; `scratch` lives as long as the app.
pub async fn spawn_with_config(config: Config, scratch: Scratch) -> TestApp {
    capture_logs();
    let app = Application::build(&config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the application builds");
    serve(app, scratch)
}

/// Starts the application with `config`, its spans handed to `traces`.
pub async fn spawn_with_traces(config: Config, scratch: Scratch, traces: Traces) -> TestApp {
    capture_logs();
    let address = "127.0.0.1:0".parse().expect("address");
    let app = Application::build_with_traces(&config, address, traces)
        .await
        .expect("the application builds");
    serve(app, scratch)
}

fn serve(app: Application, scratch: Scratch) -> TestApp {
    let addr = app.local_addr().expect("bound address");
    let (statements, keys, db) = (app.statements(), app.keys(), app.db());
    let replica_statements = app.replica_statements();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp {
        addr,
        client: reqwest::Client::new(),
        statements,
        replica_statements,
        keys,
        db,
        _scratch: scratch,
    }
}

/// A GraphQL response: the HTTP status and the JSON body.
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The `extensions.code` of the first error, or panics with the body.
    pub fn error_code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error, got {}", self.body))
    }

    /// `data`, after asserting there were no errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        &self.body["data"]
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// GETs `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the server")
    }

    /// POSTs a GraphQL document with an optional raw Authorization header value.
    pub async fn post_raw(
        &self,
        authorization: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Reply {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.expect("request reaches the server");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.expect("a JSON body");
        Reply {
            status,
            headers,
            body,
        }
    }

    /// POSTs a GraphQL document as the bearer of `token` and returns the body as sent,
    /// for tests that read more than its JSON value (the order of keys, say).
    pub async fn post_text(&self, token: Option<&str>, query: &str, variables: Value) -> String {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request reaches the server");
        response.text().await.expect("a body")
    }

    /// POSTs a GraphQL document as the bearer of `token` (none when `None`).
    pub async fn query(&self, token: Option<&str>, query: &str, variables: Value) -> Reply {
        let header = token.map(|t| format!("Bearer {t}"));
        self.post_raw(header.as_deref(), query, variables).await
    }

    /// A valid token for a user, minted with the server's own keys.
    pub fn token(&self, user_id: i64, role: Role) -> String {
        self.keys.issue(user_id, role).expect("a token").token
    }

    /// Runs `query` and returns how many SQL statements it caused.
    pub async fn count_statements(
        &self,
        token: &str,
        query: &str,
        variables: Value,
    ) -> (u64, Reply) {
        let before = self.statements.get();
        let reply = self.query(Some(token), query, variables).await;
        (self.statements.get() - before, reply)
    }
}

/// The challenge of a 401 for a bad bearer token (RFC 6750).
pub const CHALLENGE: &str = r#"Bearer error="invalid_token""#;

/// Asserts the whole request was refused: HTTP 401, the RFC 6750 challenge, and a
/// GraphQL-shaped body with only an UNAUTHENTICATED error carrying `message` (any
/// message when `None`).
pub fn assert_refused(reply: &Reply, case: &str, message: impl Into<Option<&'static str>>) {
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "{case}: {}",
        reply.body
    );
    assert_eq!(
        reply
            .headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some(CHALLENGE),
        "{case}"
    );
    assert_eq!(reply.error_code(), "UNAUTHENTICATED", "{case}");
    assert_eq!(
        reply.body["errors"][0]["extensions"]["status"], 401,
        "{case}"
    );
    let text = reply.body["errors"][0]["message"].as_str();
    assert!(text.is_some_and(|t| !t.is_empty()), "{case}: a message");
    if let Some(message) = message.into() {
        assert_eq!(text, Some(message), "{case}");
    }
    assert_eq!(
        reply.body["errors"].as_array().map(Vec::len),
        Some(1),
        "{case}"
    );
    assert!(
        reply.body.get("data").is_none(),
        "{case}: a refused request carries no data: {}",
        reply.body
    );
}
