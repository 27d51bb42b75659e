//! Faults: the database going away and coming back, an exhausted pool, a schema a newer
//! binary migrated, a panicking handler, SIGTERM with a request in flight, and SIGTERM's
//! ready delay (out of a load balancer's rotation first, then stopped).
//!
//! Every wait is bounded (`HANG`) only so that a regression fails instead of hanging;
//! none of these bounds is a timing assertion.

use std::{
    net::SocketAddr,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use axum::{Router, body::Body, http::Request, routing::get};
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use serde_json::{Value, json};
use session_analytics::{
    config::Limits,
    db::{self, SchemaError, SchemaMode},
    http::protect,
    startup::Application,
};
use tower::ServiceExt as _;

use crate::{
    fixture::{SUPER, load},
    helpers::{
        Reply, Scratch, TEST_SECRET, TestApp, require_postgres, spawn_with_config, test_config,
    },
    proxy::{Proxy, upstream_of},
};

/// Longest any single step may take before the test calls it a hang.
const HANG: Duration = Duration::from_secs(15);

/// A migration no binary of this version knows, as a newer binary would have applied it.
const FUTURE_MIGRATION: &str = "m29990101_000000_future";

/// This binary's first migration.
const FIRST_MIGRATION: &str = "m20261128_000001_create_tables";

/// All of this binary's migrations, in order.
const MIGRATIONS: &[&str] = &[
    FIRST_MIGRATION,
    "m20261128_000002_registrant_indexes",
    "m20261128_000003_session_stats",
    "m20261128_000004_cache_generation",
    "m20261128_000005_user_search",
    "m20261128_000006_session_search",
    "m20261204_000007_activity_ingest",
    "m20261204_000008_activity_analytics",
    "m20261205_000009_ingest_speed",
    "m20261205_000010_live_notify",
    "m20261205_000011_replica_heartbeat",
    "m20261205_000013_data_versions",
];

const SESSION_TITLE: &str = "{ session(id: \"100\") { title } }";

/// `future`, or a failure naming `what` if it takes longer than `HANG`.
async fn bounded<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(HANG, future)
        .await
        .unwrap_or_else(|_| panic!("{what} hung for more than {HANG:?}"))
}

/// A request that the database's absence failed: SERVICE_UNAVAILABLE, status 503 in the
/// extensions, the database message (not the request time limit's), nothing internal.
fn assert_database_unavailable(reply: &Reply) {
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert_eq!(reply.error_code(), "SERVICE_UNAVAILABLE", "{}", reply.body);
    let error = &reply.body["errors"][0];
    assert_eq!(error["extensions"]["status"], 503, "{}", reply.body);
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("database cannot be reached"),
        "the pool's answer, not the request time limit's: {message}"
    );
    let text = reply.body.to_string().to_lowercase();
    for internal in ["sqlx", "pool", "sqlite", "postgres", "select", "timed out"] {
        assert!(
            !text.contains(internal),
            "leaks `{internal}`: {}",
            reply.body
        );
    }
}

async fn session_title(app: &TestApp, token: &str) -> Reply {
    bounded(
        "a session query",
        app.query(Some(token), SESSION_TITLE, json!({})),
    )
    .await
}

