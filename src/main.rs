//! The `session-analytics` command line: parses arguments and calls the library.

use std::{
    io::{BufReader, BufWriter, IsTerminal},
    path::PathBuf,
};

use anyhow::Context as _;
use clap::{CommandFactory, Parser, Subcommand};
use session_analytics::{
    config::{self, Config, ServeConfig},
    db,
    progress::Progress,
    startup::{self, Application},
    transfer,
};

/// mimalloc rather than the system allocator: fewer instructions per allocation for the
/// many small, short-lived blocks of a request (docs/PERFORMANCE.md, "The allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    version,
    about = "GraphQL analytics server for the hosts of virtual and hybrid events"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(flatten)]
    serve: ServeConfig,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Print a bearer token for the user with this email (for operators and scripts).
    Token {
        /// The user's email address.
        #[arg(long)]
        email: String,
    },
    /// Print the GraphQL schema (SDL); `schema.graphql` is its output.
    Schema,
    /// Fill an empty database with a deterministic data set (demo, or synthetic for
    /// benchmarks), bulk-loaded in one transaction.
    Seed {
        /// Which data set: `demo` (a few thousand rows), `small`, `medium` or `large`
        /// (1,000,000 registrations).
        #[arg(long, value_enum, default_value_t = session_analytics::seed::Size::Demo)]
        size: session_analytics::seed::Size,
        /// Delete every row of every table first instead of refusing a database that
        /// already holds data.
        #[arg(long)]
        replace: bool,
    },
    /// Show, apply or roll back database migrations (nothing else is migrated or seeded).
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Import NDJSON records (docs/IMPORT.md): all are validated, then upserted by id in
    /// one transaction; on any error nothing is written.
    Import {
        /// The file to read; `-` reads standard input.
        file: PathBuf,
    },
    /// Recompute every figure derived from the activity log (views, watch time, video
    /// figures, the timeline, registrants' attended and watch time) from the log rows
    /// with a client event id. Run it while nothing ingests.
    Rederive,
    /// Export every record as NDJSON (docs/IMPORT.md), parents first, in id order.
    /// Passwords are never exported.
    Export {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Only this event: its records, its organizer (and the organizer's admins) and
        /// every user they reference, so that the export imports on its own.
        #[arg(long)]
        event: Option<i64>,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply pending migrations.
    Up {
        /// Apply at most this many (default: all).
        #[arg(long)]
        steps: Option<u32>,
    },
    /// Roll back the most recently applied migrations (their tables and data are dropped).
    Down {
        /// How many to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List applied, pending and unknown (applied by a newer binary) migrations.
    Status,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = parse();
    if let Err(err) =
        session_analytics::telemetry::logging::init(&cli.config.telemetry, cli.config.production)
    {
        eprintln!("error: {err:#}");
        return std::process::ExitCode::FAILURE;
    }
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // The causes on one line, without anyhow's backtrace (RUST_BACKTRACE would
            // add one): an operator needs the reason, not our stack.
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::Migrate { action }) => migrate(&cli.config, action).await?,
        Some(Command::Import { file }) => import(&cli.config, &file).await?,
        Some(Command::Export { output, event }) => {
            export(&cli.config, output.as_deref(), event).await?
        }
        Some(Command::Rederive) => rederive(&cli.config).await?,
        Some(Command::Schema) => print!("{}", session_analytics::graphql::sdl()),
        Some(Command::Token { email }) => {
            let (db, _, keys) = startup::prepare(&cli.config).await?;
            let user = session_analytics::store::people::by_email(&db, &email)
                .await?
                .ok_or_else(|| anyhow::anyhow!("no user with email {email}"))?;
            let issued = keys
                .issue(user.id, user.role)
                .map_err(|_| anyhow::anyhow!("signing the token failed"))?;
            println!("{}", issued.token);
        }
        Some(Command::Seed { size, replace }) => {
            // `open`, not `prepare`: seeding needs no signing keys (so no JWT_SECRET on
            // PostgreSQL) and must not load the demo set first.
            let (db, _) = startup::open(&cli.config).await?;
            let progress = session_analytics::progress::Progress::new(
                "seed",
                "rows",
                session_analytics::seed::expected_rows(size),
            );
            let on_existing = if replace {
                session_analytics::seed::OnExisting::Replace
            } else {
                session_analytics::seed::OnExisting::Refuse
            };
            session_analytics::seed::seed(&db, size, on_existing, &progress).await?;
            eprintln!("{}", progress.finish());
        }
        Some(Command::Serve) | None => serve_until_signal(&cli.config, &cli.serve).await?,
    }
    Ok(())
}

