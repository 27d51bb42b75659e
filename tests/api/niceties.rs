//! HTTP niceties: CORS, compressed responses, and readiness.

use std::io::Read;

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use session_analytics::config::Config;

use crate::{
    fixture::*,
    helpers::{Scratch, TestApp, spawn_app, spawn_with_config, test_config},
};

const APP_ORIGIN: &str = "https://app.example.com";

async fn spawn(change: impl FnOnce(&mut Config)) -> TestApp {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let mut config = test_config(scratch.path(), url);
    change(&mut config);
    let app = spawn_with_config(config, scratch).await;
    load(&app.db).await;
    app
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// All values of a (possibly repeated, comma-separated) header, lowercased.
fn header_values(response: &reqwest::Response, name: &str) -> Vec<String> {
    response
        .headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .collect()
}

async fn post_from(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .post(app.url("/graphql"))
        .header("origin", origin)
        .bearer_auth(app.token(SUPER.0, SUPER.1))
        .json(&json!({ "query": "{ session(id: \"100\") { title } }" }))
        .send()
        .await
        .expect("request reaches the server")
}

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(Method::OPTIONS, app.url("/graphql"))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization, content-type, x-request-id",
        )
        .send()
        .await
        .expect("request reaches the server")
}

// ---------------------------------------------------------------------------------
// CORS

#[tokio::test]
async fn an_allowed_origin_gets_cors_headers_and_another_origin_gets_none() {
    let app = spawn(|config| {
        config.delivery.cors_allowed_origins =
            vec![APP_ORIGIN.into(), "http://localhost:3000".into()];
    })
    .await;
    let response = post_from(&app, APP_ORIGIN).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    assert!(
        header_values(&response, "access-control-expose-headers").contains(&"x-request-id".into())
    );
    assert!(header_values(&response, "vary").contains(&"origin".into()));
    assert!(header(&response, "access-control-allow-credentials").is_none());

    let response = post_from(&app, "https://evil.example.com").await;
    assert_eq!(response.status(), 200, "CORS is the browser's to enforce");
    assert!(header(&response, "access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_preflight_needs_no_token_and_spends_no_budget() {
    let app = spawn(|config| {
        config.delivery.cors_allowed_origins = vec![APP_ORIGIN.into()];
        config.rate_limits.operations_per_minute = 1;
    })
    .await;
    for _ in 0..5 {
        let response = preflight(&app, APP_ORIGIN).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            header(&response, "access-control-allow-origin"),
            Some(APP_ORIGIN)
        );
        let methods = header_values(&response, "access-control-allow-methods");
        for method in ["get", "post", "options"] {
            assert!(methods.contains(&method.into()), "{methods:?}");
        }
        let headers = header_values(&response, "access-control-allow-headers");
        for name in ["authorization", "content-type", "x-request-id"] {
            assert!(headers.contains(&name.into()), "{headers:?}");
        }
        assert_eq!(header(&response, "access-control-max-age"), Some("600"));
    }
    // The one operation of the budget is still there.
    let response = post_from(&app, APP_ORIGIN).await;
    assert_eq!(response.status(), 200);

    let response = preflight(&app, "https://evil.example.com").await;
    assert!(header(&response, "access-control-allow-origin").is_none());
}

#[tokio::test]
async fn without_configured_origins_there_are_no_cors_headers_and_a_star_allows_any() {
    let app = spawn_app().await;
    let response = post_from(&app, APP_ORIGIN).await;
    assert!(header(&response, "access-control-allow-origin").is_none());
    let response = preflight(&app, APP_ORIGIN).await;
    assert!(header(&response, "access-control-allow-origin").is_none());

    let app = spawn(|config| config.delivery.cors_allowed_origins = vec!["*".into()]).await;
    let response = post_from(&app, "https://anywhere.example.org").await;
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
}

// ---------------------------------------------------------------------------------
// Compression

/// Large enough to be compressed (the type names of the schema).
const TYPES: &str = "{ __schema { types { name description } } }";

/// POSTs `TYPES` accepting `encoding`; the status, content type, content encoding,
/// `Vary` and the body decoded.
async fn types_in(
    app: &TestApp,
    encoding: Option<&str>,
) -> (StatusCode, String, Option<String>, Vec<String>, Value) {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": TYPES }));
    if let Some(encoding) = encoding {
        request = request.header("accept-encoding", encoding);
    }
    let response = request.send().await.expect("request reaches the server");
    let status = response.status();
    let content_type = header(&response, "content-type")
        .unwrap_or_default()
        .to_owned();
    let content_encoding = header(&response, "content-encoding").map(str::to_owned);
    let vary = header_values(&response, "vary");
    let bytes = response.bytes().await.expect("a body");
    let body = decode(content_encoding.as_deref(), &bytes);
    (status, content_type, content_encoding, vary, body)
}

fn decode(encoding: Option<&str>, bytes: &[u8]) -> Value {
    let mut text = Vec::new();
    match encoding {
        None => text.extend_from_slice(bytes),
        Some("gzip") => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_end(&mut text)
                .expect("valid gzip");
        }
        Some("br") => {
            brotli_decompressor::Decompressor::new(bytes, 4096)
                .read_to_end(&mut text)
                .expect("valid brotli");
        }
        Some(other) => panic!("unexpected content encoding {other}"),
    }
    serde_json::from_slice(&text).expect("JSON")
}

