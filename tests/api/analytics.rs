//! The read side of the activity analytics: `Session.videoAnalytics`,
//! `Session.attendanceTimeline`, `Event.analytics` and `Event.sessions(orderBy)`.
//!
//! The derived tables are filled here with SQL, so each figure the API reports can be
//! checked against a row the test wrote; how activity becomes those rows is tested in
//! `ingest`.

use std::cmp::Ordering;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use session_analytics::entity::{enums::Role, session};

use crate::{fixture::*, helpers::TestApp};

/// A `session_video_stats` row, by column name; the columns not named stay 0 (NULL for
/// `peak_at`).
async fn video_row(db: &DatabaseConnection, session_id: i64, figures: &[(&str, i64)]) {
    let columns: Vec<&str> = figures.iter().map(|(c, _)| *c).collect();
    let values: Vec<String> = figures.iter().map(|(_, v)| v.to_string()).collect();
    let sql = format!(
        "INSERT INTO session_video_stats (session_id, {}) VALUES ({session_id}, {})",
        columns.join(", "),
        values.join(", ")
    );
    db.execute_unprepared(&sql).await.expect(&sql);
}

/// A slot's or bucket's live viewers, recording viewers, joins and leaves.
type Figures = (i64, i64, i64, i64);

/// A `session_timeline` row for the 10-second slot that starts at `at`.
async fn slot(
    db: &DatabaseConnection,
    session_id: i64,
    at: DateTime<Utc>,
    (live, recording, joins, leaves): Figures,
) {
    let slot = at.timestamp().div_euclid(10);
    let sql = format!(
        "INSERT INTO session_timeline (session_id, slot, live_viewers, recording_viewers, joins, leaves) \
         VALUES ({session_id}, {slot}, {live}, {recording}, {joins}, {leaves})"
    );
    db.execute_unprepared(&sql).await.expect(&sql);
}

/// Sets the registration counters the triggers keep (the tests only read them).
async fn stats(db: &DatabaseConnection, session_id: i64, registered: i64, attendees: i64) {
    let sql = format!(
        "UPDATE session_stats SET registered = {registered}, attendees = {attendees} \
         WHERE session_id = {session_id}"
    );
    db.execute_unprepared(&sql).await.expect(&sql);
}

fn super_token(app: &TestApp) -> String {
    app.token(SUPER.0, SUPER.1)
}

const VIDEO_FIELDS: &str = "liveViews recordingViews liveViewers recordingViewers \
    uniqueLiveViewers uniqueRecordingViewers liveWatchSeconds recordingWatchSeconds \
    totalWatchSeconds averageLiveWatchSeconds averageRecordingWatchSeconds chatMessages \
    questions pollVotes checkIns joins leaves peakConcurrentViewers peakConcurrentAt";

async fn video_analytics(app: &TestApp, session_id: i64) -> Value {
    let query =
        format!("query($id: ID!) {{ session(id: $id) {{ videoAnalytics {{ {VIDEO_FIELDS} }} }} }}");
    let reply = app
        .query(
            Some(&super_token(app)),
            &query,
            json!({ "id": session_id.to_string() }),
        )
        .await;
    reply.data()["session"]["videoAnalytics"].clone()
}

#[tokio::test]
async fn a_session_without_activity_has_all_zero_video_analytics() {
    let app = spawn_with_fixture().await;
    assert_eq!(
        video_analytics(&app, BARE_SESSION).await,
        json!({
            "liveViews": 0, "recordingViews": 0, "liveViewers": 0, "recordingViewers": 0,
            "uniqueLiveViewers": 0, "uniqueRecordingViewers": 0,
            "liveWatchSeconds": 0.0, "recordingWatchSeconds": 0.0, "totalWatchSeconds": 0.0,
            "averageLiveWatchSeconds": 0, "averageRecordingWatchSeconds": 0,
            "chatMessages": 0, "questions": 0, "pollVotes": 0, "checkIns": 0,
            "joins": 0, "leaves": 0, "peakConcurrentViewers": 0, "peakConcurrentAt": null
        })
    );
}