async fn health(app: &TestApp) -> (u16, Value) {
    let response = bounded("GET /health", app.get("/health")).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// The application on a fresh PostgreSQL database reached through a `Proxy`, with the
/// fixture loaded; also the database's direct URL.
async fn spawn_behind_proxy(limits: Limits) -> (TestApp, Proxy, String) {
    let mut scratch = Scratch::new();
    let direct = scratch.database_url().await;
    let proxy = Proxy::start(upstream_of(&direct).await).await;
    let mut config = test_config(scratch.path(), proxy.url_for(&direct));
    config.database_acquire_timeout_ms = 1_000;
    config.limits = limits;
    let app = spawn_with_config(config, scratch).await;
    load(&app.db).await;
    (app, proxy, direct)
}

/// Repeats the session query until it succeeds (at most `HANG` long in all).
async fn until_served_again(app: &TestApp, token: &str) -> Reply {
    let deadline = Instant::now() + HANG;
    loop {
        let reply = session_title(app, token).await;
        if reply.body.get("errors").is_none() || Instant::now() > deadline {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// An embedded SQLite file cannot go away like a server; on SQLite the pool tests below
// cover what applies (an exhausted pool, and a closed one in `http.rs`).
#[tokio::test]
#[ignore = "needs PostgreSQL: run with TEST_DATABASE_URL set and -- --include-ignored"]
async fn a_database_that_goes_away_mid_run_gives_service_unavailable_and_is_served_again_when_back()
{
    require_postgres();
    let (app, proxy, _) = spawn_behind_proxy(Limits::default()).await;
    let token = app.token(SUPER.0, SUPER.1);
    for reply in several_at_once(&app, &token).await {
        assert_eq!(reply.data()["session"]["title"], "Keynote");
    }

    // A restart while nobody asks: every pooled connection dies, the database is back
    // before the next request. Not one request may fail on a dead pooled connection: a
    // connection idle this long is pinged, found dead and replaced before it is used.
    proxy.cut_and_wait().await;
    proxy.restore();
    tokio::time::sleep(db::PING_IF_IDLE_FOR).await;
    for reply in several_at_once(&app, &token).await {
        assert_eq!(reply.data()["session"]["title"], "Keynote");
    }

    // An outage: the pooled connections are dead and no new one can be opened.
    proxy.cut();
    for _ in 0..3 {
        assert_database_unavailable(&session_title(&app, &token).await);
    }
    assert_eq!(
        health(&app).await,
        (503, json!({ "status": "degraded", "database": "down" }))
    );

    proxy.restore();
    tokio::time::sleep(db::PING_IF_IDLE_FOR).await;
    // The same application, not restarted, serves again. Through the proxy the database
    // is back at once, so not even the first request may fail: every connection the
    // cut killed has been idle long enough to be pinged, found dead and replaced before
    // a request would use it.
    assert_eq!(
        session_title(&app, &token).await.data()["session"]["title"],
        "Keynote"
    );
    assert_eq!(
        health(&app).await,
        (200, json!({ "status": "ok", "database": "up" }))
    );
    for reply in several_at_once(&app, &token).await {
        assert_eq!(reply.data()["session"]["title"], "Keynote");
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with TEST_DATABASE_URL set and -- --include-ignored"]
async fn a_stopped_database_gives_service_unavailable_after_the_acquire_timeout_and_is_served_again_when_started()
 {
    require_postgres();
    let (app, mut proxy, _) = spawn_behind_proxy(Limits::default()).await;
    let token = app.token(SUPER.0, SUPER.1);
    for reply in several_at_once(&app, &token).await {
        assert_eq!(reply.data()["session"]["title"], "Keynote");
    }

    // Stopped: the pooled connections are dead and connecting is refused. The pool keeps
    // retrying a refused connection (a database may be starting) until the acquire
    // timeout (1 s here), then gives up.
    proxy.stop().await;
    for reply in several_at_once(&app, &token).await {
        assert_database_unavailable(&reply);
    }
    assert_eq!(
        health(&app).await,
        (503, json!({ "status": "degraded", "database": "down" }))
    );

    proxy.start_again().await;
    let reply = until_served_again(&app, &token).await;
    assert_eq!(reply.data()["session"]["title"], "Keynote");
    for reply in several_at_once(&app, &token).await {
        assert_eq!(reply.data()["session"]["title"], "Keynote");
    }
    assert_eq!(health(&app).await.0, 200);
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with TEST_DATABASE_URL set and -- --include-ignored"]
async fn connections_killed_right_after_use_fail_at_most_one_request_each_then_it_serves_again() {
    require_postgres();
    let (app, proxy, _) = spawn_behind_proxy(Limits::default()).await;
    let token = app.token(SUPER.0, SUPER.1);
    for reply in several_at_once(&app, &token).await {
        assert_eq!(reply.data()["session"]["title"], "Keynote");
    }
    // Every pooled connection (and no other) goes through the proxy.
    let pooled = proxy.live.load(Ordering::SeqCst);
    assert!(pooled > 0, "the pool holds connections");

    // Killed and back at once, before any connection was idle long enough to be pinged
    // on checkout: the request that lands on a dead connection may fail (that saves a
    // round trip on every statement), but only with SERVICE_UNAVAILABLE, and the dead
    // connection is then discarded, so at most one request per pooled connection fails.
    proxy.cut_and_wait().await;
    proxy.restore();
    let mut failed = 0;
    loop {
        let reply = session_title(&app, &token).await;
        if reply.body.get("errors").is_none() {
            assert_eq!(reply.data()["session"]["title"], "Keynote");
            break;
        }
        assert_database_unavailable(&reply);
        failed += 1;
        assert!(
            failed <= pooled,
            "{failed} requests failed on {pooled} dead pooled connections"
        );
    }
    for reply in several_at_once(&app, &token).await {
        assert_eq!(reply.data()["session"]["title"], "Keynote");
    }
    assert_eq!(
        health(&app).await,
        (200, json!({ "status": "ok", "database": "up" }))
    );
}

/// The session query, five times concurrently (which opens more pooled connections).
async fn several_at_once(app: &TestApp, token: &str) -> Vec<Reply> {
    bounded(
        "concurrent session queries",
        futures_util::future::join_all(
            (0..5).map(|_| app.query(Some(token), SESSION_TITLE, json!({}))),
        ),
    )
    .await
}

#[tokio::test]
#[ignore = "needs PostgreSQL: run with TEST_DATABASE_URL set and -- --include-ignored"]
async fn a_statement_in_flight_when_the_database_goes_away_fails_promptly_with_service_unavailable()
{
    require_postgres();
    // Long statement and request limits: only the cut can end the statement in time.
    let (app, proxy, direct) = spawn_behind_proxy(Limits {
        statement_timeout_ms: 120_000,
        request_timeout_ms: 120_000,
        ..Limits::default()
    })
    .await;
    let token = app.token(SUPER.0, SUPER.1);

    // Hold the sponsors table locked on a direct connection, which the cut spares.
    let direct = Database::connect(direct.as_str()).await.expect("connect");
    let lock = direct.begin().await.expect("begin");
    lock.execute_unprepared("LOCK TABLE sponsors IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock");
    let request = {
        let (client, url, token) = (app.client.clone(), app.url("/graphql"), token.clone());
        tokio::spawn(async move {
            let query = "{ session(id: \"100\") { sponsors { name } } }";
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "query": query }))
                .send()
                .await
                .expect("request reaches the server");
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.json::<Value>().await.expect("json");
            Reply {
                status,
                headers,
                body,
            }
        })
    };
    // Wait until the server's statement is waiting for the lock.
    let deadline = Instant::now() + HANG;
    loop {
        let waiting = lock
            .query_one_raw(sea_orm::Statement::from_string(
                lock.get_database_backend(),
                "SELECT count(*) AS waiting FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            ))
            .await
            .expect("pg_stat_activity")
            .expect("a row")
            .try_get::<i64>("", "waiting")
            .expect("a count");
        if waiting > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the statement never waited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    proxy.cut();
    let reply = bounded("the request in flight", request)
        .await
        .expect("request task");
    assert_database_unavailable(&reply);
    lock.rollback().await.expect("unlock");
    direct.close().await.ok();

    proxy.restore();
    let reply = until_served_again(&app, &token).await;
    assert_eq!(reply.data()["session"]["title"], "Keynote");
}

#[tokio::test]
async fn an_exhausted_pool_fails_fast_with_service_unavailable_instead_of_queueing() {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let mut config = test_config(scratch.path(), url);
    config.database_max_connections = 1;
    config.database_acquire_timeout_ms = 300;
    let app = spawn_with_config(config, scratch).await;
    load(&app.db).await;
    let token = app.token(SUPER.0, SUPER.1);
    assert_eq!(
        session_title(&app, &token).await.data()["session"]["title"],
        "Keynote"
    );

    // The test holds the only connection.
    let held = app.db.begin().await.expect("begin");
    let started = Instant::now();
    let reply = session_title(&app, &token).await;
    let waited = started.elapsed();
    assert_database_unavailable(&reply);
    // It did wait for the acquire timeout, and then gave up (the message above is the
    // pool's, not the 10 s request time limit's).
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    let (status, body) = health(&app).await;
    assert_eq!((status, &body["database"]), (503, &json!("down")));

    held.rollback().await.expect("release");
    assert_eq!(
        session_title(&app, &token).await.data()["session"]["title"],
        "Keynote"
    );
    assert_eq!(health(&app).await.0, 200);
}

// ---------------------------------------------------------------------------------
// Schema versions

/// A fresh database, migrated by this binary, then marked as migrated by a newer one.
async fn database_from_the_future(scratch: &mut Scratch) -> String {
    let url = scratch.database_url().await;
    let (db, _) = db::connect(&url, 1, Duration::from_secs(5), Duration::from_secs(5))
        .await
        .expect("connect");
    db::migrate(&db).await.expect("migrate");
    db.execute_unprepared(&format!(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{FUTURE_MIGRATION}', 0)"
    ))
    .await
    .expect("record a newer migration");
    db.close().await.ok();
    url
}

#[tokio::test]
async fn a_database_a_newer_binary_migrated_is_refused_naming_its_migrations() {
    let mut scratch = Scratch::new();
    let url = database_from_the_future(&mut scratch).await;
    let config = test_config(scratch.path(), url.clone());
    let refused = Application::build(&config, "127.0.0.1:0".parse().expect("address")).await;
    let Err(err) = refused else {
        panic!("the application started on a database a newer binary migrated");
    };
    let message = format!("{err:#}");
    assert!(message.contains(FUTURE_MIGRATION), "{message}");
    assert!(message.contains("upgrade this binary"), "{message}");
    assert!(
        !message.contains(FIRST_MIGRATION),
        "names only the unknown: {message}"
    );

    // Nothing was changed: the newer binary's record is still there.
    let (db, _) = db::connect(&url, 1, Duration::from_secs(5), Duration::from_secs(5))
        .await
        .expect("connect");
    let status = db::schema_status(&db).await.expect("status");
    assert_eq!(status.unknown, vec![FUTURE_MIGRATION.to_owned()]);
    assert!(status.pending.is_empty());
    db.close().await.ok();
}

#[tokio::test]
async fn without_migrating_at_start_a_database_missing_migrations_is_refused_naming_them() {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let (db, _) = db::connect(&url, 1, Duration::from_secs(5), Duration::from_secs(5))
        .await
        .expect("connect");

    let err = db::prepare_schema(&db, SchemaMode::Verify)
        .await
        .expect_err("an empty database lacks every migration");
    assert!(
        matches!(&err, SchemaError::Behind(missing) if missing == MIGRATIONS),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains(FIRST_MIGRATION) && message.contains("lacks"),
        "{message}"
    );
    // Verifying changed nothing, not even the migration table.
    assert_eq!(
        db::schema_status(&db).await.expect("status").pending,
        MIGRATIONS.iter().map(|m| m.to_string()).collect::<Vec<_>>()
    );

    db::prepare_schema(&db, SchemaMode::Migrate)
        .await
        .expect("migrate");
    db::prepare_schema(&db, SchemaMode::Verify)
        .await
        .expect("an up-to-date database passes");

    db.execute_unprepared(&format!(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{FUTURE_MIGRATION}', 0)"
    ))
    .await
    .expect("record a newer migration");
    let err = db::prepare_schema(&db, SchemaMode::Verify)
        .await
        .expect_err("a newer database is refused in either mode");
    assert!(
        matches!(&err, SchemaError::Newer(unknown) if unknown == &[FUTURE_MIGRATION]),
        "{err:?}"
    );
    db.close().await.ok();
}

#[tokio::test]
async fn the_binary_refuses_to_start_on_a_newer_database_and_says_why() {
    let mut scratch = Scratch::new();
    let url = database_from_the_future(&mut scratch).await;
    let output = tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_session-analytics"))
            .args(["--database-url", &url, "--jwt-secret", TEST_SECRET])
            .args(["--bind", "127.0.0.1:0", "--demo-data", "never"])
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run the binary");
        let deadline = Instant::now() + HANG;
        while child.try_wait().expect("wait").is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the binary started on a database a newer binary migrated");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        child.wait_with_output().expect("output")
    })
    .await
    .expect("the binary's runner");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains(FUTURE_MIGRATION), "{stderr}");
    assert!(stderr.contains("upgrade this binary"), "{stderr}");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("listening"),
        "it must not listen"
    );
}

// ---------------------------------------------------------------------------------
// Panics

async fn boom() -> &'static str {
    panic!("boom: the secret detail of a bug")
}

async fn get_text(router: &Router, path: &str) -> (u16, String) {
    let response = router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).expect("request"))
        .await
        .expect("the router answers");
    let status = response.status().as_u16();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (status, String::from_utf8(body.to_vec()).expect("utf-8"))
}

