//! The command line on the real binary: `migrate`, bad setting values, and the README's
//! configuration table against `--help`.

use std::process::{Command, Output};

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database};

use super::helpers::{Scratch, TEST_SECRET};

/// Runs the binary with only `env` in its environment (so the developer's own
/// settings cannot leak into the test).
pub(crate) fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_session-analytics"))
        .env_clear()
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("the binary runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn migrate_status_up_and_down_on_a_fresh_database() {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let env = [("DATABASE_URL", url.as_str()), ("JWT_SECRET", TEST_SECRET)];
    let all: Vec<String> = Migrator::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect();
    let (n, last) = (all.len(), all.last().expect("at least one migration"));

    let status = run(&["migrate", "status"], &env);
    assert!(status.status.success(), "{}", stderr(&status));
    for name in &all {
        assert!(stdout(&status).contains(&format!("pending  {name}")));
    }
    assert!(stdout(&status).contains(&format!("0 applied, {n} pending, 0 unknown")));

    let up = run(&["migrate", "up"], &env);
    assert!(up.status.success(), "{}", stderr(&up));
    assert!(
        stdout(&up).contains(&format!("applied {n} migration(s): {}", all.join(", "))),
        "{}",
        stdout(&up)
    );
    let status = run(&["migrate", "status"], &env);
    assert!(stdout(&status).contains(&format!("applied  {last}")));
    assert!(stdout(&status).contains(&format!("{n} applied, 0 pending, 0 unknown")));
    let again = run(&["migrate", "up"], &env);
    assert!(stdout(&again).contains("applied 0 migration(s): none"));

    let down = run(&["migrate", "down"], &env);
    assert!(down.status.success(), "{}", stderr(&down));
    assert!(stdout(&down).contains(&format!("rolled back 1 migration(s): {last}")));
    let status = run(&["migrate", "status"], &env);
    assert!(stdout(&status).contains(&format!("{} applied, 1 pending, 0 unknown", n - 1)));

    // A migration a newer binary applied: listed as unknown; `down` refuses to guess.
    assert!(run(&["migrate", "up"], &env).status.success());
    let db = Database::connect(url.as_str()).await.expect("connects");
    db.execute_unprepared(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29990101_000001_future', 0)",
    )
    .await
    .expect("marks a future migration");
    db.close().await.ok();
    let status = run(&["migrate", "status"], &env);
    assert!(
        stdout(&status).contains("unknown  m29990101_000001_future"),
        "{}",
        stdout(&status)
    );
    let down = run(&["migrate", "down"], &env);
    assert!(!down.status.success());
    assert!(
        stderr(&down).contains("m29990101_000001_future"),
        "{}",
        stderr(&down)
    );
    let status = run(&["migrate", "status"], &env);
    assert!(stdout(&status).contains(&format!("{n} applied, 0 pending, 1 unknown")));
}

#[test]
fn a_bad_setting_names_the_flag_and_the_variable_it_came_from() {
    let from_env = run(&["schema"], &[("MAX_PAGE_SIZE", "abc")]);
    assert_eq!(from_env.status.code(), Some(2));
    let text = stderr(&from_env);
    assert!(
        text.contains("'abc'") && text.contains("--max-page-size"),
        "{text}"
    );
    assert!(
        text.contains("environment variable MAX_PAGE_SIZE"),
        "{text}"
    );

    let out_of_range = run(&["schema"], &[("DATABASE_MAX_CONNECTIONS", "0")]);
    assert_eq!(out_of_range.status.code(), Some(2));
    assert!(
        stderr(&out_of_range).contains("environment variable DATABASE_MAX_CONNECTIONS"),
        "{}",
        stderr(&out_of_range)
    );

    for (variable, value) in [
        ("MAX_ACTIVITY_BATCH", "0"),
        ("ACTIVITY_CLOCK_SKEW_SECONDS", "-1"),
    ] {
        let refused = run(&["schema"], &[(variable, value)]);
        assert_eq!(refused.status.code(), Some(2), "{variable}");
        assert!(
            stderr(&refused).contains(&format!("environment variable {variable}")),
            "{}",
            stderr(&refused)
        );
    }

    let optional_value = run(&["schema"], &[("PRODUCTION", "maybe")]);
    assert_eq!(optional_value.status.code(), Some(2));
    assert!(
        stderr(&optional_value).contains("environment variable PRODUCTION"),
        "{}",
        stderr(&optional_value)
    );

    // Given as a flag, the flag is named and no variable is blamed.
    let from_flag = run(
        &["--max-page-size", "abc", "schema"],
        &[("MAX_PAGE_SIZE", "7")],
    );
    assert_eq!(from_flag.status.code(), Some(2));
    let text = stderr(&from_flag);
    assert!(text.contains("--max-page-size"), "{text}");
    assert!(!text.contains("environment variable"), "{text}");
}

