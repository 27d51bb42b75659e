//! Prometheus metrics, in a registry owned by each application instance.
//!
//! The `prometheus` crate rather than `metrics` + `metrics-exporter-prometheus`: its
//! registries are plain values, so every `Application` (and every test app in one
//! process) owns its own and a scrape shows exactly that instance's numbers; the
//! `metrics` facade records into one process-wide recorder.
//!
//! Every label has a bounded set of values: operation names come from clients, so only
//! names that look like GraphQL names are used, and only the first
//! [`MAX_OPERATIONS`] distinct ones; error codes, loaders and budgets are closed sets.

use std::{collections::HashSet, sync::Mutex};

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};
use sea_orm::{DatabaseBackend, DatabaseConnection};

/// Distinct operation names a registry labels; later ones are counted as `other`.
pub const MAX_OPERATIONS: usize = 100;

/// Longest operation name used as a label (and logged).
const MAX_OPERATION_LEN: usize = 64;

/// The error codes a response can carry (`error.rs`), plus the HTTP-level refusals.
pub const ERROR_CODES: &[&str] = &[
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_EVENT_HOST",
    "SESSION_NOT_FOUND",
    "EVENT_NOT_FOUND",
    "BAD_REQUEST",
    "RATE_LIMITED",
    "SERVICE_UNAVAILABLE",
    "INTERNAL",
    "NOT_FOUND",
];

/// The budget kinds of `rate_limit::Budget::kind`.
const BUDGETS: &[&str] = &["operations", "cost", "login_account", "login_address"];

/// The metrics of one application instance.
pub struct Metrics {
    registry: Registry,
    operations: Mutex<HashSet<String>>,
    pub requests: IntCounterVec,
    pub request_seconds: HistogramVec,
    pub request_statements: Histogram,
    pub errors: IntCounterVec,
    pub statements: IntCounter,
    pub statement_errors: IntCounter,
    pub statement_seconds: Histogram,
    pub pool: IntGaugeVec,
    /// WebSocket connections, subscriptions and watched sessions, read at scrape time.
    pub live: IntGaugeVec,
    pub batch_size: HistogramVec,
    pub cache_lookups: IntCounterVec,
    /// The response cache's hits, misses, answers stored and answers evicted.
    pub response_cache: IntCounterVec,
    pub rate_limited: IntCounterVec,
    /// Where rate-limit budgets are counted: `redis` or `memory` is 1, the other 0.
    pub rate_limit_backend: IntGaugeVec,
}