#[tokio::test]
async fn video_analytics_report_the_derived_figures_of_the_session() {
    let app = spawn_with_fixture().await;
    let peak = t(1, 10) + Duration::seconds(620);
    video_row(
        &app.db,
        FULL_SESSION,
        &[
            ("live_views", 7),
            ("recording_views", 3),
            ("live_viewers", 6),
            ("recording_viewers", 4),
            ("unique_live_viewers", 5),
            ("unique_recording_viewers", 2),
            // More than Int holds: the sums are Floats, exact.
            ("live_seconds", 3_000_000_005),
            ("recording_seconds", 1_001),
            ("joins", 9),
            ("leaves", 8),
            ("check_ins", 11),
            ("chat_messages", 12),
            ("questions", 13),
            ("poll_votes", 14),
            ("peak_concurrent_viewers", 4),
            ("peak_at", peak.timestamp()),
        ],
    )
    .await;
    // Another session's row does not leak into this one.
    video_row(&app.db, BARE_SESSION, &[("live_views", 99)]).await;
    assert_eq!(
        video_analytics(&app, FULL_SESSION).await,
        json!({
            "liveViews": 7, "recordingViews": 3, "liveViewers": 6, "recordingViewers": 4,
            "uniqueLiveViewers": 5, "uniqueRecordingViewers": 2,
            "liveWatchSeconds": 3_000_000_005.0, "recordingWatchSeconds": 1_001.0,
            "totalWatchSeconds": 3_000_001_006.0,
            // Seconds per viewer, rounded down: 3,000,000,005 / 6 and 1,001 / 4.
            "averageLiveWatchSeconds": 500_000_000, "averageRecordingWatchSeconds": 250,
            "chatMessages": 12, "questions": 13, "pollVotes": 14, "checkIns": 11,
            "joins": 9, "leaves": 8, "peakConcurrentViewers": 4,
            "peakConcurrentAt": "2026-12-01T10:10:20Z"
        })
    );
}

const TIMELINE: &str = r#"query($id: ID!, $bucket: TimelineBucket) {
  session(id: $id) {
    attendanceTimeline(bucket: $bucket) { startTime peakLiveViewers peakRecordingViewers joins leaves }
  }
}"#;

async fn timeline(app: &TestApp, session_id: i64, bucket: Option<&str>) -> Vec<Value> {
    let reply = app
        .query(
            Some(&super_token(app)),
            TIMELINE,
            json!({ "id": session_id.to_string(), "bucket": bucket }),
        )
        .await;
    reply.data()["session"]["attendanceTimeline"]
        .as_array()
        .expect("a list")
        .clone()
}

fn bucket(start: DateTime<Utc>, figures: Figures) -> Value {
    json!({
        "startTime": start.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "peakLiveViewers": figures.0,
        "peakRecordingViewers": figures.1,
        "joins": figures.2,
        "leaves": figures.3,
    })
}

/// Fills the keynote's timeline (10:00 to 11:00): slots in its first two minutes, one at
/// 10:15, one in its last slot, and one slot on each side outside the session.
async fn keynote_timeline(db: &DatabaseConnection) {
    let start = t(1, 10);
    let s = |seconds: i64| start + Duration::seconds(seconds);
    slot(db, FULL_SESSION, s(-10), (99, 99, 99, 99)).await; // before the start
    slot(db, FULL_SESSION, s(0), (3, 0, 2, 0)).await;
    slot(db, FULL_SESSION, s(50), (5, 1, 0, 1)).await;
    slot(db, FULL_SESSION, s(60), (4, 0, 1, 0)).await;
    slot(db, FULL_SESSION, s(900), (7, 2, 0, 0)).await;
    slot(db, FULL_SESSION, s(3590), (1, 0, 0, 3)).await; // the last slot
    slot(db, FULL_SESSION, s(3600), (88, 88, 88, 88)).await; // at the end: after it
    // The same slots of another session stay out.
    slot(db, BARE_SESSION, s(0), (50, 50, 50, 50)).await;
}

