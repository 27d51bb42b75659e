//! The `seed` data sets: exact row counts, the same data on every run, and the refusal
//! to write into a database that already holds data.

use sea_orm::{DatabaseConnection, FromQueryResult, Statement};
use serde_json::json;
use session_analytics::{
    entity::enums::Role,
    progress::Progress,
    seed::{self, Dimensions, NotEmpty, OnExisting, Size},
};

use crate::helpers::spawn_app;

/// Rows per table of the `small` set, written out so a change to the generator that
/// alters them is noticed here.
const SMALL_COUNTS: [(&str, i64); 15] = [
    ("organizers", 2),
    ("events", 2),
    ("users", 4_000),
    ("organizer_admins", 2),
    ("event_admins", 1),
    ("ticket_types", 8),
    ("sessions", 20),
    ("event_tickets", 4_000),
    ("session_registrations", 10_000),
    ("speakers", 40),
    ("speaker_ticket_types", 60),
    ("session_speakers", 200),
    ("sponsors", 20),
    ("session_sponsors", 100),
    ("mux_assets", 40),
];

async fn count(db: &DatabaseConnection, table: &str) -> i64 {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    Count::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .one(db)
        .await
        .expect("count")
        .expect("a row")
        .n
}

async fn seed_small(db: &DatabaseConnection, on_existing: OnExisting) -> anyhow::Result<u64> {
    seed::seed(
        db,
        Size::Small,
        on_existing,
        &Progress::hidden("seed", "rows"),
    )
    .await
}

#[tokio::test]
async fn small_has_exact_row_counts_and_its_big_session() {
    let app = spawn_app().await;
    let rows = seed_small(&app.db, OnExisting::Refuse)
        .await
        .expect("seeding");
    let expected: i64 = SMALL_COUNTS.iter().map(|(_, n)| n).sum();
    assert_eq!(rows as i64, expected);
    assert_eq!(Dimensions::of(Size::Small).rows() as i64, expected);
    for (table, n) in SMALL_COUNTS {
        assert_eq!(count(&app.db, table).await, n, "{table}");
    }

    // Over the API: session 1 holds the big share, session 2 the reference one.
    let token = app.token(1, Role::SuperAdmin);
    let query = "query($id: ID!) { session(id: $id) {
        stats { registeredCount interestedCount attendeeCount }
        registeredHolderUsers(first: 5, orderBy: ENGAGEMENT_DESC) { totalCount edges { node { watchTimeSeconds } } }
    } }";
    for (id, registrants) in [(1, 2_000), (2, 100)] {
        let reply = app.query(Some(&token), query, json!({ "id": id })).await;
        let session = &reply.data()["session"];
        let stats = &session["stats"];
        let (registered, interested, attendees) = (
            stats["registeredCount"].as_i64().expect("registered"),
            stats["interestedCount"].as_i64().expect("interested"),
            stats["attendeeCount"].as_i64().expect("attendees"),
        );
        assert_eq!(registered + interested, registrants, "session {id}");
        assert_eq!(
            session["registeredHolderUsers"]["totalCount"],
            json!(registrants)
        );
        // Realistic shares: some interest only, 30 to 60 % of the registered attend.
        assert!(interested > 0 && interested < registrants / 2, "{stats}");
        let share = attendees as f64 / registered as f64;
        assert!((0.25..=0.65).contains(&share), "session {id}: {stats}");
        let watched: Vec<i64> = session["registeredHolderUsers"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["watchTimeSeconds"].as_i64().expect("seconds"))
            .collect();
        assert!(watched.windows(2).all(|w| w[0] >= w[1]), "{watched:?}");
        assert!(watched[0] > 0);
    }
}

#[derive(Debug, PartialEq, FromQueryResult)]
struct Digest {
    n: i64,
    tickets: i64,
    attended: i64,
    watched: i64,
    interested: i64,
    first: String,
    last: String,
}

/// A fingerprint of the registrations and users that any change of id or value alters.
async fn digest(db: &DatabaseConnection) -> Digest {
    let sql = "SELECT COUNT(*) AS n, \
        CAST(SUM(r.id * 31 + r.event_ticket_id * 7 + r.session_id) AS BIGINT) AS tickets, \
        CAST(SUM(CASE WHEN r.attended THEN r.id ELSE 0 END) AS BIGINT) AS attended, \
        CAST(SUM(r.watch_time_seconds * (r.id % 97)) AS BIGINT) AS watched, \
        CAST(SUM(CASE WHEN r.registration_type = 'INTERESTED' THEN r.id ELSE 0 END) AS BIGINT) AS interested, \
        (SELECT u.email || '|' || COALESCE(u.last_name, '') FROM users u ORDER BY u.id DESC LIMIT 1) AS first, \
        (SELECT CAST(MIN(registered_at) AS TEXT) || '|' || CAST(MAX(registered_at) AS TEXT) FROM session_registrations) AS last \
        FROM session_registrations r";
    Digest::find_by_statement(Statement::from_string(db.get_database_backend(), sql))
        .one(db)
        .await
        .expect("digest")
        .expect("a row")
}

#[tokio::test]
async fn the_same_data_on_every_run() {
    let (a, b) = (spawn_app().await, spawn_app().await);
    seed_small(&a.db, OnExisting::Refuse).await.expect("seed a");
    seed_small(&b.db, OnExisting::Refuse).await.expect("seed b");
    let (da, db) = (digest(&a.db).await, digest(&b.db).await);
    assert_eq!(da.n, 10_000);
    assert!(da.attended > 0 && da.watched > 0 && da.interested > 0);
    assert_eq!(da, db);
}

#[tokio::test]
async fn refuses_a_database_with_data_unless_told_to_replace_it() {
    let app = spawn_app().await;
    seed::seed(
        &app.db,
        Size::Demo,
        OnExisting::Refuse,
        &Progress::hidden("seed", "rows"),
    )
    .await
    .expect("demo");
    let demo_users = count(&app.db, "users").await;
    let error = seed_small(&app.db, OnExisting::Refuse)
        .await
        .expect_err("refused");
    assert!(error.is::<NotEmpty>(), "{error:#}");
    assert_eq!(count(&app.db, "users").await, demo_users, "nothing changed");

    seed_small(&app.db, OnExisting::Replace)
        .await
        .expect("replaced");
    for (table, n) in SMALL_COUNTS {
        assert_eq!(count(&app.db, table).await, n, "{table}");
    }
    assert_eq!(count(&app.db, "session_activities").await, 0);
}
