//! Typed configuration: every setting is a command-line flag and an environment variable.

use std::{fmt, net::SocketAddr, path::PathBuf};

/// A string that must never be printed (signing secrets, passwords).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// When to fill an empty database with the demo data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoData {
    /// Only on the embedded default database (a SQLite file in the data directory).
    Auto,
    /// Whenever the database has no users yet.
    Always,
    /// Never.
    Never,
}

/// Settings shared by every subcommand.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Database URL (`sqlite://...` or `postgres://...`). Default: a SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Read replicas of a PostgreSQL `DATABASE_URL`, comma-separated `postgres://` URLs:
    /// queries are served from the healthy ones, round robin; writes, subscriptions'
    /// reads and `LISTEN` stay on the primary.
    #[arg(
        long,
        env = "DATABASE_REPLICA_URLS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub database_replica_urls: Vec<String>,

    /// A replica whose replay lag passes this many milliseconds leaves the rotation
    /// until it catches up (its reads go to the primary meanwhile).
    #[arg(long, env = "MAX_REPLICA_LAG_MS", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    pub max_replica_lag_ms: u64,

    /// How often each replica's lag is measured (and the primary's heartbeat written),
    /// in milliseconds; a replica that does not answer within it leaves the rotation.
    #[arg(long, env = "REPLICA_CHECK_INTERVAL_MS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub replica_check_interval_ms: u64,

    /// Directory for the embedded SQLite database and the generated signing secret.
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Maximum open database connections per server instance.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_max_connections: u32,

    /// Longest a request waits for a free database connection, in milliseconds, before
    /// it fails with SERVICE_UNAVAILABLE (a busy or unreachable database fails fast).
    #[arg(long, env = "DATABASE_ACQUIRE_TIMEOUT_MS", default_value_t = 2_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub database_acquire_timeout_ms: u64,

    /// HMAC-SHA256 secret that signs bearer tokens (at least 32 bytes). Required with
    /// an external database, so that every instance accepts every other's tokens;
    /// on the embedded default a random one is generated once and kept in the data directory.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// `iss` claim written into and required of every token.
    #[arg(long, env = "JWT_ISSUER", default_value = "session-analytics")]
    pub jwt_issuer: String,

    /// `aud` claim written into and required of every token.
    #[arg(long, env = "JWT_AUDIENCE", default_value = "session-analytics-api")]
    pub jwt_audience: String,

    /// Lifetime of the tokens `login` and `token` issue, in seconds.
    #[arg(long, env = "TOKEN_TTL_SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u32).range(60..=2_592_000))]
    pub token_ttl_seconds: u32,

    /// When to fill an empty database with the demo data set.
    #[arg(long, env = "DEMO_DATA", value_enum, default_value_t = DemoData::Auto)]
    pub demo_data: DemoData,

    /// Apply missing database migrations at start. Off: refuse to start, naming them,
    /// unless the database is already migrated (for operators who migrate separately).
    #[arg(long, env = "MIGRATE_AT_START", default_value_t = true, action = clap::ArgAction::Set)]
    pub migrate_at_start: bool,

    /// Production mode: introspection, GraphiQL and "did you mean" suggestions off.
    /// `--production` alone means true.
    // A value (not a bare switch) so that `--help` shows the default and the
    // variable may say `false`; `=` keeps `--production schema` a subcommand.
    #[arg(long, env = "PRODUCTION", default_value_t = false, num_args = 0..=1,
          require_equals = true, default_missing_value = "true",
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub production: bool,

    #[command(flatten)]
    pub limits: Limits,

    #[command(flatten)]
    pub rate_limits: RateLimits,

    #[command(flatten)]
    pub external_auth: ExternalAuth,

    #[command(flatten)]
    pub delivery: Delivery,

    #[command(flatten)]
    pub telemetry: Telemetry,

    #[command(flatten)]
    pub live: Live,
}

