//! The search index of large sessions (migration 6), kept by triggers: a searched page
//! and count of an indexed session must answer what reading every registration says,
//! after every kind of write.

use sea_orm::{ConnectionTrait, FromQueryResult, Statement};
use serde_json::{Value, json};
use session_analytics::entity::{
    enums::{RegistrationType, Role},
    event_ticket, session_registration, user,
};

use crate::{
    fixture::{self, BARE_SESSION, FULL_SESSION, SUPER},
    helpers::TestApp,
};

const QUERY: &str = "query($id: ID!, $search: String, $attended: Boolean) { session(id: $id) {
    registeredHolderUsers(first: 100, orderBy: ENGAGEMENT_DESC, search: $search, attended: $attended) {
      totalCount nodes { userId watchTimeSeconds } } } }";

/// Terms that take every way: the index (ASCII, 3 or more characters, any case), and
/// the fallbacks (2 characters, non-ASCII, LIKE and GLOB specials).
const TERMS: &[&str] = &[
    "zan",
    "ZAN",
    "marmo",
    "twotickets",
    "quokka",
    "newholder",
    "test.dev",
    "a_b",
    "a%b",
    "y@",
    "é",
    "zé",
    "zélie",
    "ee",
];

#[derive(Debug, FromQueryResult)]
struct Row {
    user_id: i64,
    first_name: Option<String>,
    last_name: Option<String>,
    email: String,
    attended: bool,
    watch_time_seconds: i32,
    id: i64,
}

/// `(userId, watchTimeSeconds)` of the matches in page order, by reading every
/// registration of the session and matching in Rust.
async fn truth(
    app: &TestApp,
    session_id: i64,
    term: &str,
    attended: Option<bool>,
) -> Vec<(i64, i64)> {
    let sql = format!(
        "SELECT u.id AS user_id, u.first_name, u.last_name, u.email, r.attended, \
         r.watch_time_seconds, r.id FROM session_registrations r \
         JOIN event_tickets t ON t.id = r.event_ticket_id \
         JOIN users u ON u.id = t.holder_user_id WHERE r.session_id = {session_id}"
    );
    let mut rows =
        Row::find_by_statement(Statement::from_string(app.db.get_database_backend(), sql))
            .all(&app.db)
            .await
            .expect("registrations");
    let needle = term.to_lowercase();
    let has = |field: &str| field.to_lowercase().contains(&needle);
    rows.retain(|r| {
        attended.is_none_or(|a| a == r.attended)
            && (r.first_name.as_deref().is_some_and(has)
                || r.last_name.as_deref().is_some_and(has)
                || has(&r.email))
    });
    rows.sort_by_key(|r| (-r.watch_time_seconds, r.id));
    rows.iter()
        .map(|r| (r.user_id, i64::from(r.watch_time_seconds)))
        .collect()
}