/// Every `[env: NAME]` setting with its `[default: …]` in the `-h` output of the
/// binary and of each subcommand.
fn settings(path: &[&str], depth: usize, out: &mut Vec<(String, Option<String>)>) {
    let mut args = path.to_vec();
    args.push("-h");
    let help = stdout(&run(&args, &[]));
    for line in help.lines() {
        let Some(start) = line.find("[env: ") else {
            continue;
        };
        let rest = &line[start + 6..];
        let name: String = rest
            .chars()
            .take_while(|c| *c != '=' && *c != ']')
            .collect();
        let default = line.find("[default: ").map(|start| {
            line[start + 10..]
                .chars()
                .take_while(|c| *c != ']')
                .collect::<String>()
        });
        out.push((name, default));
    }
    if depth == 0 {
        return;
    }
    let commands: Vec<String> = help
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| !line.trim().is_empty())
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .filter(|name| name != "help")
        .collect();
    for command in commands {
        let mut sub = path.to_vec();
        sub.push(&command);
        settings(&sub, depth - 1, out);
    }
}

#[test]
fn the_readme_configuration_table_lists_every_setting_with_its_default() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## Configuration")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Configuration section");
    let rows: Vec<&str> = section
        .lines()
        .filter(|line| line.starts_with('|'))
        .collect();

    let mut found = Vec::new();
    settings(&[], 2, &mut found);
    // Guards the parsing itself: today there are 33 settings.
    assert!(found.len() >= 33, "parsed only {found:?}");

    let mut problems = Vec::new();
    for (name, default) in &found {
        let Some(row) = rows.iter().find(|row| row.contains(&format!("`{name}`"))) else {
            problems.push(format!("{name}: no row"));
            continue;
        };
        if let Some(default) = default {
            let cells: Vec<&str> = row.split('|').collect();
            let default_cell = cells.get(3).copied().unwrap_or_default();
            if !default_cell.contains(&format!("`{default}`")) {
                problems.push(format!("{name}: the default `{default}` is not in its row"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "README configuration table is out of date:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn import_and_export_on_the_binary_keep_stdout_clean_and_fail_plainly() {
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("JWT_SECRET", TEST_SECRET),
        ("RUST_BACKTRACE", "1"),
    ];
    let file = scratch.path().join("records.ndjson");
    std::fs::write(
        &file,
        "{\"type\":\"organizer\",\"id\":1,\"name\":\"A\",\"created_at\":\"2026-01-01T00:00:00Z\"}\n\
         {\"type\":\"event\",\"id\":1,\"organizer_id\":9,\"name\":\"E\",\"start_time\":\"2026-01-01T00:00:00Z\",\"end_time\":\"2026-01-02T00:00:00Z\",\"created_at\":\"2026-01-01T00:00:00Z\"}\n",
    )
    .expect("writes the file");
    let path = file.to_str().expect("a UTF-8 path");

    let bad = run(&["import", path], &env);
    assert_eq!(bad.status.code(), Some(1));
    let text = stderr(&bad);
    assert!(
        text.contains("line 2: event.organizer_id: no organizer with id 9"),
        "{text}"
    );
    assert!(!text.contains("backtrace"), "{text}");

    std::fs::write(
        &file,
        "{\"type\":\"organizer\",\"id\":1,\"name\":\"A\",\"created_at\":\"2026-01-01T00:00:00Z\"}\n",
    )
    .expect("writes the file");
    let good = run(&["import", path], &env);
    assert!(good.status.success(), "{}", stderr(&good));
    assert!(stdout(&good).contains("imported 1 records: organizer 1"));

    // stdout is the export and nothing else; the summary goes to stderr.
    let exported = run(&["export"], &env);
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert_eq!(
        stdout(&exported),
        "{\"type\":\"organizer\",\"id\":1,\"name\":\"A\",\"created_at\":\"2026-01-01T00:00:00Z\"}\n"
    );
    assert!(stderr(&exported).contains("exported 1 records"));
}

#[tokio::test]
async fn export_into_a_pipe_writes_through_it_and_leaves_it_a_pipe() {
    // `export -o /dev/null` (or a FIFO) once renamed a regular file over the device.
    use std::os::unix::fs::FileTypeExt;

    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let env = [("DATABASE_URL", url.as_str()), ("JWT_SECRET", TEST_SECRET)];
    let fifo = scratch.path().join("export.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("reads the pipe"))
    };
    let exported = run(
        &["export", "--output", fifo.to_str().expect("a UTF-8 path")],
        &env,
    );
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert!(stderr(&exported).contains("exported 0 records"));
    // Checked before joining: had the pipe been replaced, its reader would wait forever.
    let meta = std::fs::symlink_metadata(&fifo).expect("the pipe is still there");
    assert!(meta.file_type().is_fifo(), "{:?}", meta.file_type());
    assert_eq!(reader.join().expect("the reader finishes"), "");
}

#[tokio::test]
async fn seed_needs_no_signing_secret_and_summarizes() {
    // Seeding signs nothing: it must work without JWT_SECRET on an external database.
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let seeded = run(
        &["seed", "--size", "small"],
        &[("DATABASE_URL", url.as_str())],
    );
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    assert!(stderr(&seeded).contains("seed: "), "{}", stderr(&seeded));
    // A second seed refuses the database that now holds data.
    let again = run(
        &["seed", "--size", "small"],
        &[("DATABASE_URL", url.as_str())],
    );
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
}
