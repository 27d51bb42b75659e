//! Limits on what one request may ask, and production mode. Each limit is set low in
//! its test's own configuration and every rejection names the limit it hit.

use std::time::Duration;

use serde_json::json;
use session_analytics::config::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    fixture::*,
    helpers::{TestApp, require_postgres},
};

async fn spawn_limited(limits: Limits, production: bool) -> TestApp {
    spawn_fixture_with(|config| {
        config.limits = limits;
        config.production = production;
    })
    .await
}

fn rejected_for(reply: &crate::helpers::Reply, what: &str) {
    assert_eq!(reply.error_code(), "BAD_REQUEST", "{}", reply.body);
    let message = reply.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        message.contains(what),
        "the message should name `{what}`: {}",
        reply.body
    );
    assert!(
        reply.body["data"].is_null(),
        "nothing was executed: {}",
        reply.body
    );
}

#[tokio::test]
async fn aliases_root_fields_and_tokens_over_their_limits_are_refused_before_execution() {
    let app = spawn_limited(
        Limits {
            max_aliases: 3,
            max_root_fields: 2,
            max_tokens: 60,
            ..Limits::default()
        },
        false,
    )
    .await;
    let token = app.token(SUPER.0, SUPER.1);

    let ok = "{ a: viewer { email } b: viewer { email } }";
    assert!(
        app.query(Some(&token), ok, json!({}))
            .await
            .body
            .get("errors")
            .is_none()
    );

    let aliases = "{ viewer { a: email b: email c: email d: email } }";
    rejected_for(
        &app.query(Some(&token), aliases, json!({})).await,
        "aliases",
    );

    let roots = "{ viewer { email } events { totalCount } session(id: \"100\") { id } }";
    rejected_for(
        &app.query(Some(&token), roots, json!({})).await,
        "root fields",
    );
    let through_fragment = "{ ...F } fragment F on Query { viewer { email } events { totalCount } session(id: \"100\") { id } }";
    rejected_for(
        &app.query(Some(&token), through_fragment, json!({})).await,
        "root fields",
    );

    let long = format!("{{ viewer {{ {} }} }}", "email ".repeat(60));
    rejected_for(&app.query(Some(&token), &long, json!({})).await, "tokens");
}

#[tokio::test]
async fn complexity_scales_with_page_sizes() {
    let app = spawn_limited(
        Limits {
            max_query_complexity: 1_000,
            ..Limits::default()
        },
        false,
    )
    .await;
    let token = app.token(SUPER.0, SUPER.1);
    let page = |first: u32| {
        format!(
            "{{ session(id: \"100\") {{ registeredHolderUsers(first: {first}) {{ nodes {{ email firstName lastName attended }} }} }} }}"
        )
    };
    // A row of `nodes` costs 5 (the node and its 4 fields): 150 rows cost about 750,
    // 300 rows about 1,500.
    let reply = app.query(Some(&token), &page(150), json!({})).await;
    assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    rejected_for(
        &app.query(Some(&token), &page(300), json!({})).await,
        "complex",
    );
}

#[tokio::test]
async fn too_many_directives_on_one_field_are_refused() {
    let app = spawn_limited(
        Limits {
            max_directives_per_field: 2,
            ..Limits::default()
        },
        false,
    )
    .await;
    let token = app.token(SUPER.0, SUPER.1);
    let reply = app
        .query(
            Some(&token),
            "{ viewer { email @skip(if: false) @include(if: true) @skip(if: false) } }",
            json!({}),
        )
        .await;
    rejected_for(&reply, "directives");
}

#[tokio::test]
async fn page_size_limits_come_from_configuration() {
    let app = spawn_limited(
        Limits {
            max_page_size: 3,
            max_registrant_page_size: 4,
            ..Limits::default()
        },
        false,
    )
    .await;
    let token = app.token(SUPER.0, SUPER.1);
    for (query, limit) in [
        ("{ events(first: 4) { totalCount } }", "3"),
        (
            "{ event(id: \"10\") { sessions(first: 4) { totalCount } } }",
            "3",
        ),
        (
            "{ session(id: \"100\") { registeredHolderUsers(first: 5) { totalCount } } }",
            "4",
        ),
    ] {
        let reply = app.query(Some(&token), query, json!({})).await;
        assert_eq!(reply.error_code(), "BAD_REQUEST", "{query}");
        let message = reply.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains("`first`") && message.contains(limit),
            "{query}: {message}"
        );
    }
    let reply = app
        .query(
            Some(&token),
            "{ events(first: 3) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(reply.data()["events"]["totalCount"], 3);
}

