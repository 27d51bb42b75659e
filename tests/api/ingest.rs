//! `recordActivity`: who may call it, the whole-batch validation, idempotence, order
//! tolerance, and the registrant figures derived from the activity.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};
use session_analytics::{
    entity::{enums::Role, event_admin, user},
    progress::Progress,
    startup, transfer,
};

use crate::{
    fixture::*,
    helpers::{Scratch, TestApp, require_postgres, spawn_with_config, test_config},
};

/// An INGEST service account assigned to event A, and one assigned to event C.
pub(crate) const INGEST_A: (i64, Role) = (50, Role::Ingest);
const INGEST_C: (i64, Role) = (51, Role::Ingest);

/// Registrants of the keynote (FULL_SESSION, event A) with stored figures of zero:
/// Dave (ticket 1003) and the attendee account (ticket 1006, user 4).
pub(crate) const DAVE: (i64, i64) = (1003, 103);
pub(crate) const ANN: (i64, i64) = (1006, 4);

/// The keynote's video is 3,600 s long.
const VIDEO_SECONDS: f64 = 3600.0;

pub(crate) const RECORD: &str = r#"mutation($events: [ActivityInput!]!) {
  recordActivity(events: $events) { received recorded duplicates }
}"#;

const REGISTRANTS: &str = r#"query {
  session(id: "100") {
    registeredHolderUsers(first: 50) {
      nodes { eventTicketId attended watchTimeSeconds engagement }
    }
  }
}"#;

pub(crate) async fn add_ingest_accounts(db: &DatabaseConnection) {
    insert::<user::Entity, _>(
        db,
        &[
            user_row(50, "ingest-a@test.dev", "Ingest", "A", Role::Ingest),
            user_row(51, "ingest-c@test.dev", "Ingest", "C", Role::Ingest),
        ],
    )
    .await;
    insert::<event_admin::Entity, _>(
        db,
        &[
            event_admin::Model {
                event_id: EVENT_A,
                user_id: 50,
            },
            event_admin::Model {
                event_id: EVENT_C,
                user_id: 51,
            },
        ],
    )
    .await;
    // The fixture wrote its activity with explicit ids: move PostgreSQL's id sequence
    // past them, as `import` and `seed` do, so the log's own ids follow.
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('session_activities', 'id'), \
             (SELECT MAX(id) FROM session_activities))",
        )
        .await
        .expect("sequence moved");
    }
}

pub(crate) async fn spawn() -> TestApp {
    let app = spawn_with_fixture().await;
    add_ingest_accounts(&app.db).await;
    app
}

/// The keynote's start plus `seconds`: a time on a slot boundary, in the past.
pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    t(1, 10) + Duration::seconds(seconds)
}

/// One event of `kind` by ticket `who` in the keynote.
pub(crate) fn event(id: &str, kind: &str, who: (i64, i64), seconds: i64) -> Value {
    json!({
        "id": id,
        "type": kind,
        "sessionId": FULL_SESSION.to_string(),
        "eventTicketId": who.0.to_string(),
        "occurredAt": at(seconds).to_rfc3339(),
    })
}

pub(crate) fn heartbeat(id: &str, kind: &str, who: (i64, i64), seconds: i64) -> Value {
    let mut e = event(id, kind, who, seconds);
    e["positionSeconds"] = json!(seconds);
    e
}

pub(crate) async fn record(
    app: &TestApp,
    as_: (i64, Role),
    events: &[Value],
) -> crate::helpers::Reply {
    app.query(
        Some(&app.token(as_.0, as_.1)),
        RECORD,
        json!({ "events": events }),
    )
    .await
}

/// (attended, watch seconds, engagement) of the keynote registrant with `ticket`, read
/// through the API.
async fn figures(app: &TestApp, ticket: i64) -> (bool, i64, f64) {
    let reply = app
        .query(Some(&app.token(SUPER.0, SUPER.1)), REGISTRANTS, json!({}))
        .await;
    let nodes = reply.data()["session"]["registeredHolderUsers"]["nodes"]
        .as_array()
        .expect("nodes")
        .clone();
    let id = ticket.to_string();
    let node = nodes
        .iter()
        .find(|n| n["eventTicketId"] == id.as_str())
        .unwrap_or_else(|| panic!("no registrant with ticket {ticket}"));
    (
        node["attended"].as_bool().expect("attended"),
        node["watchTimeSeconds"].as_i64().expect("watch time"),
        node["engagement"].as_f64().expect("engagement"),
    )
}

