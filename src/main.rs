//! The `session-analytics` command line: parses arguments and calls the library.

use clap::{Parser, Subcommand};
use session_analytics::{
    config::{Config, ServeConfig},
    startup::{self, Application},
};

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
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
            let mut config = cli.config.clone();
            // The seed replaces the demo set, never the other way round.
            config.demo_data = session_analytics::config::DemoData::Never;
            let (db, _, _) = startup::prepare(&config).await?;
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
            println!("{}", progress.finish());
        }
        Some(Command::Serve) | None => serve_until_signal(&cli.config, &cli.serve).await?,
    }
    Ok(())
}

async fn serve_until_signal(config: &Config, serve: &ServeConfig) -> anyhow::Result<()> {
    let app = Application::build(config, serve.bind).await?;
    let addr = app.local_addr()?;
    tracing::info!(%addr, "listening");
    println!("session-analytics is listening on http://{addr}");
    println!("  GraphiQL:   http://{addr}/graphql");
    println!("  Health:     http://{addr}/health");
    if config.wants_demo_data() {
        println!(
            "  Log in with the `login` mutation as super.admin@example.com, organizer.admin@example.com,\n  event.admin@example.com or attendee@example.com, password `demo-password`,\n  then send the token as `Authorization: Bearer <token>`."
        );
    }
    app.run_until_stopped(shutdown_signal()).await
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
