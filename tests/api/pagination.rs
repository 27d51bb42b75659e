//! Pagination of registrants, sessions and events: cursors, bounds, filters, ordering, totalCount.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use session_analytics::entity::{
    enums::{RegistrationType, Role, SessionFormat},
    event_ticket, session, session_registration, user,
};

use crate::{
    fixture::*,
    helpers::{Reply, TestApp},
};

const REGISTRANTS: &str = r#"query($id: ID!, $first: Int, $after: String, $orderBy: RegistrantOrder,
                                   $attended: Boolean, $search: String) {
  session(id: $id) {
    registeredHolderUsers(first: $first, after: $after, orderBy: $orderBy,
                          attended: $attended, search: $search) {
      totalCount
      pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
      edges { cursor node { eventTicketId } }
      nodes { eventTicketId }
    }
  }
}"#;

const SESSIONS: &str = r#"query($id: ID!, $first: Int, $after: String, $search: String,
                                $format: SessionFormat) {
  event(id: $id) {
    sessions(first: $first, after: $after, search: $search, format: $format) {
      totalCount
      pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
      edges { cursor node { id } }
      nodes { id }
    }
  }
}"#;

const EVENTS: &str = r#"query($first: Int, $after: String) {
  events(first: $first, after: $after) {
    totalCount
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
    edges { cursor node { id } }
    nodes { id }
  }
}"#;

const ORDERS: [&str; 4] = [
    "REGISTRATION_DATE_ASC",
    "REGISTRATION_DATE_DESC",
    "LAST_NAME_ASC",
    "ENGAGEMENT_DESC",
];

// ---------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------

/// One page of a connection, as the tests read it.
#[derive(Debug)]
struct Page {
    ids: Vec<String>,
    total: i64,
    has_previous: bool,
    has_next: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
}