pub(crate) async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, sql.to_owned()))
        .await
        .expect("count runs")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a count")
}

pub(crate) async fn ingested_rows(db: &DatabaseConnection) -> i64 {
    count(
        db,
        "SELECT COUNT(*) FROM session_activities WHERE client_event_id IS NOT NULL",
    )
    .await
}

pub(crate) fn result(reply: &crate::helpers::Reply) -> (i64, i64, i64) {
    let r = &reply.data()["recordActivity"];
    (
        r["received"].as_i64().expect("received"),
        r["recorded"].as_i64().expect("recorded"),
        r["duplicates"].as_i64().expect("duplicates"),
    )
}

fn engagement(watch: i64) -> f64 {
    watch as f64 * 100.0 / VIDEO_SECONDS
}

#[tokio::test]
async fn overlapping_and_duplicate_heartbeats_count_once() {
    let app = spawn().await;
    assert_eq!(figures(&app, DAVE.0).await, (false, 0, 0.0));
    let batch = [
        heartbeat("d-1", "LIVE_HEARTBEAT", DAVE, 0),
        // A second tab (or a jittery player) inside the same 10 s: the same slot.
        heartbeat("d-2", "LIVE_HEARTBEAT", DAVE, 3),
        heartbeat("d-3", "LIVE_HEARTBEAT", DAVE, 10),
        heartbeat("d-4", "LIVE_HEARTBEAT", DAVE, 19),
        heartbeat("d-5", "LIVE_HEARTBEAT", DAVE, 20),
        // The same event twice in one batch: logged once.
        heartbeat("d-5", "LIVE_HEARTBEAT", DAVE, 20),
        // The recording counts apart from the live stream, even at the same time.
        heartbeat("d-6", "RECORDING_HEARTBEAT", DAVE, 20),
    ];
    let reply = record(&app, INGEST_A, &batch).await;
    assert_eq!(result(&reply), (7, 6, 1), "{}", reply.body);
    // Live [-10, 20] (one view, 30 s) and recording [10, 20] (10 s): 40 s; a live
    // heartbeat means attended.
    assert_eq!(figures(&app, DAVE.0).await, (true, 40, engagement(40)));
    let views = count(&app.db, "SELECT COUNT(*) FROM session_view_segments").await;
    assert_eq!(views, 2);
    let viewer = count(
        &app.db,
        "SELECT live_seconds * 1000 + recording_seconds FROM session_viewer_stats \
         WHERE session_id = 100 AND user_id = 103",
    )
    .await;
    assert_eq!(viewer, 30 * 1000 + 10);
}

#[tokio::test]
async fn a_retried_batch_changes_nothing() {
    let app = spawn().await;
    let batch = [
        event("r-1", "JOIN", ANN, 0),
        heartbeat("r-2", "LIVE_HEARTBEAT", ANN, 5),
        heartbeat("r-3", "LIVE_HEARTBEAT", ANN, 15),
        event("r-4", "CHAT_MESSAGE", ANN, 16),
    ];
    let first = record(&app, INGEST_A, &batch).await;
    assert_eq!(result(&first), (4, 4, 0), "{}", first.body);
    let after_first = figures(&app, ANN.0).await;
    assert_eq!(after_first, (true, 20, engagement(20)));

    let again = record(&app, INGEST_A, &batch).await;
    assert_eq!(result(&again), (4, 0, 4), "{}", again.body);
    assert_eq!(figures(&app, ANN.0).await, after_first);
    assert_eq!(ingested_rows(&app.db).await, 4);
    // The chat message is logged as the log has always called it.
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM session_activities WHERE client_event_id = 'r-4' AND kind = 'CHAT'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_late_join_and_out_of_order_heartbeats_give_the_same_figures_as_in_order() {
    let app = spawn().await;
    // Dave's events arrive in order, one batch.
    let in_order: Vec<Value> = (0..6)
        .map(|i| heartbeat(&format!("o-{i}"), "LIVE_HEARTBEAT", DAVE, i * 10))
        .chain([heartbeat("o-r", "RECORDING_HEARTBEAT", DAVE, 3600)])
        .collect();
    let in_order = [vec![event("o-join", "JOIN", DAVE, 0)], in_order].concat();
    assert_eq!(result(&record(&app, INGEST_A, &in_order).await).1, 8);

    // Ann's are the same, but the phone was offline: the last heartbeats come first,
    // the JOIN comes last, and the earliest heartbeats in a batch of their own between.
    let mut late: Vec<Value> = in_order
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e["id"] = json!(format!("late-{}", e["id"].as_str().expect("id")));
            e["eventTicketId"] = json!(ANN.0.to_string());
            e
        })
        .collect();
    let join = late.remove(0);
    late.reverse();
    let (recent, early) = late.split_at(3);
    for batch in [recent.to_vec(), early.to_vec(), vec![join]] {
        let reply = record(&app, INGEST_A, &batch).await;
        assert_eq!(result(&reply).2, 0, "{}", reply.body);
    }

    let dave = figures(&app, DAVE.0).await;
    assert_eq!(dave, (true, 70, engagement(70)));
    assert_eq!(figures(&app, ANN.0).await, dave);
}

