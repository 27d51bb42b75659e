//! Logs, metrics and traces: the request id, the request's log line, `/metrics`
//! scraped after real requests, and the spans of an operation and its statements.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use axum::{Router, routing::get};
use opentelemetry::trace::{SpanId, SpanKind};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SpanData};
use serde_json::{Value, json};
use session_analytics::{
    config::{LogFormat, RateLimits, Secret, Telemetry as TelemetryConfig},
    telemetry::{Telemetry, Traces, logging},
};

use crate::{
    fixture::*,
    helpers::{Scratch, TestApp, spawn_with_config, spawn_with_traces, test_config},
};

const SESSIONS: &str = r#"query EventSessions($id: ID!) {
  event(id: $id) { sessions(first: 20) { nodes { title speakers { firstName } stats { registeredCount } } } }
}"#;

const VIEWER: &str = "query WhoAmI { viewer { email } }";

async fn spawn(config: impl FnOnce(&mut session_analytics::config::Config)) -> TestApp {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let mut settings = test_config(scratch.path(), url);
    config(&mut settings);
    let app = spawn_with_config(settings, scratch).await;
    load(&app.db).await;
    app
}

/// Runs `SESSIONS` once, so that the shared cache holds its speakers and the statement
/// counts that follow are those of every later request.
async fn warm_up(app: &TestApp, token: &str) {
    app.count_statements(token, SESSIONS, json!({ "id": EVENT_A.to_string() }))
        .await;
}

/// POSTs `body` with an optional `x-request-id` and bearer token.
async fn post(
    app: &TestApp,
    request_id: Option<&str>,
    token: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = app.client.post(app.url("/graphql")).json(body);
    if let Some(id) = request_id {
        request = request.header("x-request-id", id);
    }
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    request.send().await.expect("request reaches the server")
}

fn request_id(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no x-request-id on a {}", response.status()))
        .to_owned()
}

fn is_generated(id: &str) -> bool {
    id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit())
}

// ---------------------------------------------------------------------------------
// Request ids

#[tokio::test]
async fn a_sane_request_id_is_echoed_and_others_are_replaced() {
    let app = spawn(|_| {}).await;
    let body = json!({ "query": "{ __typename }" });

    let echoed = post(&app, Some("client-id_1.2:3"), None, &body).await;
    assert_eq!(request_id(&echoed), "client-id_1.2:3");

    let generated = post(&app, None, None, &body).await;
    assert!(is_generated(&request_id(&generated)));
    let again = post(&app, None, None, &body).await;
    assert_ne!(request_id(&generated), request_id(&again));

    for bad in ["has space", &"x".repeat(129), "tab\tinside"] {
        let replaced = post(&app, Some(bad), None, &body).await;
        let id = request_id(&replaced);
        assert!(is_generated(&id), "{bad:?} became {id:?}");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn(|config| {
        config.rate_limits = RateLimits {
            operations_per_minute: 1,
            ..RateLimits::default()
        };
    })
    .await;
    let not_found = app.get("/nowhere").await;
    assert_eq!(not_found.status(), 404);
    assert!(is_generated(&request_id(&not_found)));

    let health = app.get("/health").await;
    assert_eq!(health.status(), 200);
    request_id(&health);

    let unauthorized = post(
        &app,
        Some("r-401"),
        Some("garbage"),
        &json!({"query": "{ __typename }"}),
    )
    .await;
    assert_eq!(unauthorized.status(), 401);
    assert_eq!(request_id(&unauthorized), "r-401");

    // Over the default body limit (1 MiB).
    let big = "x".repeat(2 * 1024 * 1024);
    let too_large = post(&app, Some("r-413"), None, &json!({ "query": big })).await;
    assert_eq!(too_large.status(), 413);
    assert_eq!(request_id(&too_large), "r-413");

    let token = app.token(SUPER.0, SUPER.1);
    let first = post(&app, None, Some(&token), &json!({ "query": VIEWER })).await;
    assert_eq!(first.status(), 200);
    let limited = post(
        &app,
        Some("r-429"),
        Some(&token),
        &json!({ "query": VIEWER }),
    )
    .await;
    assert_eq!(limited.status(), 429);
    assert_eq!(request_id(&limited), "r-429");
}

async fn boom() -> &'static str {
    panic!("boom")
}

