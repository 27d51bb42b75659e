//! The `seed` data sets: exact row counts, the same data on every run, and the refusal
//! to write into a database that already holds data.

use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement};
use serde_json::json;
use session_analytics::{
    entity::enums::Role,
    progress::Progress,
    seed::{self, Dimensions, NotEmpty, OnExisting, Size},
};

use session_analytics::store::activity;

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
    let base: i64 = SMALL_COUNTS.iter().map(|(_, n)| n).sum();
    let activity: i64 = SMALL_ACTIVITY_COUNTS.iter().map(|(_, n)| n).sum();
    assert_eq!(rows as i64, base + activity);
    assert_eq!(Dimensions::of(Size::Small).rows() as i64, base);
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
    // The demo's activity went with the rest.
    for (table, n) in SMALL_ACTIVITY_COUNTS {
        assert_eq!(count(&app.db, table).await, n, "{table}");
    }
}

/// The derived tables and the registrant rollups, one line per row in key order:
/// `table|col,col,...` (booleans and NULLs as each backend prints them).
async fn derived_rows(db: &DatabaseConnection) -> Vec<String> {
    let tables: [(&str, &[&str], &str); 5] = [
        (
            "session_view_segments",
            &[
                "session_id",
                "user_id",
                "recording",
                "started_at",
                "ended_at",
            ],
            "session_id, user_id, recording, started_at",
        ),
        (
            "session_viewer_stats",
            &[
                "session_id",
                "user_id",
                "live_seconds",
                "recording_seconds",
                "attended",
                "live_views",
                "recording_views",
            ],
            "session_id, user_id",
        ),
        (
            "session_video_stats",
            &[
                "session_id",
                "live_views",
                "recording_views",
                "live_viewers",
                "recording_viewers",
                "unique_live_viewers",
                "unique_recording_viewers",
                "live_seconds",
                "recording_seconds",
                "joins",
                "leaves",
                "check_ins",
                "chat_messages",
                "questions",
                "poll_votes",
                "peak_concurrent_viewers",
                "peak_at",
            ],
            "session_id",
        ),
        (
            "session_timeline",
            &[
                "session_id",
                "slot",
                "live_viewers",
                "recording_viewers",
                "joins",
                "leaves",
            ],
            "session_id, slot",
        ),
        (
            "session_registrations",
            &["id", "attended", "watch_time_seconds"],
            "id",
        ),
    ];
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for (table, columns, key) in tables {
        let line = columns
            .iter()
            .map(|c| format!("COALESCE(CAST({c} AS TEXT), '-')"))
            .collect::<Vec<_>>()
            .join(" || ',' || ");
        let sql = format!("SELECT {line} AS line FROM {table} ORDER BY {key}");
        for row in db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .expect("reads a derived table")
        {
            let line: String = row.try_get("", "line").expect("a line");
            out.push(format!("{table}|{line}"));
        }
    }
    out
}

/// What `small` writes besides its base rows: the log and the tables derived from it.
const SMALL_ACTIVITY_COUNTS: [(&str, i64); 5] = [
    ("session_activities", 156_584),
    ("session_view_segments", 3_167),
    ("session_viewer_stats", 4_239),
    ("session_video_stats", 20),
    ("session_timeline", 18_913),
];

#[tokio::test]
async fn seeded_activity_derives_to_the_seeded_figures() {
    // On SQLite, or on PostgreSQL (COPY) with TEST_DATABASE_URL set.
    let app = spawn_app().await;
    seed_small(&app.db, OnExisting::Refuse)
        .await
        .expect("seeding");
    let mut counts = Vec::new();
    for (table, _) in SMALL_ACTIVITY_COUNTS {
        counts.push((table, count(&app.db, table).await));
    }
    assert_eq!(counts, SMALL_ACTIVITY_COUNTS);
    let seeded = derived_rows(&app.db).await;
    let rederived = activity::rederive(&app.db).await.expect("rederives");
    assert_eq!(rederived.events, 156_584);
    let recomputed = derived_rows(&app.db).await;
    if seeded != recomputed {
        let (a, b): (std::collections::BTreeSet<_>, std::collections::BTreeSet<_>) =
            (seeded.iter().collect(), recomputed.iter().collect());
        let only_seeded: Vec<_> = a.difference(&b).take(10).collect();
        let only_rederived: Vec<_> = b.difference(&a).take(10).collect();
        panic!(
            "seeded and rederived figures differ ({} and {} rows): seeded only {only_seeded:#?}, rederived only {only_rederived:#?}",
            seeded.len(),
            recomputed.len()
        );
    }
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("runs")
        .expect("a row")
        .try_get_by_index::<i64>(0)
        .expect("a number")
}