#[tokio::test]
async fn stored_figures_stand_until_activity_that_feeds_them_arrives() {
    let app = spawn().await;
    // Alice (ticket 1000) was imported as attended with 1,800 s watched.
    let alice = (1000, 100);
    assert_eq!(figures(&app, alice.0).await, (true, 1800, 50.0));
    // A JOIN says nothing about watch time: the stored 1,800 s stand.
    record(&app, INGEST_A, &[event("a-1", "JOIN", alice, 0)]).await;
    assert_eq!(figures(&app, alice.0).await, (true, 1800, 50.0));
    // The first heartbeat: watch time is now what the activity says.
    record(
        &app,
        INGEST_A,
        &[heartbeat("a-2", "RECORDING_HEARTBEAT", alice, 100)],
    )
    .await;
    assert_eq!(figures(&app, alice.0).await, (true, 10, engagement(10)));
    // Activity from before ingestion (no client event id: the fixture's JOIN of the
    // event admin, ticket 1005) left that registrant's stored figures alone.
    assert_eq!(figures(&app, 1005).await, (false, 0, 0.0));
}

#[tokio::test]
async fn check_in_attends_and_chat_alone_does_not() {
    let app = spawn().await;
    record(
        &app,
        INGEST_A,
        &[
            event("c-1", "CHECK_IN", DAVE, 0),
            event("c-2", "CHAT_MESSAGE", ANN, 0),
            event("c-3", "QUESTION", ANN, 1),
            event("c-4", "POLL_VOTE", ANN, 2),
        ],
    )
    .await;
    assert_eq!(figures(&app, DAVE.0).await, (true, 0, 0.0));
    assert_eq!(figures(&app, ANN.0).await, (false, 0, 0.0));
    // A registrant who attended counts in the session's stats (trigger-kept).
    let reply = app
        .query(
            Some(&app.token(SUPER.0, SUPER.1)),
            r#"{ session(id: "100") { stats { attendeeCount } } }"#,
            json!({}),
        )
        .await;
    // Fixture: Alice, Bob and Erin attended; Dave now too.
    assert_eq!(reply.data()["session"]["stats"]["attendeeCount"], 4);
}

/// The log's references on delete: foreign keys on SQLite, triggers on PostgreSQL
/// (migration 9 dropped the keys there, so that a batch takes no row locks on the
/// sessions, users and tickets it names). Deleting a ticket clears it from the events
/// that named it, deleting a session deletes its activity.
#[tokio::test]
async fn deleting_a_ticket_or_a_session_follows_into_the_log() {
    let app = spawn().await;
    record(
        &app,
        INGEST_A,
        &[
            event("d-1", "JOIN", DAVE, 0),
            heartbeat("d-2", "LIVE_HEARTBEAT", DAVE, 10),
            event("d-3", "JOIN", ANN, 0),
        ],
    )
    .await;
    let named = |ticket: i64| {
        format!("SELECT COUNT(*) FROM session_activities WHERE event_ticket_id = {ticket}")
    };
    assert_eq!(count(&app.db, &named(DAVE.0)).await, 2);
    let db = &app.db;
    let exec = |sql: &'static str| async move {
        db.execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    };
    exec("DELETE FROM event_tickets WHERE id = 1003").await;
    assert_eq!(
        count(&app.db, &named(DAVE.0)).await,
        0,
        "the ticket is cleared"
    );
    assert_eq!(
        count(
            &app.db,
            "SELECT COUNT(*) FROM session_activities \
             WHERE client_event_id IN ('d-1', 'd-2') AND event_ticket_id IS NULL",
        )
        .await,
        2,
        "the events stay, without the ticket"
    );
    let in_session =
        format!("SELECT COUNT(*) FROM session_activities WHERE session_id = {FULL_SESSION}");
    assert!(count(&app.db, &in_session).await >= 3);
    exec("DELETE FROM sessions WHERE id = 100").await;
    assert_eq!(
        count(&app.db, &in_session).await,
        0,
        "the session's activity goes"
    );
}