/// Reads a connection and checks it is consistent with itself: `nodes` and `edges`
/// agree, and the page's cursors are those of its first and last edges.
fn read_page(connection: &Value, id_field: &str) -> Page {
    let edges = connection["edges"].as_array().expect("edges");
    let ids: Vec<String> = edges
        .iter()
        .map(|e| e["node"][id_field].as_str().expect("node id").to_owned())
        .collect();
    let node_ids: Vec<&str> = connection["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n[id_field].as_str().expect("node id"))
        .collect();
    assert_eq!(ids, node_ids, "edges and nodes agree: {connection}");
    let info = &connection["pageInfo"];
    let cursor = |v: &Value| v.as_str().map(str::to_owned);
    let page = Page {
        ids,
        total: connection["totalCount"].as_i64().expect("totalCount"),
        has_previous: info["hasPreviousPage"].as_bool().expect("hasPreviousPage"),
        has_next: info["hasNextPage"].as_bool().expect("hasNextPage"),
        start_cursor: cursor(&info["startCursor"]),
        end_cursor: cursor(&info["endCursor"]),
    };
    assert_eq!(
        page.start_cursor,
        edges.first().and_then(|e| cursor(&e["cursor"]))
    );
    assert_eq!(
        page.end_cursor,
        edges.last().and_then(|e| cursor(&e["cursor"]))
    );
    page
}

fn super_token(app: &TestApp) -> String {
    app.token(SUPER.0, SUPER.1)
}

/// Runs `query` with `vars` as the super admin.
async fn run(app: &TestApp, query: &str, vars: Value) -> Reply {
    app.query(Some(&super_token(app)), query, vars).await
}

/// A registrant page of session 100; `vars` holds anything but the session id.
async fn registrants(app: &TestApp, vars: Value) -> Page {
    let mut all = json!({ "id": FULL_SESSION.to_string() });
    merge(&mut all, vars);
    let reply = run(app, REGISTRANTS, all).await;
    read_page(
        &reply.data()["session"]["registeredHolderUsers"],
        "eventTicketId",
    )
}

/// A session page of event A; `vars` holds anything but the event id.
async fn sessions(app: &TestApp, vars: Value) -> Page {
    let mut all = json!({ "id": EVENT_A.to_string() });
    merge(&mut all, vars);
    let reply = run(app, SESSIONS, all).await;
    read_page(&reply.data()["event"]["sessions"], "id")
}

fn merge(into: &mut Value, from: Value) {
    let into = into.as_object_mut().expect("an object");
    for (key, value) in from.as_object().expect("an object") {
        into.insert(key.clone(), value.clone());
    }
}

/// Follows `endCursor` from the first page to the last, checking every page's size,
/// `hasPreviousPage`, `hasNextPage` and `totalCount`; returns all ids in order.
async fn walk<F, Fut>(first: usize, vars: Value, fetch: F) -> Vec<String>
where
    F: Fn(Value) -> Fut,
    Fut: std::future::Future<Output = Page>,
{
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    let mut total = None;
    for number in 0.. {
        let mut page_vars = vars.clone();
        merge(&mut page_vars, json!({ "first": first, "after": after }));
        let page = fetch(page_vars).await;
        let what = format!("page {number} of {first} with {vars}: {page:?}");
        assert_eq!(page.has_previous, number > 0, "{what}");
        assert_eq!(
            *total.get_or_insert(page.total),
            page.total,
            "constant totalCount: {what}"
        );
        assert!(
            !page.ids.is_empty(),
            "a walk never fetches an empty page: {what}"
        );
        assert!(page.ids.len() <= first, "{what}");
        ids.extend(page.ids.iter().cloned());
        let remaining = usize::try_from(page.total).expect("count") - ids.len();
        assert_eq!(page.has_next, remaining > 0, "{what}");
        if !page.has_next {
            break;
        }
        assert_eq!(page.ids.len(), first, "only the last page is short: {what}");
        after = page.end_cursor;
        assert!(after.is_some(), "{what}");
        assert!(number < 100, "the walk does not end: {what}");
    }
    assert_eq!(
        Some(ids.len()),
        total.map(|t| usize::try_from(t).expect("count"))
    );
    ids
}

fn assert_bad_request(reply: &Reply, field: &str, mentions: &[&str], case: &str) {
    assert_eq!(reply.status, 200, "{case}");
    assert_eq!(reply.error_code(), "BAD_REQUEST", "{case}: {}", reply.body);
    assert_eq!(
        reply.body["errors"][0]["extensions"]["status"], 400,
        "{case}"
    );
    let path: Vec<&str> = reply.body["errors"][0]["path"]
        .as_array()
        .expect("path")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(path.last(), Some(&field), "{case}: {}", reply.body);
    let message = reply.body["errors"][0]["message"]
        .as_str()
        .expect("message");
    for word in mentions {
        assert!(
            message.contains(word),
            "{case}: {message:?} mentions {word:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Registrants of session 100
// ---------------------------------------------------------------------------------------

/// A registrant of session 100 as the tests model it.
#[derive(Clone, Debug)]
struct Reg {
    id: i64,
    ticket: i64,
    user: i64,
    first: Option<String>,
    last: Option<String>,
    email: String,
    at: DateTime<Utc>,
    attended: bool,
    watch: i32,
}

fn nov(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0)
        .single()
        .expect("valid time")
}

/// The fixture's seven registrants of session 100.
fn fixture_registrants() -> Vec<Reg> {
    let rows = [
        (
            1,
            1000,
            100,
            "Alice",
            "Zephyr",
            "alice@example.org",
            1,
            true,
            1800,
        ),
        (
            2,
            1001,
            101,
            "Bob",
            "Young",
            "bob@example.org",
            2,
            true,
            4000,
        ),
        (
            3,
            1002,
            102,
            "Carol",
            "Xu",
            "carol@example.org",
            3,
            false,
            0,
        ),
        (
            4,
            1003,
            103,
            "Dave",
            "Walker",
            "dave@example.org",
            4,
            false,
            0,
        ),
        (
            5,
            1004,
            104,
            "Erin",
            "Vance",
            "erin@example.org",
            5,
            true,
            600,
        ),
        (
            6,
            1005,
            3,
            "Evan",
            "Event",
            "eventadmin@test.dev",
            6,
            false,
            0,
        ),
        (
            7,
            1006,
            4,
            "Ann",
            "Attendee",
            "attendee@test.dev",
            7,
            false,
            0,
        ),
    ];
    rows.into_iter()
        .map(
            |(id, ticket, user, first, last, email, day, attended, watch)| Reg {
                id,
                ticket,
                user,
                first: Some(first.into()),
                last: Some(last.into()),
                email: email.into(),
                at: nov(day, 10),
                attended,
                watch,
            },
        )
        .collect()
}

/// 29 more registrants (36 in all, a multiple of 3 and not of 5), built to tie with
/// each other and with the fixture on every sort key, so the registration id decides.
fn extra_registrants() -> Vec<Reg> {
    const LASTS: [Option<&str>; 10] = [
        Some("adams"),
        Some("Baker"),
        Some("BAKER"),
        Some("baker"),
        Some("O'Brien"),
        Some("de Vries"),
        Some("Young"),
        Some("zephyr"),
        Some("Xu"),
        None,
    ];
    const FIRSTS: [&str; 6] = ["Mia", "Noah", "Liam", "Emma", "Zoe", "Ivy"];
    const WATCH: [i32; 8] = [0, 600, 1800, 4000, 1200, 0, 59, 600];
    const N: i64 = 29;
    (0..N)
        .map(|i| {
            let k = usize::try_from(i).expect("small");
            let day = 1 + u32::try_from(i % 7).expect("small");
            let mut at = nov(day, if i % 5 == 2 { 9 } else { 10 });
            if i % 4 == 1 {
                at += Duration::milliseconds(250);
            }
            Reg {
                // Registration ids are a permutation, so they do not follow the insert order.
                id: 7000 + (i * 11) % N,
                ticket: 5000 + i,
                user: 6000 + i,
                first: Some(FIRSTS[k % FIRSTS.len()].into()),
                last: LASTS[k % LASTS.len()].map(Into::into),
                email: format!("bulk{i:02}@walk.example"),
                at,
                attended: i % 3 == 0,
                watch: WATCH[(k * 3) % WATCH.len()],
            }
        })
        .collect()
}

/// Inserts users, tickets (event A) and registrations for session 100.
async fn insert_registrants(app: &TestApp, regs: &[Reg]) {
    let users: Vec<user::Model> = regs
        .iter()
        .map(|r| user::Model {
            id: r.user,
            email: r.email.clone(),
            first_name: r.first.clone(),
            last_name: r.last.clone(),
            phone_number: None,
            role: Role::Attendee,
            password_hash: None,
            created_at: nov(1, 0),
        })
        .collect();
    let tickets: Vec<event_ticket::Model> = regs
        .iter()
        .map(|r| event_ticket::Model {
            id: r.ticket,
            event_id: EVENT_A,
            ticket_type_id: 10,
            holder_user_id: r.user,
            purchaser_user_id: r.user,
            created_at: nov(1, 0),
        })
        .collect();
    let registrations: Vec<session_registration::Model> = regs
        .iter()
        .map(|r| session_registration::Model {
            id: r.id,
            session_id: FULL_SESSION,
            event_ticket_id: r.ticket,
            registration_type: RegistrationType::Registered,
            registered_at: r.at,
            attended: r.attended,
            watch_time_seconds: r.watch,
        })
        .collect();
    insert::<user::Entity, _>(&app.db, &users).await;
    insert::<event_ticket::Entity, _>(&app.db, &tickets).await;
    insert::<session_registration::Entity, _>(&app.db, &registrations).await;
}

/// The fixture plus the extra registrants, loaded; returns every registrant of session 100.
async fn spawn_with_extra_registrants() -> (TestApp, Vec<Reg>) {
    let app = spawn_with_fixture().await;
    let extra = extra_registrants();
    insert_registrants(&app, &extra).await;
    let mut all = fixture_registrants();
    all.extend(extra);
    (app, all)
}

fn sort_name(r: &Reg) -> String {
    r.last.as_deref().unwrap_or("").to_lowercase()
}

/// The ticket ids of `regs` in `order`, ties broken by registration id as the server does.
fn expected_order(regs: &[Reg], order: &str) -> Vec<String> {
    let mut sorted = regs.to_vec();
    match order {
        "REGISTRATION_DATE_ASC" => sorted.sort_by_key(|r| (r.at, r.id)),
        "REGISTRATION_DATE_DESC" => sorted.sort_by_key(|r| std::cmp::Reverse((r.at, r.id))),
        "LAST_NAME_ASC" => sorted.sort_by_key(|r| (sort_name(r), r.id)),
        "ENGAGEMENT_DESC" => sorted.sort_by_key(|r| (std::cmp::Reverse(r.watch), r.id)),
        other => panic!("unknown order {other}"),
    }
    sorted.iter().map(|r| r.ticket.to_string()).collect()
}

fn tickets_where(regs: &[Reg], keep: impl Fn(&Reg) -> bool) -> Vec<String> {
    let mut kept: Vec<&Reg> = regs.iter().filter(|r| keep(r)).collect();
    kept.sort_by_key(|r| (r.at, r.id));
    kept.iter().map(|r| r.ticket.to_string()).collect()
}

#[tokio::test]
async fn walking_registrant_pages_yields_everyone_once_in_each_order() {
    let (app, regs) = spawn_with_extra_registrants().await;
    assert_eq!(regs.len(), 36);
    for order in ORDERS {
        let expected = expected_order(&regs, order);
        for first in [3, 5] {
            let ids = walk(first, json!({ "orderBy": order }), |vars| {
                registrants(&app, vars)
            })
            .await;
            assert_eq!(ids, expected, "{order}, {first} a page");
        }
        // One page holding everything agrees with the walk.
        let page = registrants(&app, json!({ "orderBy": order, "first": 500 })).await;
        assert_eq!(page.ids, expected, "{order} in one page");
        assert!(!page.has_next && !page.has_previous);
    }
}

#[tokio::test]
async fn registrants_default_to_registration_date_order() {
    let (app, regs) = spawn_with_extra_registrants().await;
    let reply = run(
        &app,
        "query($id: ID!) { session(id: $id) { registeredHolderUsers { totalCount nodes { eventTicketId } } } }",
        json!({ "id": FULL_SESSION.to_string() }),
    )
    .await;
    let connection = &reply.data()["session"]["registeredHolderUsers"];
    let ids: Vec<String> = connection["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["eventTicketId"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids, expected_order(&regs, "REGISTRATION_DATE_ASC"));
    assert_eq!(connection["totalCount"], 36);
}

#[tokio::test]
async fn walking_with_filters_keeps_the_filters_on_every_page() {
    let (app, regs) = spawn_with_extra_registrants().await;
    let cases = [
        (
            json!({ "attended": true }),
            tickets_where(&regs, |r| r.attended),
        ),
        (
            json!({ "attended": false }),
            tickets_where(&regs, |r| !r.attended),
        ),
        (
            json!({ "search": "BAKER" }),
            tickets_where(&regs, |r| sort_name(r) == "baker"),
        ),
        (
            json!({ "search": "walk.example", "attended": false }),
            tickets_where(&regs, |r| r.email.ends_with("@walk.example") && !r.attended),
        ),
    ];
    for (filters, expected) in cases {
        assert!(expected.len() > 2, "the case spans pages: {filters}");
        let ids = walk(2, filters.clone(), |vars| registrants(&app, vars)).await;
        assert_eq!(ids, expected, "{filters}");
    }
}

#[tokio::test]
async fn attended_filters_split_the_registrants_and_count_them() {
    let app = spawn_with_fixture().await;
    for (attended, expected) in [
        (
            Value::Null,
            vec!["1000", "1001", "1002", "1003", "1004", "1005", "1006"],
        ),
        (json!(true), vec!["1000", "1001", "1004"]),
        (json!(false), vec!["1002", "1003", "1005", "1006"]),
    ] {
        let page = registrants(&app, json!({ "first": 50, "attended": attended })).await;
        assert_eq!(page.ids, expected, "attended: {attended}");
        assert_eq!(page.total, i64::try_from(expected.len()).expect("small"));
        // A smaller page counts the same.
        let page = registrants(&app, json!({ "first": 1, "attended": attended })).await;
        assert_eq!(page.total, i64::try_from(expected.len()).expect("small"));
        assert_eq!(page.ids, expected[..1]);
    }
}

#[tokio::test]
async fn search_matches_names_and_email_case_insensitively_and_combines_with_attended() {
    let app = spawn_with_fixture().await;
    let cases: [(&str, Value, &[&str]); 12] = [
        ("ALICE", Value::Null, &["1000"]),
        ("young", Value::Null, &["1001"]),
        ("yOuNg", Value::Null, &["1001"]),
        ("EventAdmin@", Value::Null, &["1005"]),
        (
            "EXAMPLE.ORG",
            Value::Null,
            &["1000", "1001", "1002", "1003", "1004"],
        ),
        ("test.dev", Value::Null, &["1005", "1006"]),
        // "an": Ann (first name), Evan (first name), Vance (last name).
        ("an", Value::Null, &["1004", "1005", "1006"]),
        ("an", json!(true), &["1004"]),
        ("an", json!(false), &["1005", "1006"]),
        ("  alice  ", Value::Null, &["1000"]),
        ("nobody", Value::Null, &[]),
        (
            "",
            Value::Null,
            &["1000", "1001", "1002", "1003", "1004", "1005", "1006"],
        ),
    ];
    for (search, attended, expected) in cases {
        let page = registrants(
            &app,
            json!({ "first": 50, "search": search, "attended": attended }),
        )
        .await;
        assert_eq!(page.ids, expected, "search {search:?}, attended {attended}");
        assert_eq!(
            page.total,
            i64::try_from(expected.len()).expect("small"),
            "{search:?}"
        );
    }
}

/// A registrant (user, ticket and registration all numbered `id`) with odd names;
/// even ids attended.
fn odd_one(id: i64, first: &str, last: &str, email: &str) -> Reg {
    Reg {
        id,
        ticket: id,
        user: id,
        first: Some(first.into()),
        last: Some(last.into()),
        email: email.into(),
        at: nov(20, 10),
        attended: id % 2 == 0,
        watch: 0,
    }
}

#[tokio::test]
async fn search_treats_like_wildcards_and_backslashes_literally() {
    let app = spawn_with_fixture().await;
    for search in ["%", "_", "\\", "a%e", "a_i"] {
        let page = registrants(&app, json!({ "first": 50, "search": search })).await;
        assert_eq!(page.ids, Vec::<String>::new(), "{search:?}");
        assert_eq!(page.total, 0, "{search:?}");
    }
    insert_registrants(
        &app,
        &[
            odd_one(5000, "Percy", "100%Sure", "percy@odd.example"),
            odd_one(5001, "Una", "Score", "under_score@odd.example"),
            odd_one(5002, "Bea", "Back\\Slash", "bea@odd.example"),
        ],
    )
    .await;
    for (search, expected) in [
        ("%", vec!["5000"]),
        ("100%s", vec!["5000"]),
        ("_", vec!["5001"]),
        ("r_s", vec!["5001"]),
        ("\\", vec!["5002"]),
        ("k\\s", vec!["5002"]),
        ("%100", vec![]),
    ] {
        let page = registrants(&app, json!({ "first": 50, "search": search })).await;
        assert_eq!(page.ids, expected, "{search:?}");
        assert_eq!(page.total, i64::try_from(expected.len()).expect("small"));
    }
    let page = registrants(
        &app,
        json!({ "first": 50, "search": "_", "attended": true }),
    )
    .await;
    assert_eq!(
        (page.ids, page.total),
        (Vec::<String>::new(), 0),
        "5001 did not attend"
    );
}

#[tokio::test]
async fn search_terms_are_never_query_syntax_and_follow_renames() {
    let app = spawn_with_fixture().await;
    insert_registrants(
        &app,
        &[
            odd_one(5000, "Quinn", "\"Quoted\" O'Hara", "quinn@odd.example"),
            odd_one(5001, "Nora", "NEAR(x y)", "nora@odd.example"),
            odd_one(5002, "Oscar", "Or*Star", "oscar-or-star@odd.example"),
        ],
    )
    .await;
    // Full-text query syntax (SQLite's trigram index sees these terms) is only text.
    for (search, expected) in [
        ("\"quoted\"", vec!["5000"]),
        ("\" o'h", vec!["5000"]),
        ("near(x", vec!["5001"]),
        ("or*s", vec!["5002"]),
        ("r*st", vec!["5002"]),
        ("nora OR quinn", vec![]),
        ("\"", vec!["5000"]),
    ] {
        let page = registrants(&app, json!({ "first": 50, "search": search })).await;
        assert_eq!(page.ids, expected, "{search:?}");
        assert_eq!(page.total, i64::try_from(expected.len()).expect("small"));
    }
    // Renames written straight to the table are found under the new name only.
    app.db
        .execute_unprepared("UPDATE users SET last_name = 'Renamedson' WHERE id = 5001")
        .await
        .expect("rename");
    let page = registrants(&app, json!({ "first": 50, "search": "renamedson" })).await;
    assert_eq!(page.ids, ["5001"]);
    let page = registrants(&app, json!({ "first": 50, "search": "near(" })).await;
    assert!(page.ids.is_empty(), "{:?}", page.ids);
}

#[tokio::test]
async fn search_is_case_insensitive_beyond_ascii() {
    let app = spawn_with_fixture().await;
    insert_registrants(
        &app,
        &[Reg {
            id: 5000,
            ticket: 5000,
            user: 5000,
            first: Some("Élodie".into()),
            last: Some("Ørsted".into()),
            email: "elodie@odd.example".into(),
            at: nov(20, 10),
            attended: false,
            watch: 0,
        }],
    )
    .await;
    for search in ["Élodie", "élodie", "ÉLODIE", "Ørsted", "ørsted"] {
        let page = registrants(&app, json!({ "first": 50, "search": search })).await;
        assert_eq!(page.ids, ["5000"], "registrant search {search:?}");
    }
    let mut cafe = bare_session(5100, EVENT_A, "Café Éclair", t(2, 12));
    cafe.format = SessionFormat::NetworkingSession;
    insert::<session_analytics::entity::session::Entity, _>(&app.db, &[cafe]).await;
    for search in ["Café Éclair", "café éclair", "CAFÉ"] {
        let page = sessions(&app, json!({ "first": 50, "search": search })).await;
        assert_eq!(page.ids, ["5100"], "session search {search:?}");
    }
}

#[tokio::test]
async fn registrant_page_sizes_from_0_to_500_are_accepted_and_others_refused() {
    let app = spawn_with_fixture().await;
    let page = registrants(&app, json!({ "first": 0 })).await;
    assert!(page.ids.is_empty());
    assert_eq!(page.total, 7);
    assert!(
        page.has_next,
        "there are registrants after an empty first page"
    );
    assert!(!page.has_previous);
    assert_eq!((page.start_cursor, page.end_cursor), (None, None));

    for (first, len) in [(1, 1), (7, 7), (500, 7)] {
        let page = registrants(&app, json!({ "first": first })).await;
        assert_eq!(page.ids.len(), len, "first {first}");
        assert_eq!(page.has_next, first < 7, "first {first}");
        assert_eq!(page.total, 7);
    }

    for first in [501, -1, i32::MIN] {
        let reply = run(&app, REGISTRANTS, json!({ "id": "100", "first": first })).await;
        assert_bad_request(
            &reply,
            "registeredHolderUsers",
            &["`first`", "500"],
            &format!("first {first}"),
        );
        assert!(reply.body["data"]["session"].is_null());
    }
}

#[tokio::test]
async fn garbage_and_foreign_cursors_are_bad_requests() {
    let app = spawn_with_fixture().await;
    let session_cursor = sessions(&app, json!({ "first": 1 }))
        .await
        .end_cursor
        .expect("a session cursor");
    let cases = [
        "garbage".to_owned(),
        "!!!".to_owned(),
        String::new(),
        URL_SAFE_NO_PAD.encode("not json"),
        URL_SAFE_NO_PAD.encode("{}"),
        URL_SAFE_NO_PAD.encode(r#"{"o":"Sideways","k":{"w":1},"i":1}"#),
        URL_SAFE_NO_PAD.encode(r#"{"o":"LastNameAsc","k":{"q":1},"i":1}"#),
        // A cursor of the sessions list is not one of the registrant list.
        session_cursor,
    ];
    for after in cases {
        let reply = run(
            &app,
            REGISTRANTS,
            json!({ "id": "100", "first": 2, "after": after }),
        )
        .await;
        assert_bad_request(
            &reply,
            "registeredHolderUsers",
            &["`after`"],
            &format!("after {after:?}"),
        );
    }
}

#[tokio::test]
async fn a_cursor_from_one_order_is_refused_in_another() {
    let (app, _) = spawn_with_extra_registrants().await;
    for from in ORDERS {
        let cursor = registrants(&app, json!({ "first": 3, "orderBy": from }))
            .await
            .end_cursor
            .expect("a cursor");
        for to in ORDERS {
            let reply = run(
                &app,
                REGISTRANTS,
                json!({ "id": "100", "first": 3, "after": cursor, "orderBy": to }),
            )
            .await;
            if from == to {
                assert_eq!(
                    reply.data()["session"]["registeredHolderUsers"]["edges"]
                        .as_array()
                        .map(Vec::len),
                    Some(3),
                    "{from} after its own cursor"
                );
            } else {
                assert_bad_request(
                    &reply,
                    "registeredHolderUsers",
                    &["`after`", "`orderBy`"],
                    &format!("a {from} cursor used with {to}"),
                );
            }
        }
    }
}

/// Re-encodes a registrant cursor with its sort key replaced.
fn forge(cursor: &str, key: Value) -> String {
    let mut value: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(cursor).expect("base64")).expect("JSON");
    value["k"] = key;
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[tokio::test]
async fn a_cursor_whose_key_does_not_fit_its_order_is_a_bad_request() {
    let (app, _) = spawn_with_extra_registrants().await;
    let cursor = registrants(&app, json!({ "first": 3, "orderBy": "LAST_NAME_ASC" }))
        .await
        .end_cursor
        .expect("a cursor");
    for key in [json!({ "w": 5 }), json!({ "d": "2026-11-01T10:00:00Z" })] {
        let reply = run(
            &app,
            REGISTRANTS,
            json!({ "id": "100", "first": 3, "after": forge(&cursor, key.clone()), "orderBy": "LAST_NAME_ASC" }),
        )
        .await;
        assert_bad_request(
            &reply,
            "registeredHolderUsers",
            &["`after`"],
            &format!("key {key}"),
        );
    }
}

#[tokio::test]
async fn a_cursor_resumes_after_its_row_even_when_that_row_is_gone() {
    use sea_orm::EntityTrait;
    let (app, regs) = spawn_with_extra_registrants().await;
    for order in ORDERS {
        let expected = expected_order(&regs, order);
        let first = registrants(&app, json!({ "first": 4, "orderBy": order })).await;
        assert_eq!(first.ids, expected[..4], "{order}");
        let last_id = regs
            .iter()
            .find(|r| r.ticket.to_string() == first.ids[3])
            .expect("a registrant")
            .id;
        session_registration::Entity::delete_by_id(last_id)
            .exec(&app.db)
            .await
            .expect("delete");
        let next = registrants(
            &app,
            json!({ "first": 4, "orderBy": order, "after": first.end_cursor }),
        )
        .await;
        assert_eq!(next.ids, expected[4..8], "{order}");
        // Put the row back for the next order.
        let reg = regs.iter().find(|r| r.id == last_id).expect("a registrant");
        insert::<session_registration::Entity, _>(
            &app.db,
            &[session_registration::Model {
                id: reg.id,
                session_id: FULL_SESSION,
                event_ticket_id: reg.ticket,
                registration_type: if reg.id == 3 {
                    RegistrationType::Interested
                } else {
                    RegistrationType::Registered
                },
                registered_at: reg.at,
                attended: reg.attended,
                watch_time_seconds: reg.watch,
            }],
        )
        .await;
    }
}

#[tokio::test]
async fn registrant_pages_of_another_session_do_not_mix_in() {
    let (app, _) = spawn_with_extra_registrants().await;
    let reply = run(
        &app,
        "query($id: ID!) { session(id: $id) { registeredHolderUsers(first: 500) { totalCount nodes { eventTicketId } } } }",
        json!({ "id": BARE_SESSION.to_string() }),
    )
    .await;
    assert_eq!(
        reply.data()["session"]["registeredHolderUsers"],
        json!({ "totalCount": 2, "nodes": [{ "eventTicketId": "1000" }, { "eventTicketId": "1005" }] })
    );
}

/// More sessions in one batch than SQLite allows terms in a compound `SELECT` (500):
/// the registrant pages are one `UNION ALL` branch per session, so the store must split
/// the batch. Every session still gets exactly its own registrants, in page order.
#[tokio::test]
async fn registrant_pages_of_more_sessions_than_one_statement_holds_stay_apart_and_ordered() {
    const SESSIONS: i64 = 510;
    let mut scratch = crate::helpers::Scratch::new();
    let url = scratch.database_url().await;
    let mut config = crate::helpers::test_config(scratch.path(), url);
    config.limits.max_page_size = 600;
    let app = crate::helpers::spawn_with_config(config, scratch).await;
    load(&app.db).await;
    let (mut sessions, mut users, mut tickets, mut registrations) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..SESSIONS {
        let id = 50_000 + i;
        sessions.push(bare_session(
            id,
            EVENT_B,
            &format!("Batch {i}"),
            t(11, 9) + Duration::minutes(i),
        ));
        for k in 0..2 {
            let n = id * 10 + k;
            users.push(user_row(
                n,
                &format!("b{n}@batch.test"),
                "Batch",
                &format!("User{n}"),
                Role::Attendee,
            ));
            tickets.push(event_ticket::Model {
                id: n,
                event_id: EVENT_A,
                ticket_type_id: 10,
                holder_user_id: n,
                purchaser_user_id: n,
                created_at: nov(1, 0),
            });
            registrations.push(session_registration::Model {
                id: n,
                session_id: id,
                event_ticket_id: n,
                registration_type: RegistrationType::Registered,
                registered_at: nov(2, 0),
                attended: true,
                // The second registrant watched longer, so it comes first.
                watch_time_seconds: 10 + 10 * k as i32,
            });
        }
    }
    insert::<session::Entity, _>(&app.db, &sessions).await;
    insert::<user::Entity, _>(&app.db, &users).await;
    insert::<event_ticket::Entity, _>(&app.db, &tickets).await;
    insert::<session_registration::Entity, _>(&app.db, &registrations).await;

    let reply = run(
        &app,
        "query($id: ID!) { event(id: $id) { sessions(first: 600) { nodes { id \
         registeredHolderUsers(first: 1, orderBy: ENGAGEMENT_DESC) { totalCount \
         pageInfo { hasNextPage } nodes { eventTicketId } } } } } }",
        json!({ "id": EVENT_B.to_string() }),
    )
    .await;
    let nodes = reply.data()["event"]["sessions"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut checked = 0;
    for node in &nodes {
        let Some(id) = node["id"].as_str().and_then(|id| id.parse::<i64>().ok()) else {
            panic!("session without an id: {node}");
        };
        if id < 50_000 {
            continue;
        }
        assert_eq!(
            node["registeredHolderUsers"],
            json!({
                "totalCount": 2,
                "pageInfo": { "hasNextPage": true },
                "nodes": [{ "eventTicketId": (id * 10 + 1).to_string() }],
            }),
            "session {id}"
        );
        checked += 1;
    }
    assert_eq!(checked, SESSIONS, "{}", reply.body);
}

// ---------------------------------------------------------------------------------------
// Event.sessions
// ---------------------------------------------------------------------------------------

/// Sessions added to event A: `(id, title, format, start)`. Starts tie with each other
/// and with the fixture's sessions (100 at Dec 1 10:00, 101 at Dec 2 10:00).
fn extra_sessions() -> Vec<(i64, &'static str, SessionFormat, DateTime<Utc>)> {
    use SessionFormat::*;
    vec![
        (5109, "Keynote Q&A", MainstageSession, t(1, 10)),
        (5101, "Breakout: Rust", BreakoutSession, t(1, 10)),
        (5108, "Breakout: Go", BreakoutSession, t(1, 11)),
        (5102, "Networking lunch", NetworkingSession, t(1, 12)),
        (5107, "100% Focus", WorkshopSession, t(2, 10)),
        (5103, "snake_case talk", BreakoutSession, t(2, 10)),
        (5106, "Workshop: SQL", WorkshopSession, t(2, 14)),
        (5104, "Closing KEYNOTE", MainstageSession, t(3, 16)),
        (5105, "Breakout: Zig", BreakoutSession, t(1, 9)),
        (5100, "Late breakout", BreakoutSession, t(3, 17)),
    ]
}

/// Event A with the extra sessions; returns `(id, title, format, start)` of all its sessions.
async fn spawn_with_extra_sessions() -> (
    TestApp,
    Vec<(i64, &'static str, SessionFormat, DateTime<Utc>)>,
) {
    let app = spawn_with_fixture().await;
    let extra = extra_sessions();
    let rows: Vec<_> = extra
        .iter()
        .map(|&(id, title, format, start)| {
            let mut s = bare_session(id, EVENT_A, title, start);
            s.format = format;
            s
        })
        .collect();
    insert::<session_analytics::entity::session::Entity, _>(&app.db, &rows).await;
    let mut all = vec![
        (
            FULL_SESSION,
            "Keynote",
            SessionFormat::MainstageSession,
            t(1, 10),
        ),
        (
            BARE_SESSION,
            "Workshop",
            SessionFormat::WorkshopSession,
            t(2, 10),
        ),
    ];
    all.extend(extra);
    (app, all)
}

fn session_ids_where(
    all: &[(i64, &str, SessionFormat, DateTime<Utc>)],
    keep: impl Fn(&str, SessionFormat) -> bool,
) -> Vec<String> {
    let mut kept: Vec<_> = all.iter().filter(|s| keep(s.1, s.2)).collect();
    kept.sort_by_key(|s| (s.3, s.0));
    kept.iter().map(|s| s.0.to_string()).collect()
}

#[tokio::test]
async fn walking_event_sessions_yields_each_once_by_start_time_then_id() {
    let (app, all) = spawn_with_extra_sessions().await;
    let expected = session_ids_where(&all, |_, _| true);
    assert_eq!(expected.len(), 12);
    assert_eq!(
        &expected[..4],
        ["5105", "100", "5101", "5109"],
        "ties by id"
    );
    for first in [1, 2, 5] {
        let ids = walk(first, json!({}), |vars| sessions(&app, vars)).await;
        assert_eq!(ids, expected, "{first} a page");
    }
    let page = sessions(&app, json!({})).await;
    assert_eq!(page.ids, expected, "the default page of 20 holds all");
    assert!(!page.has_next);
}

#[tokio::test]
async fn session_search_and_format_filter_pages_and_counts() {
    let (app, all) = spawn_with_extra_sessions().await;
    let contains = |needle: &'static str| {
        move |title: &str, _: SessionFormat| title.to_lowercase().contains(needle)
    };
    let cases = [
        (
            json!({ "search": "KEYNOTE" }),
            session_ids_where(&all, contains("keynote")),
        ),
        (
            json!({ "search": "breakout" }),
            session_ids_where(&all, contains("breakout")),
        ),
        (json!({ "search": "%" }), vec!["5107".to_owned()]),
        (json!({ "search": "_" }), vec!["5103".to_owned()]),
        (json!({ "search": "  q&a " }), vec!["5109".to_owned()]),
        (json!({ "search": "nothing like it" }), vec![]),
        (
            json!({ "format": "BREAKOUT_SESSION" }),
            session_ids_where(&all, |_, f| f == SessionFormat::BreakoutSession),
        ),
        (
            json!({ "format": "MAINSTAGE_SESSION" }),
            session_ids_where(&all, |_, f| f == SessionFormat::MainstageSession),
        ),
        (
            json!({ "format": "BREAKOUT_SESSION", "search": "breakout:" }),
            vec!["5105".to_owned(), "5101".to_owned(), "5108".to_owned()],
        ),
        (
            json!({ "format": "WORKSHOP_SESSION", "search": "keynote" }),
            vec![],
        ),
    ];
    for (filters, expected) in cases {
        let mut vars = filters.clone();
        merge(&mut vars, json!({ "first": 100 }));
        let page = sessions(&app, vars).await;
        assert_eq!(page.ids, expected, "{filters}");
        assert_eq!(
            page.total,
            i64::try_from(expected.len()).expect("small"),
            "{filters}"
        );
        if expected.len() > 1 {
            let ids = walk(1, filters.clone(), |vars| sessions(&app, vars)).await;
            assert_eq!(ids, expected, "walking {filters}");
        }
    }
    assert_eq!(session_ids_where(&all, contains("keynote")).len(), 3);
    assert_eq!(session_ids_where(&all, contains("breakout")).len(), 4);
}

#[tokio::test]
async fn session_page_sizes_above_100_or_below_0_are_bad_requests() {
    let (app, _) = spawn_with_extra_sessions().await;
    let page = sessions(&app, json!({ "first": 0 })).await;
    assert!(page.ids.is_empty());
    assert_eq!(page.total, 12);
    assert!(page.has_next);
    let page = sessions(&app, json!({ "first": 100 })).await;
    assert_eq!((page.ids.len(), page.has_next), (12, false));
    for first in [101, -1, 500] {
        let reply = run(&app, SESSIONS, json!({ "id": "10", "first": first })).await;
        assert_bad_request(
            &reply,
            "sessions",
            &["`first`", "100"],
            &format!("first {first}"),
        );
    }
    let reply = run(&app, SESSIONS, json!({ "id": "10", "after": "garbage" })).await;
    assert_bad_request(&reply, "sessions", &["`after`"], "garbage after");
}

// ---------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn events_walk_one_at_a_time_newest_first() {
    let app = spawn_with_fixture().await;
    let fetch = |token: String| {
        let app = &app;
        move |vars: Value| {
            let token = token.clone();
            async move {
                let reply = app.query(Some(&token), EVENTS, vars).await;
                read_page(&reply.data()["events"], "id")
            }
        }
    };
    let ids = walk(1, json!({}), fetch(super_token(&app))).await;
    assert_eq!(ids, ["11", "20", "10"]);
    let ids = walk(1, json!({}), fetch(app.token(ORG_ADMIN.0, ORG_ADMIN.1))).await;
    assert_eq!(ids, ["11", "10"]);
    let ids = walk(2, json!({}), fetch(super_token(&app))).await;
    assert_eq!(ids, ["11", "20", "10"]);

    // After the last event: an empty page that knows there was one before it.
    let last = fetch(super_token(&app))(json!({ "first": 2 })).await;
    let last = fetch(super_token(&app))(json!({ "first": 2, "after": last.end_cursor })).await;
    assert_eq!(last.ids, ["10"]);
    let beyond = fetch(super_token(&app))(json!({ "first": 2, "after": last.end_cursor })).await;
    assert!(beyond.ids.is_empty());
    assert!(beyond.has_previous && !beyond.has_next);
    assert_eq!(beyond.total, 3);
    assert_eq!((beyond.start_cursor, beyond.end_cursor), (None, None));

    for first in [101, -1] {
        let reply = run(&app, EVENTS, json!({ "first": first })).await;
        assert_bad_request(
            &reply,
            "events",
            &["`first`", "100"],
            &format!("first {first}"),
        );
    }
    let reply = run(&app, EVENTS, json!({ "after": "garbage" })).await;
    assert_bad_request(&reply, "events", &["`after`"], "garbage after");
}

#[tokio::test]
async fn cursors_with_times_no_database_can_hold_are_bad_requests() {
    let app = spawn_with_fixture().await;
    let token = app.token(SUPER.0, SUPER.1);
    let time_cursor = URL_SAFE_NO_PAD.encode(r#"{"t":"0000-01-01T00:00:00Z","i":1}"#);
    let registrant_cursor = URL_SAFE_NO_PAD
        .encode(r#"{"o":"RegistrationDateAsc","k":{"d":"0000-01-01T00:00:00Z"},"i":1}"#);
    for (query, after) in [
        (
            "query($after: String) { events(after: $after) { totalCount } }",
            &time_cursor,
        ),
        (
            "query($after: String) { event(id: \"10\") { sessions(after: $after) { totalCount } } }",
            &time_cursor,
        ),
        (
            "query($after: String) { session(id: \"100\") { registeredHolderUsers(after: $after) { totalCount } } }",
            &registrant_cursor,
        ),
    ] {
        let reply = app
            .query(Some(&token), query, json!({ "after": after }))
            .await;
        assert_eq!(reply.error_code(), "BAD_REQUEST", "{query}: {}", reply.body);
    }
}

/// `nodes` of a registrant page are built in one pass (`graphql::rows`), an edge's `node`
/// by async-graphql's resolvers: both must give the same objects, keys in selection order,
/// whatever the selection holds (aliases, a key selected twice, named and inline
/// fragments, `@skip`/`@include`, `__typename`).
#[tokio::test]
async fn a_page_s_nodes_are_answered_exactly_as_its_edges_nodes() {
    use async_graphql::indexmap::IndexMap;
    type Object = IndexMap<String, Value>;
    #[derive(serde::Deserialize)]
    struct Edge {
        node: Object,
    }
    const QUERY: &str = r#"
      query($id: ID!, $yes: Boolean!, $no: Boolean!) {
        session(id: $id) {
          registeredHolderUsers(first: 500) {
            nodes { ...Registrant }
            edges { node { ...Registrant } }
          }
        }
      }
      fragment Registrant on RegisteredHolderUser {
        __typename ticket: eventTicketId userId firstName lastName ...Contact
        phoneNumber @skip(if: $yes) registrationDate watchTimeSeconds
        ... on RegisteredHolderUser { engagement phoneNumber @include(if: $yes) }
        ... @include(if: $yes) { userId again: eventTicketId }
        ... @include(if: $no) { skipped: email }
        email
      }
      fragment Contact on RegisteredHolderUser { email attended registrationType }"#;
    let (app, regs) = spawn_with_extra_registrants().await;
    let vars = json!({ "id": FULL_SESSION.to_string(), "yes": true, "no": false });
    let reply = run(&app, QUERY, vars.clone()).await;
    assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    // The raw body again, read into maps that keep the order of the keys.
    let raw = app.post_text(Some(&super_token(&app)), QUERY, vars).await;
    let value: Value = serde_json::from_str(&raw).expect("JSON");
    assert_eq!(value, reply.body, "the same answer twice");
    #[derive(serde::Deserialize)]
    struct Connection {
        nodes: Vec<Object>,
        edges: Vec<Edge>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Session {
        registered_holder_users: Connection,
    }
    #[derive(serde::Deserialize)]
    struct Data {
        session: Session,
    }
    #[derive(serde::Deserialize)]
    struct Body {
        data: Data,
    }
    let body: Body = serde_json::from_str(&raw).expect("nodes and edges");
    let ordered = body.data.session.registered_holder_users;
    assert_eq!(ordered.nodes.len(), regs.len());
    assert_eq!(ordered.edges.len(), regs.len());
    let keys = [
        "__typename",
        "ticket",
        "userId",
        "firstName",
        "lastName",
        "email",
        "attended",
        "registrationType",
        "registrationDate",
        "watchTimeSeconds",
        "engagement",
        "phoneNumber",
        "again",
    ];
    for (node, edge) in ordered.nodes.iter().zip(&ordered.edges) {
        let pairs = |object: &Object| {
            object
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(pairs(node), pairs(&edge.node), "nodes and edges agree");
        assert_eq!(node.keys().map(String::as_str).collect::<Vec<_>>(), keys);
        assert_eq!(node["__typename"], "RegisteredHolderUser");
        assert_eq!(node["again"], node["ticket"]);
    }
    // The values themselves, for the first registrant (the fixture's session has a
    // one-hour video: 1,800 seconds watched is 50 %).
    let first = &ordered.nodes[0];
    let alice = regs
        .iter()
        .min_by_key(|r| (r.at, r.id))
        .expect("registrants");
    assert_eq!(first["ticket"], alice.ticket.to_string());
    assert_eq!(first["userId"], alice.user.to_string());
    assert_eq!(first["firstName"], json!(alice.first));
    assert_eq!(first["lastName"], json!(alice.last));
    assert_eq!(first["email"], alice.email);
    assert_eq!(first["attended"], alice.attended);
    assert_eq!(first["watchTimeSeconds"], alice.watch);
    assert_eq!(
        first["engagement"],
        json!(f64::from(alice.watch) * 100.0 / 3600.0)
    );
    assert_eq!(first["registrationType"], "REGISTERED");
    assert!(first["phoneNumber"].is_null() || first["phoneNumber"].is_string());
    assert!(
        ordered.nodes.iter().any(|n| n["engagement"] != json!(0.0)),
        "some engagement to compare"
    );
}
