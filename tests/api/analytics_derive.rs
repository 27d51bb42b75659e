//! The figures derived from activity (views, watch time, video figures, the timeline), read from their tables after ingesting over HTTP: the 30-second rule, order and retries, import, `rederive`, and concurrency on PostgreSQL.

use futures_util::future::join_all;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use session_analytics::{progress::Progress, startup, store::activity::rederive, transfer};

use crate::{
    cli::{run, stderr, stdout},
    fixture::*,
    helpers::{Scratch, TEST_SECRET, TestApp, require_postgres, spawn_with_config, test_config},
    ingest::{
        ANN, DAVE, INGEST_A, add_ingest_accounts, at, count, event, heartbeat, ingested_rows,
        record, result, spawn,
    },
};

/// More holders of tickets of event A (the keynote's event).
const ALICE: (i64, i64) = (1000, 100);
const BOB: (i64, i64) = (1001, 101);
const CAROL: (i64, i64) = (1002, 102);

/// The keynote's start, in seconds since 1970 (a multiple of 10: slot boundaries).
fn base() -> i64 {
    at(0).timestamp()
}

/// The derived tables (and the registrant figures and counters they feed), one line per
/// row in key order, so two databases can be compared whole.
async fn snapshot(db: &DatabaseConnection) -> Vec<String> {
    let tables: [(&str, &str, &str); 6] = [
        (
            "session_view_segments",
            "session_id, user_id, CASE WHEN recording THEN 1 ELSE 0 END, started_at, ended_at",
            "session_id, user_id, recording, started_at",
        ),
        (
            "session_viewer_stats",
            "session_id, user_id, live_seconds, recording_seconds, \
             CASE WHEN attended THEN 1 ELSE 0 END, CAST(live_views AS BIGINT), \
             CAST(recording_views AS BIGINT)",
            "session_id, user_id",
        ),
        (
            "session_video_stats",
            "session_id, live_views, recording_views, live_viewers, recording_viewers, \
             unique_live_viewers, unique_recording_viewers, live_seconds, recording_seconds, \
             joins, leaves, check_ins, chat_messages, questions, poll_votes, \
             peak_concurrent_viewers, COALESCE(peak_at, -1)",
            "session_id",
        ),
        (
            "session_timeline",
            "session_id, slot, live_viewers, recording_viewers, joins, leaves",
            "session_id, slot",
        ),
        (
            "session_registrations",
            "id, CASE WHEN attended THEN 1 ELSE 0 END, CAST(watch_time_seconds AS BIGINT)",
            "id",
        ),
        (
            "session_stats",
            "session_id, attended, attendees",
            "session_id",
        ),
    ];
    let mut lines = Vec::new();
    for (table, columns, order) in tables {
        // Top-level commas only (not the one inside `COALESCE(…)`); every column as a
        // BIGINT, which both backends read the same way.
        let columns: Vec<String> = columns
            .replace("peak_at, -1", "peak_at; -1")
            .split(", ")
            .map(|c| format!("CAST({} AS BIGINT)", c.replace(';', ",")))
            .collect();
        let n = columns.len();
        let sql = format!(
            "SELECT {} FROM {table} ORDER BY {order}",
            columns.join(", ")
        );
        for row in db
            .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("the derived table reads")
        {
            let values: Vec<String> = (0..n)
                .map(|i| {
                    row.try_get_by_index::<i64>(i)
                        .expect("an integer")
                        .to_string()
                })
                .collect();
            lines.push(format!("{table}: {}", values.join(", ")));
        }
    }
    lines
}

/// The rows of `table` only.
fn only<'a>(lines: &'a [String], table: &str) -> Vec<&'a str> {
    lines
        .iter()
        .filter(|l| l.starts_with(&format!("{table}: ")))
        .map(String::as_str)
        .collect()
}

async fn figure(db: &DatabaseConnection, column: &str, table_and_filter: &str) -> i64 {
    count(db, &format!("SELECT {column} FROM {table_and_filter}")).await
}

async fn video(db: &DatabaseConnection, column: &str) -> i64 {
    figure(db, column, "session_video_stats WHERE session_id = 100").await
}

async fn viewer(db: &DatabaseConnection, user: i64, column: &str) -> i64 {
    figure(
        db,
        &format!("CAST({column} AS BIGINT)"),
        &format!("session_viewer_stats WHERE session_id = 100 AND user_id = {user}"),
    )
    .await
}

