//! Strings a request gives: a NUL character or an over-long string is `BAD_REQUEST` on
//! every backend (PostgreSQL refuses NUL in text, which used to answer `INTERNAL`), and
//! `search` terms have their own, tighter limit.

use reqwest::StatusCode;
use serde_json::{Value, json};
use session_analytics::config::Limits;

use crate::{
    fixture::*,
    helpers::{Reply, TestApp},
};

const REGISTRANTS: &str = r#"query($id: ID!, $search: String) {
  session(id: $id) { registeredHolderUsers(search: $search) { totalCount } }
}"#;

const SESSIONS: &str = r#"query($id: ID!, $search: String) {
  event(id: $id) { sessions(search: $search) { totalCount } }
}"#;

const LOGIN: &str = r#"mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token }
}"#;

/// The application on the fixture, with `limits`.
async fn spawn_limited(limits: Limits) -> TestApp {
    spawn_fixture_with(|config| config.limits = limits).await
}

/// Asserts a `BAD_REQUEST` whose message contains `says`, and that the response carries
/// neither the offending string nor a run of it.
fn refused(reply: &Reply, case: &str, says: &str, bad: &str) {
    assert_eq!(reply.error_code(), "BAD_REQUEST", "{case}: {}", reply.body);
    let message = reply.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains(says),
        "{case}: the message should say `{says}`: {message}"
    );
    let body = reply.body.to_string();
    let run: String = bad.chars().take(32).collect();
    assert!(
        run.chars().count() < 8 || !body.contains(&run),
        "{case}: the response repeats the offending string: {body}"
    );
    assert!(
        !body.contains('\0') && !body.contains("\\u0000"),
        "{case}: the response repeats the NUL character: {body}"
    );
}

/// Asserts the request was refused before execution (no `data`, legacy 200).
fn not_executed(reply: &Reply, case: &str) {
    assert_eq!(reply.status, StatusCode::OK, "{case}: {}", reply.body);
    assert!(
        reply.body.get("data").is_none(),
        "{case}: nothing was executed: {}",
        reply.body
    );
}

#[tokio::test]
async fn a_nul_character_in_any_string_argument_is_bad_request_before_anything_runs() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let session = FULL_SESSION.to_string();
    let event = EVENT_A.to_string();
    let nul = "a\u{0}b";
    // (case, signed in, document, variables): each string once as a variable and once
    // as a literal, where GraphQL writes the character as the escape `\u0000`.
    let cases: Vec<(&str, bool, String, Value)> = vec![
        (
            "registeredHolderUsers, variable",
            true,
            REGISTRANTS.into(),
            json!({ "id": session, "search": nul }),
        ),
        (
            "registeredHolderUsers, literal",
            true,
            format!(
                r#"{{ session(id: "{session}") {{ registeredHolderUsers(search: "a\u0000b") {{ totalCount }} }} }}"#
            ),
            json!({}),
        ),
        (
            "Event.sessions, variable",
            true,
            SESSIONS.into(),
            json!({ "id": event, "search": nul }),
        ),
        (
            "Event.sessions, literal",
            true,
            format!(
                r#"{{ event(id: "{event}") {{ sessions(search: "a\u0000b") {{ totalCount }} }} }}"#
            ),
            json!({}),
        ),
        (
            "login email, variable",
            false,
            LOGIN.into(),
            json!({ "email": "super\u{0}@test.dev", "password": PASSWORD }),
        ),
        (
            "login email, literal",
            false,
            format!(
                r#"mutation {{ login(email: "super\u0000@test.dev", password: "{PASSWORD}") {{ token }} }}"#
            ),
            json!({}),
        ),
        (
            "login password, variable",
            false,
            LOGIN.into(),
            json!({ "email": "super@test.dev", "password": nul }),
        ),
        (
            "login password, literal",
            false,
            r#"mutation { login(email: "super@test.dev", password: "a\u0000b") { token } }"#.into(),
            json!({}),
        ),
        (
            "id, variable",
            true,
            REGISTRANTS.into(),
            json!({ "id": "100\u{0}" }),
        ),
        (
            "id, literal",
            true,
            r#"{ session(id: "100\u0000") { id } }"#.into(),
            json!({}),
        ),
    ];
    for (case, signed_in, document, variables) in cases {
        let token = signed_in.then_some(token.as_str());
        let reply = app.query(token, &document, variables).await;
        refused(&reply, case, "NUL", nul);
        not_executed(&reply, case);
    }
}