async fn answer(
    app: &TestApp,
    token: &str,
    session_id: i64,
    term: &str,
    attended: Option<bool>,
) -> (i64, Vec<(i64, i64)>) {
    let reply = app
        .query(
            Some(token),
            QUERY,
            json!({ "id": session_id.to_string(), "search": term, "attended": attended }),
        )
        .await;
    let page = &reply.data()["session"]["registeredHolderUsers"];
    let int = |v: &Value| {
        v.as_i64()
            .unwrap_or_else(|| panic!("a number: {}", reply.body))
    };
    let rows = page["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("nodes: {}", reply.body))
        .iter()
        .map(|n| {
            let user: i64 = n["userId"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("a user id: {n}"));
            (user, int(&n["watchTimeSeconds"]))
        })
        .collect();
    (int(&page["totalCount"]), rows)
}

/// Every term, with and without an attendance filter, on the indexed session and on a
/// session without an index, answers what the full read says.
async fn check(app: &TestApp, token: &str, step: &str) {
    for session_id in [FULL_SESSION, BARE_SESSION] {
        for term in TERMS {
            for attended in [None, Some(true)] {
                let expected = truth(app, session_id, term, attended).await;
                let (total, rows) = answer(app, token, session_id, term, attended).await;
                assert_eq!(
                    (total, &rows),
                    (expected.len() as i64, &expected),
                    "session {session_id}, {term:?}, attended {attended:?}, after {step}"
                );
            }
        }
    }
}

async fn exec(app: &TestApp, sql: &str) {
    app.db.execute_unprepared(sql).await.expect(sql);
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    app.db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .expect(sql)
        .expect("one row")
        .try_get_by_index::<i64>(0)
        .expect("a number")
}

#[tokio::test]
async fn indexed_sessions_search_like_a_full_read_after_every_write() {
    let app = fixture::spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    // A threshold the fixture's session reaches with its next registration.
    exec(
        &app,
        "UPDATE session_search_settings SET min_registrations = 3",
    )
    .await;
    fixture::insert::<user::Entity, _>(
        &app.db,
        &[
            fixture::user_row(
                900,
                "x.a_b@test.dev",
                "Zanele",
                "Twotickets",
                Role::Attendee,
            ),
            fixture::user_row(901, "y@test.dev", "Zélie", "Newholder", Role::Attendee),
            fixture::user_row(902, "q@test.dev", "Quokka", "Zanzibar", Role::Attendee),
        ],
    )
    .await;
    fixture::insert::<event_ticket::Entity, _>(
        &app.db,
        &[
            fixture::ticket(9000, 900, 900),
            fixture::ticket(9001, 900, 900),
            fixture::ticket(9002, 901, 901),
            fixture::ticket(9003, 902, 902),
            fixture::ticket(9004, 901, 901),
        ],
    )
    .await;
    assert_eq!(
        scalar(
            &app,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM session_stats WHERE search_indexed"
        )
        .await,
        0,
        "nothing is indexed under the default threshold"
    );
    use RegistrationType::{Interested, Registered};
    fixture::insert::<session_registration::Entity, _>(
        &app.db,
        &[
            fixture::registration(90000, FULL_SESSION, 9000, Registered, 20, true, 60),
            fixture::registration(90001, FULL_SESSION, 9001, Interested, 20, false, 30),
            fixture::registration(90002, FULL_SESSION, 9002, Registered, 21, true, 45),
        ],
    )
    .await;
    let indexed = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM session_stats WHERE search_indexed AND session_id = {FULL_SESSION}"
    );
    assert_eq!(
        scalar(&app, &indexed).await,
        1,
        "the session reached the threshold"
    );
    let unfilled = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM session_registrations \
         WHERE session_id = {FULL_SESSION} AND holder_search IS NULL"
    );
    assert_eq!(
        scalar(&app, &unfilled).await,
        0,
        "every registration carries its text"
    );
    check(&app, &token, "the session is indexed").await;

    fixture::insert::<session_registration::Entity, _>(
        &app.db,
        &[fixture::registration(
            90003,
            FULL_SESSION,
            9003,
            Registered,
            22,
            true,
            50,
        )],
    )
    .await;
    check(&app, &token, "a registration joins the indexed session").await;

    exec(
        &app,
        "UPDATE users SET last_name = 'Marmoset' WHERE id = 900",
    )
    .await;
    check(&app, &token, "a holder is renamed").await;
    exec(
        &app,
        "UPDATE users SET email = 'a%b@test.dev' WHERE id = 902",
    )
    .await;
    check(&app, &token, "a holder's email changes").await;

    exec(
        &app,
        "UPDATE event_tickets SET holder_user_id = 902 WHERE id = 9002",
    )
    .await;
    check(&app, &token, "a ticket changes hands").await;

    exec(
        &app,
        &format!("UPDATE session_registrations SET session_id = {BARE_SESSION} WHERE id = 90003"),
    )
    .await;
    check(
        &app,
        &token,
        "a registration moves to a session without an index",
    )
    .await;
    exec(
        &app,
        &format!("UPDATE session_registrations SET session_id = {FULL_SESSION} WHERE id = 90003"),
    )
    .await;
    check(&app, &token, "it moves back").await;
    exec(
        &app,
        "UPDATE session_registrations SET event_ticket_id = 9004 WHERE id = 90002",
    )
    .await;
    check(&app, &token, "a registration moves to another ticket").await;

    exec(&app, "DELETE FROM session_registrations WHERE id = 90000").await;
    check(&app, &token, "a registration is deleted").await;
    exec(&app, "DELETE FROM event_tickets WHERE id = 9003").await;
    check(&app, &token, "a ticket is deleted").await;
}