/// Every bucket of `count`, zero but for `filled` (bucket index, figures).
fn expected(
    start: DateTime<Utc>,
    seconds: i64,
    count: i64,
    filled: &[(i64, Figures)],
) -> Vec<Value> {
    (0..count)
        .map(|i| {
            let figures = filled
                .iter()
                .find(|(at, _)| *at == i)
                .map(|(_, f)| *f)
                .unwrap_or_default();
            bucket(start + Duration::seconds(i * seconds), figures)
        })
        .collect()
}

#[tokio::test]
async fn the_timeline_has_every_bucket_with_peaks_and_summed_joins_and_leaves() {
    let app = spawn_with_fixture().await;
    keynote_timeline(&app.db).await;
    let start = t(1, 10);

    // Minutes: the first minute's peak is its higher slot (5 of 3 and 5), its joins and
    // leaves the sums of its slots.
    assert_eq!(
        timeline(&app, FULL_SESSION, Some("MINUTE")).await,
        expected(
            start,
            60,
            60,
            &[
                (0, (5, 1, 2, 1)),
                (1, (4, 0, 1, 0)),
                (15, (7, 2, 0, 0)),
                (59, (1, 0, 0, 3)),
            ]
        )
    );
    // Five minutes, the default.
    let five = expected(
        start,
        300,
        12,
        &[(0, (5, 1, 3, 1)), (3, (7, 2, 0, 0)), (11, (1, 0, 0, 3))],
    );
    assert_eq!(
        timeline(&app, FULL_SESSION, Some("FIVE_MINUTES")).await,
        five
    );
    assert_eq!(timeline(&app, FULL_SESSION, None).await, five);
    assert_eq!(
        timeline(&app, FULL_SESSION, Some("FIFTEEN_MINUTES")).await,
        expected(
            start,
            900,
            4,
            &[(0, (5, 1, 3, 1)), (1, (7, 2, 0, 0)), (3, (1, 0, 0, 3))]
        )
    );
    // A session without activity: every bucket, all zero.
    assert_eq!(
        timeline(&app, SESSION_B, None).await,
        expected(t(10, 10), 300, 12, &[])
    );
}

/// A session of event A from `start` to `end`.
async fn add_session(app: &TestApp, id: i64, start: DateTime<Utc>, end: DateTime<Utc>) {
    let s = session::Model {
        end_time: end,
        ..bare_session(id, EVENT_A, "Long", start)
    };
    insert::<session::Entity, _>(&app.db, &[s]).await;
}

#[tokio::test]
async fn a_session_too_long_for_the_bucket_gets_timeline_too_long_and_a_longer_bucket_answers() {
    let app = spawn_with_fixture().await;
    let start = t(3, 0);
    // 25 hours: 1,500 minutes, 300 five-minute buckets.
    add_session(&app, 150, start, start + Duration::hours(25)).await;
    // Exactly a day by the minute is the most there is.
    add_session(&app, 151, start, start + Duration::hours(24)).await;
    slot(&app.db, 150, start + Duration::hours(24), (2, 0, 1, 0)).await;

    let reply = app
        .query(
            Some(&super_token(&app)),
            TIMELINE,
            json!({ "id": "150", "bucket": "MINUTE" }),
        )
        .await;
    assert_eq!(reply.error_code(), "TIMELINE_TOO_LONG", "{}", reply.body);
    let extensions = &reply.body["errors"][0]["extensions"];
    assert_eq!(extensions["status"], 400);
    assert_eq!(extensions["buckets"], 1_500);
    assert_eq!(extensions["maxBuckets"], 1_440);
    assert_eq!(reply.body["data"]["session"], Value::Null);

    let five = timeline(&app, 150, Some("FIVE_MINUTES")).await;
    assert_eq!(five.len(), 300);
    assert_eq!(five[288], bucket(start + Duration::hours(24), (2, 0, 1, 0)));
    assert_eq!(timeline(&app, 151, Some("MINUTE")).await.len(), 1_440);
}