async fn send(app: &TestApp, events: &[Value]) {
    let reply = record(app, INGEST_A, events).await;
    assert!(
        reply.body["errors"].is_null(),
        "the batch is refused: {}",
        reply.body
    );
}

/// A viewer who joins at 0 and sends heartbeats at 10, 20 and `last`.
fn watched_until(prefix: &str, who: (i64, i64), last: i64) -> Vec<Value> {
    vec![
        event(&format!("{prefix}-join"), "JOIN", who, 0),
        heartbeat(&format!("{prefix}-10"), "LIVE_HEARTBEAT", who, 10),
        heartbeat(&format!("{prefix}-20"), "LIVE_HEARTBEAT", who, 20),
        heartbeat(&format!("{prefix}-last"), "LIVE_HEARTBEAT", who, last),
    ]
}

#[tokio::test]
async fn the_30_second_rule_at_29_30_and_31_seconds() {
    let app = spawn().await;
    let batch = [
        watched_until("d", DAVE, 29),
        watched_until("a", ANN, 30),
        watched_until("l", ALICE, 31),
        // The recording, 30 s: [90, 120].
        vec![
            heartbeat("b-1", "RECORDING_HEARTBEAT", BOB, 100),
            heartbeat("b-2", "RECORDING_HEARTBEAT", BOB, 110),
            heartbeat("b-3", "RECORDING_HEARTBEAT", BOB, 120),
        ],
    ]
    .concat();
    send(&app, &batch).await;
    let db = &app.db;
    for (who, seconds, views) in [(DAVE, 29, 0), (ANN, 30, 1), (ALICE, 31, 1)] {
        assert_eq!(viewer(db, who.1, "live_seconds").await, seconds, "{who:?}");
        assert_eq!(viewer(db, who.1, "live_views").await, views, "{who:?}");
    }
    assert_eq!(viewer(db, BOB.1, "recording_views").await, 1);
    assert_eq!(video(db, "live_views").await, 2);
    assert_eq!(video(db, "live_viewers").await, 3);
    assert_eq!(video(db, "unique_live_viewers").await, 2);
    assert_eq!(video(db, "live_seconds").await, 29 + 30 + 31);
    assert_eq!(video(db, "recording_views").await, 1);
    assert_eq!(video(db, "unique_recording_viewers").await, 1);
    assert_eq!(video(db, "recording_seconds").await, 30);
    assert_eq!(video(db, "joins").await, 3);

    // The last 29 s view reaches 30 s later, when a heartbeat arrives for its start.
    let mut early = heartbeat("d-early", "LIVE_HEARTBEAT", DAVE, -1);
    early["positionSeconds"] = json!(0);
    send(&app, &[early]).await;
    assert_eq!(viewer(db, DAVE.1, "live_seconds").await, 40);
    assert_eq!(video(db, "live_views").await, 3);
    assert_eq!(video(db, "unique_live_viewers").await, 3);
}

#[tokio::test]
async fn a_video_shorter_than_30_seconds_counts_a_view_of_all_of_it() {
    let app = spawn().await;
    app.db
        .execute_unprepared("UPDATE sessions SET duration_seconds = 20 WHERE id = 100")
        .await
        .expect("the video is 20 s long");
    let batch = [
        // 19 s: not the whole video.
        vec![
            event("d-join", "JOIN", DAVE, 0),
            heartbeat("d-10", "LIVE_HEARTBEAT", DAVE, 10),
            heartbeat("d-19", "LIVE_HEARTBEAT", DAVE, 19),
        ],
        // 20 s: all of it.
        vec![
            event("a-join", "JOIN", ANN, 0),
            heartbeat("a-10", "LIVE_HEARTBEAT", ANN, 10),
            heartbeat("a-20", "LIVE_HEARTBEAT", ANN, 20),
        ],
        // The recording, 20 s.
        vec![
            heartbeat("l-10", "RECORDING_HEARTBEAT", ALICE, 10),
            heartbeat("l-20", "RECORDING_HEARTBEAT", ALICE, 20),
        ],
    ]
    .concat();
    send(&app, &batch).await;
    let db = &app.db;
    assert_eq!(viewer(db, DAVE.1, "live_views").await, 0);
    assert_eq!(viewer(db, ANN.1, "live_views").await, 1);
    assert_eq!(viewer(db, ALICE.1, "recording_views").await, 1);
    assert_eq!(video(db, "live_views").await, 1);
    assert_eq!(video(db, "recording_views").await, 1);
}