#[tokio::test]
async fn a_panic_in_a_handler_becomes_an_internal_error_and_the_router_serves_on() {
    let router = protect(
        Router::new()
            .route("/boom", get(boom))
            .route("/ok", get(|| async { "ok" })),
    );
    for _ in 0..2 {
        let (status, body) = get_text(&router, "/boom").await;
        assert_eq!(status, 500);
        let body: Value = serde_json::from_str(&body).expect("a JSON body");
        assert_eq!(
            body,
            json!({ "errors": [{
                "message": "internal error",
                "extensions": { "code": "INTERNAL", "status": 500 },
            }] })
        );
        assert!(!body.to_string().contains("secret"), "{body}");
        assert_eq!(get_text(&router, "/ok").await, (200, "ok".to_owned()));
    }
}

// ---------------------------------------------------------------------------------
// SIGTERM

/// Kills the child (by its own id) if the test ends before it exited.
#[cfg(unix)]
struct Running(std::process::Child);

#[cfg(unix)]
impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Reads from `stream` until the end of a response head (`\r\n\r\n`).
#[cfg(unix)]
fn read_head(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read a response head");
        assert!(
            n > 0,
            "connection closed mid-head: {}",
            String::from_utf8_lossy(&head)
        );
        head.push(byte[0]);
    }
    String::from_utf8(head).expect("utf-8 head")
}

