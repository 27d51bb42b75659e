//! The per-session counters behind `stats` and unsearched `totalCount`s, kept by
//! triggers: after every kind of write the API must answer what a full recount says.

use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use serde_json::{Value, json};
use session_analytics::entity::{
    enums::{RegistrationType, Role},
    event_ticket, session, session_registration, user,
};

use crate::{
    fixture::{self, BARE_SESSION, EVENT_A, FULL_SESSION, SUPER},
    helpers::TestApp,
};

const SESSIONS: [i64; 3] = [FULL_SESSION, BARE_SESSION, 102];

const QUERY: &str = "query($id: ID!) { session(id: $id) {
    stats { registeredCount interestedCount attendeeCount }
    attendeeCount
    all: registeredHolderUsers(first: 0) { totalCount }
    joined: registeredHolderUsers(first: 0, attended: true) { totalCount }
    absent: registeredHolderUsers(first: 0, attended: false) { totalCount } } }";

#[derive(Debug, PartialEq, Eq, FromQueryResult)]
struct Truth {
    registered: i64,
    interested: i64,
    attendees: i64,
    attended: i64,
    total: i64,
}

/// The counts recomputed from the registrations, the way they were before counters.
async fn recount(app: &TestApp, session_id: i64) -> Truth {
    let backend = app.db.get_database_backend();
    let sql = format!(
        "SELECT \
         CAST(COALESCE(SUM(CASE WHEN r.registration_type = 'REGISTERED' THEN 1 ELSE 0 END), 0) AS BIGINT) AS registered, \
         CAST(COALESCE(SUM(CASE WHEN r.registration_type = 'INTERESTED' THEN 1 ELSE 0 END), 0) AS BIGINT) AS interested, \
         CAST(COUNT(DISTINCT CASE WHEN r.attended THEN t.holder_user_id END) AS BIGINT) AS attendees, \
         CAST(COALESCE(SUM(CASE WHEN r.attended THEN 1 ELSE 0 END), 0) AS BIGINT) AS attended, \
         CAST(COUNT(r.id) AS BIGINT) AS total \
         FROM session_registrations r JOIN event_tickets t ON t.id = r.event_ticket_id \
         WHERE r.session_id = {session_id}"
    );
    Truth::find_by_statement(Statement::from_string(backend, sql))
        .one(&app.db)
        .await
        .expect("recount")
        .expect("one row")
}

/// The counts as the API answers them.
async fn answer(app: &TestApp, token: &str, session_id: i64) -> Truth {
    let reply = app
        .query(Some(token), QUERY, json!({ "id": session_id.to_string() }))
        .await;
    let s = &reply.data()["session"];
    let int = |v: &Value| {
        v.as_i64()
            .unwrap_or_else(|| panic!("a count: {}", reply.body))
    };
    assert_eq!(s["attendeeCount"], s["stats"]["attendeeCount"]);
    let (all, joined) = (
        int(&s["all"]["totalCount"]),
        int(&s["joined"]["totalCount"]),
    );
    assert_eq!(all - joined, int(&s["absent"]["totalCount"]));
    Truth {
        registered: int(&s["stats"]["registeredCount"]),
        interested: int(&s["stats"]["interestedCount"]),
        attendees: int(&s["stats"]["attendeeCount"]),
        attended: joined,
        total: all,
    }
}

/// Every session's answer equals its recount; returns `FULL_SESSION`'s.
async fn check(app: &TestApp, token: &str, step: &str) -> Truth {
    for id in SESSIONS {
        let truth = recount(app, id).await;
        assert_eq!(
            answer(app, token, id).await,
            truth,
            "session {id} after {step}"
        );
    }
    recount(app, FULL_SESSION).await
}

async fn exec(app: &TestApp, sql: &str) {
    app.db.execute_unprepared(sql).await.expect(sql);
}