fn histogram_opts(name: &str, help: &str, buckets: &[f64]) -> HistogramOpts {
    HistogramOpts::new(name, help).buckets(buckets.to_vec())
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Result<Self, prometheus::Error> {
        const SECONDS: &[f64] = &[
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        const COUNTS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "graphql_requests_total",
                "Requests to /graphql by operation name and outcome (ok or the error code).",
            ),
            &["operation", "outcome"],
        )?;
        let request_seconds = HistogramVec::new(
            histogram_opts(
                "graphql_request_duration_seconds",
                "Time to answer a /graphql request, by operation name.",
                SECONDS,
            ),
            &["operation"],
        )?;
        let request_statements = Histogram::with_opts(histogram_opts(
            "graphql_request_statements",
            "SQL statements run by one /graphql request.",
            COUNTS,
        ))?;
        let errors = IntCounterVec::new(
            Opts::new(
                "graphql_errors_total",
                "Errors in /graphql responses, by error code.",
            ),
            &["code"],
        )?;
        let statements = IntCounter::new("db_statements_total", "SQL statements run.")?;
        let statement_errors = IntCounter::new(
            "db_statement_errors_total",
            "SQL statements that returned an error.",
        )?;
        let statement_seconds = Histogram::with_opts(histogram_opts(
            "db_statement_duration_seconds",
            "Time one SQL statement took.",
            SECONDS,
        ))?;
        let pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections in use and idle, read at scrape time.",
            ),
            &["state"],
        )?;
        let live = IntGaugeVec::new(
            Opts::new(
                "live_subscribers",
                "Live WebSocket connections, subscriptions and sessions with subscribers, read at scrape time.",
            ),
            &["kind"],
        )?;
        let batch_size = HistogramVec::new(
            histogram_opts(
                "dataloader_batch_size",
                "Keys per DataLoader batch (one SQL statement each), by loader.",
                COUNTS,
            ),
            &["loader"],
        )?;
        let cache_lookups = IntCounterVec::new(
            Opts::new(
                "shared_cache_lookups_total",
                "Ids looked up in the cross-request cache, by kind and result (hit or miss).",
            ),
            &["kind", "result"],
        )?;
        let response_cache = IntCounterVec::new(
            Opts::new(
                "response_cache_total",
                "Response cache events: hit, miss (a candidate request that ran), store and eviction.",
            ),
            &["result"],
        )?;
        for result in ["hit", "miss", "store", "eviction"] {
            response_cache.with_label_values(&[result]);
        }
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "rate_limit_rejections_total",
                "Requests refused because a client's budget was spent, by budget.",
            ),
            &["budget"],
        )?;
        let rate_limit_backend = IntGaugeVec::new(
            Opts::new(
                "rate_limit_backend",
                "Where rate-limit budgets are counted: 1 for redis (shared by every instance) or memory (this instance's), 0 for the other.",
            ),
            &["backend"],
        )?;
        rate_limit_backend.with_label_values(&["redis"]).set(0);
        rate_limit_backend.with_label_values(&["memory"]).set(1);
        // Closed sets start at zero, so that dashboards and alerts see them before the first one.
        for code in ERROR_CODES {
            errors.with_label_values(&[*code]);
        }
        for budget in BUDGETS {
            rate_limited.with_label_values(&[*budget]);
        }
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(request_seconds.clone()))?;
        registry.register(Box::new(request_statements.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(statements.clone()))?;
        registry.register(Box::new(statement_errors.clone()))?;
        registry.register(Box::new(statement_seconds.clone()))?;
        registry.register(Box::new(live.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(batch_size.clone()))?;
        registry.register(Box::new(cache_lookups.clone()))?;
        registry.register(Box::new(response_cache.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(rate_limit_backend.clone()))?;
        Ok(Self {
            registry,
            operations: Mutex::new(HashSet::new()),
            requests,
            request_seconds,
            request_statements,
            errors,
            statements,
            statement_errors,
            statement_seconds,
            pool,
            live,
            batch_size,
            cache_lookups,
            response_cache,
            rate_limited,
            rate_limit_backend,
        })
    }

    /// The label of an operation name: the name when it is a valid GraphQL name of at
    /// most 64 characters and among the first [`MAX_OPERATIONS`] seen, else `other`.
    pub fn operation_label(&self, name: &str) -> String {
        if !is_operation_name(name) {
            return "other".into();
        }
        let Ok(mut seen) = self.operations.lock() else {
            return "other".into();
        };
        if seen.contains(name) || seen.len() < MAX_OPERATIONS {
            seen.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".into()
        }
    }

    /// Counts an error code, as `OTHER` if it is not one of ours.
    pub fn count_error(&self, code: &str) {
        self.errors.with_label_values(&[closed_code(code)]).inc();
    }

    /// The text exposition of every metric, with the pool gauges read from `db` now.
    /// Sets the live gauges: connections, subscriptions, sessions watched.
    pub fn set_live(&self, connections: u32, subscriptions: u32, sessions: usize) {
        for (kind, n) in [
            ("connections", i64::from(connections)),
            ("subscriptions", i64::from(subscriptions)),
            ("sessions", i64::try_from(sessions).unwrap_or(i64::MAX)),
        ] {
            self.live.with_label_values(&[kind]).set(n);
        }
    }

    pub fn render(&self, db: &DatabaseConnection) -> String {
        let (size, idle) = match db.get_database_backend() {
            DatabaseBackend::Sqlite => {
                let pool = db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle())
            }
            DatabaseBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle())
            }
            _ => (0, 0),
        };
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        self.pool
            .with_label_values(&["in_use"])
            .set(i64::from(size).saturating_sub(idle).max(0));
        self.pool.with_label_values(&["idle"]).set(idle);
        let mut out = Vec::new();
        if let Err(err) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %err, "encoding the metrics failed");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// `[A-Za-z_][A-Za-z0-9_]{0,63}`: a GraphQL name short enough to be a label.
pub fn is_operation_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_OPERATION_LEN
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `code` when it is one of ours, else `OTHER`.
pub fn closed_code(code: &str) -> &'static str {
    ERROR_CODES
        .iter()
        .find(|known| **known == code)
        .copied()
        .unwrap_or("OTHER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_are_bounded() {
        let metrics = Metrics::new().expect("metrics register");
        assert_eq!(metrics.operation_label("GetSession"), "GetSession");
        for bad in ["", "1abc", "has space", "a-b", &"a".repeat(65), "é"] {
            assert_eq!(metrics.operation_label(bad), "other", "{bad:?}");
        }
        for i in 0..MAX_OPERATIONS * 2 {
            metrics.operation_label(&format!("op{i}"));
        }
        assert_eq!(metrics.operation_label("GetSession"), "GetSession");
        assert_eq!(metrics.operation_label("op98"), "op98");
        assert_eq!(metrics.operation_label("op150"), "other");
        assert_eq!(closed_code("RATE_LIMITED"), "RATE_LIMITED");
        assert_eq!(closed_code("SOMETHING_ELSE"), "OTHER");
    }
}
