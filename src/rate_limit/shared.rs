//! Budgets shared by every instance: GCRA in Redis (`gcra.lua`, one atomic script), and
//! whether Redis answers.

use std::{
    fmt,
    num::NonZeroU32,
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::{Duration, Instant},
};

use redis::{
    Client, Script,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use sha2::{Digest, Sha256};

use super::{Budget, Client as BudgetClient};
use crate::config::Secret;

/// Longest a request waits for Redis before it is counted in memory instead: well above
/// a round trip on a network, well below what a client would notice.
const TIMEOUT: Duration = Duration::from_millis(100);

/// While Redis does not answer, one request per this long tries it again (the others go
/// straight to memory, so an outage costs them nothing).
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// Why Redis did not decide.
#[derive(Debug)]
pub(super) enum Unavailable {
    TimedOut,
    Failed(redis::RedisError),
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TimedOut => write!(f, "no answer within {} ms", TIMEOUT.as_millis()),
            // Connection, server and script errors; never the URL or its password.
            Self::Failed(err) => err.fmt(f),
        }
    }
}

/// Whether a call goes to Redis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Attempt {
    /// Redis answers: every call goes there.
    Normal,
    /// Redis did not answer; this call is the one that tries it again.
    Retry,
    /// Redis did not answer and was tried less than [`RETRY_EVERY`] ago: memory.
    Skip,
}

pub(super) struct Shared {
    connection: ConnectionManager,
    script: Script,
    prefix: String,
    up: AtomicBool,
    started: Instant,
    /// Milliseconds after `started` when Redis may be tried again, while it is down.
    retry_at: AtomicU64,
}

impl Shared {
    /// The connection is made on first use (and remade after a failure, in the
    /// background): a server starts whether or not Redis answers. A malformed URL is
    /// refused here, naming the setting and never repeating the URL, which may hold a
    /// password.
    pub(super) fn new(url: &Secret, prefix: &str) -> anyhow::Result<Self> {
        let client = Client::open(url.expose()).map_err(|err| {
            anyhow::anyhow!(
                "RATE_LIMIT_REDIS_URL (--rate-limit-redis-url) is not a usable Redis URL \
                 (redis://[user:password@]host[:port][/db]): {err}"
            )
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50));
        let connection = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self {
            connection,
            script: Script::new(include_str!("gcra.lua")),
            prefix: prefix.to_owned(),
            up: AtomicBool::new(true),
            started: Instant::now(),
            retry_at: AtomicU64::new(0),
        })
    }

    /// Whether this call should go to Redis.
    pub(super) fn attempt(&self) -> Attempt {
        if self.up.load(Ordering::Relaxed) {
            return Attempt::Normal;
        }
        let now = self.millis();
        let due = self.retry_at.load(Ordering::Relaxed);
        let claimed = now >= due
            && self
                .retry_at
                .compare_exchange(
                    due,
                    now + millis(RETRY_EVERY),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok();
        if claimed {
            Attempt::Retry
        } else {
            Attempt::Skip
        }
    }

    /// Redis answered `attempt`; true when that ends an outage. Only a retry ends one, so
    /// a call that started before the outage and finished late does not.
    pub(super) fn answered(&self, attempt: Attempt) -> bool {
        attempt == Attempt::Retry && !self.up.swap(true, Ordering::Relaxed)
    }

    /// Redis failed; true when that starts an outage.
    pub(super) fn failed(&self) -> bool {
        self.retry_at
            .store(self.millis() + millis(RETRY_EVERY), Ordering::Relaxed);
        self.up.swap(false, Ordering::Relaxed)
    }

    pub(super) fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Spends `cells` of the `per_minute` budget in Redis: `Ok(verdict)`, or why Redis
    /// could not say.
    pub(super) async fn take(
        &self,
        budget: &Budget,
        per_minute: u32,
        cells: NonZeroU32,
    ) -> Result<Result<(), Duration>, Unavailable> {
        let interval_us = 60_000_000.0 / f64::from(per_minute);
        let mut connection = self.connection.clone();
        let mut invocation = self.script.prepare_invoke();
        invocation
            .key(self.key(budget))
            .arg(interval_us)
            .arg(per_minute)
            .arg(cells.get());
        let answer = tokio::time::timeout(TIMEOUT, invocation.invoke_async(&mut connection))
            .await
            .map_err(|_| Unavailable::TimedOut)?;
        let (allowed, wait_us): (i64, i64) = answer.map_err(Unavailable::Failed)?;
        if allowed == 1 {
            Ok(Ok(()))
        } else {
            Ok(Err(Duration::from_micros(
                u64::try_from(wait_us).unwrap_or(0),
            )))
        }
    }

    /// `PING`, within `limit`.
    pub(super) async fn ping(&self, limit: Duration) -> Result<(), Unavailable> {
        let mut connection = self.connection.clone();
        let answer: Result<String, _> =
            tokio::time::timeout(limit, redis::cmd("PING").query_async(&mut connection))
                .await
                .map_err(|_| Unavailable::TimedOut)?;
        answer.map(drop).map_err(Unavailable::Failed)
    }

    /// `<prefix>:<kind>:<hash>`: the client is named by a SHA-256 of who it is, so no
    /// email or address appears in Redis.
    fn key(&self, budget: &Budget) -> String {
        let who = match budget {
            Budget::Operations(client) | Budget::Cost(client) => match client {
                BudgetClient::User(id) => format!("user:{id}"),
                BudgetClient::Address(address) => format!("address:{address}"),
            },
            Budget::LoginAccount(email) => format!("account:{email}"),
            Budget::LoginAddress(address) => format!("address:{address}"),
        };
        let digest = Sha256::digest(who.as_bytes());
        format!(
            "{}:{}:{}",
            self.prefix,
            budget.kind(),
            hex::encode(&digest[..16])
        )
    }

    fn millis(&self) -> u64 {
        millis(self.started.elapsed())
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_name_the_budget_but_not_the_client() {
        let shared =
            Shared::new(&Secret::new("redis://127.0.0.1:6379"), "sa:rl").expect("a valid URL");
        let key = shared.key(&Budget::LoginAccount("someone@example.com".into()));
        assert!(key.starts_with("sa:rl:login_account:"), "{key}");
        assert_eq!(key.len(), "sa:rl:login_account:".len() + 32, "{key}");
        assert!(!key.contains("example"), "{key}");
        assert_ne!(
            shared.key(&Budget::Operations(BudgetClient::User(1))),
            shared.key(&Budget::Operations(BudgetClient::User(2)))
        );
    }

    #[tokio::test]
    async fn a_malformed_url_is_refused_naming_the_setting_but_not_the_password() {
        for url in [
            "localhost:6379",
            "http://user:hunter2@host",
            "redis://:hunter2@",
        ] {
            let err = Shared::new(&Secret::new(url), "sa:rl")
                .err()
                .unwrap_or_else(|| panic!("{url} is refused"))
                .to_string();
            assert!(err.contains("RATE_LIMIT_REDIS_URL"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
}