#[tokio::test]
async fn a_gap_of_60_seconds_continues_a_view_and_61_starts_another() {
    let app = spawn().await;
    send(
        &app,
        &[
            heartbeat("d-1", "LIVE_HEARTBEAT", DAVE, 10),
            // [70, 80]: 60 s after [0, 10].
            heartbeat("d-2", "LIVE_HEARTBEAT", DAVE, 80),
            heartbeat("a-1", "LIVE_HEARTBEAT", ANN, 10),
            // [71, 81]: 61 s after.
            heartbeat("a-2", "LIVE_HEARTBEAT", ANN, 81),
        ],
    )
    .await;
    let db = &app.db;
    let views = |user: i64| {
        format!("COUNT(*) FROM session_view_segments WHERE session_id = 100 AND user_id = {user}")
    };
    assert_eq!(count(db, &format!("SELECT {}", views(DAVE.1))).await, 1);
    assert_eq!(viewer(db, DAVE.1, "live_seconds").await, 80);
    assert_eq!(viewer(db, DAVE.1, "live_views").await, 1);
    assert_eq!(count(db, &format!("SELECT {}", views(ANN.1))).await, 2);
    assert_eq!(viewer(db, ANN.1, "live_seconds").await, 20);
    assert_eq!(viewer(db, ANN.1, "live_views").await, 0);
    // The registrants' watch time is the span of their views.
    let watch = |ticket: i64| {
        format!(
            "SELECT CAST(watch_time_seconds AS BIGINT) FROM session_registrations \
             WHERE session_id = 100 AND event_ticket_id = {ticket}"
        )
    };
    assert_eq!(count(db, &watch(DAVE.0)).await, 80);
    assert_eq!(count(db, &watch(ANN.0)).await, 20);
}

#[tokio::test]
async fn counts_the_timeline_and_the_peak() {
    let app = spawn().await;
    send(
        &app,
        &[
            event("d-join", "JOIN", DAVE, 0),
            heartbeat("d-1", "LIVE_HEARTBEAT", DAVE, 10),
            heartbeat("d-2", "LIVE_HEARTBEAT", DAVE, 20),
            event("d-leave", "LEAVE", DAVE, 21),
            heartbeat("a-1", "LIVE_HEARTBEAT", ANN, 20),
            heartbeat("a-2", "LIVE_HEARTBEAT", ANN, 30),
            heartbeat("l-1", "RECORDING_HEARTBEAT", ALICE, 500),
            event("c-1", "CHAT_MESSAGE", ANN, 25),
            event("c-2", "CHAT_MESSAGE", DAVE, 26),
            event("q-1", "QUESTION", ANN, 27),
            event("p-1", "POLL_VOTE", BOB, 28),
            event("i-1", "CHECK_IN", CAROL, 29),
        ],
    )
    .await;
    let db = &app.db;
    let b = base() / 10;
    let timeline = only(&snapshot(db).await, "session_timeline")
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    // Dave [0, 21] covers slots 0-2, Ann [10, 30] slots 1-3, Alice's recording
    // [490, 500] slots 49-50; Dave joined in slot 0 and left in slot 2.
    let expected: Vec<String> = [
        (0, 1, 0, 1, 0),
        (1, 2, 0, 0, 0),
        (2, 2, 0, 0, 1),
        (3, 1, 0, 0, 0),
        (49, 0, 1, 0, 0),
        (50, 0, 1, 0, 0),
    ]
    .iter()
    .map(|(slot, live, rec, joins, leaves)| {
        format!(
            "session_timeline: 100, {}, {live}, {rec}, {joins}, {leaves}",
            b + slot
        )
    })
    .collect();
    assert_eq!(timeline, expected);
    assert_eq!(video(db, "peak_concurrent_viewers").await, 2);
    assert_eq!(video(db, "peak_at").await, base() + 10);
    for (column, n) in [
        ("joins", 1),
        ("leaves", 1),
        ("chat_messages", 2),
        ("questions", 1),
        ("poll_votes", 1),
        ("check_ins", 1),
    ] {
        assert_eq!(video(db, column).await, n, "{column}");
    }
    // A heartbeat that ties the peak in an earlier slot moves it there; one that
    // raises it moves it to where it is reached; a later tie leaves it.
    send(&app, &[heartbeat("b-1", "LIVE_HEARTBEAT", BOB, 5)]).await;
    assert_eq!(video(db, "peak_concurrent_viewers").await, 2);
    assert_eq!(video(db, "peak_at").await, base());
    send(&app, &[heartbeat("l-2", "LIVE_HEARTBEAT", ALICE, 30)]).await;
    assert_eq!(video(db, "peak_concurrent_viewers").await, 3);
    assert_eq!(video(db, "peak_at").await, base() + 20);
    send(&app, &[heartbeat("c-3", "LIVE_HEARTBEAT", CAROL, 40)]).await;
    assert_eq!(video(db, "peak_concurrent_viewers").await, 3);
    assert_eq!(video(db, "peak_at").await, base() + 20);
    let done = rederive(db).await.expect("rederives");
    assert_eq!(done.sessions, 1);
    assert_eq!(video(db, "peak_at").await, base() + 20);
}

