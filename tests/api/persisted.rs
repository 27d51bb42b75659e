//! Persisted queries: Apollo's automatic persisted queries, and trusted documents from a
//! manifest in graphql-codegen's and in Apollo's format.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};
use session_analytics::{config::Config, startup::Application};
use sha2::{Digest, Sha256};

use crate::{
    fixture::*,
    helpers::{Reply, Scratch, TestApp, spawn_with_config, test_config},
};

const TITLE: &str = "{ session(id: \"100\") { title } }";
const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn apq(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// Starts the application with the fixture and `change` applied to the configuration;
/// `change` may write files into the scratch directory it is given.
async fn spawn(change: impl FnOnce(&mut Config, &std::path::Path)) -> TestApp {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let mut config = test_config(scratch.path(), url);
    change(&mut config, scratch.path());
    let app = spawn_with_config(config, scratch).await;
    load(&app.db).await;
    app
}

/// POSTs `body` as the super admin, asking for `accept` (legacy JSON when `None`).
async fn post(app: &TestApp, body: Value, accept: Option<&str>) -> Reply {
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(app.token(SUPER.0, SUPER.1))
        .json(&body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    reply(request.send().await.expect("request reaches the server")).await
}

/// GETs `/graphql` with `params` as the super admin, accepting anything (as Apollo
/// Client does: `*/*`), which must not open GraphiQL.
async fn get(app: &TestApp, params: &[(&str, String)]) -> Reply {
    let request = app
        .client
        .get(app.url("/graphql"))
        .bearer_auth(app.token(SUPER.0, SUPER.1))
        .header("accept", "*/*")
        .query(params);
    reply(request.send().await.expect("request reaches the server")).await
}

async fn reply(response: reqwest::Response) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.expect("a JSON body");
    Reply {
        status,
        headers,
        body,
    }
}

/// The one error of a refused request: its code, its HTTP status, and no `data`.
fn assert_refused(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.error_code(), code, "{}", reply.body);
    assert_eq!(reply.body["errors"].as_array().map(Vec::len), Some(1));
    assert!(reply.body.get("data").is_none(), "{}", reply.body);
}

fn assert_title(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.data()["session"]["title"],
        "Keynote",
        "{}",
        reply.body
    );
}

// ---------------------------------------------------------------------------------
// Automatic persisted queries

#[tokio::test]
async fn an_unknown_hash_is_not_found_then_registered_with_its_query_then_runs_the_same_statements()
{
    let app = spawn(|_, _| {}).await;
    let hash = sha256(TITLE);

    // Apollo Client resends the query only after a 200 carrying this exact message.
    for accept in [None, Some(GRAPHQL_RESPONSE)] {
        let miss = post(&app, json!({ "extensions": apq(&hash) }), accept).await;
        assert_refused(&miss, StatusCode::OK, "PERSISTED_QUERY_NOT_FOUND");
        assert_eq!(miss.body["errors"][0]["message"], "PersistedQueryNotFound");
        let cache = miss
            .headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok());
        assert!(cache.is_some_and(|v| v.contains("no-cache")), "{cache:?}");
    }

    let before = app.statements.get();
    let register = post(
        &app,
        json!({ "query": TITLE, "extensions": apq(&hash) }),
        None,
    )
    .await;
    assert_title(&register);
    let full = app.statements.get() - before;

    let before = app.statements.get();
    let hit = post(&app, json!({ "extensions": apq(&hash) }), None).await;
    assert_title(&hit);
    assert_eq!(hit.body, register.body);
    assert_eq!(
        app.statements.get() - before,
        full,
        "a hit runs the same statements"
    );

    // The same store answers the persisted-documents proposal's `documentId`.
    let by_id = post(
        &app,
        json!({ "documentId": format!("sha256:{hash}") }),
        None,
    )
    .await;
    assert_title(&by_id);
}