/// Parses the command line; a bad value that came from an environment variable is
/// reported naming that variable too.
fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => {
            let note = config::explain_parse_error(&err, &Cli::command(), &args, |name| {
                std::env::var_os(name).is_some()
            });
            match note {
                Some(note) => {
                    let rendered = err.render();
                    if std::io::stderr().is_terminal() {
                        eprint!("{}", rendered.ansi());
                    } else {
                        eprint!("{rendered}");
                    }
                    eprintln!("{note}");
                    std::process::exit(err.exit_code());
                }
                None => err.exit(),
            }
        }
    }
}

async fn migrate(config: &Config, action: MigrateAction) -> anyhow::Result<()> {
    let (db, _) = startup::connect(config).await?;
    match action {
        MigrateAction::Status => {
            let report = db::migration_report(&db).await?;
            for name in &report.applied {
                println!("applied  {name}");
            }
            for name in &report.pending {
                println!("pending  {name}");
            }
            for name in &report.unknown {
                println!("unknown  {name} (applied by a newer binary)");
            }
            println!(
                "{} applied, {} pending, {} unknown",
                report.applied.len(),
                report.pending.len(),
                report.unknown.len()
            );
        }
        MigrateAction::Up { steps } => {
            let progress = Progress::new("migrate up", "migrations", None);
            let done = db::migrate_up(&db, steps).await?;
            progress.inc(done.len() as u64);
            eprintln!("{}", progress.finish());
            println!("applied {} migration(s): {}", done.len(), list(&done));
        }
        MigrateAction::Down { steps } => {
            let progress = Progress::new("migrate down", "migrations", None);
            let done = db::migrate_down(&db, steps).await?;
            progress.inc(done.len() as u64);
            eprintln!("{}", progress.finish());
            println!("rolled back {} migration(s): {}", done.len(), list(&done));
        }
    }
    db.close().await.ok();
    Ok(())
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

async fn import(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let (db, _) = startup::open(config).await?;
    let progress = Progress::new("import", "records", None);
    let summary = if file.as_os_str() == "-" {
        transfer::import(&db, std::io::stdin().lock(), &progress).await
    } else {
        let opened =
            std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        transfer::import(&db, BufReader::with_capacity(1 << 16, opened), &progress).await
    };
    let line = progress.finish();
    db.close().await.ok();
    let summary = summary?;
    eprintln!("{line}");
    let counts: Vec<String> = summary
        .per_type
        .iter()
        .filter(|(_, count)| *count > 0)
        .map(|(tag, count)| format!("{tag} {count}"))
        .collect();
    println!(
        "imported {} records: {}",
        summary.records,
        if counts.is_empty() {
            "none".to_owned()
        } else {
            counts.join(", ")
        }
    );
    Ok(())
}

async fn rederive(config: &Config) -> anyhow::Result<()> {
    let (db, _) = startup::open(config).await?;
    let done = session_analytics::store::activity::rederive(&db).await;
    db.close().await.ok();
    let done = done.context("rederiving failed (nothing of the failed chunk was written)")?;
    println!(
        "rederived {} session(s) from {} logged event(s)",
        done.sessions, done.events
    );
    Ok(())
}

async fn export(
    config: &Config,
    output: Option<&std::path::Path>,
    event: Option<i64>,
) -> anyhow::Result<()> {
    let (db, _) = startup::open(config).await?;
    let total = transfer::export::count_rows(&db, event).await?;
    let progress = Progress::new("export", "records", Some(total));
    let written = match output {
        None => {
            if std::io::stdout().is_terminal() {
                tracing::info!("writing the export to the terminal; use --output FILE for a file");
            }
            let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            transfer::export(&db, &mut out, &progress, event).await?
        }
        // A device, a pipe or a socket (`-o /dev/null`, a FIFO) is written as it is:
        // renaming a file over it would replace it with a regular file.
        Some(path) if std::fs::metadata(path).is_ok_and(|meta| !meta.file_type().is_file()) => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            let mut out = BufWriter::with_capacity(1 << 16, file);
            transfer::export(&db, &mut out, &progress, event).await?
        }
        Some(path) => {
            // Written beside the target and renamed at the end: a failed export never
            // leaves a truncated file under the requested name.
            let mut partial = path.as_os_str().to_owned();
            partial.push(".partial");
            let partial = PathBuf::from(partial);
            let file = std::fs::File::create(&partial)
                .with_context(|| format!("cannot create {}", partial.display()))?;
            let mut out = BufWriter::with_capacity(1 << 16, file);
            let written = transfer::export(&db, &mut out, &progress, event).await?;
            drop(out);
            std::fs::rename(&partial, path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            written
        }
    };
    db.close().await.ok();
    // The summary goes to stderr: stdout may be the export itself.
    eprintln!("{}", progress.finish());
    eprintln!("exported {written} records");
    Ok(())
}

async fn serve_until_signal(config: &Config, serve: &ServeConfig) -> anyhow::Result<()> {
    let app = Application::build(config, serve.bind).await?;
    let addr = app.local_addr()?;
    tracing::info!(%addr, "listening");
    println!("session-analytics is listening on http://{addr}");
    println!("  Analytics:  http://{addr}/analytics");
    println!("  GraphiQL:   http://{addr}/graphql");
    println!("  Health:     http://{addr}/health (liveness), http://{addr}/ready (readiness)");
    if config.telemetry.metrics_enabled {
        println!("  Metrics:    http://{addr}/metrics");
    }
    if config.wants_demo_data() {
        println!(
            "  Log in with the `login` mutation as super.admin@example.com, organizer.admin@example.com,\n  event.admin@example.com or attendee@example.com, password `demo-password`,\n  then send the token as `Authorization: Bearer <token>`."
        );
    }
    let delay = std::time::Duration::from_millis(serve.shutdown_ready_delay_ms);
    let (leave_tx, leave) = tokio::sync::oneshot::channel();
    let (stop_tx, stop) = tokio::sync::oneshot::channel();
    // The handlers are installed now, before the first request, not when the task runs.
    tokio::spawn(stop_on_signals(Signals::new(), delay, leave_tx, stop_tx));
    // A sender dropped without sending (no signal handler) must not stop the server.
    let fired = |rx: tokio::sync::oneshot::Receiver<()>| async move {
        if rx.await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    app.run_with_drain(fired(leave), fired(stop)).await
}

/// SIGTERM (a service manager, an orchestrator): leave the load balancer's rotation
/// (`/ready` answers 503) and serve on for `delay`, then stop; a second signal cuts the
/// delay short. Ctrl-C (SIGINT, someone at a terminal) stops without the delay.
async fn stop_on_signals(
    mut signals: Signals,
    delay: std::time::Duration,
    leave: tokio::sync::oneshot::Sender<()>,
    stop: tokio::sync::oneshot::Sender<()>,
) {
    let first = signals.next().await;
    let _ = leave.send(());
    if first == Signal::Terminate && !delay.is_zero() {
        tracing::info!(
            delay_ms = delay.as_millis() as u64,
            "SIGTERM: serving on for the ready delay (a second signal stops at once)"
        );
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = signals.next() => tracing::info!("a second signal: not waiting for the rest of the ready delay"),
        }
    }
    tracing::info!("shutting down: finishing in-flight requests");
    let _ = stop.send(());
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Signal {
    Interrupt,
    Terminate,
}

/// Ctrl-C and (on Unix) SIGTERM, each received as often as it comes.
struct Signals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        Self {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .ok(),
        }
    }

    async fn next(&mut self) -> Signal {
        let interrupt = async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        #[cfg(unix)]
        let terminate = async {
            match &mut self.terminate {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let terminate = std::future::pending::<()>();
        tokio::select! {
            () = interrupt => Signal::Interrupt,
            () = terminate => Signal::Terminate,
        }
    }
}