/// Five viewers' morning in the keynote, with pauses on both sides of the 60-second
/// gap, chat, and the recording later: `(seconds after the start, event)`.
fn morning(prefix: &str) -> Vec<(i64, Value)> {
    let mut state: u64 = 0x5eed;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let mut events = Vec::new();
    let mut n = 0;
    let mut id = |kind: &str| {
        n += 1;
        format!("{prefix}-{kind}-{n}")
    };
    for (v, who) in [DAVE, ANN, ALICE, BOB, CAROL].into_iter().enumerate() {
        let mut t = v as i64 * 17;
        events.push((t, event(&id("join"), "JOIN", who, t)));
        for _ in 0..40 {
            t += [10, 10, 10, 7, 13, 59, 60, 61, 75][next(9) as usize];
            events.push((t, heartbeat(&id("live"), "LIVE_HEARTBEAT", who, t)));
            match next(12) {
                0 => events.push((t, event(&id("chat"), "CHAT_MESSAGE", who, t + 1))),
                1 => events.push((t, event(&id("question"), "QUESTION", who, t + 2))),
                2 => events.push((t, event(&id("leave"), "LEAVE", who, t + 3))),
                3 => events.push((t, event(&id("join"), "JOIN", who, t + 4))),
                _ => {}
            }
        }
        events.push((t + 5, event(&id("leave"), "LEAVE", who, t + 5)));
        let mut r = 4000 + v as i64 * 100;
        for _ in 0..15 {
            r += [10, 10, 20, 61, 3][next(5) as usize];
            events.push((r, heartbeat(&id("rec"), "RECORDING_HEARTBEAT", who, r)));
        }
    }
    events.sort_by_key(|(t, _)| *t);
    events
}

/// `events` in a pseudo-random order.
fn shuffled(mut events: Vec<Value>, seed: u64) -> Vec<Value> {
    let mut state = seed | 1;
    for i in (1..events.len()).rev() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        events.swap(i, (state >> 33) as usize % (i + 1));
    }
    events
}

#[tokio::test]
async fn late_and_reordered_events_give_the_same_figures_as_in_order_and_as_rederive() {
    let events: Vec<Value> = morning("m").into_iter().map(|(_, e)| e).collect();
    assert!(events.len() > 250, "{}", events.len());

    let in_order = spawn().await;
    for batch in events.chunks(100) {
        send(&in_order, batch).await;
    }
    let expected = snapshot(&in_order.db).await;
    assert!(only(&expected, "session_view_segments").len() > 5);
    assert_eq!(only(&expected, "session_video_stats").len(), 1);

    // The same events shuffled, in small batches, some sent twice (retries).
    let late = spawn().await;
    let mixed = shuffled(events.clone(), 42);
    for (i, batch) in mixed.chunks(37).enumerate() {
        send(&late, batch).await;
        if i % 3 == 0 {
            send(&late, batch).await;
        }
    }
    assert_eq!(snapshot(&late.db).await, expected);
    assert_eq!(
        ingested_rows(&late.db).await,
        i64::try_from(events.len()).expect("a count")
    );

    // A recomputation from the raw log agrees, and changes nothing.
    let done = rederive(&late.db).await.expect("rederives");
    assert_eq!(done.sessions, 1);
    assert_eq!(done.events, events.len() as u64);
    assert_eq!(snapshot(&late.db).await, expected);
}