#[tokio::test]
async fn a_hash_that_is_not_the_querys_is_refused_and_nothing_is_stored() {
    let app = spawn(|_, _| {}).await;
    let other = sha256("{ viewer { userId } }");
    let reply = post(
        &app,
        json!({ "query": TITLE, "extensions": apq(&other) }),
        None,
    )
    .await;
    assert_refused(&reply, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    let message = reply.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("sha256Hash"),
        "names the problem: {message}"
    );

    let miss = post(&app, json!({ "extensions": apq(&other) }), None).await;
    assert_refused(&miss, StatusCode::OK, "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn an_unsupported_version_or_a_malformed_hash_is_a_bad_request() {
    let app = spawn(|_, _| {}).await;
    let hash = sha256(TITLE);
    for (extensions, names) in [
        (
            json!({ "persistedQuery": { "version": 2, "sha256Hash": hash } }),
            "version",
        ),
        (
            json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
            "64",
        ),
        (json!({ "persistedQuery": "yes" }), "object"),
    ] {
        let reply = post(&app, json!({ "extensions": extensions }), None).await;
        assert_refused(&reply, StatusCode::BAD_REQUEST, "BAD_REQUEST");
        let message = reply.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains(names), "{message}");
    }
}

#[tokio::test]
async fn get_requests_carry_the_hash_in_the_extensions_parameter() {
    let app = spawn(|_, _| {}).await;
    let hash = sha256(TITLE);
    let extensions = apq(&hash).to_string();

    let miss = get(&app, &[("extensions", extensions.clone())]).await;
    assert_refused(&miss, StatusCode::OK, "PERSISTED_QUERY_NOT_FOUND");
    let register = get(
        &app,
        &[
            ("query", TITLE.to_owned()),
            ("extensions", extensions.clone()),
        ],
    )
    .await;
    assert_title(&register);
    let hit = get(&app, &[("extensions", extensions)]).await;
    assert_title(&hit);
}

#[tokio::test]
async fn a_document_over_a_limit_is_refused_and_not_stored() {
    let app = spawn(|_, _| {}).await;
    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    let document = format!("{{ {aliases} }}");
    let hash = sha256(&document);
    let reply = post(
        &app,
        json!({ "query": document, "extensions": apq(&hash) }),
        None,
    )
    .await;
    assert_eq!(reply.error_code(), "BAD_REQUEST");
    assert!(
        reply.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("aliases"))
    );

    let miss = post(&app, json!({ "extensions": apq(&hash) }), None).await;
    assert_refused(&miss, StatusCode::OK, "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn with_apq_off_a_persisted_query_is_not_supported() {
    let app = spawn(|config, _| config.delivery.apq_cache_size = 0).await;
    let hash = sha256(TITLE);
    let reply = post(
        &app,
        json!({ "query": TITLE, "extensions": apq(&hash) }),
        None,
    )
    .await;
    assert_refused(&reply, StatusCode::OK, "PERSISTED_QUERY_NOT_SUPPORTED");
    assert_eq!(
        reply.body["errors"][0]["message"],
        "PersistedQueryNotSupported"
    );
    assert_title(&post(&app, json!({ "query": TITLE }), None).await);
}

// ---------------------------------------------------------------------------------
// Trusted documents

const VIEWER: &str = "query Viewer { viewer { userId } }";

/// Writes `manifest` into `dir` and points the configuration at it.
fn trust(config: &mut Config, dir: &std::path::Path, manifest: &Value) -> PathBuf {
    let path = dir.join("persisted-documents.json");
    std::fs::write(&path, manifest.to_string()).expect("write the manifest");
    config.delivery.trusted_documents = Some(path.clone());
    path
}

/// graphql-codegen's client preset: `{ "<sha256>": "<document>" }`.
fn codegen_manifest(documents: &[&str]) -> Value {
    Value::Object(
        documents
            .iter()
            .map(|document| (sha256(document), Value::from(*document)))
            .collect(),
    )
}

#[tokio::test]
async fn trusted_documents_run_by_document_id_by_hash_or_by_their_exact_text_and_nothing_else() {
    let app = spawn(|config, dir| {
        trust(config, dir, &codegen_manifest(&[TITLE, VIEWER]));
    })
    .await;
    let hash = sha256(TITLE);

    assert_title(
        &post(
            &app,
            json!({ "documentId": format!("sha256:{hash}") }),
            None,
        )
        .await,
    );
    assert_title(&post(&app, json!({ "documentId": hash }), None).await);
    assert_title(&post(&app, json!({ "extensions": apq(&hash) }), None).await);
    assert_title(&get(&app, &[("documentId", format!("sha256:{hash}"))]).await);
    assert_title(&post(&app, json!({ "query": TITLE }), None).await);

    let free = post(
        &app,
        json!({ "query": "{ session(id: \"100\") { title id } }" }),
        None,
    )
    .await;
    assert_refused(&free, StatusCode::BAD_REQUEST, "PERSISTED_QUERY_REQUIRED");
    let free = post(
        &app,
        json!({ "query": "{ session(id: \"100\") { title id } }" }),
        Some(GRAPHQL_RESPONSE),
    )
    .await;
    assert_refused(&free, StatusCode::BAD_REQUEST, "PERSISTED_QUERY_REQUIRED");
}

