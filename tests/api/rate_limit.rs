//! Per-client budgets: operations, query cost and login attempts, answered with 429,
//! `RATE_LIMITED` and `Retry-After` once spent; counted in memory, or in Redis for every
//! instance at once.

use std::{
    io::{Read, Write},
    net::{IpAddr, Ipv4Addr, TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use session_analytics::{
    config::{RateLimits, Secret},
    entity::enums::Role,
    rate_limit::{Budget, Client, RateLimiter},
};

use crate::{
    fixture::*,
    helpers::{Reply, Scratch, TestApp, spawn_with_config, test_config},
};

async fn spawn_budgeted(rate_limits: RateLimits) -> TestApp {
    spawn_fixture_with(|config| config.rate_limits = rate_limits).await
}

fn assert_rate_limited(reply: &Reply) {
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert_eq!(reply.error_code(), "RATE_LIMITED");
    assert_eq!(reply.body["errors"][0]["extensions"]["status"], 429);
    let retry: u64 = reply
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!((1..=60).contains(&retry), "retry after {retry} s");
}

#[tokio::test]
async fn each_user_has_a_budget_of_operations() {
    let app = spawn_budgeted(RateLimits {
        operations_per_minute: 3,
        ..RateLimits::default()
    })
    .await;
    let alice = app.token(SUPER.0, SUPER.1);
    for _ in 0..3 {
        let reply = app
            .query(Some(&alice), "{ viewer { email } }", json!({}))
            .await;
        assert_eq!(reply.data()["viewer"]["email"], "super@test.dev");
    }
    assert_rate_limited(
        &app.query(Some(&alice), "{ viewer { email } }", json!({}))
            .await,
    );

    // Another user's budget is their own.
    let bob = app.token(ORG_ADMIN.0, ORG_ADMIN.1);
    let reply = app
        .query(Some(&bob), "{ viewer { email } }", json!({}))
        .await;
    assert_eq!(reply.data()["viewer"]["email"], "orgadmin@test.dev");
}

#[tokio::test]
async fn anonymous_clients_share_their_addresss_budget() {
    let app = spawn_budgeted(RateLimits {
        operations_per_minute: 2,
        ..RateLimits::default()
    })
    .await;
    for _ in 0..2 {
        let reply = app.query(None, "{ __typename }", json!({})).await;
        assert_eq!(reply.data()["__typename"], "Query");
    }
    assert_rate_limited(&app.query(None, "{ __typename }", json!({})).await);
}

#[tokio::test]
async fn expensive_documents_spend_the_cost_budget_faster() {
    let app = spawn_budgeted(RateLimits {
        cost_per_minute: 300,
        ..RateLimits::default()
    })
    .await;
    let token = app.token(SUPER.0, SUPER.1);
    // 50 rows of `nodes { email }` cost about 100 each time.
    let query = "{ session(id: \"100\") { registeredHolderUsers(first: 50) { nodes { email } } } }";
    for _ in 0..2 {
        let reply = app.query(Some(&token), query, json!({})).await;
        assert!(reply.body.get("errors").is_none(), "{}", reply.body);
    }
    let cheap = app
        .query(Some(&token), "{ viewer { email } }", json!({}))
        .await;
    assert!(
        cheap.body.get("errors").is_none(),
        "a cheap document still fits: {}",
        cheap.body
    );
    assert_rate_limited(&app.query(Some(&token), query, json!({})).await);
}

const LOGIN: &str = "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }";

#[tokio::test]
async fn password_guessing_on_one_account_is_stopped_even_with_the_right_password() {
    let app = spawn_budgeted(RateLimits {
        login_attempts_per_account_per_minute: 3,
        ..RateLimits::default()
    })
    .await;
    for _ in 0..3 {
        let reply = app
            .query(
                None,
                LOGIN,
                json!({ "email": "super@test.dev", "password": "guess" }),
            )
            .await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED");
    }
    let reply = app
        .query(
            None,
            LOGIN,
            json!({ "email": "SUPER@test.dev", "password": PASSWORD }),
        )
        .await;
    assert_rate_limited(&reply);
    // Other accounts can still log in.
    let reply = app
        .query(
            None,
            LOGIN,
            json!({ "email": "orgadmin@test.dev", "password": PASSWORD }),
        )
        .await;
    assert!(reply.data()["login"]["token"].is_string());
}

#[tokio::test]
async fn guessing_across_accounts_from_one_address_is_stopped() {
    let app = spawn_budgeted(RateLimits {
        login_attempts_per_address_per_minute: 3,
        ..RateLimits::default()
    })
    .await;
    for email in ["a@test.dev", "b@test.dev", "c@test.dev"] {
        let reply = app
            .query(None, LOGIN, json!({ "email": email, "password": "guess" }))
            .await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED");
    }
    assert_rate_limited(
        &app.query(
            None,
            LOGIN,
            json!({ "email": "super@test.dev", "password": PASSWORD }),
        )
        .await,
    );
}

// ---------------------------------------------------------------------------------
// In memory: what is forgotten, and what is not

#[tokio::test]
async fn a_client_who_spent_part_of_a_budget_keeps_only_the_rest_however_many_clients_come() {
    let limiter = RateLimiter::new(&RateLimits {
        // One operation comes back every second.
        operations_per_minute: 60,
        // Smaller than what the first client has left: the old limiter judged every
        // client by the budget being spent when it pruned, and forgot this one.
        login_attempts_per_address_per_minute: 5,
        ..RateLimits::default()
    })
    .expect("budgets in memory");
    let me = Budget::Operations(Client::User(1));
    for _ in 0..50 {
        limiter
            .take(me.clone(), 1)
            .await
            .expect("within the budget");
    }
    let started = Instant::now();
    // More than 10,000 other clients spending an operation, then login attempts
    // (a budget of 5) while they are all held.
    let address = |n: u32| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
    for n in 0..10_001 {
        limiter
            .take(Budget::Operations(Client::Address(address(n))), 1)
            .await
            .expect("a new client's first operation");
    }
    for n in 0..1_024 {
        limiter
            .take(Budget::LoginAddress(address(n)), 1)
            .await
            .expect("a new address's first login");
    }
    limiter.prune();
    assert!(
        limiter.tracked() > 10_001,
        "clients with a spent operation are held: {}",
        limiter.tracked()
    );
    // Once their operation has come back, those clients are no different from new
    // ones: dropped. The first client has 50 spent; login attempts come back in 12 s.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    limiter.prune();
    assert_eq!(limiter.tracked(), 1 + 1_024, "idle clients are dropped");

    // 10 left, and one more for every second since.
    let back = started.elapsed().as_secs() as usize + 1;
    let mut spent = 0;
    while limiter.take(me.clone(), 1).await.is_ok() {
        spent += 1;
        assert!(
            spent <= 10 + back,
            "the budget was forgotten: {spent} spent"
        );
    }
    assert!(spent >= 10, "only {spent} of the 10 left");
}

// ---------------------------------------------------------------------------------
// In Redis: one budget across instances

const REDIS_PORT: u16 = 6379;

/// Does a Redis answer `PING` on this port of the loopback address?
fn redis_answers(port: u16) -> bool {
    let address = (Ipv4Addr::LOCALHOST, port).into();
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(500)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

/// First line of every test that needs the machine's Redis, each also marked
/// `#[ignore = "needs Redis: ..."]` (as `helpers::require_postgres`): a run with
/// `--include-ignored` but no Redis fails rather than passes without having tested.
fn require_redis() {
    if !redis_answers(REDIS_PORT) {
        panic!(
            "this test needs Redis at 127.0.0.1:{REDIS_PORT}: start it with \
             `redis-server --daemonize yes --port {REDIS_PORT} --bind 127.0.0.1 --save '' --appendonly no` \
             (.ci/run does, installing Debian's redis-server if missing)"
        );
    }
}

/// Budgets in the Redis at `port`, under a prefix of this test's own.
fn in_redis(port: u16, budgets: RateLimits) -> RateLimits {
    RateLimits {
        redis_url: Some(Secret::new(format!("redis://127.0.0.1:{port}"))),
        redis_prefix: format!("sa:test:{:016x}", rand::random::<u64>()),
        ..budgets
    }
}

/// Two instances on one database with the same budgets, as behind a load balancer.
async fn two_instances(rate_limits: RateLimits) -> (TestApp, TestApp) {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let mut config = test_config(scratch.path(), url);
    config.rate_limits = rate_limits;
    let first = spawn_with_config(config.clone(), scratch).await;
    let second = spawn_with_config(config, Scratch::new()).await;
    (first, second)
}

async fn typename(app: &TestApp, token: &str) -> Reply {
    app.query(Some(token), "{ __typename }", json!({})).await
}

async fn assert_served(app: &TestApp, token: &str, case: &str) {
    let reply = typename(app, token).await;
    assert_eq!(reply.status, 200, "{case}: {}", reply.body);
    assert_eq!(reply.data()["__typename"], "Query", "{case}");
}

async fn ready_body(app: &TestApp) -> Value {
    let response = app.get("/ready").await;
    assert_eq!(response.status(), 200, "degraded is still ready");
    response.json().await.expect("JSON")
}

/// The value of `rate_limit_backend{backend="<backend>"}`.
async fn backend_gauge(app: &TestApp, backend: &str) -> String {
    let text = app.get("/metrics").await.text().await.expect("metrics");
    let series = format!("rate_limit_backend{{backend=\"{backend}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&series))
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
        .to_owned()
}

#[tokio::test]
#[ignore = "needs Redis: run with --include-ignored and Redis at 127.0.0.1:6379 (.ci/run)"]
async fn two_instances_share_one_operation_budget_through_redis() {
    require_redis();
    let (first, second) = two_instances(in_redis(
        REDIS_PORT,
        RateLimits {
            operations_per_minute: 4,
            ..RateLimits::default()
        },
    ))
    .await;
    let me = first.token(1, Role::SuperAdmin);
    for app in [&first, &second, &first, &second] {
        assert_served(app, &me, "within the shared budget").await;
    }
    assert_rate_limited(&typename(&first, &me).await);
    assert_rate_limited(&typename(&second, &me).await);
    // Another user's budget is their own.
    assert_served(&second, &first.token(2, Role::SuperAdmin), "another user").await;

    assert_eq!(
        ready_body(&first).await,
        json!({ "status": "ready", "rate_limits": "redis" })
    );
    assert_eq!(backend_gauge(&first, "redis").await, "1");
    assert_eq!(backend_gauge(&first, "memory").await, "0");
}

#[tokio::test]
#[ignore = "needs Redis: run with --include-ignored and Redis at 127.0.0.1:6379 (.ci/run)"]
async fn login_attempts_on_one_account_are_counted_across_instances() {
    require_redis();
    let (first, second) = two_instances(in_redis(
        REDIS_PORT,
        RateLimits {
            login_attempts_per_account_per_minute: 2,
            // A budget whose cell is shorter than Redis's clock can tell (under 1 µs)
            // still works there.
            operations_per_minute: u32::MAX,
            ..RateLimits::default()
        },
    ))
    .await;
    for app in [&first, &second] {
        let reply = app
            .query(
                None,
                LOGIN,
                json!({ "email": "nobody@test.dev", "password": "guess" }),
            )
            .await;
        assert_eq!(reply.error_code(), "UNAUTHENTICATED");
    }
    for app in [&first, &second] {
        assert_rate_limited(
            &app.query(
                None,
                LOGIN,
                json!({ "email": "NOBODY@test.dev", "password": "guess" }),
            )
            .await,
        );
        assert_eq!(backend_gauge(app, "redis").await, "1", "Redis decided all");
    }
}

/// A Redis of the test's own on a free port, which it may stop and start again: the
/// machine's Redis serves other tests at the same time.
struct OwnRedis {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

impl OwnRedis {
    fn start() -> Self {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut redis = Self {
            port,
            dir: tempfile::tempdir().expect("temp dir"),
            child: None,
        };
        redis.restart();
        redis
    }

    /// Starts it (again) on its port.
    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on the PATH (Debian's redis-server package)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !redis_answers(self.port) {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
#[ignore = "needs Redis: run with --include-ignored and redis-server installed (.ci/run)"]
async fn without_redis_each_instance_counts_its_own_until_redis_is_back() {
    require_redis();
    let mut redis = OwnRedis::start();
    let (first, second) = two_instances(in_redis(
        redis.port,
        RateLimits {
            operations_per_minute: 4,
            ..RateLimits::default()
        },
    ))
    .await;
    let token = |user| first.token(user, Role::SuperAdmin);

    // Redis up: one budget.
    let early = token(1);
    for app in [&first, &second, &first, &second] {
        assert_served(app, &early, "within the shared budget").await;
    }
    assert_rate_limited(&typename(&first, &early).await);

    // Redis gone: every request is still served, each instance counting its own.
    redis.stop();
    let during = token(2);
    for app in [&first, &second] {
        for _ in 0..4 {
            assert_served(app, &during, "a budget per instance").await;
        }
        assert_rate_limited(&typename(app, &during).await);
    }
    // What an instance let a client spend while Redis counted is not forgotten: the
    // first instance saw two of the first client's operations.
    for _ in 0..2 {
        assert_served(&first, &early, "the rest of this instance's budget").await;
    }
    assert_rate_limited(&typename(&first, &early).await);
    for app in [&first, &second] {
        assert_eq!(
            ready_body(app).await,
            json!({
                "status": "ready",
                "rate_limits": "memory",
                "degraded": "RATE_LIMIT_REDIS_UNAVAILABLE",
            })
        );
        assert_eq!(backend_gauge(app, "memory").await, "1");
        assert_eq!(backend_gauge(app, "redis").await, "0");
    }

    // Redis back on the same port (empty): the instances go back to it.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    for app in [&first, &second] {
        while ready_body(app).await["rate_limits"] != "redis" {
            assert!(
                Instant::now() < deadline,
                "the instances did not go back to Redis"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(backend_gauge(app, "redis").await, "1");
    }
    let late = token(3);
    for app in [&first, &second, &first, &second] {
        assert_served(app, &late, "within the shared budget again").await;
    }
    assert_rate_limited(&typename(&second, &late).await);
}

#[tokio::test]
async fn an_unreachable_redis_leaves_each_instance_its_own_budgets_and_says_so() {
    // A port nothing listens on: no Redis needed.
    let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let app = spawn_budgeted(in_redis(
        port,
        RateLimits {
            operations_per_minute: 2,
            ..RateLimits::default()
        },
    ))
    .await;
    let token = app.token(1, Role::SuperAdmin);
    for _ in 0..2 {
        assert_served(&app, &token, "counted in memory").await;
    }
    assert_rate_limited(&typename(&app, &token).await);
    assert_eq!(
        ready_body(&app).await["degraded"],
        "RATE_LIMIT_REDIS_UNAVAILABLE"
    );
    assert_eq!(backend_gauge(&app, "memory").await, "1");
}

#[tokio::test]
async fn a_malformed_redis_url_stops_the_server_naming_the_setting() {
    let scratch = Scratch::new();
    let mut config = test_config(scratch.path(), "sqlite::memory:".into());
    config.rate_limits.redis_url = Some(Secret::new("redis//:hunter2@127.0.0.1"));
    let err = session_analytics::startup::Application::build(
        &config,
        "127.0.0.1:0".parse().expect("address"),
    )
    .await
    .err()
    .expect("refused")
    .to_string();
    assert!(err.contains("RATE_LIMIT_REDIS_URL"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}