#[tokio::test]
async fn counters_follow_every_write() {
    let app = fixture::spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    // A session (without registrations) inserted after the migration gets its counter row from a trigger.
    let mut extra = fixture::bare_session(102, EVENT_A, "Extra", fixture::t(3, 9));
    extra.capacity = Some(10);
    fixture::insert::<session::Entity, _>(&app.db, &[extra]).await;
    let start = check(&app, &token, "the fixture").await;
    assert!(start.attendees > 0, "the fixture has attendees: {start:?}");

    fixture::insert::<user::Entity, _>(
        &app.db,
        &[
            fixture::user_row(900, "x@test.dev", "Xavier", "Twotickets", Role::Attendee),
            fixture::user_row(901, "y@test.dev", "Yara", "Newholder", Role::Attendee),
        ],
    )
    .await;
    fixture::insert::<event_ticket::Entity, _>(
        &app.db,
        &[
            fixture::ticket(9000, 900, 900),
            fixture::ticket(9001, 900, 900),
        ],
    )
    .await;
    // One multi-row statement: one holder attending through two tickets counts once
    // (on PostgreSQL the row triggers run after both rows are in).
    use RegistrationType::{Interested, Registered};
    fixture::insert::<session_registration::Entity, _>(
        &app.db,
        &[
            fixture::registration(90000, FULL_SESSION, 9000, Registered, 20, true, 60),
            fixture::registration(90001, FULL_SESSION, 9001, Registered, 20, true, 30),
            fixture::registration(90002, 102, 9000, Interested, 21, false, 0),
        ],
    )
    .await;
    let now = check(
        &app,
        &token,
        "inserting two attended registrations of one holder",
    )
    .await;
    assert_eq!(now.attendees, start.attendees + 1);
    assert_eq!(now.registered, start.registered + 2);

    exec(
        &app,
        "UPDATE session_registrations SET attended = FALSE WHERE id = 90000",
    )
    .await;
    let now = check(&app, &token, "one of two tickets stops attending").await;
    assert_eq!(
        now.attendees,
        start.attendees + 1,
        "still attends through 9001"
    );
    exec(
        &app,
        "UPDATE session_registrations SET attended = FALSE WHERE id = 90001",
    )
    .await;
    let now = check(&app, &token, "neither ticket attends").await;
    assert_eq!(now.attendees, start.attendees);
    exec(
        &app,
        "UPDATE session_registrations SET attended = TRUE WHERE id IN (90000, 90001)",
    )
    .await;
    let now = check(&app, &token, "both attend again, in one statement").await;
    assert_eq!(now.attendees, start.attendees + 1);

    exec(
        &app,
        "UPDATE event_tickets SET holder_user_id = 901 WHERE id = 9000",
    )
    .await;
    let now = check(&app, &token, "one ticket changes hands").await;
    assert_eq!(
        now.attendees,
        start.attendees + 2,
        "900 through 9001, 901 through 9000"
    );
    exec(
        &app,
        "UPDATE event_tickets SET holder_user_id = 901 WHERE id = 9001",
    )
    .await;
    let now = check(&app, &token, "the other ticket changes hands").await;
    assert_eq!(now.attendees, start.attendees + 1, "only 901 now");

    exec(
        &app,
        "UPDATE session_registrations SET registration_type = 'INTERESTED' WHERE id = 90000",
    )
    .await;
    check(&app, &token, "a registration changes type").await;
    exec(
        &app,
        "UPDATE session_registrations SET session_id = 102 WHERE id = 90001",
    )
    .await;
    check(&app, &token, "a registration moves to another session").await;
    exec(
        &app,
        "UPDATE session_registrations SET watch_time_seconds = 5 WHERE id = 90000",
    )
    .await;
    check(&app, &token, "a column the counters ignore changes").await;

    exec(&app, "DELETE FROM event_tickets WHERE id = 9001").await;
    check(
        &app,
        &token,
        "a ticket is deleted (its registrations cascade)",
    )
    .await;
    exec(
        &app,
        "DELETE FROM session_registrations WHERE session_id = 100",
    )
    .await;
    let now = check(&app, &token, "every registration of a session is deleted").await;
    assert_eq!(now.total, 0);
    exec(&app, "DELETE FROM sessions WHERE id = 102").await;
    let left: Vec<i64> = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT session_id FROM session_stats WHERE session_id = 102 \
             UNION ALL SELECT session_id FROM session_attendance WHERE session_id = 102",
        ))
        .await
        .expect("counter rows")
        .iter()
        .map(|row| row.try_get_by_index(0).expect("id"))
        .collect();
    assert!(
        left.is_empty(),
        "a deleted session's counters go with it: {left:?}"
    );
}