/// Per-client request budgets, counted per server instance, or in Redis for every
/// instance at once. Over one: 429 `RATE_LIMITED` with `Retry-After`.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct RateLimits {
    /// GraphQL operations per client (user, or address when anonymous) per minute; 0 turns the limit off.
    #[arg(
        long = "rate-limit-operations-per-minute",
        env = "RATE_LIMIT_OPERATIONS_PER_MINUTE",
        default_value_t = 600
    )]
    pub operations_per_minute: u32,

    /// Query complexity per client per minute (the same cost `MAX_QUERY_COMPLEXITY` bounds per request); 0 turns it off.
    #[arg(
        long = "rate-limit-cost-per-minute",
        env = "RATE_LIMIT_COST_PER_MINUTE",
        default_value_t = 1_000_000
    )]
    pub cost_per_minute: u32,

    /// `login` attempts per account (email) per minute; 0 turns it off.
    #[arg(
        long,
        env = "LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE",
        default_value_t = 5
    )]
    pub login_attempts_per_account_per_minute: u32,

    /// `login` attempts per client address per minute; 0 turns it off.
    #[arg(
        long,
        env = "LOGIN_ATTEMPTS_PER_ADDRESS_PER_MINUTE",
        default_value_t = 20
    )]
    pub login_attempts_per_address_per_minute: u32,

    /// Redis that every instance counts the budgets in (`redis://[user:password@]host[:port][/db]`),
    /// so a client has one budget across instances. Unset: each instance counts its own.
    /// While Redis does not answer, each instance counts its own until it does. A secret
    /// when it holds a password: never printed.
    #[arg(
        long = "rate-limit-redis-url",
        env = "RATE_LIMIT_REDIS_URL",
        hide_env_values = true
    )]
    pub redis_url: Option<Secret>,

    /// Prefix of the budgets' keys in Redis (`<prefix>:<budget>:<client hash>`), for
    /// deployments that share one Redis.
    #[arg(
        long = "rate-limit-redis-prefix",
        env = "RATE_LIMIT_REDIS_PREFIX",
        default_value = "sa:rl"
    )]
    pub redis_prefix: String,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            operations_per_minute: 600,
            cost_per_minute: 1_000_000,
            login_attempts_per_account_per_minute: 5,
            login_attempts_per_address_per_minute: 20,
            redis_url: None,
            redis_prefix: "sa:rl".into(),
        }
    }
}

/// Tokens from an external identity provider, verified with its public keys (RS256 or
/// ES256) from a JWKS document, selected by `kid`. Off unless a JWKS source is given.
#[derive(Clone, Debug, Default, PartialEq, Eq, clap::Args)]
pub struct ExternalAuth {
    /// A JWKS file (JSON Web Key Set) with the identity provider's public keys; re-read on refresh.
    #[arg(long, env = "JWKS_FILE")]
    pub jwks_file: Option<PathBuf>,

    /// A JWKS URL of the identity provider; fetched at start and on refresh.
    #[arg(long, env = "JWKS_URL")]
    pub jwks_url: Option<String>,

    /// How often the key set is refreshed, in seconds (also on an unknown `kid`, at most this often).
    #[arg(long, env = "JWKS_REFRESH_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub jwks_refresh_seconds: u64,

    /// The `iss` the identity provider's tokens must carry.
    #[arg(long, env = "EXTERNAL_JWT_ISSUER")]
    pub external_issuer: Option<String>,

    /// The `aud` the identity provider's tokens must carry.
    #[arg(long, env = "EXTERNAL_JWT_AUDIENCE")]
    pub external_audience: Option<String>,
}

