//! Read replicas: a pool per replica, their replay lag measured against a heartbeat the primary writes, and round robin among the healthy ones.
//!
//! Every `REPLICA_CHECK_INTERVAL_MS` this instance writes the primary's clock into
//! `replica_heartbeat` (migration 11) and reads, on each replica, how old the replayed
//! heartbeat is there: that is the replica's lag (replay delay plus at most one
//! interval). A replica that does not answer within the interval, or whose lag passes
//! `MAX_REPLICA_LAG_MS`, leaves the rotation until a check finds it healthy again; with
//! none healthy, reads go to the primary. Checks run on a connection of their own
//! (per replica, and one on the primary), outside the request pools and their
//! statement counters.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, Statement};

use super::StatementCounter;

/// One replica: its request pool, the statements run on it, and its last check.
pub struct Replica {
    /// `host:port/database`, never the credentials: for `/ready` and the logs.
    pub name: String,
    pub db: DatabaseConnection,
    pub statements: StatementCounter,
    check: DatabaseConnection,
    healthy: AtomicBool,
    /// Lag at the last check, in milliseconds; -1 when it did not answer.
    lag_ms: AtomicI64,
}

impl Replica {
    pub fn healthy(&self) -> bool {
        self.healthy.load(Ordering::Acquire)
    }

    /// The lag at the last check (ms), `None` when the replica did not answer.
    pub fn lag_ms(&self) -> Option<i64> {
        Some(self.lag_ms.load(Ordering::Acquire)).filter(|lag| *lag >= 0)
    }
}

/// The replicas of this instance.
pub struct Replicas {
    pub members: Vec<Arc<Replica>>,
    next: AtomicUsize,
    max_lag_ms: i64,
    interval: Duration,
}

/// The primary's clock in milliseconds, as both sides compute it.
const NOW_MS: &str = "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";

/// `postgres://user:secret@host:port/db?x` → `host:port/db`.
pub fn display_name(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    rest.split('?').next().unwrap_or(rest).to_owned()
}

impl Replicas {
    /// Opens a pool per URL, lazily: a replica that is down at start is only out of
    /// rotation. `connect` opens a request pool and its statement counter.
    pub async fn open<F, Fut>(
        urls: &[String],
        max_lag: Duration,
        interval: Duration,
        connect: F,
    ) -> Result<Self, DbErr>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<(DatabaseConnection, StatementCounter), DbErr>>,
    {
        let mut members = Vec::with_capacity(urls.len());
        for url in urls {
            let (db, statements) = connect(url.clone()).await?;
            let check = check_connection(url, interval).await?;
            members.push(Arc::new(Replica {
                name: display_name(url),
                db,
                statements,
                check,
                healthy: AtomicBool::new(false),
                lag_ms: AtomicI64::new(-1),
            }));
        }
        Ok(Self {
            members,
            next: AtomicUsize::new(0),
            max_lag_ms: i64::try_from(max_lag.as_millis()).unwrap_or(i64::MAX),
            interval,
        })
    }

    /// The next healthy replica's pool, round robin; `None` when none is healthy.
    pub fn pick(&self) -> Option<&DatabaseConnection> {
        let n = self.members.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.members[(start + i) % n])
            .find(|r| r.healthy())
            .map(|r| &r.db)
    }

    /// Starts the heartbeat on `primary_url` and the checks; runs for the process's life.
    pub async fn spawn_checks(self: &Arc<Self>, primary_url: &str) -> Result<(), DbErr> {
        let primary = check_connection(primary_url, self.interval).await?;
        let replicas = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(replicas.interval);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut primary_down = false;
            loop {
                tick.tick().await;
                let beat = format!("UPDATE replica_heartbeat SET beat_ms = {NOW_MS} WHERE id = 1");
                match tokio::time::timeout(replicas.interval, primary.execute_unprepared(&beat))
                    .await
                {
                    Ok(Ok(_)) => primary_down = false,
                    _ if !primary_down => {
                        tracing::warn!("writing the replica heartbeat on the primary failed");
                        primary_down = true;
                    }
                    _ => {}
                }
                for replica in &replicas.members {
                    replicas.check(replica).await;
                }
            }
        });
        Ok(())
    }

    async fn check(&self, replica: &Replica) {
        let sql = format!("SELECT {NOW_MS} - beat_ms AS lag FROM replica_heartbeat WHERE id = 1");
        let statement = Statement::from_string(replica.check.get_database_backend(), sql);
        let lag = match tokio::time::timeout(self.interval, replica.check.query_one_raw(statement))
            .await
        {
            Ok(Ok(Some(row))) => row.try_get::<i64>("", "lag").ok(),
            _ => None,
        };
        let healthy = lag.is_some_and(|lag| lag <= self.max_lag_ms);
        replica.lag_ms.store(lag.unwrap_or(-1), Ordering::Release);
        let was = replica.healthy.swap(healthy, Ordering::AcqRel);
        if was != healthy {
            match lag {
                Some(lag) if healthy => {
                    tracing::info!(replica = %replica.name, lag_ms = lag, "replica in rotation");
                }
                Some(lag) => tracing::warn!(
                    replica = %replica.name, lag_ms = lag, max_lag_ms = self.max_lag_ms,
                    "replica lags: out of rotation, its reads go to the primary"
                ),
                None => tracing::warn!(
                    replica = %replica.name,
                    "replica does not answer: out of rotation, its reads go to the primary"
                ),
            }
        }
    }
}

/// A one-connection pool for checks, lazy, failing fast.
async fn check_connection(url: &str, interval: Duration) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(1)
        .min_connections(0)
        .connect_timeout(interval)
        .acquire_timeout(interval)
        .sqlx_logging(false)
        .connect_lazy(true);
    Database::connect(options).await
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn names_carry_no_credentials() {
        assert_eq!(
            display_name("postgres://reader:s3cret@db-2.internal:5433/app?sslmode=require"),
            "db-2.internal:5433/app"
        );
        assert_eq!(display_name("postgres://127.0.0.1/test"), "127.0.0.1/test");
    }
}
