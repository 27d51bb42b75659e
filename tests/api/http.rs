//! Plain HTTP: GraphiQL, health, the database going away, demo data and the command line.

use serde_json::json;
use session_analytics::config::DemoData;

use crate::{
    fixture::*,
    helpers::{Scratch, spawn_app, spawn_with_config, test_config},
};

#[tokio::test]
async fn graphiql_opens_with_the_login_mutation_and_a_session_query() {
    let app = spawn_app().await;
    let response = app.get("/graphql").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("html");
    assert!(html.contains("graphiql"), "a GraphiQL page");
    assert!(
        html.contains(r#""defaultQuery":"#),
        "GraphiQL opens on our example operations"
    );
    assert!(
        html.contains(r#"login(email: \"super.admin@example.com\", password: \"demo-password\")"#)
    );
    assert!(html.contains("session(id: \\\"1\\\")"));
}

#[tokio::test]
async fn health_reports_the_database_and_a_closed_database_gives_service_unavailable() {
    let app = spawn_with_fixture().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<serde_json::Value>().await.expect("json"),
        json!({ "status": "ok", "database": "up" })
    );

    app.db.clone().close().await.expect("close the pool");
    let response = app.get("/health").await;
    assert_eq!(response.status(), 503);
    let reply = app
        .query(
            Some(&app.token(SUPER.0, SUPER.1)),
            "{ session(id: \"100\") { title } }",
            json!({}),
        )
        .await;
    assert_eq!(reply.error_code(), "SERVICE_UNAVAILABLE");
    assert_eq!(reply.body["errors"][0]["extensions"]["status"], 503);
    let text = reply.body.to_string().to_lowercase();
    for internal in ["sqlx", "pool", "sqlite", "postgres", "select"] {
        assert!(
            !text.contains(internal),
            "the error leaks `{internal}`: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn the_demo_data_set_lets_each_demo_user_log_in_and_see_their_events() {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let mut config = test_config(scratch.path(), url);
    config.demo_data = DemoData::Always;
    let app = spawn_with_config(config, scratch).await;
    let login = "mutation($email: String!) { login(email: $email, password: \"demo-password\") { token viewer { role } } }";
    for (email, role, events) in [
        ("super.admin@example.com", "SUPER_ADMIN", Some(4)),
        ("organizer.admin@example.com", "ORGANIZER_ADMIN", Some(2)),
        ("event.admin@example.com", "EVENT_ADMIN", Some(1)),
        ("attendee@example.com", "ATTENDEE", None),
    ] {
        let reply = app.query(None, login, json!({ "email": email })).await;
        let data = reply.data();
        assert_eq!(data["login"]["viewer"]["role"], role);
        let token = data["login"]["token"].as_str().expect("token");
        let reply = app
            .query(Some(token), "{ events { totalCount } }", json!({}))
            .await;
        match events {
            Some(n) => assert_eq!(reply.data()["events"]["totalCount"], n, "{email}"),
            None => assert_eq!(reply.error_code(), "FORBIDDEN"),
        }
    }
    // The first event's keynote is the realistic centrepiece: hundreds of registrants.
    let token = app.token(1, session_analytics::entity::enums::Role::SuperAdmin);
    let reply = app
        .query(Some(&token), "{ event(id: \"1\") { sessions(first: 100) { totalCount nodes { format speakers { speakerId } registeredHolderUsers { totalCount } stats { attendeeCount } } } } }", json!({}))
        .await;
    let sessions = &reply.data()["event"]["sessions"];
    let formats: std::collections::HashSet<&str> = sessions["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|s| s["format"].as_str().expect("format"))
        .collect();
    assert_eq!(formats.len(), 7, "sessions of every format: {formats:?}");
    let keynote = &sessions["nodes"][0];
    assert!(
        keynote["registeredHolderUsers"]["totalCount"]
            .as_i64()
            .expect("count")
            >= 200
    );
    assert!(keynote["stats"]["attendeeCount"].as_i64().expect("count") >= 100);
    assert!(!keynote["speakers"].as_array().expect("speakers").is_empty());
}

#[tokio::test]
async fn the_token_command_mints_a_token_the_embedded_server_accepts_after_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_session-analytics"))
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["token", "--email", "event.admin@example.com"])
        .env_remove("DATABASE_URL")
        .env_remove("JWT_SECRET")
        .env_remove("DEMO_DATA")
        .output()
        .expect("run the binary");
    assert!(
        output.status.success(),
        "token failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let secret = std::fs::read_to_string(dir.path().join("jwt-secret"))
        .expect("the secret is kept in the data dir");
    assert!(
        !stderr.contains(secret.trim()),
        "the secret must never be logged"
    );

    // A server on the same data directory (the embedded default) accepts it.
    let mut config = test_config(dir.path(), String::new());
    config.database_url = None;
    config.jwt_secret = None;
    config.demo_data = DemoData::Auto;
    let app = spawn_with_config(config, Scratch::new()).await;
    let reply = app
        .query(Some(&token), "{ viewer { email role } }", json!({}))
        .await;
    assert_eq!(
        reply.data()["viewer"],
        json!({ "email": "event.admin@example.com", "role": "EVENT_ADMIN" })
    );
}

#[tokio::test]
async fn an_external_database_without_a_jwt_secret_refuses_to_start() {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let mut config = test_config(scratch.path(), url);
    config.jwt_secret = None;
    let err = session_analytics::startup::Application::build(
        &config,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .err()
    .expect("no secret, no start");
    assert!(err.to_string().contains("JWT_SECRET"), "{err}");
}

#[tokio::test]
async fn the_full_introspection_query_of_graphql_js_passes_every_default_limit() {
    // What GraphiQL sends (graphql-js `getIntrospectionQuery` with descriptions,
    // `specifiedByURL`, repeatable directives, schema description and deprecated
    // input values).
    let app = spawn_app().await;
    let reply = app
        .query(None, include_str!("introspection.graphql"), json!({}))
        .await;
    let types = reply.data()["__schema"]["types"]
        .as_array()
        .expect("types")
        .len();
    assert!(types > 20, "{types} types");
}

#[tokio::test]
async fn graphiql_introspection_fits_the_depth_limit_and_deeper_documents_are_refused() {
    let app = spawn_app().await;
    // The deepest part of GraphiQL's introspection query: TypeRef nested seven times.
    let introspection = "{ __schema { queryType { name } types { name fields(includeDeprecated: true) { name args { name type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } } type { name } } } } }";
    let reply = app.query(None, introspection, json!({})).await;
    assert!(
        reply.data()["__schema"]["types"]
            .as_array()
            .is_some_and(|t| t.len() > 20)
    );

    let mut type_ref = String::from("name");
    for _ in 0..20 {
        type_ref = format!("name ofType {{ {type_ref} }}");
    }
    let deep = format!("{{ __schema {{ types {{ fields {{ type {{ {type_ref} }} }} }} }} }}");
    let reply = app.query(None, &deep, json!({})).await;
    assert_eq!(reply.error_code(), "BAD_REQUEST");
    let message = reply.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        message.contains("nested too deep") || message.contains("depth"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn documents_the_server_rejects_get_bad_request_codes() {
    let app = spawn_app().await;
    for (query, variables) in [
        ("{ session(id: ", json!({})),
        ("{ nosuchfield }", json!({})),
        (
            "query($id: ID!) { session(id: $id) { title } }",
            json!({ "id": { "not": "an id" } }),
        ),
        ("{ events(first: \"ten\") { totalCount } }", json!({})),
    ] {
        let reply = app.query(None, query, variables).await;
        assert_eq!(reply.error_code(), "BAD_REQUEST", "{query}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["status"], 400);
    }
}

#[tokio::test]
async fn an_unexpected_database_failure_is_internal_and_says_nothing_internal() {
    use sea_orm::ConnectionTrait;
    let app = spawn_with_fixture().await;
    app.db
        .execute_unprepared("ALTER TABLE mux_assets RENAME TO mux_assets_gone")
        .await
        .expect("rename");
    let reply = app
        .query(
            Some(&app.token(SUPER.0, SUPER.1)),
            "{ session(id: \"100\") { title assetList { assetId } } }",
            json!({}),
        )
        .await;
    assert_eq!(reply.error_code(), "INTERNAL");
    assert_eq!(reply.body["errors"][0]["extensions"]["status"], 500);
    assert_eq!(reply.body["errors"][0]["message"], "internal error");
    let text = reply.body.to_string().to_lowercase();
    for internal in [
        "mux_assets",
        "select",
        "sqlx",
        "sqlite",
        "postgres",
        "relation",
    ] {
        assert!(
            !text.contains(internal),
            "the error leaks `{internal}`: {}",
            reply.body
        );
    }
}
