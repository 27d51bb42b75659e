//! The response cache (`RESPONSE_CACHE`): a warm answer costs one statement and is byte-identical to an uncached one; each kind of write invalidates exactly the answers that read it.

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use session_analytics::{
    config::Delivery,
    entity::{enums::RegistrationType, event_ticket, session_registration},
};

use crate::{
    fixture::{
        self, BARE_SESSION, EVENT_A, EVENT_ADMIN, FULL_SESSION, ORG_ADMIN, SESSION_C, insert,
        registration, spawn_fixture_with, ticket,
    },
    helpers::TestApp,
    ingest,
};

/// One session with its own fields, the viewer's ticket, the counters, cached
/// relations, the activity figures and the registrants.
const SESSION: &str = "query Session($id: ID!) { session(id: $id) {
    id title currentUserRegisteredEventTicketId
    stats { registeredCount interestedCount attendeeCount }
    speakers { speakerId firstName }
    sponsors { id name }
    videoAnalytics { joins liveViewers }
    registeredHolderUsers(first: 50) { totalCount nodes { eventTicketId firstName attended } }
} }";

/// An event with its sessions table and totals.
const EVENT: &str = "query Event($id: ID!) { event(id: $id) {
    id name
    analytics { sessionCount registeredCount }
    sessions(first: 10) { totalCount nodes { id title stats { registeredCount } } }
} }";

/// The version check alone: what a warm answer costs.
const HIT: u64 = 1;

async fn spawn(cache: bool) -> TestApp {
    let app = spawn_fixture_with(|config| config.delivery.response_cache = cache).await;
    ingest::add_ingest_accounts(&app.db).await;
    app
}

/// A request's statements, status and exact body bytes.
async fn post(
    app: &TestApp,
    user: (i64, session_analytics::entity::enums::Role),
    query: &str,
    variables: Value,
) -> (u64, StatusCode, Vec<u8>) {
    let before = app.statements.get();
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(app.token(user.0, user.1))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request reaches the server");
    let status = response.status();
    let body = response.bytes().await.expect("a body").to_vec();
    (app.statements.get() - before, status, body)
}

async fn session(app: &TestApp, id: i64) -> (u64, Value) {
    let (statements, status, body) =
        post(app, EVENT_ADMIN, SESSION, json!({ "id": id.to_string() })).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert!(body.get("errors").is_none(), "{body}");
    (statements, body["data"]["session"].clone())
}

/// Runs the session query until it is answered from the cache; returns the answer.
async fn warm(app: &TestApp, id: i64) -> Value {
    let (cold, first) = session(app, id).await;
    assert!(
        cold > HIT,
        "a cold answer runs the query: {cold} statements"
    );
    let (warm, second) = session(app, id).await;
    assert_eq!(warm, HIT, "a warm answer costs the version check alone");
    assert_eq!(first, second);
    first
}

async fn execute(app: &TestApp, sql: &str) {
    app.db
        .execute_unprepared(sql)
        .await
        .expect("the write runs");
}

#[tokio::test]
async fn off_by_default_identical_requests_run_the_same_statements() {
    assert!(!Delivery::default().response_cache);
    let app = crate::fixture::spawn_with_fixture().await;
    // The first request fills the shared cache of speakers and sponsors.
    session(&app, FULL_SESSION).await;
    let (first, _) = session(&app, FULL_SESSION).await;
    let (second, _) = session(&app, FULL_SESSION).await;
    assert!(first > HIT);
    assert_eq!(first, second);
}