#[tokio::test]
async fn in_trusted_mode_an_unknown_id_is_not_found_and_apq_registration_is_off() {
    let app = spawn(|config, dir| {
        trust(config, dir, &codegen_manifest(&[VIEWER]));
    })
    .await;
    let unknown = sha256("{ nothing }");
    let reply = post(
        &app,
        json!({ "documentId": format!("sha256:{unknown}") }),
        Some(GRAPHQL_RESPONSE),
    )
    .await;
    assert_refused(&reply, StatusCode::BAD_REQUEST, "PERSISTED_QUERY_NOT_FOUND");
    let reply = post(&app, json!({ "documentId": "made-up" }), None).await;
    assert_refused(&reply, StatusCode::OK, "PERSISTED_QUERY_NOT_FOUND");

    let hash = sha256(TITLE);
    let register = post(
        &app,
        json!({ "query": TITLE, "extensions": apq(&hash) }),
        None,
    )
    .await;
    assert_refused(
        &register,
        StatusCode::BAD_REQUEST,
        "PERSISTED_QUERY_REQUIRED",
    );
    let miss = post(&app, json!({ "extensions": apq(&hash) }), None).await;
    assert_refused(&miss, StatusCode::OK, "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn an_apollo_persisted_query_manifest_is_served_by_its_ids() {
    let app = spawn(|config, dir| {
        let manifest = json!({
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [
                { "id": sha256(TITLE), "name": "Title", "type": "query", "body": TITLE },
                { "id": "viewer-v1", "name": "Viewer", "type": "query", "body": VIEWER },
            ]
        });
        trust(config, dir, &manifest);
    })
    .await;
    assert_title(&post(&app, json!({ "extensions": apq(&sha256(TITLE)) }), None).await);
    let viewer = post(&app, json!({ "documentId": "viewer-v1" }), None).await;
    assert_eq!(viewer.data()["viewer"]["userId"], SUPER.0.to_string());
}

#[tokio::test]
async fn a_trusted_document_still_meets_every_limit() {
    let two_roots = "{ viewer { userId } session(id: \"100\") { title } }";
    let app = spawn(|config, dir| {
        config.limits.max_root_fields = 1;
        trust(config, dir, &codegen_manifest(&[two_roots]));
    })
    .await;
    let reply = post(
        &app,
        json!({ "documentId": sha256(two_roots) }),
        Some(GRAPHQL_RESPONSE),
    )
    .await;
    assert_refused(&reply, StatusCode::BAD_REQUEST, "BAD_REQUEST");
    let message = reply.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("root fields"), "{message}");
}

#[tokio::test]
async fn a_bad_manifest_refuses_to_start_naming_the_file_and_the_entry() {
    let wrong = sha256("{ other }");
    for (manifest, names) in [
        (json!({ wrong.clone(): TITLE }), wrong.clone()),
        (
            json!({ "broken-one": "{ session(" }),
            "broken-one".to_owned(),
        ),
        (
            json!({ "format": "apollo-persisted-query-manifest", "version": 1,
                    "operations": [{ "id": "no-body", "name": "X", "type": "query" }] }),
            "no-body".to_owned(),
        ),
        (json!({}), "no documents".to_owned()),
    ] {
        let mut scratch = Scratch::new();
        let url = scratch.database_url().await;
        let mut config = test_config(scratch.path(), url);
        let path = trust(&mut config, scratch.path(), &manifest);
        let err = match Application::build(&config, "127.0.0.1:0".parse().expect("address")).await {
            Ok(_) => panic!("started with the manifest {manifest}"),
            Err(err) => format!("{err:#}"),
        };
        assert!(
            err.contains(&path.display().to_string()),
            "names the file: {err}"
        );
        assert!(err.contains(&names), "names {names}: {err}");
    }
}