/// The binary on the embedded default in a temporary data directory, on a port the OS
/// picks, with `args` added; its address, and its log (standard error) as a function.
#[cfg(unix)]
fn start_binary(
    args: &[&str],
) -> (
    Running,
    SocketAddr,
    tempfile::TempDir,
    impl Fn() -> String + use<>,
) {
    use std::{
        io::{BufRead, BufReader},
        process::{Command, Stdio},
    };

    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_session-analytics"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--bind", "127.0.0.1:0", "--demo-data", "never"])
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("JWT_SECRET")
        .env_remove("BIND_ADDR")
        .env_remove("SHUTDOWN_READY_DELAY_MS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("run the binary");
    let mut server = Running(child);
    let stderr = move || std::fs::read_to_string(&log_path).unwrap_or_default();

    // The address it prints; keep draining stdout so that it never blocks on a full pipe.
    let stdout = server.0.stdout.take().expect("stdout");
    let (lines, printed) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let addr: SocketAddr = loop {
        let line = printed
            .recv_timeout(HANG * 4)
            .unwrap_or_else(|_| panic!("the server never said where it listens: {}", stderr()));
        if let Some(url) = line.split("listening on http://").nth(1) {
            break url.trim().parse().expect("an address");
        }
    };
    (server, addr, dir, stderr)
}