#[tokio::test]
async fn a_panicking_handler_still_answers_with_the_request_id() {
    use tower::ServiceExt as _;
    let telemetry = Telemetry::new(&TelemetryConfig::default(), None).expect("telemetry");
    let router = session_analytics::http::observe(
        session_analytics::http::protect(Router::new().route("/boom", get(boom))),
        telemetry,
    );
    let request = axum::http::Request::get("/boom")
        .header("x-request-id", "r-panic")
        .body(axum::body::Body::empty())
        .expect("request");
    let response = router.oneshot(request).await.expect("the router answers");
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.headers().get("x-request-id").map(|v| v.as_bytes()),
        Some(&b"r-panic"[..])
    );
}

// ---------------------------------------------------------------------------------
// Logs

/// Log lines written on this thread while it is alive (the test runtime runs the
/// server on the test's thread), in the given format.
struct Captured {
    buffer: Arc<Mutex<Vec<u8>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

#[derive(Clone)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture(format: LogFormat) -> Captured {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = Sink(buffer.clone());
    let subscriber =
        logging::subscriber(format, "info", move || sink.clone()).expect("a valid filter");
    Captured {
        buffer,
        _guard: tracing::subscriber::set_default(subscriber),
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.buffer.lock().expect("log buffer").clone()).expect("UTF-8 logs")
    }

    /// Every line, parsed as JSON (fails on a line that is not JSON).
    fn json_lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
            .collect()
    }

    /// The request log line of `id`.
    fn request_line(&self, id: &str) -> Value {
        let lines: Vec<Value> = self
            .json_lines()
            .into_iter()
            .filter(|line| {
                line["fields"]["message"] == "request" && line["fields"]["request_id"] == id
            })
            .collect();
        assert_eq!(lines.len(), 1, "one line for {id}: {}", self.text());
        lines[0]["fields"].clone()
    }
}

#[tokio::test]
async fn each_request_logs_one_json_line_without_variables_or_tokens() {
    let app = spawn(|_| {}).await;
    let token = app.token(SUPER.0, SUPER.1);
    // A statement count measured with no other request running, once the first
    // request has filled the shared cache (as it is for the requests below).
    warm_up(&app, &token).await;
    let (statements, _) = app
        .count_statements(&token, SESSIONS, json!({ "id": EVENT_A.to_string() }))
        .await;
    let logs = capture(LogFormat::Json);
    let body = json!({
        "query": SESSIONS,
        "operationName": "EventSessions",
        "variables": { "id": EVENT_A.to_string(), "unused": "secret.person@example.com" },
    });
    let response = post(&app, Some("log-line-1"), Some(&token), &body).await;
    assert_eq!(response.status(), 200);
    let refused = post(&app, Some("log-line-2"), Some("not-a-token"), &body).await;
    assert_eq!(refused.status(), 401);

    let line = logs.request_line("log-line-1");
    assert_eq!(line["operation"], "EventSessions");
    assert_eq!(line["outcome"], "ok");
    assert_eq!(line["status"], 200);
    assert_eq!(line["route"], "/graphql");
    assert_eq!(line["statements"], statements);
    assert!(line["duration_ms"].is_u64(), "{line}");

    let line = logs.request_line("log-line-2");
    assert_eq!(line["outcome"], "UNAUTHENTICATED");
    assert_eq!(line["status"], 401);
    assert_eq!(line["statements"], 0);

    let text = logs.text();
    for secret in [
        "secret.person@example.com",
        "not-a-token",
        token.as_str(),
        "super@test.dev",
    ] {
        assert!(
            !text.contains(secret),
            "the logs contain {secret:?}: {text}"
        );
    }
}

#[tokio::test]
async fn client_controlled_operation_names_are_not_logged_as_they_are() {
    let app = spawn(|_| {}).await;
    let logs = capture(LogFormat::Text);
    let body = json!({ "query": "query A { __typename }", "operationName": "A\nfake line" });
    post(&app, Some("odd-name"), None, &body).await;
    let text = logs.text();
    let line = text
        .lines()
        .find(|line| line.contains("request_id=odd-name") && line.contains("operation="))
        .unwrap_or_else(|| panic!("no request line: {text}"));
    assert!(line.contains("operation=invalid"), "{line}");
    assert!(!text.contains("fake line"), "{text}");
}