/// How documents reach the server (persisted queries, trusted documents) and how
/// answers leave it (CORS, compression).
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct Delivery {
    /// Automatic persisted queries: how many documents each instance remembers by their
    /// SHA-256 hash (least recently used go first); 0 turns APQ off.
    #[arg(long, env = "APQ_CACHE_SIZE", default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub apq_cache_size: u32,

    /// Most bytes of document text the APQ store holds in all (least recently used go
    /// first); a longer document is run but not remembered.
    #[arg(long, env = "APQ_CACHE_MAX_BYTES", default_value_t = 8 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1024..))]
    pub apq_cache_max_bytes: u64,

    /// Cross-request cache of speakers, speaker ticket types, sponsors, assets and asset
    /// creators: most values of each kind kept (least recently used go first); 0 turns
    /// it off. Every write to those tables empties it before the next request (see
    /// docs/PERFORMANCE.md).
    #[arg(long, env = "SHARED_CACHE_ENTRIES", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub shared_cache_entries: u32,

    /// Longest a value stays in the cross-request cache, for writers that bypass the
    /// database triggers which otherwise empty it.
    #[arg(long, env = "SHARED_CACHE_MAX_AGE_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub shared_cache_max_age_seconds: u32,

    /// Cache of whole answers to `session(id:)` and `event(id:)` queries, reused only
    /// while nothing they read has changed, on any instance (docs/PERFORMANCE.md).
    /// Each candidate request then runs one more statement (the versions) when missed.
    #[arg(long, env = "RESPONSE_CACHE", default_value_t = false, action = clap::ArgAction::Set)]
    pub response_cache: bool,

    /// Most answers the response cache keeps (least recently used go first).
    #[arg(long, env = "RESPONSE_CACHE_ENTRIES", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub response_cache_entries: u32,

    /// Most bytes of answers (and their requests) the response cache keeps; an answer
    /// over a sixteenth of it is not kept.
    #[arg(long, env = "RESPONSE_CACHE_BYTES", default_value_t = 64 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(65_536..))]
    pub response_cache_bytes: u64,

    /// Trusted documents: a manifest file (graphql-codegen's `persisted-documents.json` or
    /// Apollo's `persisted-query-manifest.json`). When set, only its operations run and
    /// APQ registration is off.
    #[arg(long, env = "TRUSTED_DOCUMENTS")]
    pub trusted_documents: Option<PathBuf>,

    /// Origins allowed to call the API from a browser, comma-separated and exact
    /// (`https://app.example.com`), or `*` for any; empty: no CORS headers.
    #[arg(long, env = "CORS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub cors_allowed_origins: Vec<String>,

    /// How long browsers may cache a CORS preflight answer, in seconds.
    #[arg(long, env = "CORS_MAX_AGE_SECONDS", default_value_t = 600, value_parser = clap::value_parser!(u32).range(0..=86_400))]
    pub cors_max_age_seconds: u32,

    /// Compress responses (gzip or brotli, as `Accept-Encoding` asks).
    #[arg(long, env = "COMPRESSION", default_value_t = true, action = clap::ArgAction::Set)]
    pub compression: bool,

    /// Smallest response body that is compressed, in bytes (smaller ones gain nothing).
    #[arg(long, env = "COMPRESSION_MIN_BYTES", default_value_t = 1_024)]
    pub compression_min_bytes: u16,
}

impl Default for Delivery {
    fn default() -> Self {
        Self {
            apq_cache_size: 1_000,
            apq_cache_max_bytes: 8 * 1024 * 1024,
            shared_cache_entries: 10_000,
            shared_cache_max_age_seconds: 60,
            response_cache: false,
            response_cache_entries: 10_000,
            response_cache_bytes: 64 * 1024 * 1024,
            trusted_documents: None,
            cors_allowed_origins: Vec::new(),
            cors_max_age_seconds: 600,
            compression: true,
            compression_min_bytes: 1_024,
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// JSON in production (`PRODUCTION=true`), human-readable text otherwise.
    Auto,
    /// Human-readable text.
    Text,
    /// One JSON object per line.
    Json,
}

/// The log filter used when neither `LOG_LEVEL` nor `RUST_LOG` is given.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,sea_orm=warn";

/// Logs, metrics and traces.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct Telemetry {
    /// Log line format: `auto` (JSON in production, text otherwise), `text` or `json`.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Auto)]
    pub log_format: LogFormat,

    /// Log filter, e.g. `info` or `info,session_analytics=debug` (tracing's `EnvFilter`
    /// syntax). Unset: `RUST_LOG`, else `info,sqlx=warn,sea_orm=warn`.
    #[arg(long, env = "LOG_LEVEL")]
    pub log_level: Option<String>,

    /// Serve Prometheus metrics at `GET /metrics`.
    #[arg(long, env = "METRICS_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub metrics_enabled: bool,

    /// Bearer token that `GET /metrics` requires (at least 16 bytes). Unset: `/metrics`
    /// is open, so do not expose it beyond the monitoring network.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    /// OTLP/HTTP (protobuf) collector base URL, e.g. `http://127.0.0.1:4318`; traces go to
    /// its `/v1/traces`. Unset: no traces are exported.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,

    /// `service.name` of the exported traces.
    #[arg(long, env = "OTEL_SERVICE_NAME", default_value = "session-analytics")]
    pub otel_service_name: String,
}

impl Default for Telemetry {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Auto,
            log_level: None,
            metrics_enabled: true,
            metrics_token: None,
            otlp_endpoint: None,
            otel_service_name: "session-analytics".into(),
        }
    }
}