async fn seed_demo(db: &DatabaseConnection) {
    seed::seed(
        db,
        Size::Demo,
        OnExisting::Refuse,
        &Progress::hidden("seed", "rows"),
    )
    .await
    .expect("demo");
}

#[tokio::test]
async fn the_demo_has_activity_inside_its_sessions_and_figures_to_show() {
    let app = spawn_app().await;
    seed_demo(&app.db).await;
    let events = count(&app.db, "session_activities").await;
    assert!(
        (2_000..=40_000).contains(&events),
        "thousands of events, got {events}"
    );
    assert_eq!(
        count(&app.db, "session_activities WHERE client_event_id IS NULL").await,
        0,
        "every demo event went through the ingestion path"
    );
    // Live events lie in the session's window, the recording's after its end.
    let outside = "session_activities a JOIN sessions s ON s.id = a.session_id WHERE \
        (a.kind <> 'RECORDING_HEARTBEAT' AND (a.occurred_at < s.start_time OR a.occurred_at > s.end_time)) \
        OR (a.kind = 'RECORDING_HEARTBEAT' AND a.occurred_at <= s.end_time)";
    assert_eq!(count(&app.db, outside).await, 0);
    // Every session with a video shows live and recording views, a peak and chat;
    // every session without one (in a room only) shows check-ins.
    let with_video = "session_video_stats v JOIN sessions s ON s.id = v.session_id \
        WHERE s.duration_seconds IS NOT NULL AND v.live_views > 0 AND v.recording_views > 0 \
        AND v.peak_concurrent_viewers > 1 AND v.peak_at IS NOT NULL AND v.chat_messages > 0";
    let videos = count(&app.db, "sessions WHERE duration_seconds IS NOT NULL").await;
    assert_eq!(count(&app.db, with_video).await, videos);
    let in_rooms = "session_video_stats v JOIN sessions s ON s.id = v.session_id \
        WHERE s.duration_seconds IS NULL AND v.check_ins > 0";
    let rooms = count(
        &app.db,
        "sessions s WHERE s.duration_seconds IS NULL \
         AND EXISTS (SELECT 1 FROM session_registrations r WHERE r.session_id = s.id AND r.attended)",
    )
    .await;
    assert!(rooms > 0);
    assert_eq!(count(&app.db, in_rooms).await, rooms);
    // The peak is a peak: the keynote's timeline rises to it within the session and
    // falls after it.
    let peak = scalar(
        &app.db,
        "SELECT peak_concurrent_viewers FROM session_video_stats WHERE session_id = 1",
    )
    .await;
    let slot = |which: &str| {
        format!(
            "SELECT live_viewers FROM session_timeline WHERE session_id = 1 AND live_viewers > 0 \
             ORDER BY slot {which} LIMIT 1"
        )
    };
    let (first, last) = (
        scalar(&app.db, &slot("ASC")).await,
        scalar(&app.db, &slot("DESC")).await,
    );
    assert!(
        peak > 20 && peak > 2 * first && peak > 2 * last,
        "{first} -> {peak} -> {last}"
    );

    // Ingested batch by batch, the figures are those of the whole log.
    let ingested = derived_rows(&app.db).await;
    activity::rederive(&app.db).await.expect("rederives");
    assert_eq!(ingested, derived_rows(&app.db).await);
}