#[tokio::test]
async fn statement_counts_per_request_are_exact_under_concurrency() {
    let app = spawn(|_| {}).await;
    let token = app.token(SUPER.0, SUPER.1);
    let sessions = json!({ "query": SESSIONS, "variables": { "id": EVENT_A.to_string() } });
    let viewer = json!({ "query": VIEWER });
    warm_up(&app, &token).await;
    let (expected_sessions, _) = app
        .count_statements(&token, SESSIONS, json!({ "id": EVENT_A.to_string() }))
        .await;
    let (expected_viewer, _) = app.count_statements(&token, VIEWER, json!({})).await;
    assert_ne!(expected_sessions, expected_viewer);

    let logs = capture(LogFormat::Json);
    let requests = (0..24).map(|i| {
        let (app, token) = (&app, &token);
        let body = if i % 2 == 0 { &sessions } else { &viewer };
        async move {
            let id = format!("concurrent-{i}");
            let response = post(app, Some(&id), Some(token), body).await;
            assert_eq!(response.status(), 200);
            response.bytes().await.expect("body");
        }
    });
    futures_util::future::join_all(requests).await;
    for i in 0..24 {
        let line = logs.request_line(&format!("concurrent-{i}"));
        let expected = if i % 2 == 0 {
            expected_sessions
        } else {
            expected_viewer
        };
        assert_eq!(line["statements"], expected, "request {i}: {line}");
    }
}

// ---------------------------------------------------------------------------------
// Metrics

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain")),
    );
    response.text().await.expect("a text body")
}

/// The value of the sample `name` (with its labels, as written) in a scrape.
fn sample(scrape: &str, name: &str) -> Option<f64> {
    scrape.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?.strip_prefix(' ')?;
        rest.trim().parse().ok()
    })
}