impl Telemetry {
    /// The log format in force: `auto` resolved by production mode.
    pub fn effective_log_format(&self, production: bool) -> LogFormat {
        match (self.log_format, production) {
            (LogFormat::Auto, true) => LogFormat::Json,
            (LogFormat::Auto, false) => LogFormat::Text,
            (format, _) => format,
        }
    }

    /// The log filter in force: `LOG_LEVEL`, else `RUST_LOG`, else the default.
    pub fn effective_log_filter(&self) -> String {
        self.log_level
            .clone()
            .or_else(|| std::env::var("RUST_LOG").ok())
            .filter(|filter| !filter.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_LOG_FILTER.to_owned())
    }
}

/// Live figures over WebSocket subscriptions (`sessionLive`): how many, how often.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct Live {
    /// Subscriptions one WebSocket connection may hold at once.
    #[arg(long, env = "LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub live_max_subscriptions_per_connection: u32,

    /// WebSocket connections one user may hold open on this instance.
    #[arg(long, env = "LIVE_MAX_CONNECTIONS_PER_USER", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub live_max_connections_per_user: u32,

    /// WebSocket connections one client address may hold open on this instance.
    #[arg(long, env = "LIVE_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub live_max_connections_per_address: u32,

    /// WebSocket connections this instance holds open in all (503 above it).
    #[arg(long, env = "LIVE_MAX_CONNECTIONS", default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub live_max_connections: u32,

    /// Subscriptions this instance holds in all.
    #[arg(long, env = "LIVE_MAX_SUBSCRIPTIONS", default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub live_max_subscriptions: u32,

    /// Least time between two messages about one session, in milliseconds: changes in
    /// between are coalesced into one read and one message.
    #[arg(long, env = "LIVE_MIN_INTERVAL_MS", default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub live_min_interval_ms: u64,

    /// Most time between two reads of a session with subscribers, in seconds, change
    /// or not ("joins in the last minute" decays without any write).
    #[arg(long, env = "LIVE_REFRESH_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub live_refresh_seconds: u64,

    /// A WebSocket ping is sent after this many idle seconds...
    #[arg(long, env = "LIVE_PING_INTERVAL_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub live_ping_interval_seconds: u64,

    /// ...and the connection is closed when nothing (no pong) comes back within this
    /// many seconds.
    #[arg(long, env = "LIVE_PONG_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub live_pong_timeout_seconds: u64,

    /// Seconds a new connection has to send `connection_init` (then closed with 4408).
    #[arg(long, env = "LIVE_INIT_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub live_init_timeout_seconds: u64,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            live_max_subscriptions_per_connection: 20,
            live_max_connections_per_user: 20,
            live_max_connections_per_address: 200,
            live_max_connections: 20_000,
            live_max_subscriptions: 50_000,
            live_min_interval_ms: 1_000,
            live_refresh_seconds: 10,
            live_ping_interval_seconds: 30,
            live_pong_timeout_seconds: 10,
            live_init_timeout_seconds: 10,
        }
    }
}

/// What one request may ask of the server. Every rejection names the limit it hit.
#[derive(Clone, Debug, PartialEq, Eq, clap::Args)]
pub struct Limits {
    /// Largest request body, in bytes (413 above it). 1 MiB: a `recordActivity` batch of
    /// `MAX_ACTIVITY_BATCH` (1,000) events is about 170 KB of JSON.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1_048_576, value_parser = clap::value_parser!(u32).range(1024..))]
    pub max_body_bytes: u32,