#[tokio::test]
async fn a_batch_with_one_bad_event_writes_nothing_and_names_it() {
    let app = spawn().await;
    let mut bad = heartbeat("b-2", "LIVE_HEARTBEAT", DAVE, 10);
    bad["positionSeconds"] = json!(-5);
    let batch = [
        heartbeat("b-1", "LIVE_HEARTBEAT", DAVE, 0),
        bad,
        event("b-3", "JOIN", ANN, 0),
    ];
    let reply = record(&app, INGEST_A, &batch).await;
    assert_eq!(reply.error_code(), "BAD_REQUEST", "{}", reply.body);
    assert_eq!(
        reply.body["errors"][0]["extensions"]["problems"],
        json!([{ "index": 1, "field": "positionSeconds", "reason": "must not be negative" }])
    );
    assert!(
        reply.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("#1 `positionSeconds`")),
        "{}",
        reply.body
    );
    assert_eq!(ingested_rows(&app.db).await, 0);
    assert_eq!(figures(&app, DAVE.0).await, (false, 0, 0.0));
    assert_eq!(figures(&app, ANN.0).await, (false, 0, 0.0));
}

#[tokio::test]
async fn every_bad_event_is_named_with_its_field_and_reason() {
    let app = spawn().await;
    let good = event("v-0", "JOIN", DAVE, 0);
    let mut unknown_session = event("v-1", "JOIN", DAVE, 0);
    unknown_session["sessionId"] = json!("999999");
    let future = json!({
        "id": "v-2", "type": "JOIN", "sessionId": "100", "eventTicketId": "1003",
        "occurredAt": (Utc::now() + Duration::hours(1)).to_rfc3339(),
    });
    let mut before_event = event("v-3", "JOIN", DAVE, 0);
    before_event["occurredAt"] = json!("2020-01-01T00:00:00Z");
    let mut same_id_other_content = event("v-0", "LEAVE", DAVE, 60);
    same_id_other_content["positionSeconds"] = json!(1);
    let no_ticket = json!({
        "id": "v-5", "type": "JOIN", "sessionId": "100", "userId": "8",
        "occurredAt": at(0).to_rfc3339(),
    });
    let mut not_the_holder = event("v-6", "JOIN", DAVE, 0);
    not_the_holder["userId"] = json!("4");
    let nobody = json!({
        "id": "v-7", "type": "JOIN", "sessionId": "100", "occurredAt": at(0).to_rfc3339(),
    });
    let mut foreign_ticket = event("v-8", "JOIN", DAVE, 0);
    foreign_ticket["eventTicketId"] = json!("424242");
    let empty_id = event("", "JOIN", DAVE, 0);
    let long_id = event(&"x".repeat(129), "JOIN", DAVE, 0);
    // The same id with the same content is a plain duplicate, not a problem.
    let batch = [
        good.clone(),
        unknown_session,
        future,
        before_event,
        same_id_other_content,
        no_ticket,
        not_the_holder,
        nobody,
        foreign_ticket,
        empty_id,
        long_id,
        good,
    ];
    let reply = record(&app, INGEST_A, &batch).await;
    assert_eq!(reply.error_code(), "BAD_REQUEST", "{}", reply.body);
    let problems: Vec<(i64, String)> = reply.body["errors"][0]["extensions"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            assert!(p["reason"].as_str().is_some_and(|r| !r.is_empty()));
            (
                p["index"].as_i64().expect("index"),
                p["field"].as_str().expect("field").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(i64, String)> = [
        (1, "sessionId"),
        (2, "occurredAt"),
        (3, "occurredAt"),
        (4, "id"),
        (5, "userId"),
        (6, "userId"),
        (7, "userId"),
        (8, "eventTicketId"),
        (9, "id"),
        (10, "id"),
    ]
    .iter()
    .map(|(i, f)| (*i, (*f).to_owned()))
    .collect();
    assert_eq!(problems, expected, "{}", reply.body);
    assert_eq!(ingested_rows(&app.db).await, 0);
}

#[tokio::test]
async fn a_batch_over_max_activity_batch_is_refused() {
    let app = spawn_fixture_with(|config| config.limits.max_activity_batch = 2).await;
    add_ingest_accounts(&app.db).await;
    let batch: Vec<Value> = (0..3)
        .map(|i| event(&format!("m-{i}"), "JOIN", DAVE, i))
        .collect();
    let reply = record(&app, INGEST_A, &batch).await;
    assert_eq!(reply.error_code(), "BAD_REQUEST", "{}", reply.body);
    assert!(reply.body.to_string().contains("MAX_ACTIVITY_BATCH"));
    assert_eq!(ingested_rows(&app.db).await, 0);
    let reply = record(&app, INGEST_A, &batch[..2]).await;
    assert_eq!(result(&reply), (2, 2, 0), "{}", reply.body);
}

#[tokio::test]
async fn an_ingest_token_cannot_read_event_data_nor_log_in() {
    let app = spawn().await;
    let token = app.token(INGEST_A.0, INGEST_A.1);
    for query in [
        r#"{ session(id: "100") { title } }"#,
        r#"{ event(id: "10") { name } }"#,
        r#"{ events(first: 5) { totalCount } }"#,
    ] {
        let reply = app.query(Some(&token), query, json!({})).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "{query}: {}", reply.body);
    }
    // Even with a password set, the account cannot sign in with it.
    app.db
        .execute_unprepared(
            "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE id = 1) \
             WHERE id = 50",
        )
        .await
        .expect("password set");
    let login = r#"mutation($email: String!, $password: String!) {
      login(email: $email, password: $password) { token }
    }"#;
    let reply = app
        .query(
            None,
            login,
            json!({ "email": "ingest-a@test.dev", "password": PASSWORD }),
        )
        .await;
    assert_eq!(reply.error_code(), "FORBIDDEN", "{}", reply.body);
    assert!(
        reply
            .body
            .to_string()
            .contains("cannot log in with a password")
    );
    assert!(reply.body["data"].is_null() || reply.body["data"]["login"].is_null());
}