#[tokio::test]
async fn a_session_starting_within_a_slot_puts_each_slot_in_the_bucket_it_begins_in() {
    let app = spawn_with_fixture().await;
    // 03:00:05 to 03:10:05: the slot 03:00:00 holds the start.
    let start = t(3, 3) + Duration::seconds(5);
    add_session(&app, 152, start, start + Duration::minutes(10)).await;
    let slot_at = |seconds: i64| t(3, 3) + Duration::seconds(seconds);
    slot(&app.db, 152, slot_at(-10), (9, 9, 9, 9)).await; // before the start's slot
    slot(&app.db, 152, slot_at(0), (1, 0, 1, 0)).await; // holds the start: bucket 0
    slot(&app.db, 152, slot_at(300), (2, 0, 1, 0)).await; // begins at 03:05:00, in bucket 0
    slot(&app.db, 152, slot_at(310), (3, 0, 0, 1)).await; // begins at 03:05:10: bucket 1
    slot(&app.db, 152, slot_at(600), (4, 0, 0, 1)).await; // begins before the end
    slot(&app.db, 152, slot_at(610), (9, 9, 9, 9)).await; // begins after it
    assert_eq!(
        timeline(&app, 152, None).await,
        expected(start, 300, 2, &[(0, (2, 0, 2, 0)), (1, (4, 0, 0, 2))])
    );
}

/// One session of the ordering test: its id, title, start, video length and figures.
struct Spec {
    id: i64,
    title: &'static str,
    start: DateTime<Utc>,
    duration: Option<i32>,
    registered: i64,
    attendees: i64,
    /// live views, recording views, live seconds, live viewers; `None`: no video row.
    video: Option<(i64, i64, i64, i64)>,
}

impl Spec {
    fn video(&self) -> (i64, i64, i64, i64) {
        self.video.unwrap_or_default()
    }

    fn average_live(&self) -> i64 {
        let (_, _, seconds, viewers) = self.video();
        if viewers > 0 { seconds / viewers } else { 0 }
    }

    /// This session against `other` in `order`, ties not yet broken.
    fn cmp_in(&self, other: &Self, order: &str) -> Ordering {
        let (by, descending) = order
            .rsplit_once('_')
            .map(|(by, dir)| (by, dir == "DESC"))
            .expect("an order");
        let ordering = match by {
            "START_TIME" => self.start.cmp(&other.start),
            "TITLE" => self.title.to_lowercase().cmp(&other.title.to_lowercase()),
            "REGISTERED_COUNT" => self.registered.cmp(&other.registered),
            "ATTENDEE_COUNT" => self.attendees.cmp(&other.attendees),
            "DURATION" => self
                .duration
                .unwrap_or(-1)
                .cmp(&other.duration.unwrap_or(-1)),
            "AVERAGE_LIVE_WATCH_SECONDS" => self.average_live().cmp(&other.average_live()),
            "LIVE_VIEWS" => self.video().0.cmp(&other.video().0),
            "RECORDING_VIEWS" => self.video().1.cmp(&other.video().1),
            _ => panic!("unknown order {order}"),
        };
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    }
}

const ORDERS: [&str; 16] = [
    "START_TIME_ASC",
    "START_TIME_DESC",
    "TITLE_ASC",
    "TITLE_DESC",
    "REGISTERED_COUNT_ASC",
    "REGISTERED_COUNT_DESC",
    "ATTENDEE_COUNT_ASC",
    "ATTENDEE_COUNT_DESC",
    "DURATION_ASC",
    "DURATION_DESC",
    "AVERAGE_LIVE_WATCH_SECONDS_ASC",
    "AVERAGE_LIVE_WATCH_SECONDS_DESC",
    "LIVE_VIEWS_ASC",
    "LIVE_VIEWS_DESC",
    "RECORDING_VIEWS_ASC",
    "RECORDING_VIEWS_DESC",
];