    /// Deepest selection nesting a document may have (GraphiQL's introspection needs 13).
    #[arg(long, env = "MAX_QUERY_DEPTH", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_query_depth: u32,

    /// Largest cost of a document: one per field, times `first` inside a connection.
    #[arg(long, env = "MAX_QUERY_COMPLEXITY", default_value_t = 50_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_query_complexity: u32,

    /// Most aliased fields per document.
    #[arg(long, env = "MAX_ALIASES", default_value_t = 30)]
    pub max_aliases: u32,

    /// Most root fields per operation (fragments included).
    #[arg(long, env = "MAX_ROOT_FIELDS", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_root_fields: u32,

    /// Most lexical tokens per document.
    #[arg(long, env = "MAX_TOKENS", default_value_t = 2_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens: u32,

    /// Most directives on one field.
    #[arg(long, env = "MAX_DIRECTIVES_PER_FIELD", default_value_t = 4)]
    pub max_directives_per_field: u32,

    /// Largest `first` of `events` and `sessions`.
    #[arg(long, env = "MAX_PAGE_SIZE", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_page_size: u32,

    /// Largest `first` of `registeredHolderUsers`.
    #[arg(long, env = "MAX_REGISTRANT_PAGE_SIZE", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_registrant_page_size: u32,

    /// Longest string a request may give in a variable or an argument, in characters.
    // The default fits the longest cursor the server makes: a registrant page ordered by
    // last name carries the name, which `import` accepts up to 2,000 characters (a test
    // in `graphql::types::session` keeps the two in step).
    #[arg(long, env = "MAX_STRING_CHARS", default_value_t = 16_384, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_string_chars: u32,

    /// Longest `search` term, in characters, once trimmed.
    #[arg(long, env = "MAX_SEARCH_CHARS", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_search_chars: u32,

    /// Most events one `recordActivity` batch may carry (the body limit still applies).
    #[arg(long, env = "MAX_ACTIVITY_BATCH", default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_activity_batch: u32,

    /// How far in the future, in seconds, an activity's `occurredAt` may lie (clients'
    /// clocks run a little ahead); later times are refused.
    #[arg(long, env = "ACTIVITY_CLOCK_SKEW_SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u32).range(0..=86_400))]
    pub activity_clock_skew_seconds: u32,

    /// Rows a CSV export reads per statement and writes per chunk of its streamed body:
    /// what bounds the server's memory per download, whatever the session's size.
    #[arg(long, env = "EXPORT_PAGE_ROWS", default_value_t = 1_000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub export_page_rows: u32,

    /// Longest a request may run, in milliseconds, before it is answered with 503.
    #[arg(long, env = "REQUEST_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_ms: u64,

    /// Longest one SQL statement may run on PostgreSQL, in milliseconds.
    #[arg(long, env = "STATEMENT_TIMEOUT_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub statement_timeout_ms: u64,

    /// Longest a client may take to send its request headers, in milliseconds.
    #[arg(long, env = "HEADER_READ_TIMEOUT_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1_048_576,
            max_query_depth: 16,
            max_query_complexity: 50_000,
            max_aliases: 30,
            max_root_fields: 10,
            max_tokens: 2_000,
            max_directives_per_field: 4,
            max_page_size: 100,
            max_registrant_page_size: 500,
            max_string_chars: 16_384,
            max_search_chars: 200,
            max_activity_batch: 1_000,
            activity_clock_skew_seconds: 300,
            export_page_rows: 1_000,
            request_timeout_ms: 10_000,
            statement_timeout_ms: 5_000,
            header_read_timeout_ms: 5_000,
        }
    }
}

