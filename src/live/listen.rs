//! PostgreSQL `LISTEN`: changes written through any instance reach this one's hub.
//!
//! Triggers (migration `m20261205_000010_live_notify`) send `NOTIFY session_live` in
//! the writing transaction, so a notification arrives only for committed changes and
//! whoever wrote them (any instance, `import`, the platform). Payloads:
//! `sessions:<id>,<id>,...` (figures of these sessions changed) and `rights` (users
//! or host assignments changed: every subscriber's rights are checked again).
//! One connection per instance listens; when it drops, sqlx reconnects and the hub
//! re-reads every session, since notifications sent meanwhile are lost.

use std::{sync::Arc, time::Duration};

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use super::hub::Hub;

pub use migration::live_notify::CHANNEL;

/// What the listening connection calls itself in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "session-analytics-live";

/// Listens on `url` for the life of the process, telling `hub` what changed.
pub async fn run(url: String, hub: Arc<Hub>) {
    let options = match url.parse::<PgConnectOptions>() {
        Ok(options) => options.application_name(APPLICATION_NAME),
        Err(err) => {
            tracing::error!(error = %err, "live updates across instances are off: bad database URL");
            return;
        }
    };
    // A pool of one: PgListener reconnects through it after an outage.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options);
    let mut down = false;
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(err) => {
                if !down {
                    tracing::warn!(error = %err, "live updates: cannot listen; retrying");
                    down = true;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            if !down {
                tracing::warn!(error = %err, "live updates: LISTEN failed; retrying");
                down = true;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        if down {
            tracing::info!("live updates: listening again");
            down = false;
        }
        // Whatever happened while nobody listened is read again.
        hub.changed_all();
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => apply(&hub, notification.payload()),
                Ok(None) => {
                    // A fresh listener: the hub re-reads everything once it listens again.
                    tracing::warn!("live updates: the listening connection dropped; reconnecting");
                    break;
                }
                Err(err) => {
                    tracing::warn!(error = %err, "live updates: listening failed; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

/// Applies one notification's payload.
fn apply(hub: &Hub, payload: &str) {
    match payload.split_once(':') {
        Some(("sessions", ids)) => {
            hub.changed(
                ids.split(',')
                    .filter_map(|id| id.trim().parse::<i64>().ok()),
            );
        }
        _ => hub.changed_all(),
    }
}