/// Event B's sessions for the ordering test: ties on every key, sessions without any
/// counter row, titles that differ only in case. Session 110 (the fixture's) is
/// renamed so that every title is lower-case letters, which every collation orders
/// alike.
async fn ordered_sessions(app: &TestApp) -> Vec<Spec> {
    let specs = vec![
        Spec {
            id: SESSION_B,
            title: "zeta",
            start: t(10, 10),
            duration: None,
            registered: 0,
            attendees: 0,
            video: None,
        },
        Spec {
            id: 300,
            title: "alpha",
            start: t(10, 9),
            duration: Some(600),
            registered: 5,
            attendees: 2,
            video: Some((10, 0, 1_000, 10)),
        },
        Spec {
            id: 301,
            title: "Alpha",
            start: t(10, 9),
            duration: None,
            registered: 5,
            attendees: 3,
            video: Some((10, 4, 999, 10)),
        },
        Spec {
            id: 302,
            title: "beta",
            start: t(10, 11),
            duration: Some(600),
            registered: 0,
            attendees: 0,
            video: None,
        },
        Spec {
            id: 303,
            title: "Gamma",
            start: t(10, 8),
            duration: Some(30),
            registered: 9,
            attendees: 2,
            video: Some((3, 4, 300, 3)),
        },
        Spec {
            id: 304,
            title: "delta",
            start: t(10, 12),
            duration: None,
            registered: 1,
            attendees: 1,
            video: Some((0, 1, 0, 0)),
        },
        Spec {
            id: 305,
            title: "beta",
            start: t(10, 11),
            duration: Some(1200),
            registered: 9,
            attendees: 9,
            video: Some((25, 0, 7, 2)),
        },
        Spec {
            id: 306,
            title: "epsilon",
            start: t(10, 10),
            duration: Some(600),
            registered: 0,
            attendees: 0,
            video: Some((3, 4, 301, 3)),
        },
    ];
    app.db
        .execute_unprepared("UPDATE sessions SET title = 'zeta' WHERE id = 110")
        .await
        .expect("rename");
    let rows: Vec<session::Model> = specs
        .iter()
        .filter(|s| s.id != SESSION_B)
        .map(|s| session::Model {
            duration_seconds: s.duration,
            ..bare_session(s.id, EVENT_B, s.title, s.start)
        })
        .collect();
    insert::<session::Entity, _>(&app.db, &rows).await;
    for s in &specs {
        stats(&app.db, s.id, s.registered, s.attendees).await;
        if let Some((live, recording, seconds, viewers)) = s.video {
            video_row(
                &app.db,
                s.id,
                &[
                    ("live_views", live),
                    ("recording_views", recording),
                    ("live_seconds", seconds),
                    ("live_viewers", viewers),
                ],
            )
            .await;
        }
    }
    specs
}

const SESSIONS_PAGE: &str = r#"query($id: ID!, $first: Int, $after: String, $orderBy: SessionOrder) {
  event(id: $id) {
    sessions(first: $first, after: $after, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id duration attendeeCount stats { registeredCount }
        videoAnalytics { liveViews recordingViews averageLiveWatchSeconds }
      }
    }
  }
}"#;