#[cfg(unix)]
fn sigterm(server: &Running) {
    let pid = server.0.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("run kill");
    assert!(killed.success());
}

/// Whether `addr` refuses new connections (reset: a connection that was still in the
/// backlog when the listener closed).
#[cfg(unix)]
fn refuses(addr: SocketAddr) -> bool {
    match std::net::TcpStream::connect(addr) {
        Err(err) => {
            assert!(
                matches!(
                    err.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::ConnectionReset
                ),
                "unexpected connect error: {err}"
            );
            true
        }
        Ok(_) => false,
    }
}

/// Waits (at most `HANG`) for `server` to exit, and says that it exited successfully.
#[cfg(unix)]
fn exits_cleanly(server: &mut Running, stderr: impl Fn() -> String) {
    let deadline = Instant::now() + HANG;
    let status = loop {
        if let Some(status) = server.0.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running after its last request: {}",
            stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status}: {}", stderr());
}

/// One request on a connection of its own; the whole response, read until the server
/// closes the connection (the request asks it to, unless `keep_alive`).
#[cfg(unix)]
fn http(addr: SocketAddr, head: &str, body: &str, keep_alive: bool) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(HANG)).expect("timeout");
    let connection = if keep_alive {
        ""
    } else {
        "Connection: close\r\n"
    };
    write!(
        stream,
        "{head} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nContent-Length: {}\r\n{connection}\r\n{body}",
        body.len()
    )
    .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response until the server closes");
    response
}