#[tokio::test]
async fn a_retried_batch_changes_no_derived_figure() {
    let app = spawn().await;
    let events: Vec<Value> = morning("r").into_iter().map(|(_, e)| e).collect();
    let (first, second) = events.split_at(events.len() / 2);
    send(&app, first).await;
    let after_first = snapshot(&app.db).await;
    send(&app, first).await;
    assert_eq!(snapshot(&app.db).await, after_first);
    // A retry that carries new events too: only those count.
    let overlapping = [&first[first.len() - 20..], second].concat();
    send(&app, &overlapping).await;
    let after_all = snapshot(&app.db).await;
    let once = spawn().await;
    send(&once, &events).await;
    assert_eq!(snapshot(&once.db).await, after_all);
}

#[tokio::test]
async fn a_batch_with_one_bad_event_derives_nothing() {
    let app = spawn().await;
    let before = snapshot(&app.db).await;
    let mut events: Vec<Value> = morning("b").into_iter().map(|(_, e)| e).take(50).collect();
    events[30]["sessionId"] = json!("999999");
    let reply = record(&app, INGEST_A, &events).await;
    assert_eq!(reply.error_code(), "BAD_REQUEST", "{}", reply.body);
    assert_eq!(snapshot(&app.db).await, before);
    assert_eq!(ingested_rows(&app.db).await, 0);
}

#[tokio::test]
async fn rederive_restores_every_derived_table_from_the_log() {
    let app = spawn().await;
    let events: Vec<Value> = morning("x").into_iter().map(|(_, e)| e).collect();
    send(&app, &events).await;
    let expected = snapshot(&app.db).await;
    // Derived rows lost or wrong, and a session with derived rows but no activity.
    for sql in [
        "DELETE FROM session_timeline WHERE slot % 2 = 0",
        "UPDATE session_video_stats SET live_views = 999",
        "DELETE FROM session_view_segments WHERE user_id = 103",
        "UPDATE session_viewer_stats SET live_seconds = 1 WHERE user_id = 4",
        "INSERT INTO session_video_stats (session_id, live_views) VALUES (101, 5)",
        "INSERT INTO session_timeline (session_id, slot, live_viewers) VALUES (101, 1, 1)",
    ] {
        app.db.execute_unprepared(sql).await.expect(sql);
    }
    assert_ne!(snapshot(&app.db).await, expected);
    rederive(&app.db).await.expect("rederives");
    assert_eq!(snapshot(&app.db).await, expected);
}

#[tokio::test]
async fn the_rederive_command_recomputes_the_figures() {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let app = spawn_with_config(test_config(scratch.path(), url.clone()), scratch).await;
    load(&app.db).await;
    add_ingest_accounts(&app.db).await;
    let events: Vec<Value> = morning("c").into_iter().map(|(_, e)| e).collect();
    send(&app, &events).await;
    let expected = snapshot(&app.db).await;
    app.db
        .execute_unprepared("DELETE FROM session_video_stats")
        .await
        .expect("deletes");
    let env = [("DATABASE_URL", url.as_str()), ("JWT_SECRET", TEST_SECRET)];
    let out = run(&["rederive"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "rederived 1 session(s) from {} logged event(s)",
            events.len()
        )),
        "{}",
        stdout(&out)
    );
    assert_eq!(snapshot(&app.db).await, expected);
}

/// Exports `db` whole.
async fn export(db: &DatabaseConnection) -> String {
    let mut out = Vec::new();
    transfer::export(db, &mut out, &Progress::hidden("export", "records"), None)
        .await
        .expect("exports");
    String::from_utf8(out).expect("UTF-8")
}

async fn import(db: &DatabaseConnection, file: &str) {
    transfer::import(db, file.as_bytes(), &Progress::hidden("import", "records"))
        .await
        .expect("imports");
}

