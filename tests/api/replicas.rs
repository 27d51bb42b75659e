//! Read replicas (PostgreSQL, a real streaming replica): queries land on the replica and
//! writes on the primary, a replica that stops answering or lags leaves the rotation and
//! its reads go to the primary, and it comes back.
//!
//! Needs `TEST_DATABASE_URL` (the primary) and `TEST_REPLICA_URL` (a streaming replica
//! of it, e.g. `postgres://postgres@127.0.0.1:5433/test`; `.ci/replica` creates one).
//! The tests run one at a time: pausing the replica's replay affects every database.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use session_analytics::config::Config;

use crate::{
    fixture::{SUPER, load},
    helpers::{Scratch, TestApp, require_postgres, spawn_with_config, test_config},
    proxy::{Proxy, upstream_of},
};

const TITLE: &str = r#"{ session(id: "100") { title } }"#;

/// Longest a replica takes to enter or leave the rotation in these tests.
const PATIENCE: Duration = Duration::from_secs(60);

/// One replica test at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn replica_base() -> String {
    require_postgres();
    std::env::var("TEST_REPLICA_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| {
            panic!(
                "this test needs a streaming replica and TEST_REPLICA_URL is not set: run \
                 .ci/replica, then TEST_REPLICA_URL=postgres://postgres@127.0.0.1:5433/test"
            )
        })
}

/// `primary`'s database on the replica.
fn on_replica(primary: &str, replica_base: &str) -> String {
    let name = primary
        .rsplit('/')
        .next()
        .and_then(|tail| tail.split('?').next())
        .expect("a database name");
    let (prefix, _) = replica_base
        .rsplit_once('/')
        .expect("a database in the URL");
    format!("{prefix}/{name}")
}

async fn spawn(
    replica_url: impl FnOnce(&str) -> String,
    tune: impl FnOnce(&mut Config),
) -> TestApp {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let mut config = test_config(scratch.path(), url.clone());
    config.database_replica_urls = vec![replica_url(&url)];
    config.replica_check_interval_ms = 100;
    tune(&mut config);
    let app = spawn_with_config(config, scratch).await;
    load(&app.db).await;
    app
}

/// The replicas' entries of `/ready`.
async fn replicas(app: &TestApp) -> Vec<Value> {
    let body: Value = app.get("/ready").await.json().await.expect("JSON");
    body["replicas"].as_array().cloned().unwrap_or_default()
}

