//! OpenTelemetry traces: a span per GraphQL operation and a child span per SQL
//! statement, exported over OTLP/HTTP when an endpoint is configured.
//!
//! The tracer belongs to the application instance, not to the global tracing
//! subscriber, so each test app can export into its own in-memory exporter. There are
//! no per-field spans: a list of 500 rows would send thousands of them to a collector.

use std::time::{Duration, SystemTime};

use axum::http::HeaderMap;
use opentelemetry::{
    Context, KeyValue,
    propagation::{Extractor, TextMapPropagator as _},
    trace::{Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _},
};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    trace::{SdkTracer, SdkTracerProvider, SpanExporter},
};
use sea_orm::DatabaseBackend;

use super::request_id::RequestId;

/// Longest SQL text put on a statement span.
const MAX_STATEMENT_LEN: usize = 4096;

/// The tracer of one application instance and the provider that exports its spans.
#[derive(Clone)]
pub struct Traces {
    provider: SdkTracerProvider,
    tracer: SdkTracer,
}

impl Traces {
    /// Spans batched to the OTLP/HTTP collector at `endpoint` (its `/v1/traces`).
    pub fn otlp(endpoint: &str, service_name: &str) -> anyhow::Result<Self> {
        use opentelemetry_otlp::WithExportConfig as _;
        let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(url)
            .with_timeout(Duration::from_secs(10))
            .build()?;
        let provider = SdkTracerProvider::builder()
            .with_batch_exporter(exporter)
            .with_resource(resource(service_name))
            .build();
        Ok(Self::from_provider(provider))
    }

    /// Spans handed to `exporter` one by one as they end (tests: an in-memory exporter).
    pub fn with_exporter(exporter: impl SpanExporter + 'static, service_name: &str) -> Self {
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter)
            .with_resource(resource(service_name))
            .build();
        Self::from_provider(provider)
    }

    fn from_provider(provider: SdkTracerProvider) -> Self {
        let tracer = provider.tracer("session-analytics");
        Self { provider, tracer }
    }

    /// Starts the span of one `/graphql` request, in the caller's trace when its
    /// `traceparent` header names one; [`end_operation`] names and ends it.
    pub fn start_operation(&self, id: &RequestId, headers: &HeaderMap) -> Context {
        let caller = TraceContextPropagator::new().extract(&Headers(headers));
        let span = self
            .tracer
            .span_builder("graphql")
            .with_kind(SpanKind::Server)
            .with_attributes([KeyValue::new("request.id", id.as_str().to_owned())])
            .start_with_context(&self.tracer, &caller);
        Context::new().with_span(span)
    }

    /// A finished statement span under `parent`: it started `elapsed` ago and ends now.
    pub fn statement(
        &self,
        parent: &Context,
        backend: DatabaseBackend,
        sql: &str,
        elapsed: Duration,
        failed: bool,
    ) {
        let end = SystemTime::now();
        let start = end.checked_sub(elapsed).unwrap_or(end);
        let system = match backend {
            DatabaseBackend::Postgres => "postgresql",
            DatabaseBackend::Sqlite => "sqlite",
            _ => "other_sql",
        };
        let keyword = sql
            .split_whitespace()
            .next()
            .filter(|word| word.len() <= 16 && word.chars().all(|c| c.is_ascii_alphabetic()))
            .map(str::to_ascii_uppercase)
            .unwrap_or_else(|| "SQL".into());
        let text: String = sql.chars().take(MAX_STATEMENT_LEN).collect();
        let mut span = self
            .tracer
            .span_builder(keyword)
            .with_kind(SpanKind::Client)
            .with_start_time(start)
            .with_attributes([
                KeyValue::new("db.system", system),
                // Placeholders only: bound values (personal data) are never attached.
                KeyValue::new("db.statement", text),
            ])
            .start_with_context(&self.tracer, parent);
        if failed {
            span.set_status(Status::error("statement failed"));
        }
        span.end_with_timestamp(end);
    }

    /// Flushes and stops the exporter (at shutdown).
    pub fn shutdown(&self) {
        if let Err(err) = self.provider.shutdown() {
            tracing::warn!(error = %err, "flushing the trace exporter failed");
        }
    }
}

/// Names the operation span, records how it went, and ends it.
pub fn end_operation(cx: &Context, operation: &str, outcome: &str, status: u16, statements: u64) {
    let span = cx.span();
    span.update_name(format!("graphql {operation}"));
    span.set_attribute(KeyValue::new(
        "graphql.operation.name",
        operation.to_owned(),
    ));
    span.set_attribute(KeyValue::new("outcome", outcome.to_owned()));
    span.set_attribute(KeyValue::new(
        "http.response.status_code",
        i64::from(status),
    ));
    span.set_attribute(KeyValue::new(
        "db.statement_count",
        i64::try_from(statements).unwrap_or(i64::MAX),
    ));
    if outcome != "ok" {
        span.set_status(Status::error(outcome.to_owned()));
    }
    span.end();
}

/// Request headers as the propagator reads them (`traceparent`, `tracestate`).
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|name| name.as_str()).collect()
    }
}

fn resource(service_name: &str) -> Resource {
    Resource::builder()
        .with_service_name(service_name.to_owned())
        .build()
}