#[tokio::test]
async fn a_refused_string_is_a_request_error_400_for_graphql_response_json_and_over_get() {
    let app = spawn_with_fixture().await;
    let token = format!("Bearer {}", app.token(SUPER.0, SUPER.1));
    let variables = json!({ "id": FULL_SESSION.to_string(), "search": "a\u{0}b" });

    let response = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", &token)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": REGISTRANTS, "variables": variables }))
        .send()
        .await
        .expect("request reaches the server");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");

    let response = app
        .client
        .get(app.url("/graphql"))
        .header("authorization", &token)
        .query(&[
            ("query", REGISTRANTS),
            ("variables", &variables.to_string()),
        ])
        .send()
        .await
        .expect("request reaches the server");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
}

#[tokio::test]
async fn search_terms_are_limited_to_max_search_chars() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let max = Limits::default().max_search_chars as usize;
    let lists = [
        (
            "registeredHolderUsers",
            REGISTRANTS,
            FULL_SESSION,
            "session",
        ),
        ("Event.sessions", SESSIONS, EVENT_A, "event"),
    ];
    for (list, document, id, root) in lists {
        let field = if root == "session" {
            "registeredHolderUsers"
        } else {
            "sessions"
        };
        // At the limit, in characters (not bytes), and counted once trimmed.
        for term in [
            "x".repeat(max),
            "é".repeat(max),
            format!("  {}  ", "x".repeat(max)),
        ] {
            let reply = app
                .query(
                    Some(&token),
                    document,
                    json!({ "id": id.to_string(), "search": term }),
                )
                .await;
            assert_eq!(
                reply.data()[root][field]["totalCount"],
                0,
                "{list}: a term of {} characters runs",
                term.trim().chars().count()
            );
        }
        let over = "y".repeat(max + 1);
        let reply = app
            .query(
                Some(&token),
                document,
                json!({ "id": id.to_string(), "search": over }),
            )
            .await;
        refused(&reply, list, &max.to_string(), &over);
        assert!(
            reply.body["data"][root][field].is_null(),
            "{list}: {}",
            reply.body
        );
        // The issue's example: a 50,000-character term, answered in a few hundred bytes.
        let huge = "z".repeat(50_000);
        let reply = app
            .query(
                Some(&token),
                document,
                json!({ "id": id.to_string(), "search": huge }),
            )
            .await;
        refused(&reply, list, "characters", &huge);
        assert!(reply.body.to_string().len() < 1_000, "{}", reply.body);
    }
}

#[tokio::test]
async fn strings_over_max_string_chars_are_refused_before_execution() {
    let app = spawn_limited(Limits {
        max_string_chars: 64,
        ..Limits::default()
    })
    .await;
    let token = app.token(SUPER.0, SUPER.1);
    let long = "w".repeat(65);

    let at_limit = format!("{}@test.dev", "v".repeat(64 - 9));
    let reply = app
        .query(
            None,
            LOGIN,
            json!({ "email": at_limit, "password": PASSWORD }),
        )
        .await;
    assert_eq!(reply.error_code(), "UNAUTHENTICATED", "{}", reply.body);

    let cases: Vec<(&str, Option<&str>, String, Value)> = vec![
        (
            "login email, variable",
            None,
            LOGIN.into(),
            json!({ "email": format!("{long}@test.dev"), "password": PASSWORD }),
        ),
        (
            "a cursor, literal",
            Some(&token),
            format!(r#"{{ events(after: "{long}") {{ totalCount }} }}"#),
            json!({}),
        ),
        (
            "a string deep in an unused variable",
            Some(&token),
            "{ viewer { email } }".into(),
            json!({ "extra": [{ "nested": [long] }] }),
        ),
    ];
    for (case, token, document, variables) in cases {
        let reply = app.query(token, &document, variables).await;
        refused(&reply, case, "64", &long);
        not_executed(&reply, case);
    }
}