#[tokio::test]
async fn a_host_cannot_ingest() {
    let app = spawn().await;
    let batch = [event("h-1", "JOIN", DAVE, 0)];
    for host in [SUPER, ORG_ADMIN, EVENT_ADMIN, ATTENDEE] {
        let reply = record(&app, host, &batch).await;
        assert_eq!(reply.error_code(), "FORBIDDEN", "{host:?}: {}", reply.body);
    }
    let anonymous = app.query(None, RECORD, json!({ "events": batch })).await;
    assert_eq!(
        anonymous.error_code(),
        "UNAUTHENTICATED",
        "{}",
        anonymous.body
    );
    assert_eq!(ingested_rows(&app.db).await, 0);
}

#[tokio::test]
async fn an_ingest_account_of_another_event_gets_not_event_host() {
    let app = spawn().await;
    let reply = record(&app, INGEST_C, &[event("n-1", "JOIN", DAVE, 0)]).await;
    assert_eq!(reply.error_code(), "NOT_EVENT_HOST", "{}", reply.body);
    assert_eq!(ingested_rows(&app.db).await, 0);
    // Its own event's session is fine (SESSION_C has no registrants; Dave holds no
    // ticket of event C, so the batch is refused as a bad event, not as a host check).
    let mut own = event("n-2", "JOIN", DAVE, 0);
    own["sessionId"] = json!(SESSION_C.to_string());
    own["occurredAt"] = json!(t(5, 10).to_rfc3339());
    let reply = record(&app, INGEST_C, &[own]).await;
    assert_eq!(reply.error_code(), "BAD_REQUEST", "{}", reply.body);
}