#[tokio::test]
async fn a_body_over_the_size_limit_gets_413_whether_or_not_it_says_its_length() {
    let app = spawn_limited(
        Limits {
            max_body_bytes: 2_048,
            ..Limits::default()
        },
        false,
    )
    .await;
    let padding = " ".repeat(4_096);
    let body = json!({ "query": format!("{{ viewer {{ email }} }}{padding}") }).to_string();
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 413);

    // Chunked: no Content-Length, the limit still holds.
    let chunks: Vec<Result<String, std::io::Error>> = body
        .as_bytes()
        .chunks(512)
        .map(|c| Ok(String::from_utf8_lossy(c).into_owned()))
        .collect();
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = spawn_limited(
        Limits {
            header_read_timeout_ms: 200,
            ..Limits::default()
        },
        false,
    )
    .await;
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    stream
        .write_all(
            b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n",
        )
        .await
        .expect("partial headers");
    // The bound only keeps a broken server from hanging the test; the server closes
    // the connection after its 200 ms header timeout.
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut buffer)).await;
    assert!(read.is_ok(), "the server kept a half-sent request open");
}

#[tokio::test]
async fn production_mode_turns_off_introspection_graphiql_and_suggestions() {
    let app = spawn_limited(Limits::default(), true).await;
    let reply = app
        .query(None, "{ __schema { types { name } } }", json!({}))
        .await;
    assert!(
        reply.body["data"]["__schema"].is_null(),
        "introspection must be off: {}",
        reply.body
    );

    let response = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .expect("GET /graphql");
    assert_ne!(response.status(), 200, "no GraphiQL in production");
    assert!(
        !response
            .text()
            .await
            .unwrap_or_default()
            .to_lowercase()
            .contains("graphiql")
    );

    let token = app.token(SUPER.0, SUPER.1);
    let reply = app
        .query(Some(&token), "{ sesion(id: \"100\") { id } }", json!({}))
        .await;
    let message = reply.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        !message.contains("Did you mean"),
        "no suggestions in production: {message}"
    );

    // The API itself works as before.
    let reply = app
        .query(
            Some(&token),
            "{ session(id: \"100\") { title } }",
            json!({}),
        )
        .await;
    assert_eq!(reply.data()["session"]["title"], "Keynote");
}

/// Asks for a session's sponsors while another transaction holds the sponsors table
/// locked (PostgreSQL only: SQLite readers never wait in WAL mode).
async fn sponsors_while_locked(limits: Limits) -> crate::helpers::Reply {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = spawn_limited(limits, false).await;
    let token = app.token(SUPER.0, SUPER.1);
    let lock = app.db.begin().await.expect("begin");
    lock.execute_unprepared("LOCK TABLE sponsors IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let query = "{ session(id: \"100\") { sponsors { name } } }";
    let reply = app.query(Some(&token), query, json!({})).await;
    lock.rollback().await.expect("unlock");
    reply
}

// SQLite readers never wait for a writer in WAL mode, so only PostgreSQL can hold a
// statement up.
#[tokio::test]
#[ignore = "needs PostgreSQL: run with TEST_DATABASE_URL set and -- --include-ignored"]
async fn a_statement_held_up_past_the_limits_gives_service_unavailable() {
    require_postgres();
    let statement = sponsors_while_locked(Limits {
        statement_timeout_ms: 300,
        ..Limits::default()
    })
    .await;
    assert_eq!(
        statement.error_code(),
        "SERVICE_UNAVAILABLE",
        "{}",
        statement.body
    );

    let request = sponsors_while_locked(Limits {
        request_timeout_ms: 300,
        ..Limits::default()
    })
    .await;
    assert_eq!(request.status, 503);
    assert_eq!(
        request.error_code(),
        "SERVICE_UNAVAILABLE",
        "{}",
        request.body
    );
    let message = request.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("300 ms"), "{message}");
}

#[tokio::test]
async fn absurd_page_sizes_are_too_complex_and_never_overflow_the_cost() {
    let app = spawn_limited(Limits::default(), false).await;
    let token = app.token(SUPER.0, SUPER.1);
    let max = i32::MAX;
    let query = format!(
        "{{ a: events(first: {max}) {{ nodes {{ sessions(first: {max}) {{ nodes {{ registeredHolderUsers(first: {max}) {{ totalCount nodes {{ email }} }} }} }} }} }} \
           b: events(first: {max}) {{ nodes {{ sessions(first: {max}) {{ nodes {{ registeredHolderUsers(first: {max}) {{ totalCount nodes {{ email }} }} }} }} }} }} }}"
    );
    rejected_for(&app.query(Some(&token), &query, json!({})).await, "complex");
}
