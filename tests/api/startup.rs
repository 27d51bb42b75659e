//! Many instances at once on one empty PostgreSQL database: real server processes and
//! `migrate up` runs started together all succeed, and each migration is applied once;
//! an instance waits for the migration lock as long as its holder's session lives.
//!
//! Every wait is bounded (`HANG`) only so that a regression fails instead of hanging;
//! none of these bounds is a timing assertion.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, Database, Statement,
    sqlx::{Connection as _, PgConnection},
};
use session_analytics::db::MIGRATION_LOCK_KEY;

use crate::helpers::{Scratch, TEST_SECRET, require_postgres};

/// How many instances start at once (the number of replicas the issue was about).
const INSTANCES: usize = 4;

/// Longest the instances may take, together, to come up: they migrate one after the
/// other on a machine that may be busy with other test binaries.
const HANG: Duration = Duration::from_secs(90);

/// A server process, killed (by its own id) if the test ends while it still runs.
struct Instance {
    child: Child,
    log: PathBuf,
}

impl Instance {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The binary with only the given settings (the developer's own environment cannot
/// leak in), logging at its default level, info, as text.
fn command(url: &str, data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_session-analytics"));
    command
        .env_clear()
        .env("LOG_FORMAT", "text")
        .args(["--database-url", url, "--jwt-secret", TEST_SECRET])
        .arg("--data-dir")
        .arg(data_dir)
        .stdin(Stdio::null());
    command
}

/// Each migration this binary knows, with how many rows of the migration table name it,
/// and any row it does not know.
async fn migration_rows(url: &str) -> Vec<(String, i64)> {
    let db = Database::connect(url).await.expect("connects");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version, COUNT(*) AS n FROM seaql_migrations GROUP BY version ORDER BY version",
        ))
        .await
        .expect("the migration table exists");
    db.close().await.ok();
    rows.iter()
        .map(|row| {
            (
                row.try_get::<String>("", "version").expect("version"),
                row.try_get::<i64>("", "n").expect("count"),
            )
        })
        .collect()
}

fn every_migration_once() -> Vec<(String, i64)> {
    let mut all: Vec<(String, i64)> = Migrator::migrations()
        .iter()
        .map(|migration| (migration.name().to_owned(), 1))
        .collect();
    all.sort();
    all
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: run with TEST_DATABASE_URL set and -- --include-ignored"]
async fn four_servers_started_at_once_on_an_empty_database_all_come_up_and_migrate_once() {
    require_postgres();
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let root = scratch.path().to_path_buf();

    // Started back to back, before any of them has connected: all four find the
    // database empty.
    let (lines, printed) = mpsc::channel::<(usize, String)>();
    let mut instances = Vec::new();
    for i in 0..INSTANCES {
        let data_dir = root.join(format!("instance-{i}"));
        std::fs::create_dir_all(&data_dir).expect("data dir");
        let log = root.join(format!("instance-{i}.log"));
        let mut child = command(&url, &data_dir)
            .args(["--bind", "127.0.0.1:0", "--demo-data", "never"])
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("run the binary");
        // Keep draining stdout so that no instance ever blocks on a full pipe.
        let stdout = child.stdout.take().expect("stdout");
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send((i, line));
            }
        });
        instances.push(Instance { child, log });
    }

    // Each says where it listens, unless it exits first.
    let mut addrs: Vec<Option<SocketAddr>> = vec![None; INSTANCES];
    let deadline = Instant::now() + HANG;
    while addrs.iter().any(Option::is_none) {
        for (i, instance) in instances.iter_mut().enumerate() {
            if let Some(status) = instance.child.try_wait().expect("wait") {
                panic!(
                    "instance {i} exited ({status}) instead of coming up:\n{}",
                    instance.log()
                );
            }
        }
        assert!(
            Instant::now() < deadline,
            "not every instance came up in time: {addrs:?}"
        );
        if let Ok((i, line)) = printed.recv_timeout(Duration::from_millis(50))
            && let Some(url) = line.split("listening on http://").nth(1)
        {
            addrs[i] = Some(url.trim().parse().expect("an address"));
        }
    }

    let client = reqwest::Client::new();
    for (i, addr) in addrs.iter().enumerate() {
        let addr = addr.expect("every instance listens");
        let response = client
            .get(format!("http://{addr}/ready"))
            .send()
            .await
            .expect("the instance answers");
        assert_eq!(
            response.status(),
            200,
            "instance {i}: {:?}",
            response.text().await
        );
    }
    for (i, instance) in instances.iter_mut().enumerate() {
        assert!(
            instance.child.try_wait().expect("wait").is_none(),
            "instance {i} exited:\n{}",
            instance.log()
        );
    }

    // Applied exactly once: by one instance, each migration recorded once. The others
    // found the schema up to date once they held the lock (or before they asked).
    assert_eq!(migration_rows(&url).await, every_migration_once());
    let logs: Vec<String> = instances.iter().map(Instance::log).collect();
    let migrators = logs
        .iter()
        .filter(|log| log.contains("applying database migrations"))
        .count();
    assert_eq!(migrators, 1, "{logs:#?}");
    drop(instances);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: run with TEST_DATABASE_URL set and -- --include-ignored"]