/// Statements of `recordActivity`: the viewer with their assignments (1), the
/// sessions (1), the tickets (1), one insert of the log, and the derivation's ten
/// (`store::derived::apply`), in a transaction (whose BEGIN and COMMIT the counter
/// does not see). The derivation marks registrants attended only for viewers who had
/// not attended before: a batch without any runs one statement fewer.
const RECORD_STATEMENTS: u64 = 3 + 1 + 10;

#[tokio::test]
async fn record_activity_statements_do_not_grow_with_the_batch() {
    let app = spawn().await;
    let token = app.token(INGEST_A.0, INGEST_A.1);
    // A view for Dave first, so that the measured batches also grow a view backwards
    // (which deletes the old row): every statement of the derivation runs.
    let first = [heartbeat("s-first", "LIVE_HEARTBEAT", DAVE, 4000)];
    assert_eq!(result(&record(&app, INGEST_A, &first).await).1, 1);

    let one = [heartbeat("s-0", "LIVE_HEARTBEAT", DAVE, 3980)];
    let (n, reply) = app
        .count_statements(&token, RECORD, json!({ "events": one }))
        .await;
    assert_eq!(result(&reply).1, 1);
    assert_eq!(
        n,
        RECORD_STATEMENTS - 1,
        "one event, of a viewer who attended before"
    );

    let many: Vec<Value> = (0..499)
        .map(|i| {
            let who = [DAVE, ANN, (1000, 100), (1001, 101)][i % 4];
            let kind = [
                "LIVE_HEARTBEAT",
                "RECORDING_HEARTBEAT",
                "JOIN",
                "CHAT_MESSAGE",
            ][i % 3];
            heartbeat(&format!("s-{}", i + 1), kind, who, i as i64 * 7)
        })
        .chain([heartbeat("s-back", "LIVE_HEARTBEAT", DAVE, 3950)])
        .collect();
    let (n, reply) = app
        .count_statements(&token, RECORD, json!({ "events": many }))
        .await;
    assert_eq!(result(&reply).1, 500, "{}", reply.body);
    assert_eq!(
        n, RECORD_STATEMENTS,
        "500 events, with first-time attendees"
    );

    // A batch of events already logged: the insert finds nothing new, derives nothing.
    let (n, reply) = app
        .count_statements(&token, RECORD, json!({ "events": one }))
        .await;
    assert_eq!(result(&reply), (1, 0, 1));
    assert_eq!(n, 3 + 1, "a retried batch");
}

#[tokio::test]
#[ignore = "needs PostgreSQL: two server instances on one database"]
async fn the_same_batch_on_two_instances_at_once_writes_once() {
    require_postgres();
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let config = test_config(scratch.path(), url);
    let first = spawn_with_config(config.clone(), scratch).await;
    let second = spawn_with_config(config, Scratch::new()).await;
    load(&first.db).await;
    add_ingest_accounts(&first.db).await;
    assert_eq!(first.db.get_database_backend(), DbBackend::Postgres);

    let batch: Vec<Value> = (0..200)
        .map(|i| {
            let kind = if i % 2 == 0 {
                "LIVE_HEARTBEAT"
            } else {
                "RECORDING_HEARTBEAT"
            };
            heartbeat(
                &format!("p-{i:03}"),
                kind,
                [DAVE, ANN][i % 4 / 2],
                i as i64 * 5,
            )
        })
        .collect();
    for round in 0..3 {
        let (a, b) = tokio::join!(
            record(&first, INGEST_A, &batch),
            record(&second, INGEST_A, &batch)
        );
        let (a, b) = (result(&a), result(&b));
        let expected_new = if round == 0 { 200 } else { 0 };
        assert_eq!(a.1 + b.1, expected_new, "round {round}: {a:?} {b:?}");
    }
    assert_eq!(ingested_rows(&first.db).await, 200);
    // Each registrant: 50 live and 50 recording heartbeats, each kind 20 s apart: one
    // view of each, from 10 s before the first heartbeat to the last, 990 s each.
    let dave = figures(&first, DAVE.0).await;
    assert_eq!(dave, (true, 1980, engagement(1980)));
    assert_eq!(figures(&second, ANN.0).await, dave);
}

/// The keynote's registrations: (ticket, attended, watch seconds), by id.
async fn keynote_rows(db: &DatabaseConnection) -> Vec<(i64, bool, i64)> {
    let sql = "SELECT event_ticket_id, attended, watch_time_seconds FROM session_registrations \
               WHERE session_id = 100 ORDER BY id";
    db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("rows")
        .iter()
        .map(|row| {
            (
                row.try_get_by_index::<i64>(0).expect("ticket"),
                row.try_get_by_index::<bool>(1).expect("attended"),
                i64::from(row.try_get_by_index::<i32>(2).expect("watch")),
            )
        })
        .collect()
}