#[tokio::test]
async fn a_warm_answer_costs_one_statement_and_is_byte_identical_to_an_uncached_one() {
    let cached = spawn(true).await;
    let uncached = spawn(false).await;
    let variables = json!({ "id": FULL_SESSION.to_string() });
    let (cold, status, first) = post(&cached, EVENT_ADMIN, SESSION, variables.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cold > HIT);
    let (warm, status, second) = post(&cached, EVENT_ADMIN, SESSION, variables.clone()).await;
    assert_eq!((warm, status), (HIT, StatusCode::OK));
    assert_eq!(first, second, "the same bytes");
    let (plain, _, reference) = post(&uncached, EVENT_ADMIN, SESSION, variables).await;
    assert_eq!(plain, cold - HIT, "a miss costs the version check more");
    assert_eq!(first, reference, "the same bytes as without the cache");
    let body: Value = serde_json::from_slice(&first).expect("JSON");
    assert_eq!(
        body["data"]["session"]["currentUserRegisteredEventTicketId"],
        "1005"
    );

    let metrics = cached.get("/metrics").await.text().await.expect("metrics");
    for line in [
        r#"response_cache_total{result="hit"} 1"#,
        r#"response_cache_total{result="miss"} 1"#,
        r#"response_cache_total{result="store"} 1"#,
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
}

#[tokio::test]
async fn a_registration_invalidates_its_session_and_event_only() {
    let app = spawn(true).await;
    let a = warm(&app, FULL_SESSION).await;
    warm(&app, BARE_SESSION).await;
    let (_, _, event) = post(
        &app,
        EVENT_ADMIN,
        EVENT,
        json!({ "id": EVENT_A.to_string() }),
    )
    .await;
    let (warm_event, _, _) = post(
        &app,
        EVENT_ADMIN,
        EVENT,
        json!({ "id": EVENT_A.to_string() }),
    )
    .await;
    assert_eq!(warm_event, HIT);

    insert::<event_ticket::Entity, _>(&app.db, &[ticket(1007, 102, 102)]).await;
    let new: session_registration::Model = registration(
        10,
        FULL_SESSION,
        1007,
        RegistrationType::Registered,
        9,
        false,
        0,
    );
    insert::<session_registration::Entity, _>(&app.db, &[new]).await;

    let (statements, changed) = session(&app, FULL_SESSION).await;
    assert!(statements > HIT);
    assert_eq!(
        changed["stats"]["registeredCount"],
        a["stats"]["registeredCount"].as_i64().expect("count") + 1
    );
    assert_eq!(session(&app, BARE_SESSION).await.0, HIT);
    let (statements, _, again) = post(
        &app,
        EVENT_ADMIN,
        EVENT,
        json!({ "id": EVENT_A.to_string() }),
    )
    .await;
    assert!(statements > HIT, "the event's totals read the session");
    assert_ne!(event, again);
}

#[tokio::test]
async fn an_activity_batch_invalidates_its_session_only() {
    let app = spawn(true).await;
    let a = warm(&app, FULL_SESSION).await;
    warm(&app, BARE_SESSION).await;
    let reply = ingest::record(
        &app,
        ingest::INGEST_A,
        &[ingest::event("cache-1", "JOIN", ingest::DAVE, 60)],
    )
    .await;
    assert_eq!(reply.data()["recordActivity"]["recorded"], 1);

    let (statements, changed) = session(&app, FULL_SESSION).await;
    assert!(statements > HIT);
    assert_eq!(
        changed["videoAnalytics"]["joins"],
        a["videoAnalytics"]["joins"].as_i64().expect("joins") + 1
    );
    assert_eq!(session(&app, BARE_SESSION).await.0, HIT);
}

#[tokio::test]
async fn a_session_update_invalidates_that_session_only() {
    let app = spawn(true).await;
    warm(&app, FULL_SESSION).await;
    warm(&app, BARE_SESSION).await;
    execute(&app, "UPDATE sessions SET title = 'Renamed' WHERE id = 100").await;
    let (statements, changed) = session(&app, FULL_SESSION).await;
    assert!(statements > HIT);
    assert_eq!(changed["title"], "Renamed");
    assert_eq!(session(&app, BARE_SESSION).await.0, HIT);
}

#[tokio::test]
async fn a_ticket_changing_hands_invalidates_the_sessions_it_is_registered_for() {
    let app = spawn(true).await;
    warm(&app, FULL_SESSION).await;
    warm(&app, BARE_SESSION).await;
    // Ticket 1003 (Dave) is registered for the keynote only.
    execute(
        &app,
        "UPDATE event_tickets SET holder_user_id = 102 WHERE id = 1003",
    )
    .await;
    let (statements, changed) = session(&app, FULL_SESSION).await;
    assert!(statements > HIT);
    let nodes = changed["registeredHolderUsers"]["nodes"]
        .as_array()
        .expect("nodes");
    let node = nodes
        .iter()
        .find(|n| n["eventTicketId"] == "1003")
        .expect("ticket 1003");
    assert_eq!(node["firstName"], "Carol");
    assert_eq!(session(&app, BARE_SESSION).await.0, HIT);
}

#[tokio::test]
async fn speaker_and_sponsor_updates_invalidate_every_answer() {
    let app = spawn(true).await;
    warm(&app, FULL_SESSION).await;
    warm(&app, BARE_SESSION).await;
    execute(
        &app,
        "UPDATE speakers SET first_name = 'Gracie' WHERE id = 50",
    )
    .await;
    let (statements, changed) = session(&app, FULL_SESSION).await;
    assert!(statements > HIT);
    assert_eq!(changed["speakers"][0]["firstName"], "Gracie");
    assert!(session(&app, BARE_SESSION).await.0 > HIT);

    assert_eq!(session(&app, FULL_SESSION).await.0, HIT);
    assert_eq!(session(&app, BARE_SESSION).await.0, HIT);
    execute(
        &app,
        "UPDATE sponsors SET name = 'Bigger Sponsor' WHERE id = 60",
    )
    .await;
    let (statements, changed) = session(&app, FULL_SESSION).await;
    assert!(statements > HIT);
    assert_eq!(changed["sponsors"][0]["name"], "Bigger Sponsor");
    assert!(session(&app, BARE_SESSION).await.0 > HIT);
}

#[tokio::test]
async fn a_removed_host_gets_not_event_host_rather_than_the_kept_answer() {
    let app = spawn(true).await;
    warm(&app, FULL_SESSION).await;
    execute(
        &app,
        "DELETE FROM event_admins WHERE event_id = 10 AND user_id = 3",
    )
    .await;
    let (statements, status, body) = post(
        &app,
        EVENT_ADMIN,
        SESSION,
        json!({ "id": FULL_SESSION.to_string() }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(statements > HIT);
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_EVENT_HOST",
        "{body}"
    );
}

#[tokio::test]
async fn another_viewer_never_gets_the_first_viewers_answer() {
    let app = spawn(true).await;
    warm(&app, FULL_SESSION).await;
    let variables = json!({ "id": FULL_SESSION.to_string() });
    let (statements, status, body) = post(&app, ORG_ADMIN, SESSION, variables).await;
    assert_eq!(status, StatusCode::OK);
    assert!(statements > HIT, "{statements} statements");
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    // The event admin holds ticket 1005; the organizer admin holds none.
    assert_eq!(
        body["data"]["session"]["currentUserRegisteredEventTicketId"],
        Value::Null
    );
}

#[tokio::test]
async fn different_variables_are_different_entries() {
    let app = spawn(true).await;
    let a = warm(&app, FULL_SESSION).await;
    let (statements, b) = session(&app, BARE_SESSION).await;
    assert!(statements > HIT);
    assert_ne!(a, b);
}

#[tokio::test]
async fn answers_with_errors_are_not_kept() {
    let app = spawn(true).await;
    // The event admin does not host event C: a partial answer with NOT_EVENT_HOST.
    let query = "query($a: ID!, $c: ID!) { a: session(id: $a) { id } c: session(id: $c) { id } }";
    let variables = json!({ "a": FULL_SESSION.to_string(), "c": SESSION_C.to_string() });
    let (first, _, body) = post(&app, EVENT_ADMIN, query, variables.clone()).await;
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_EVENT_HOST",
        "{body}"
    );
    let (second, _, _) = post(&app, EVENT_ADMIN, query, variables).await;
    assert!(first > HIT);
    assert_eq!(first, second);
}

#[tokio::test]
async fn lists_and_clock_dependent_answers_are_not_kept() {
    let app = spawn(true).await;
    let events = "{ events(first: 5) { nodes { id name } } }";
    let (first, _, _) = post(&app, EVENT_ADMIN, events, json!({})).await;
    let (second, _, _) = post(&app, EVENT_ADMIN, events, json!({})).await;
    assert!(first > 0);
    assert_eq!(first, second);

    // `status` of a ticket holder opens and closes check-in with the clock.
    let status = "query($id: ID!) { session(id: $id) { id status } }";
    let variables = json!({ "id": FULL_SESSION.to_string() });
    let (first, _, _) = post(&app, EVENT_ADMIN, status, variables.clone()).await;
    let (second, _, body) = post(&app, EVENT_ADMIN, status, variables.clone()).await;
    assert!(first > HIT);
    assert_eq!(first, second);
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert!(body["data"]["session"]["status"].is_string(), "{body}");

    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains(r#"response_cache_total{result="store"} 0"#),
        "{metrics}"
    );

    // A host without a ticket gets a null `status` whatever the time: kept.
    let (first, _, _) = post(&app, ORG_ADMIN, status, variables.clone()).await;
    let (second, _, body) = post(&app, ORG_ADMIN, status, variables).await;
    assert!(first > HIT);
    assert_eq!(second, HIT);
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["data"]["session"]["status"], Value::Null, "{body}");
}

#[tokio::test]
async fn a_new_session_invalidates_its_events_answers() {
    let app = spawn(true).await;
    let variables = json!({ "id": EVENT_A.to_string() });
    post(&app, EVENT_ADMIN, EVENT, variables.clone()).await;
    let (warm, _, before) = post(&app, EVENT_ADMIN, EVENT, variables.clone()).await;
    assert_eq!(warm, HIT);
    fixture::insert::<session_analytics::entity::session::Entity, _>(
        &app.db,
        &[fixture::bare_session(
            102,
            EVENT_A,
            "Late addition",
            fixture::t(2, 15),
        )],
    )
    .await;
    let (statements, _, after) = post(&app, EVENT_ADMIN, EVENT, variables).await;
    assert!(statements > HIT);
    let (before, after): (Value, Value) = (
        serde_json::from_slice(&before).expect("JSON"),
        serde_json::from_slice(&after).expect("JSON"),
    );
    let count = |v: &Value| v["data"]["event"]["sessions"]["totalCount"].as_i64();
    assert_eq!(count(&after), count(&before).map(|n| n + 1));
}