/// Every session of event B in `order`, read `first` at a time; the rows' figures are
/// checked against `specs` on the way.
async fn all_pages(app: &TestApp, specs: &[Spec], order: &str, first: i64) -> Vec<i64> {
    let token = super_token(app);
    let mut ids = Vec::new();
    let mut after = Value::Null;
    for _ in 0..20 {
        let reply = app
            .query(
                Some(&token),
                SESSIONS_PAGE,
                json!({ "id": EVENT_B.to_string(), "first": first, "after": after, "orderBy": order }),
            )
            .await;
        let page = &reply.data()["event"]["sessions"];
        assert_eq!(page["totalCount"], specs.len());
        for node in page["nodes"].as_array().expect("nodes") {
            let id: i64 = node["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .expect("id");
            let spec = specs.iter().find(|s| s.id == id).expect("a known session");
            let (live, recording, _, _) = spec.video();
            assert_eq!(
                node,
                &json!({
                    "id": id.to_string(),
                    "duration": spec.duration,
                    "attendeeCount": spec.attendees,
                    "stats": { "registeredCount": spec.registered },
                    "videoAnalytics": {
                        "liveViews": live,
                        "recordingViews": recording,
                        "averageLiveWatchSeconds": spec.average_live(),
                    },
                }),
                "{order}"
            );
            ids.push(id);
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return ids;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    panic!("{order}: more pages than sessions");
}

#[tokio::test]
async fn every_session_order_pages_through_all_sessions_once_with_ties_broken_by_id() {
    let app = spawn_with_fixture().await;
    let specs = ordered_sessions(&app).await;
    for order in ORDERS {
        let mut expected: Vec<&Spec> = specs.iter().collect();
        expected.sort_by(|a, b| a.cmp_in(b, order).then(a.id.cmp(&b.id)));
        let expected: Vec<i64> = expected.iter().map(|s| s.id).collect();
        // Pages of 3 (three pages, the last one short) and of 2 (every tie split
        // across a page boundary somewhere) both give the whole order.
        assert_eq!(all_pages(&app, &specs, order, 3).await, expected, "{order}");
        assert_eq!(all_pages(&app, &specs, order, 2).await, expected, "{order}");
    }
}

#[tokio::test]
async fn the_default_order_is_by_start_time_and_a_cursor_of_another_order_is_refused() {
    let app = spawn_with_fixture().await;
    let specs = ordered_sessions(&app).await;
    assert_eq!(all_pages(&app, &specs, "START_TIME_ASC", 3).await, {
        let token = super_token(&app);
        let query =
            r#"query($id: ID!) { event(id: $id) { sessions(first: 50) { nodes { id } } } }"#;
        let reply = app
            .query(Some(&token), query, json!({ "id": EVENT_B.to_string() }))
            .await;
        reply.data()["event"]["sessions"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["id"].as_str().and_then(|s| s.parse().ok()).expect("id"))
            .collect::<Vec<i64>>()
    });
    let token = super_token(&app);
    let page = |after: Value, order: &str| json!({ "id": EVENT_B.to_string(), "first": 2, "after": after, "orderBy": order });
    let first = app
        .query(
            Some(&token),
            SESSIONS_PAGE,
            page(Value::Null, "LIVE_VIEWS_DESC"),
        )
        .await;
    let cursor = first.data()["event"]["sessions"]["pageInfo"]["endCursor"].clone();
    for other in ["LIVE_VIEWS_ASC", "RECORDING_VIEWS_DESC", "START_TIME_ASC"] {
        let reply = app
            .query(Some(&token), SESSIONS_PAGE, page(cursor.clone(), other))
            .await;
        assert_eq!(reply.error_code(), "BAD_REQUEST", "{other}: {}", reply.body);
    }
}

#[tokio::test]
async fn event_analytics_sum_the_figures_of_all_the_events_sessions() {
    let app = spawn_with_fixture().await;
    let specs = ordered_sessions(&app).await;
    // Chat, questions, polls, check-ins and recording seconds on two of event B's sessions.
    app.db
        .execute_unprepared(
            "UPDATE session_video_stats SET chat_messages = 2, questions = 3, poll_votes = 4, \
             check_ins = 5, recording_seconds = 2000000000 WHERE session_id IN (300, 305)",
        )
        .await
        .expect("update");
    let query = r#"query($id: ID!) { event(id: $id) { analytics {
      sessionCount registeredCount attendeeCount liveViews recordingViews liveWatchSeconds
      recordingWatchSeconds totalWatchSeconds chatMessages questions pollVotes checkIns } } }"#;
    let token = super_token(&app);
    let reply = app
        .query(Some(&token), query, json!({ "id": EVENT_B.to_string() }))
        .await;
    let sum = |f: &dyn Fn(&Spec) -> i64| specs.iter().map(f).sum::<i64>();
    let live_seconds = sum(&|s| s.video().2);
    assert_eq!(
        reply.data()["event"]["analytics"],
        json!({
            "sessionCount": specs.len(),
            "registeredCount": sum(&|s| s.registered),
            "attendeeCount": sum(&|s| s.attendees),
            "liveViews": sum(&|s| s.video().0),
            "recordingViews": sum(&|s| s.video().1),
            "liveWatchSeconds": live_seconds as f64,
            "recordingWatchSeconds": 4_000_000_000.0,
            "totalWatchSeconds": (live_seconds + 4_000_000_000) as f64,
            "chatMessages": 4, "questions": 6, "pollVotes": 8, "checkIns": 10
        })
    );
    // Event C has a session but no activity: its figures are zero, its counts real.
    let reply = app
        .query(Some(&token), query, json!({ "id": EVENT_C.to_string() }))
        .await;
    assert_eq!(
        reply.data()["event"]["analytics"],
        json!({
            "sessionCount": 1, "registeredCount": 0, "attendeeCount": 0, "liveViews": 0,
            "recordingViews": 0, "liveWatchSeconds": 0.0, "recordingWatchSeconds": 0.0,
            "totalWatchSeconds": 0.0, "chatMessages": 0, "questions": 0, "pollVotes": 0,
            "checkIns": 0
        })
    );
}