async fn wait_for_rotation(app: &TestApp, wanted: bool) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let listed = replicas(app).await;
        if listed.first().is_some_and(|r| r["inRotation"] == wanted) {
            return listed[0].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replica never went inRotation={wanted}: {listed:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// (primary statements, replica statements) that `f` ran.
async fn statements<F: std::future::Future<Output = ()>>(app: &TestApp, f: F) -> (u64, u64) {
    let (p, r) = (app.statements.get(), app.replica_statements[0].get());
    f.await;
    (
        app.statements.get() - p,
        app.replica_statements[0].get() - r,
    )
}

async fn title(app: &TestApp) {
    let token = app.token(SUPER.0, SUPER.1);
    let reply = app.query(Some(&token), TITLE, json!({})).await;
    assert!(
        reply.data()["session"]["title"].is_string(),
        "{}",
        reply.body
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL and a streaming replica: set TEST_DATABASE_URL and TEST_REPLICA_URL"]
async fn queries_run_on_the_replica_and_writes_on_the_primary() {
    let base = replica_base();
    let _one = SERIAL.lock().await;
    let app = spawn(|url| on_replica(url, &base), |_| {}).await;
    let entry = wait_for_rotation(&app, true).await;
    assert!(entry["lagMs"].as_i64().is_some(), "{entry}");
    assert!(
        !entry["name"].as_str().unwrap_or("").contains('@'),
        "{entry}"
    );

    let (primary, replica) = statements(&app, title(&app)).await;
    assert_eq!(primary, 0, "a query ran statements on the primary");
    assert!(replica > 0, "the query ran nothing on the replica");

    // `login` writes (its bookkeeping): a mutation stays on the primary.
    let (primary, replica) = statements(&app, async {
        let reply = app
            .query(
                None,
                "mutation { login(email: \"nobody@test.dev\", password: \"wrong-password\") { token } }",
                json!({}),
            )
            .await;
        assert!(reply.body["errors"].is_array(), "{}", reply.body);
    })
    .await;
    assert!(primary > 0, "the mutation ran nothing on the primary");
    assert_eq!(replica, 0, "a mutation ran statements on the replica");
}

#[tokio::test]
#[ignore = "needs PostgreSQL and a streaming replica: set TEST_DATABASE_URL and TEST_REPLICA_URL"]
async fn a_replica_that_stops_answering_leaves_the_rotation_and_comes_back() {
    let base = replica_base();
    let _one = SERIAL.lock().await;
    let upstream = upstream_of(&base).await;
    let mut proxy = Proxy::start(upstream).await;
    let proxied = |url: &str| proxy.url_for(&on_replica(url, &base));
    let app = spawn(proxied, |config| config.database_acquire_timeout_ms = 500).await;
    wait_for_rotation(&app, true).await;
    let (_, replica) = statements(&app, title(&app)).await;
    assert!(replica > 0);

    // Stopped: requests routed to it before the next check may fail with
    // SERVICE_UNAVAILABLE (the documented bound); none fails otherwise.
    proxy.stop().await;
    let token = app.token(SUPER.0, SUPER.1);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut failed = 0;
    while replicas(&app).await[0]["inRotation"] == true {
        let reply = app.query(Some(&token), TITLE, json!({})).await;
        if reply.body.get("errors").is_some() {
            assert_eq!(reply.error_code(), "SERVICE_UNAVAILABLE", "{}", reply.body);
            failed += 1;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the replica never left"
        );
    }
    eprintln!("{failed} request(s) failed before the replica left the rotation");
    let ready = app.get("/ready").await;
    assert_eq!(
        ready.status(),
        200,
        "an instance without replicas is still ready"
    );
    for _ in 0..20 {
        let (primary, replica) = statements(&app, title(&app)).await;
        assert!(
            primary > 0 && replica == 0,
            "reads went to the stopped replica"
        );
    }

    proxy.start_again().await;
    wait_for_rotation(&app, true).await;
    let (primary, replica) = statements(&app, title(&app)).await;
    assert!(
        primary == 0 && replica > 0,
        "reads did not return to the replica"
    );
}

/// Resumes the replica's replay when dropped, whatever the test did.
struct Paused(String);

impl Drop for Paused {
    fn drop(&mut self) {
        let url = self.0.clone();
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(db) = Database::connect(url.as_str()).await {
                    let _ = db.execute_unprepared("SELECT pg_wal_replay_resume()").await;
                    let _ = db.close().await;
                }
            });
        })
        .join();
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL and a streaming replica: set TEST_DATABASE_URL and TEST_REPLICA_URL"]
async fn a_lagging_replica_leaves_the_rotation_until_it_catches_up() {
    let base = replica_base();
    let _one = SERIAL.lock().await;
    let app = spawn(
        |url| on_replica(url, &base),
        |config| config.max_replica_lag_ms = 400,
    )
    .await;
    wait_for_rotation(&app, true).await;

    // Replay paused: the heartbeat the primary keeps writing no longer arrives.
    let replica = Database::connect(base.as_str()).await.expect("replica");
    let paused = Paused(base.clone());
    replica
        .execute_unprepared("SELECT pg_wal_replay_pause()")
        .await
        .expect("paused");
    let out = wait_for_rotation(&app, false).await;
    assert!(out["lagMs"].as_i64().is_some_and(|lag| lag > 400), "{out}");
    let (primary, on_replica) = statements(&app, title(&app)).await;
    assert!(
        primary > 0 && on_replica == 0,
        "a lagging replica served a read"
    );

    drop(paused);
    wait_for_rotation(&app, true).await;
    let (primary, on_replica) = statements(&app, title(&app)).await;
    assert!(primary == 0 && on_replica > 0);
}

#[tokio::test]
async fn replica_urls_need_a_postgresql_primary_and_postgresql_replicas() {
    let mut config = test_config(std::path::Path::new("/tmp"), "sqlite://x.db".into());
    config.database_replica_urls = vec!["postgres://u:secret@h/db".into()];
    let err = config.replica_urls().expect_err("SQLite has no replicas");
    assert!(err.to_string().contains("DATABASE_REPLICA_URLS"), "{err}");
    config.database_url = Some("postgres://127.0.0.1/test".into());
    config.database_replica_urls = vec!["mysql://u:secret@h/db".into()];
    let err = config.replica_urls().expect_err("not PostgreSQL");
    assert!(!err.to_string().contains("secret"), "{err}");
}