#[tokio::test]
async fn metrics_count_requests_outcomes_statements_batches_and_rejections() {
    let app = spawn(|config| {
        config.rate_limits = RateLimits {
            operations_per_minute: 3,
            ..RateLimits::default()
        };
    })
    .await;
    let token = app.token(SUPER.0, SUPER.1);
    let before = app.statements.get();
    let reply = app
        .query(Some(&token), SESSIONS, json!({ "id": EVENT_A.to_string() }))
        .await;
    let sessions = reply.data()["event"]["sessions"]["nodes"]
        .as_array()
        .map(Vec::len)
        .expect("nodes");
    assert!(sessions >= 2, "the fixture's event A has sessions");
    let reply = app
        .query(Some(&token), SESSIONS, json!({ "id": "999999" }))
        .await;
    assert_eq!(reply.error_code(), "EVENT_NOT_FOUND");
    app.query(Some(&token), VIEWER, json!({})).await.data();
    let limited = app.query(Some(&token), VIEWER, json!({})).await;
    assert_eq!(limited.status, 429);
    let statements = app.statements.get();
    assert!(statements > before);

    let scraped = scrape(&app).await;
    let value =
        |name: &str| sample(&scraped, name).unwrap_or_else(|| panic!("no {name} in\n{scraped}"));
    assert_eq!(
        value(r#"graphql_requests_total{operation="EventSessions",outcome="ok"}"#),
        1.0
    );
    assert_eq!(
        value(r#"graphql_requests_total{operation="EventSessions",outcome="EVENT_NOT_FOUND"}"#),
        1.0
    );
    assert_eq!(
        value(r#"graphql_requests_total{operation="WhoAmI",outcome="ok"}"#),
        1.0
    );
    assert_eq!(
        value(r#"graphql_requests_total{operation="WhoAmI",outcome="RATE_LIMITED"}"#),
        1.0
    );
    assert_eq!(
        value(r#"graphql_errors_total{code="EVENT_NOT_FOUND"}"#),
        1.0
    );
    assert_eq!(value(r#"graphql_errors_total{code="RATE_LIMITED"}"#), 1.0);
    assert_eq!(
        value(r#"rate_limit_rejections_total{budget="operations"}"#),
        1.0
    );
    // Closed label sets are there from the start.
    assert_eq!(value(r#"rate_limit_rejections_total{budget="cost"}"#), 0.0);
    assert_eq!(value(r#"graphql_errors_total{code="FORBIDDEN"}"#), 0.0);
    assert_eq!(
        value(r#"graphql_request_duration_seconds_count{operation="EventSessions"}"#),
        2.0
    );
    // Every statement this instance ran (migrations, fixture, requests) and no other.
    assert_eq!(value("db_statements_total"), statements as f64);
    assert_eq!(
        value("db_statement_duration_seconds_count"),
        statements as f64
    );
    assert_eq!(value("graphql_request_statements_count"), 4.0);
    assert_eq!(
        value("graphql_request_statements_sum"),
        (statements - before) as f64
    );
    // One speakers batch holding every session of the page.
    assert_eq!(
        value(r#"dataloader_batch_size_count{loader="speakers"}"#),
        1.0
    );
    assert_eq!(
        value(r#"dataloader_batch_size_sum{loader="speakers"}"#),
        sessions as f64
    );
    assert_eq!(
        value(r#"dataloader_batch_size_sum{loader="stats"}"#),
        sessions as f64
    );
    let idle = value(r#"db_pool_connections{state="idle"}"#);
    let in_use = value(r#"db_pool_connections{state="in_use"}"#);
    assert!(idle + in_use >= 1.0, "{idle} idle, {in_use} in use");

    // Scrapes are not rate limited, and count no GraphQL requests.
    for _ in 0..5 {
        scrape(&app).await;
    }
    let again = scrape(&app).await;
    assert_eq!(
        sample(
            &again,
            r#"graphql_requests_total{operation="WhoAmI",outcome="ok"}"#
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn each_instance_counts_only_its_own_requests() {
    let (a, b) = (spawn(|_| {}).await, spawn(|_| {}).await);
    let token = a.token(SUPER.0, SUPER.1);
    for _ in 0..3 {
        a.query(Some(&token), VIEWER, json!({})).await.data();
    }
    b.query(Some(&token), VIEWER, json!({})).await.data();
    let name = r#"graphql_requests_total{operation="WhoAmI",outcome="ok"}"#;
    assert_eq!(sample(&scrape(&a).await, name), Some(3.0));
    assert_eq!(sample(&scrape(&b).await, name), Some(1.0));
}

#[tokio::test]
async fn metrics_can_be_turned_off_or_require_a_token() {
    let off = spawn(|config| config.telemetry.metrics_enabled = false).await;
    assert_eq!(off.get("/metrics").await.status(), 404);

    let guarded = spawn(|config| {
        config.telemetry.metrics_token = Some(Secret::new("scrape-token-0123456789"));
    })
    .await;
    assert_eq!(guarded.get("/metrics").await.status(), 401);
    let wrong = guarded
        .client
        .get(guarded.url("/metrics"))
        .bearer_auth("scrape-token-012345678X")
        .send()
        .await
        .expect("reaches the server");
    assert_eq!(wrong.status(), 401);
    let right = guarded
        .client
        .get(guarded.url("/metrics"))
        .bearer_auth("scrape-token-0123456789")
        .send()
        .await
        .expect("reaches the server");
    assert_eq!(right.status(), 200);
    assert!(
        right
            .text()
            .await
            .expect("text")
            .contains("db_statements_total")
    );
}

// ---------------------------------------------------------------------------------
// Traces

fn attribute(span: &SpanData, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.as_str().into_owned())
}

#[tokio::test]
async fn an_operation_span_has_the_request_id_and_one_child_per_statement() {
    let exporter = InMemorySpanExporter::default();
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let config = test_config(scratch.path(), url);
    let traces = Traces::with_exporter(exporter.clone(), "session-analytics-test");
    let app = spawn_with_traces(config, scratch, traces).await;
    load(&app.db).await;
    let token = app.token(SUPER.0, SUPER.1);
    warm_up(&app, &token).await;
    let (statements, _) = app
        .count_statements(&token, SESSIONS, json!({ "id": EVENT_A.to_string() }))
        .await;
    exporter.reset();

    let body = json!({ "query": SESSIONS, "variables": { "id": EVENT_A.to_string() } });
    let response = post(&app, Some("trace-me"), Some(&token), &body).await;
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("body");
    let spans = exporter.get_finished_spans().expect("spans");
    exporter.reset();
    check_operation_spans(&spans, statements, SpanId::INVALID);

    // A caller's `traceparent` puts the operation into the caller's trace.
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("x-request-id", "trace-me")
        .header("traceparent", format!("00-{caller_trace}-{caller_span}-01"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .expect("reaches the server");
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("body");
    let spans = exporter.get_finished_spans().expect("spans");
    let parent = SpanId::from_hex(caller_span).expect("a span id");
    let operation = check_operation_spans(&spans, statements, parent);
    assert_eq!(operation.span_context.trace_id().to_string(), caller_trace);
}

/// Checks the spans of one `SESSIONS` request: one operation span under `parent` and
/// one child per statement; returns the operation span.
fn check_operation_spans(spans: &[SpanData], statements: u64, parent: SpanId) -> &SpanData {
    let operations: Vec<&SpanData> = spans
        .iter()
        .filter(|span| span.span_kind == SpanKind::Server)
        .collect();
    assert_eq!(operations.len(), 1, "{spans:#?}");
    let operation = operations[0];
    assert_eq!(operation.name, "graphql EventSessions");
    assert_eq!(operation.parent_span_id, parent);
    assert_eq!(
        attribute(operation, "request.id").as_deref(),
        Some("trace-me")
    );
    assert_eq!(attribute(operation, "outcome").as_deref(), Some("ok"));
    assert_eq!(
        attribute(operation, "db.statement_count"),
        Some(statements.to_string())
    );
    let children: Vec<&SpanData> = spans
        .iter()
        .filter(|span| span.parent_span_id == operation.span_context.span_id())
        .collect();
    assert_eq!(children.len() as u64, statements, "{spans:#?}");
    assert_eq!(
        spans.len() as u64,
        statements + 1,
        "no other spans: {spans:#?}"
    );
    let placeholders = children
        .iter()
        .filter_map(|child| attribute(child, "db.statement"))
        .filter(|sql| sql.contains('?') || sql.contains("$1"))
        .count();
    assert!(placeholders > 0, "statements bind their values: {spans:#?}");
    for child in children {
        assert_eq!(child.span_kind, SpanKind::Client);
        assert_eq!(
            child.span_context.trace_id(),
            operation.span_context.trace_id()
        );
        let system = attribute(child, "db.system").expect("db.system");
        assert!(system == "sqlite" || system == "postgresql", "{system}");
        let sql = attribute(child, "db.statement").expect("db.statement");
        assert!(sql.contains("SELECT") || sql.contains("select"), "{sql}");
        // Loading the viewer (every request) never reads a password hash.
        assert!(!sql.contains("\"users\".\"password_hash\""), "{sql}");
        assert!(child.start_time <= child.end_time);
        assert!(child.start_time >= operation.start_time && child.end_time <= operation.end_time);
    }
    operation
}

/// What a collector received: each request's content type and body.
type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A tiny OTLP/HTTP collector: keeps every `POST /v1/traces` body.
async fn collector() -> (String, Received) {
    let received: Received = Arc::default();
    let store = received.clone();
    let router = Router::new().route(
        "/v1/traces",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                store
                    .lock()
                    .expect("collector store")
                    .push((content_type, body.to_vec()));
                // An empty ExportTraceServiceResponse.
                ([("content-type", "application/x-protobuf")], Vec::new())
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}"), received)
}

fn string_attribute(
    attributes: &[opentelemetry_proto::tonic::common::v1::KeyValue],
    key: &str,
) -> Option<String> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| {
        match kv.value.as_ref()?.value.as_ref()? {
            Any::StringValue(text) => Some(text.clone()),
            Any::IntValue(n) => Some(n.to_string()),
            _ => None,
        }
    })
}

#[tokio::test]
async fn spans_reach_an_otlp_http_collector() {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use prost::Message as _;
    use session_analytics::startup::Application;

    let (endpoint, received) = collector().await;
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let mut config = test_config(scratch.path(), url);
    config.telemetry.otlp_endpoint = Some(format!("{endpoint}/"));
    config.telemetry.otel_service_name = "analytics-under-test".into();
    let app = Application::build(&config, "127.0.0.1:0".parse().expect("address"))
        .await
        .expect("the application builds");
    load(&app.db()).await;
    let (addr, telemetry, keys, statements) = (
        app.local_addr().expect("address"),
        app.telemetry(),
        app.keys(),
        app.statements(),
    );
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let token = keys.issue(SUPER.0, SUPER.1).expect("a token").token;

    let before = statements.get();
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .bearer_auth(&token)
        .header("x-request-id", "otlp-1")
        .json(&json!({ "query": VIEWER }))
        .send()
        .await
        .expect("reaches the server");
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("body");
    let ran = statements.get() - before;
    // Spans are batched; shutting the exporter down sends what it holds.
    tokio::task::spawn_blocking(move || telemetry.shutdown())
        .await
        .expect("the exporter shuts down");

    let received = received.lock().expect("collector store").clone();
    assert!(!received.is_empty(), "the collector received nothing");
    let mut spans = Vec::new();
    for (content_type, body) in &received {
        assert_eq!(content_type, "application/x-protobuf");
        let request = ExportTraceServiceRequest::decode(body.as_slice()).expect("OTLP protobuf");
        for resource in request.resource_spans {
            let attributes = resource.resource.map(|r| r.attributes).unwrap_or_default();
            assert_eq!(
                string_attribute(&attributes, "service.name").as_deref(),
                Some("analytics-under-test")
            );
            spans.extend(resource.scope_spans.into_iter().flat_map(|s| s.spans));
        }
    }
    let operation = spans
        .iter()
        .find(|span| span.name == "graphql WhoAmI")
        .unwrap_or_else(|| panic!("no operation span in {spans:#?}"));
    assert_eq!(
        string_attribute(&operation.attributes, "request.id").as_deref(),
        Some("otlp-1")
    );
    let children = spans
        .iter()
        .filter(|span| span.parent_span_id == operation.span_id)
        .count();
    assert_eq!(children as u64, ran);
    assert!(ran > 0);
}