impl Config {
    /// The database URL in force: the configured one, or the embedded SQLite file.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("session-analytics.db").display()
            ),
        }
    }

    /// The replica URLs, checked: each must be `postgres://` and so must the primary.
    pub fn replica_urls(&self) -> anyhow::Result<Vec<String>> {
        let urls: Vec<String> = self
            .database_replica_urls
            .iter()
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty())
            .collect();
        if urls.is_empty() {
            return Ok(urls);
        }
        let postgres =
            |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
        if !self.database_url.as_deref().is_some_and(postgres) {
            anyhow::bail!("DATABASE_REPLICA_URLS needs a PostgreSQL DATABASE_URL (the primary)");
        }
        if let Some(bad) = urls.iter().find(|url| !postgres(url)) {
            anyhow::bail!(
                "DATABASE_REPLICA_URLS: {} is not a postgres:// URL",
                crate::db::replicas::display_name(bad)
            );
        }
        Ok(urls)
    }

    /// True when running on the embedded default (no `DATABASE_URL` given).
    pub fn is_embedded_default(&self) -> bool {
        self.database_url.is_none()
    }

    /// Whether an empty database gets the demo data set.
    pub fn wants_demo_data(&self) -> bool {
        match self.demo_data {
            DemoData::Auto => self.is_embedded_default(),
            DemoData::Always => true,
            DemoData::Never => false,
        }
    }
}

/// Settings of the `serve` subcommand.
#[derive(Clone, Debug, clap::Args)]
pub struct ServeConfig {
    /// Address and port to listen on.
    #[arg(long, env = "BIND_ADDR", default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,

    /// On SIGTERM, how long the server keeps serving, in milliseconds, with `/ready`
    /// answering 503 `SHUTTING_DOWN` (and every response closing its connection), before
    /// it stops accepting and drains: time for a load balancer to take it out of
    /// rotation. Longer than the balancer's health-check interval times its failure
    /// count, and than its idle keep-alive to us. Ctrl-C and a second signal skip it.
    #[arg(long, env = "SHUTDOWN_READY_DELAY_MS", default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(0..=600_000))]
    pub shutdown_ready_delay_ms: u64,
}

/// Why the command line was refused, with a note naming the environment variable when
/// the bad value came from one (clap names only the flag).
pub fn explain_parse_error(
    err: &clap::Error,
    command: &clap::Command,
    args: &[std::ffi::OsString],
    env: impl Fn(&str) -> bool,
) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(
        err.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    ) {
        return None;
    }
    let Some(ContextValue::String(invalid)) = err.get(ContextKind::InvalidArg) else {
        return None;
    };
    // "--max-page-size <MAX_PAGE_SIZE>" or "--production[=<PRODUCTION>]".
    let long: String = invalid
        .trim_start_matches("--")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let long = long.as_str();
    let arg = find_arg(command, long)?;
    let variable = arg.get_env()?.to_str()?;
    let given_as_flag = args.iter().any(|arg| {
        arg.to_str()
            .is_some_and(|arg| arg == format!("--{long}") || arg.starts_with(&format!("--{long}=")))
    });
    (!given_as_flag && env(variable)).then(|| {
        format!("note: the value came from the environment variable {variable} (--{long})")
    })
}

fn find_arg<'a>(command: &'a clap::Command, long: &str) -> Option<&'a clap::Arg> {
    command
        .get_arguments()
        .find(|arg| arg.get_long() == Some(long))
        .or_else(|| {
            command
                .get_subcommands()
                .find_map(|sub| find_arg(sub, long))
        })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Delivery, ExternalAuth, Limits, Live, RateLimits, Telemetry};

    #[derive(Parser)]
    struct Only {
        #[command(flatten)]
        limits: Limits,
        #[command(flatten)]
        rate_limits: RateLimits,
        #[command(flatten)]
        external_auth: ExternalAuth,
        #[command(flatten)]
        delivery: Delivery,
        #[command(flatten)]
        telemetry: Telemetry,
        #[command(flatten)]
        live: Live,
    }

    #[test]
    fn defaults_match_the_command_line_defaults() {
        let parsed = Only::try_parse_from(["session-analytics"]).expect("no arguments parse");
        assert_eq!(parsed.limits, Limits::default());
        assert_eq!(parsed.rate_limits, RateLimits::default());
        assert_eq!(parsed.external_auth.jwks_refresh_seconds, 300);
        assert_eq!(parsed.delivery, Delivery::default());
        assert_eq!(parsed.telemetry.otel_service_name, "session-analytics");
        assert!(parsed.telemetry.metrics_enabled);
        assert_eq!(parsed.live, Live::default());
    }
}