#[tokio::test]
async fn imported_activity_gives_the_same_figures_as_ingested_also_on_top_of_ingested() {
    let events: Vec<Value> = morning("i").into_iter().map(|(_, e)| e).collect();
    let (early, late) = events.split_at(events.len() / 2);

    // Everything ingested in one place: what the figures must be.
    let all = spawn().await;
    send(&all, &events).await;
    let expected = snapshot(&all.db).await;

    // The early half ingested elsewhere and exported, the late half ingested here,
    // then the export imported on top: the sessions it touches are derived from their
    // whole log.
    let elsewhere = spawn().await;
    send(&elsewhere, early).await;
    // Its log rows' ids would overwrite this database's own (import upserts by id):
    // moved out of their way.
    let file: String = export(&elsewhere.db)
        .await
        .lines()
        .map(|line| {
            let mut record: Value = serde_json::from_str(line).expect("JSON");
            if record["type"] == "session_activity" && !record["client_event_id"].is_null() {
                let id = record["id"].as_i64().expect("an id");
                record["id"] = json!(id + 1_000_000);
            }
            format!("{record}\n")
        })
        .collect();
    let here = spawn().await;
    send(&here, late).await;
    import(&here.db, &file).await;
    assert_eq!(ingested_rows(&here.db).await, events.len() as i64);
    // The registrants' stored figures came from `elsewhere` with the file: they are
    // derived again from the whole log too.
    assert_eq!(snapshot(&here.db).await, expected);

    // And into an empty database, the export of `all` gives the same figures.
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let target = startup::open(&test_config(scratch.path(), url))
        .await
        .expect("opens")
        .0;
    import(&target, &export(&all.db).await).await;
    assert_eq!(snapshot(&target).await, expected);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: two server instances on one database"]
async fn concurrent_overlapping_batches_for_the_same_viewers_give_the_rederived_figures() {
    require_postgres();
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let config = test_config(scratch.path(), url);
    let first = spawn_with_config(config.clone(), scratch).await;
    let second = spawn_with_config(config, Scratch::new()).await;
    load(&first.db).await;
    add_ingest_accounts(&first.db).await;

    let events: Vec<Value> = morning("p").into_iter().map(|(_, e)| e).collect();
    // Twelve batches over the same five viewers, every event in two of them, in
    // different orders, all sent at once through both instances.
    let mixed = shuffled(events.clone(), 7);
    let size = mixed.len() / 6 + 1;
    let mut batches: Vec<Vec<Value>> = mixed.chunks(size).map(<[Value]>::to_vec).collect();
    let again = shuffled(events.clone(), 99);
    batches.extend(again.chunks(size).map(<[Value]>::to_vec));
    let replies = join_all(batches.iter().enumerate().map(|(i, batch)| {
        let app = if i % 2 == 0 { &first } else { &second };
        record(app, INGEST_A, batch)
    }))
    .await;
    let mut recorded = 0;
    for reply in &replies {
        assert!(reply.body["errors"].is_null(), "{}", reply.body);
        recorded += result(reply).1;
    }
    assert_eq!(recorded, events.len() as i64);
    assert_eq!(ingested_rows(&first.db).await, events.len() as i64);

    let ingested = snapshot(&first.db).await;
    rederive(&first.db).await.expect("rederives");
    assert_eq!(snapshot(&first.db).await, ingested);

    // And what one instance gets in order.
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let calm = spawn_with_config(test_config(scratch.path(), url), scratch).await;
    load(&calm.db).await;
    add_ingest_accounts(&calm.db).await;
    send(&calm, &events).await;
    assert_eq!(snapshot(&calm.db).await, ingested);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: two server instances on one database"]
async fn the_same_batch_twice_at_once_on_one_and_two_instances_counts_once() {
    require_postgres();
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let config = test_config(scratch.path(), url);
    let first = spawn_with_config(config.clone(), scratch).await;
    let second = spawn_with_config(config, Scratch::new()).await;
    load(&first.db).await;
    add_ingest_accounts(&first.db).await;

    let events: Vec<Value> = morning("t").into_iter().map(|(_, e)| e).collect();
    let (a, b) = events.split_at(events.len() / 2);
    // One instance, twice at once.
    let (x, y) = tokio::join!(record(&first, INGEST_A, a), record(&first, INGEST_A, a));
    assert_eq!(
        result(&x).1 + result(&y).1,
        a.len() as i64,
        "{} {}",
        x.body,
        y.body
    );
    // Two instances, twice at once.
    let (x, y) = tokio::join!(record(&first, INGEST_A, b), record(&second, INGEST_A, b));
    assert_eq!(
        result(&x).1 + result(&y).1,
        b.len() as i64,
        "{} {}",
        x.body,
        y.body
    );

    let ingested = snapshot(&first.db).await;
    rederive(&first.db).await.expect("rederives");
    assert_eq!(snapshot(&first.db).await, ingested);
    let once = spawn().await;
    send(&once, &events).await;
    assert_eq!(snapshot(&once.db).await, ingested);
}