const TABLE_WITH_ANALYTICS: &str = r#"query($id: ID!) {
  event(id: $id) {
    analytics { sessionCount liveViews }
    sessions(first: 100, orderBy: LIVE_VIEWS_DESC) {
      nodes {
        id duration attendeeCount stats { registeredCount }
        videoAnalytics { liveViews recordingViews averageLiveWatchSeconds peakConcurrentAt }
        attendanceTimeline(bucket: FIFTEEN_MINUTES) { startTime peakLiveViewers joins }
      }
    }
  }
}"#;

/// Statements of [`TABLE_WITH_ANALYTICS`] as a super admin with `extra` more sessions in
/// event B, each with a video row and a timeline slot.
async fn table_statements(extra: i64) -> u64 {
    let app = spawn_with_fixture().await;
    let mut rows = Vec::new();
    for i in 0..extra {
        rows.push(bare_session(
            1_000 + i,
            EVENT_B,
            &format!("Generated {i}"),
            t(11, 9) + Duration::minutes(i),
        ));
    }
    insert::<session::Entity, _>(&app.db, &rows).await;
    for i in 0..extra {
        let id = 1_000 + i;
        video_row(
            &app.db,
            id,
            &[
                ("live_views", i),
                ("peak_concurrent_viewers", 1),
                ("peak_at", 1_800_000_000),
            ],
        )
        .await;
        slot(&app.db, id, t(11, 9) + Duration::minutes(i), (1, 0, 1, 0)).await;
    }
    let (count, reply) = app
        .count_statements(
            &super_token(&app),
            TABLE_WITH_ANALYTICS,
            json!({ "id": EVENT_B.to_string() }),
        )
        .await;
    let event = &reply.data()["event"];
    let nodes = event["sessions"]["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len() as i64, extra + 1);
    assert_eq!(event["analytics"]["sessionCount"], extra + 1);
    if extra > 0 {
        // The most viewed first; its timeline has the join in its first bucket.
        assert_eq!(nodes[0]["id"], (1_000 + extra - 1).to_string());
        assert_eq!(nodes[0]["videoAnalytics"]["liveViews"], extra - 1);
        assert_eq!(nodes[0]["attendanceTimeline"][0]["joins"], 1);
        assert_eq!(
            nodes[0]["attendanceTimeline"].as_array().map(Vec::len),
            Some(4)
        );
    }
    count
}

/// The event with the viewer (1), event totals (1), session page (1), stats (1), video
/// figures (1), timelines: the sessions' bounds (1) and the buckets (1).
const TABLE_WITH_ANALYTICS_STATEMENTS: u64 = 7;

#[tokio::test]
async fn the_sessions_table_with_video_analytics_and_timelines_costs_the_same_statements_for_1_or_60_rows()
 {
    assert_eq!(table_statements(0).await, TABLE_WITH_ANALYTICS_STATEMENTS);
    assert_eq!(table_statements(60).await, TABLE_WITH_ANALYTICS_STATEMENTS);
}

#[tokio::test]
async fn one_sessions_video_analytics_and_timeline_cost_a_constant_number_of_statements() {
    let app = spawn_with_fixture().await;
    keynote_timeline(&app.db).await;
    video_row(&app.db, FULL_SESSION, &[("live_views", 3)]).await;
    let query = format!(
        "query {{ session(id: \"100\") {{ videoAnalytics {{ {VIDEO_FIELDS} }} \
         minutes: attendanceTimeline(bucket: MINUTE) {{ peakLiveViewers }} \
         attendanceTimeline {{ peakLiveViewers }} }} }}"
    );
    let (count, reply) = app
        .count_statements(&super_token(&app), &query, json!({}))
        .await;
    let session = &reply.data()["session"];
    assert_eq!(session["minutes"].as_array().map(Vec::len), Some(60));
    assert_eq!(
        session["attendanceTimeline"].as_array().map(Vec::len),
        Some(12)
    );
    // The session with its event and the viewer (1), video figures (1), and per
    // bucket size asked for the session's bounds and its buckets (2 x 2).
    assert_eq!(count, 6);
}

#[tokio::test]
async fn a_host_of_another_event_gets_not_event_host_for_every_analytics_field() {
    let app = spawn_with_fixture().await;
    let token = app.token(EVENT_ADMIN.0, EVENT_ADMIN.1); // event A only
    let cases = [
        (
            "videoAnalytics",
            format!("{{ session(id: \"{SESSION_B}\") {{ videoAnalytics {{ liveViews }} }} }}"),
        ),
        (
            "attendanceTimeline",
            format!(
                "{{ session(id: \"{SESSION_B}\") {{ attendanceTimeline {{ peakLiveViewers }} }} }}"
            ),
        ),
        (
            "analytics",
            format!("{{ event(id: \"{EVENT_B}\") {{ analytics {{ liveViews }} }} }}"),
        ),
        (
            "sessions(orderBy)",
            format!(
                "{{ event(id: \"{EVENT_B}\") {{ sessions(orderBy: LIVE_VIEWS_DESC) {{ nodes {{ id }} }} }} }}"
            ),
        ),
    ];
    for (case, query) in cases {
        let reply = app.query(Some(&token), &query, json!({})).await;
        assert_eq!(
            reply.error_code(),
            "NOT_EVENT_HOST",
            "{case}: {}",
            reply.body
        );
    }
    // The same fields on the admin's own event answer.
    let reply = app
        .query(
            Some(&token),
            &format!("{{ event(id: \"{EVENT_A}\") {{ analytics {{ sessionCount }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(reply.data()["event"]["analytics"]["sessionCount"], 2);
    // An attendee may not read analytics at all.
    let attendee = app.token(ATTENDEE.0, Role::Attendee);
    let reply = app
        .query(
            Some(&attendee),
            &format!("{{ session(id: \"{FULL_SESSION}\") {{ videoAnalytics {{ liveViews }} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(reply.error_code(), "FORBIDDEN", "{}", reply.body);
}
