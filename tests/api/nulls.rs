//! A failed field becomes null, and the null moves up to the nearest nullable parent.

use serde_json::{Value, json};

use crate::fixture::*;

#[tokio::test]
async fn a_failed_nullable_root_field_is_null_beside_the_fields_that_worked() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let reply = app
        .query(
            Some(&token),
            "{ viewer { userId } session(id: \"999999\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(reply.error_code(), "SESSION_NOT_FOUND");
    assert_eq!(
        reply.body["data"],
        json!({ "viewer": { "userId": "1" }, "session": null })
    );
}

#[tokio::test]
async fn a_failed_non_null_field_nulls_its_nearest_nullable_parent() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    // `sessions` is `SessionConnection!`: its failure nulls the (nullable) `event`.
    let reply = app
        .query(
            Some(&token),
            "{ e: event(id: \"10\") { name sessions(first: -1) { totalCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(reply.error_code(), "BAD_REQUEST");
    assert_eq!(reply.body["errors"][0]["path"], json!(["e", "sessions"]));
    assert_eq!(reply.body["data"], json!({ "e": null }));
}

#[tokio::test]
async fn a_null_that_reaches_a_non_null_root_field_nulls_all_data() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    // sessions (non-null) -> Event in [Event!]! -> nodes (non-null) -> events (non-null).
    let reply = app
        .query(Some(&token), "{ events { nodes { ...F } } } fragment F on Event { sessions(after: \"x\") { totalCount } }", json!({}))
        .await;
    assert_eq!(reply.error_code(), "BAD_REQUEST");
    assert!(reply.body["data"].is_null(), "{}", reply.body);
}

/// The answer to `query`, sent with `operationName` when given.
async fn ask(app: &crate::helpers::TestApp, token: &str, query: &str, name: Option<&str>) -> Value {
    let mut body = json!({ "query": query });
    if let Some(name) = name {
        body["operationName"] = json!(name);
    }
    app.client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("a JSON body")
}

#[tokio::test]
async fn nulls_propagate_for_every_operation_shape() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let expected = json!({ "viewer": { "userId": "1" }, "s": null });
    let shapes: [(&str, Option<&str>); 6] = [
        (
            "{ viewer { userId } s: session(id: \"999999\") { id } }",
            None,
        ),
        (
            "query Q { viewer { userId } s: session(id: \"999999\") { id } }",
            None,
        ),
        (
            "query Q { viewer { userId } s: session(id: \"999999\") { id } }",
            Some("Q"),
        ),
        (
            "query A { viewer { email } } query Q { viewer { userId } s: session(id: \"999999\") { id } }",
            Some("Q"),
        ),
        (
            "query Q { ...V s: session(id: \"999999\") { ...S } } fragment V on Query { viewer { userId } } fragment S on Session { id }",
            None,
        ),
        (
            "query Q { viewer { ... on Viewer { userId } } ... on Query { s: session(id: \"999999\") { id } } }",
            None,
        ),
    ];
    for (query, name) in shapes {
        let body = ask(&app, &token, query, name).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "SESSION_NOT_FOUND",
            "{query}: {body}"
        );
        assert_eq!(body["data"], expected, "{query} ({name:?})");
    }
}

#[tokio::test]
async fn a_failed_field_in_a_list_of_non_null_items_nulls_the_nearest_nullable_parent_in_a_named_operation()
 {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    // registeredHolderUsers (non-null) -> Session in [Session!]! -> nodes (non-null) ->
    // sessions (non-null) -> the nullable `event`, under its alias.
    let query = "query Sessions { viewer { userId } e: event(id: \"10\") { sessions { nodes { id registeredHolderUsers(first: -1) { totalCount } } } } }";
    let body = ask(&app, &token, query, None).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{body}"
    );
    let path = &body["errors"][0]["path"];
    assert_eq!(path[0], "e", "{body}");
    assert_eq!(path[3], 0, "the error's path goes through the list: {body}");
    assert_eq!(
        body["data"],
        json!({ "viewer": { "userId": "1" }, "e": null })
    );
}

/// async-graphql 7 leaves a failed field out of `data` instead of setting it to null
/// (and does not carry nulls up through non-null fields), which is why
/// `src/graphql/nulls.rs` exists. When an upgrade makes this test fail, async-graphql
/// does it itself: remove that module and its call in `src/graphql/pipeline.rs`.
#[tokio::test]
async fn async_graphql_still_leaves_failed_fields_out_of_data() {
    use std::sync::Arc;

    use session_analytics::{
        config::{Limits, RateLimits},
        graphql::{
            build_schema, cache::RequestGeneration, context::RequestContext, loaders::Loaders,
        },
        rate_limit::RateLimiter,
    };

    let app = spawn_with_fixture().await;
    let limiter = Arc::new(RateLimiter::new(&RateLimits::default()).expect("budgets in memory"));
    let schema = build_schema(
        app.db.clone(),
        app.keys.clone(),
        &Limits::default(),
        false,
        limiter,
        None,
    );
    let generation = RequestGeneration::default();
    let request = async_graphql::Request::new(
        "{ viewer { userId } e: event(id: \"10\") { name sessions(first: -1) { totalCount } } }",
    )
    .data(RequestContext::new(
        app.db.clone(),
        Some(SUPER.0),
        generation.clone(),
    ))
    .data(Loaders::new(
        app.db.clone(),
        Some(SUPER.0),
        None,
        generation,
    ));
    let response = schema.execute(request).await;
    assert_eq!(response.errors.len(), 1, "{:?}", response.errors);
    let data = response.data.into_json().expect("JSON data");
    assert_ne!(
        data,
        json!({ "viewer": { "userId": "1" }, "e": null }),
        "async-graphql now propagates nulls itself: remove src/graphql/nulls.rs"
    );
}

#[tokio::test]
async fn a_non_null_object_whose_selections_are_all_skipped_is_an_empty_object() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    // async-graphql answers `null` for both; the schema says `Viewer!` and `[Speaker!]!`.
    let query = "{ viewer { email @include(if: false) } session(id: \"100\") { speakers { ... on Speaker @skip(if: true) { firstName } } } }";
    let body = ask(&app, &token, query, None).await;
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["viewer"], json!({}), "{body}");
    let speakers = body["data"]["session"]["speakers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!speakers.is_empty(), "{body}");
    assert!(
        speakers.iter().all(|speaker| *speaker == json!({})),
        "{body}"
    );
}