#[tokio::test]
async fn imported_activity_derives_the_same_figures_as_ingested_and_round_trips() {
    let app = spawn().await;
    let batch = [
        event("i-1", "JOIN", DAVE, 0),
        heartbeat("i-2", "LIVE_HEARTBEAT", DAVE, 10),
        heartbeat("i-3", "LIVE_HEARTBEAT", DAVE, 14),
        heartbeat("i-4", "RECORDING_HEARTBEAT", ANN, 30),
        event("i-5", "CHECK_IN", ANN, 31),
    ];
    assert_eq!(result(&record(&app, INGEST_A, &batch).await).1, 5);
    let ingested = keynote_rows(&app.db).await;
    let mut out = Vec::new();
    transfer::export(
        &app.db,
        &mut out,
        &Progress::hidden("export", "records"),
        None,
    )
    .await
    .expect("exports");
    let exported = String::from_utf8(out).expect("UTF-8");
    assert!(exported.contains(r#""client_event_id":"i-2","position_seconds":10"#));

    // The same file with the two registrants' figures reset to what an old import
    // would have stored: the activity records must derive them again.
    let reset: String = exported
        .lines()
        .map(|line| {
            let mut record: Value = serde_json::from_str(line).expect("JSON");
            if record["type"] == "registration"
                && [json!(DAVE.0), json!(ANN.0)].contains(&record["event_ticket_id"])
            {
                record["attended"] = json!(false);
                record["watch_time_seconds"] = json!(0);
            }
            format!("{record}\n")
        })
        .collect();
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let target = startup::open(&test_config(scratch.path(), url))
        .await
        .expect("opens")
        .0;
    transfer::import(
        &target,
        reset.as_bytes(),
        &Progress::hidden("import", "records"),
    )
    .await
    .expect("imports");
    assert_eq!(keynote_rows(&target).await, ingested);
    assert!(ingested.contains(&(DAVE.0, true, 14)) && ingested.contains(&(ANN.0, true, 10)));

    // And the file as exported round-trips byte for byte, twice.
    let mut scratch2 = Scratch::new();
    let url = scratch2.database_url().await;
    let again = startup::open(&test_config(scratch2.path(), url))
        .await
        .expect("opens")
        .0;
    for _ in 0..2 {
        transfer::import(
            &again,
            exported.as_bytes(),
            &Progress::hidden("import", "records"),
        )
        .await
        .expect("imports");
        let mut out = Vec::new();
        transfer::export(
            &again,
            &mut out,
            &Progress::hidden("export", "records"),
            None,
        )
        .await
        .expect("exports");
        assert_eq!(String::from_utf8(out).expect("UTF-8"), exported);
    }
}

#[tokio::test]
async fn a_full_batch_of_max_activity_batch_events_passes_every_default_limit() {
    let app = spawn().await;
    let max = session_analytics::config::Limits::default().max_activity_batch as usize;
    let kinds = [
        "LIVE_HEARTBEAT",
        "RECORDING_HEARTBEAT",
        "JOIN",
        "CHAT_MESSAGE",
    ];
    let who = [DAVE, ANN, (1000, 100), (1001, 101), (1002, 102)];
    // Ids as players make them (UUIDs), so the body has its real size.
    let events: Vec<Value> = (0..max)
        .map(|i| {
            let id = format!("{:08x}-0000-4000-8000-{:012x}", i, i * 7919);
            heartbeat(&id, kinds[i % 4], who[i % 5], (i as i64) * 3)
        })
        .collect();
    let body = json!({ "query": RECORD, "variables": { "events": events } }).to_string();
    // Over the old 100 KiB default, within today's 1 MiB.
    assert!(body.len() > 102_400, "{}", body.len());
    assert!(body.len() < 1_048_576, "{}", body.len());
    let reply = record(&app, INGEST_A, &events).await;
    assert_eq!(
        result(&reply),
        (max as i64, max as i64, 0),
        "{}",
        reply.body
    );
    assert_eq!(ingested_rows(&app.db).await, max as i64);
}