#[tokio::test]
async fn gzip_and_brotli_responses_decode_to_the_same_json_as_identity() {
    let app = spawn_app().await;
    let (status, content_type, encoding, _, identity) = types_in(&app, None).await;
    assert_eq!(status, 200);
    assert_eq!(encoding, None);
    assert!(content_type.starts_with("application/graphql-response+json"));
    assert!(
        identity["data"]["__schema"]["types"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );

    for (accept, expected) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("gzip, br;q=1.0, identity;q=0.5", "br"),
    ] {
        let (status, content_type, encoding, vary, body) = types_in(&app, Some(accept)).await;
        assert_eq!(status, 200);
        assert_eq!(encoding.as_deref(), Some(expected), "{accept}");
        assert!(
            content_type.starts_with("application/graphql-response+json"),
            "{content_type}"
        );
        assert!(vary.contains(&"accept-encoding".into()), "{vary:?}");
        assert_eq!(body, identity, "{accept}");
    }
}

#[tokio::test]
async fn small_responses_and_errors_stay_readable() {
    let app = spawn_app().await;
    // Under the 1 KiB threshold: sent as is.
    let response = app
        .client
        .get(app.url("/health"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .expect("request reaches the server");
    assert_eq!(response.status(), 200);
    assert!(header(&response, "content-encoding").is_none());

    // Over the body limit: a 413 with a GraphQL-shaped body, whatever the encoding.
    let big = "x".repeat(2 * 1024 * 1024);
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept-encoding", "gzip")
        .json(&json!({ "query": big }))
        .send()
        .await
        .expect("request reaches the server");
    assert_eq!(response.status(), 413);
    let encoding = header(&response, "content-encoding").map(str::to_owned);
    let body = decode(
        encoding.as_deref(),
        &response.bytes().await.expect("a body"),
    );
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
}

#[tokio::test]
async fn with_compression_off_nothing_is_compressed() {
    let app = spawn(|config| config.delivery.compression = false).await;
    let (_, _, encoding, _, _) = types_in(&app, Some("gzip, br")).await;
    assert_eq!(encoding, None);
}

// ---------------------------------------------------------------------------------
// Readiness

async fn ready(app: &TestApp) -> (u16, Value) {
    let response = app.get("/ready").await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

fn assert_not_ready(reply: &(u16, Value), code: &str) {
    assert_eq!(reply.0, 503, "{}", reply.1);
    assert_eq!(reply.1["status"], "unavailable");
    assert_eq!(reply.1["code"], code);
    let text = reply.1.to_string().to_lowercase();
    for internal in ["sqlx", "pool", "sqlite", "postgres", "select", "m20"] {
        assert!(!text.contains(internal), "leaks `{internal}`: {text}");
    }
}

#[tokio::test]
async fn ready_when_the_database_answers_and_its_migrations_are_this_binarys() {
    let app = spawn_app().await;
    let (status, body) = ready(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "status": "ready" }));
}

#[tokio::test]
async fn not_ready_while_a_migration_is_missing_or_unknown() {
    let app = spawn_app().await;
    let latest: String = {
        let backend = app.db.get_database_backend();
        let row = app
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                "SELECT MAX(version) AS version FROM seaql_migrations",
            ))
            .await
            .expect("query")
            .expect("a row");
        row.try_get("", "version").expect("a version")
    };
    app.db
        .execute_unprepared(&format!(
            "DELETE FROM seaql_migrations WHERE version = '{latest}'"
        ))
        .await
        .expect("forget the latest migration");
    assert_not_ready(&ready(&app).await, "MIGRATIONS_PENDING");

    app.db
        .execute_unprepared(&format!(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{latest}', 0), ('m29991231_000000_from_the_future', 0)"
        ))
        .await
        .expect("add an unknown migration");
    assert_not_ready(&ready(&app).await, "MIGRATIONS_UNKNOWN");

    // `/health` is liveness: the process and the database are fine.
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn not_ready_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.clone().close().await.expect("close the pool");
    assert_not_ready(&ready(&app).await, "DATABASE_UNAVAILABLE");
}