async fn four_migrate_up_runs_at_once_all_succeed_and_migrate_once() {
    require_postgres();
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let root = scratch.path().to_path_buf();
    let n = Migrator::migrations().len();

    let children: Vec<Child> = (0..INSTANCES)
        .map(|_| {
            command(&url, &root)
                .args(["migrate", "up"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run the binary")
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| child.wait_with_output().expect("output"))
            .collect::<Vec<_>>()
    })
    .await
    .expect("the runner");

    let mut applied = Vec::new();
    for output in &outputs {
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let count: usize = stdout
            .split("applied ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|count| count.parse().ok())
            .unwrap_or_else(|| panic!("says how many it applied: {stdout}"));
        applied.push(count);
    }
    // One run applied them all; the others waited for it and found nothing to do.
    applied.sort_unstable();
    let mut expected = vec![0; INSTANCES - 1];
    expected.push(n);
    assert_eq!(applied, expected);
    assert_eq!(migration_rows(&url).await, every_migration_once());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs PostgreSQL: run with TEST_DATABASE_URL set and -- --include-ignored"]
async fn a_server_waits_for_the_migration_lock_and_comes_up_when_its_holder_goes_away() {
    require_postgres();
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let root = scratch.path().to_path_buf();

    // Another instance, mid-migration: it holds the lock on a session of its own.
    let mut holder = PgConnection::connect(&url).await.expect("connects");
    sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut holder)
        .await
        .expect("takes the lock");

    let log = root.join("waiting.log");
    let child = command(&url, &root)
        // Far shorter than the wait: the wait must not count as a statement.
        .args(["--statement-timeout-ms", "200"])
        .args(["--bind", "127.0.0.1:0", "--demo-data", "never"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("run the binary");
    let mut instance = Instance { child, log };
    let stdout = instance.child.stdout.take().expect("stdout");
    let (lines, printed) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });

    let deadline = Instant::now() + HANG;
    while !instance
        .log()
        .contains("waiting for another instance's migrations")
    {
        assert!(
            instance.child.try_wait().expect("wait").is_none(),
            "it exited instead of waiting:\n{}",
            instance.log()
        );
        assert!(
            Instant::now() < deadline,
            "it never waited:\n{}",
            instance.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Well past its statement timeout, it still waits: neither listening nor gone.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        instance.child.try_wait().expect("wait").is_none(),
        "{}",
        instance.log()
    );
    assert!(
        printed.try_iter().all(|line| !line.contains("listening")),
        "it listened while another instance held the lock"
    );

    // The holder goes away without unlocking (as a crashed process would): its session
    // ends, the lock with it, and the waiting instance migrates and comes up.
    drop(holder);
    let addr: SocketAddr = loop {
        let line = printed.recv_timeout(HANG).unwrap_or_else(|_| {
            panic!(
                "it never came up after the lock was freed:\n{}",
                instance.log()
            )
        });
        if let Some(url) = line.split("listening on http://").nth(1) {
            break url.trim().parse().expect("an address");
        }
    };
    let response = reqwest::get(format!("http://{addr}/ready"))
        .await
        .expect("it answers");
    assert_eq!(response.status(), 200);
    assert!(instance.log().contains("applying database migrations"));
    assert_eq!(migration_rows(&url).await, every_migration_once());
}
