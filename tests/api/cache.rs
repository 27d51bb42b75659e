//! The cross-request cache of speakers, ticket types, sponsors, assets and asset
//! creators: warm requests skip their statements, and any write is seen by the very
//! next request, whoever wrote it.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{
    fixture::{self, EVENT_ADMIN, FULL_SESSION, SUPER},
    helpers::{Scratch, TestApp, spawn_with_config, test_config},
};

const RELATIONS: &str = "query($id: ID!) { session(id: $id) {
    speakers { speakerId title email ticketTypesForSpeaker { id name } }
    sponsors { id name }
    assetList { id fileName createdBy { userId firstName } } } }";

/// The relations the shared cache holds: speakers, their ticket types, sponsors, assets
/// and asset creators, one statement each when cold.
const CACHED_STATEMENTS: u64 = 5;

/// The part of the answer a write changes.
type Part = fn(&Value) -> Value;

async fn spawn(entries: u32) -> TestApp {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let mut config = test_config(scratch.path(), url);
    config.delivery.shared_cache_entries = entries;
    let app = spawn_with_config(config, scratch).await;
    fixture::load(&app.db).await;
    app
}

async fn relations(app: &TestApp, token: &str) -> (u64, Value) {
    let (statements, reply) = app
        .count_statements(token, RELATIONS, json!({ "id": FULL_SESSION.to_string() }))
        .await;
    (statements, reply.data()["session"].clone())
}

#[tokio::test]
async fn a_warm_request_skips_the_cached_relations_and_answers_the_same() {
    let app = spawn(10_000).await;
    let token = app.token(EVENT_ADMIN.0, EVENT_ADMIN.1);
    let (cold, first) = relations(&app, &token).await;
    let (warm, second) = relations(&app, &token).await;
    assert_eq!(warm + CACHED_STATEMENTS, cold, "cold {cold}, warm {warm}");
    assert_eq!(first, second);
    assert!(
        !first["speakers"][0]["ticketTypesForSpeaker"]
            .as_array()
            .expect("list")
            .is_empty()
    );
    assert!(
        first["assetList"][0]["createdBy"]["firstName"].is_string(),
        "{first}"
    );

    // Another viewer shares the cache: only the viewer's own statements run.
    let (other, third) = relations(&app, &app.token(SUPER.0, SUPER.1)).await;
    assert_eq!(third, first);
    assert!(other < cold, "{other} statements");

    let metrics = app.get("/metrics").await.text().await.expect("metrics");
    assert!(
        metrics.contains(r#"shared_cache_lookups_total{kind="speakers",result="hit"} 2"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn turned_off_every_request_loads_everything() {
    let app = spawn(0).await;
    let token = app.token(EVENT_ADMIN.0, EVENT_ADMIN.1);
    let (cold, first) = relations(&app, &token).await;
    let (again, second) = relations(&app, &token).await;
    assert_eq!(cold, again);
    assert_eq!(first, second);
}

#[tokio::test]
async fn every_write_to_a_cached_table_is_seen_by_the_next_request() {
    let app = spawn(10_000).await;
    let token = app.token(EVENT_ADMIN.0, EVENT_ADMIN.1);
    let (cold, _) = relations(&app, &token).await;
    // Each write is made behind the server's back, as the platform or `import` would,
    // and read back at once; the write also empties the cache (a cold count again).
    let writes: [(&str, Part); 6] = [
        (
            "UPDATE speakers SET title = 'Changed title' WHERE id = 50",
            |s| {
                s["speakers"]
                    .as_array()
                    .expect("speakers")
                    .iter()
                    .map(|sp| sp["title"].clone())
                    .collect()
            },
        ),
        (
            "UPDATE users SET email = 'new.mail@test.dev' WHERE id = (SELECT user_id FROM speakers WHERE id = 50)",
            |s| {
                s["speakers"]
                    .as_array()
                    .expect("speakers")
                    .iter()
                    .map(|sp| sp["email"].clone())
                    .collect()
            },
        ),
        (
            "UPDATE ticket_types SET name = 'Renamed' WHERE id = 10",
            |s| s["speakers"][0]["ticketTypesForSpeaker"].clone(),
        ),
        (
            "UPDATE sponsors SET name = 'Renamed sponsor' WHERE id = 61",
            |s| s["sponsors"].clone(),
        ),
        ("DELETE FROM mux_assets WHERE id = 71", |s| {
            s["assetList"].clone()
        }),
        (
            "UPDATE users SET first_name = 'Renamed' WHERE id = 3",
            |s| s["assetList"].clone(),
        ),
    ];
    for (sql, part) in writes {
        let (_, before) = relations(&app, &token).await;
        app.db.execute_unprepared(sql).await.expect(sql);
        let (statements, after) = relations(&app, &token).await;
        assert_ne!(
            part(&before),
            part(&after),
            "{sql} is seen at once: {after}"
        );
        assert_eq!(statements, cold, "{sql} empties the cache");
    }
    let (_, last) = relations(&app, &token).await;
    assert_eq!(last["speakers"][0]["title"], "Changed title");
    assert_eq!(last["assetList"][0]["createdBy"]["firstName"], "Renamed");
}
