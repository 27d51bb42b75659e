//! A failed field becomes null, and the null moves up to the nearest nullable parent.

use serde_json::json;

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