#[cfg(unix)]
#[test]
fn sigterm_stops_accepting_finishes_the_request_in_flight_and_exits_cleanly() {
    use std::{
        io::{Read, Write},
        net::TcpStream,
    };

    // No ready delay: straight to draining (the delay has its own test below).
    let (mut server, addr, _dir, stderr) = start_binary(&["--shutdown-ready-delay-ms", "0"]);

    // A request in flight: its headers are read and the handler is waiting for the body
    // (hyper says `100 Continue` when the handler starts reading it).
    let body = br#"{"query":"{ __typename }"}"#;
    let mut in_flight = TcpStream::connect(addr).expect("connect");
    in_flight.set_read_timeout(Some(HANG)).expect("timeout");
    write!(
        in_flight,
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/graphql-response+json\r\nContent-Length: {}\r\n\
         Expect: 100-continue\r\n\r\n",
        body.len()
    )
    .expect("send the head");
    let head = read_head(&mut in_flight);
    assert!(head.starts_with("HTTP/1.1 100"), "{head}");

    sigterm(&server);

    // New connections are refused soon after.
    let deadline = Instant::now() + HANG;
    while !refuses(addr) {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        server.0.try_wait().expect("wait").is_none(),
        "it must not exit with a request in flight"
    );

    // The request in flight completes.
    in_flight.write_all(body).expect("send the body");
    let mut response = String::new();
    in_flight
        .read_to_string(&mut response)
        .expect("read the response until the server closes");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains(r#"{"data":{"__typename":"#), "{response}");

    // Then the process exits, successfully.
    exits_cleanly(&mut server, stderr);
}

#[cfg(unix)]
#[test]
fn sigterm_first_turns_ready_to_503_while_queries_are_still_served_then_stops_accepting() {
    let delay = Duration::from_millis(3_000);
    let (mut server, addr, _dir, stderr) =
        start_binary(&["--shutdown-ready-delay-ms", &delay.as_millis().to_string()]);
    let ready = || http(addr, "GET /ready", "", false);
    assert!(ready().starts_with("HTTP/1.1 200"), "{}", stderr());

    sigterm(&server);
    let signalled = Instant::now();
    // /ready turns 503 SHUTTING_DOWN (a load balancer takes the instance out) ...
    let deadline = signalled + HANG;
    let not_ready = loop {
        let response = ready();
        if response.starts_with("HTTP/1.1 503") {
            break response;
        }
        assert!(Instant::now() < deadline, "/ready still ready: {response}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let body: Value = serde_json::from_str(not_ready.split("\r\n\r\n").nth(1).unwrap_or(""))
        .unwrap_or_else(|_| panic!("a JSON body: {not_ready}"));
    assert_eq!(body["status"], "unavailable", "{body}");
    assert_eq!(body["code"], "SHUTTING_DOWN", "{body}");

    // ... while new connections are accepted and queries answered; each response closes
    // its connection, so that a balancer's idle connections to the instance go away.
    let answer = http(addr, "POST /graphql", r#"{"query":"{ __typename }"}"#, true);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains(r#"{"data":{"__typename":"Query"}}"#),
        "{answer}"
    );
    assert!(
        server.0.try_wait().expect("wait").is_none(),
        "it must serve through the ready delay"
    );

    // Then, once the delay is over, it stops accepting and exits.
    let deadline = signalled + delay + HANG;
    while !refuses(addr) {
        assert!(
            Instant::now() < deadline,
            "still accepting after the ready delay"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        signalled.elapsed() >= delay,
        "stopped accepting {:?} after SIGTERM, before the ready delay ended",
        signalled.elapsed()
    );
    exits_cleanly(&mut server, stderr);
}
