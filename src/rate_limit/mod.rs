//! Per-client budgets: operations, query cost and login attempts, each a GCRA (a token
//! bucket that refills continuously, a minute's budget at most).
//!
//! With `RATE_LIMIT_REDIS_URL` set, every budget is counted in Redis (`shared.rs`), so a
//! client has one budget however many instances serve it. Without it, and while Redis
//! does not answer, budgets are counted in this instance's memory (`memory.rs`): behind
//! a load balancer a client may then spend up to a budget on each instance. An outage of
//! Redis costs the API nothing but that; it is logged once, shown by `/ready` and the
//! `rate_limit_backend` metric, and Redis is used again as soon as it answers.

mod memory;
mod shared;

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use self::{
    memory::Memory,
    shared::{Attempt, Shared},
};
use crate::{config::RateLimits, error::AppError};

/// Who a budget belongs to: the signed-in user, else the client's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Client {
    User(i64),
    Address(IpAddr),
}

/// The address a request came from (the TCP peer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// One budget.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Budget {
    /// GraphQL operations of a client.
    Operations(Client),
    /// Query complexity spent by a client.
    Cost(Client),
    /// `login` attempts for one account (lower-cased email).
    LoginAccount(String),
    /// `login` attempts from one address.
    LoginAddress(IpAddr),
}

impl Budget {
    /// The kind of budget, without whose it is: a metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Operations(_) => "operations",
            Self::Cost(_) => "cost",
            Self::LoginAccount(_) => "login_account",
            Self::LoginAddress(_) => "login_address",
        }
    }
}

/// Where budgets are counted at the moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// In this instance's memory: no Redis is configured.
    Memory,
    /// In Redis, one budget per client across every instance.
    Redis,
    /// In this instance's memory because the configured Redis does not answer.
    MemoryRedisDown,
}

pub struct RateLimiter {
    limits: RateLimits,
    memory: Arc<Memory>,
    shared: Option<Shared>,
    /// Refusals by budget kind (a metric).
    rejections: Option<prometheus::IntCounterVec>,
    /// `rate_limit_backend{backend}`: 1 for where budgets are counted now, else 0.
    backend: Option<prometheus::IntGaugeVec>,
}

impl RateLimiter {
    /// Budgets of `limits`, in Redis when `limits.redis_url` is set. Nothing is
    /// connected yet (see [`connect`](Self::connect)); a malformed URL is refused.
    pub fn new(limits: &RateLimits) -> anyhow::Result<Self> {
        let shared = match &limits.redis_url {
            Some(url) => Some(Shared::new(url, &limits.redis_prefix)?),
            None => None,
        };
        Ok(Self {
            limits: limits.clone(),
            memory: Arc::new(Memory::new(limits)),
            shared,
            rejections: None,
            backend: None,
        })
    }

    /// Counts every refusal in `counter`, labelled by budget kind.
    pub fn with_rejections(mut self, counter: prometheus::IntCounterVec) -> Self {
        self.rejections = Some(counter);
        self
    }

    /// Shows where budgets are counted in `gauge` (labelled `redis` and `memory`).
    pub fn with_backend_gauge(mut self, gauge: prometheus::IntGaugeVec) -> Self {
        self.backend = Some(gauge);
        self.show_backend();
        self
    }

    /// With Redis configured, asks it once (at start, so an unreachable Redis is logged
    /// then): the server starts either way, counting in memory until Redis answers.
    pub async fn connect(&self) {
        let Some(shared) = &self.shared else { return };
        match shared.ping(Duration::from_secs(1)).await {
            Ok(()) => tracing::info!("rate limits are counted in Redis, shared by every instance"),
            Err(err) => self.redis_failed(shared, &err),
        }
    }

    /// Where budgets are counted now; with Redis down and due for a retry, tries it.
    pub async fn backend(&self) -> Backend {
        let Some(shared) = &self.shared else {
            return Backend::Memory;
        };
        let attempt = shared.attempt();
        if attempt == Attempt::Retry {
            match shared.ping(Duration::from_millis(100)).await {
                Ok(()) => self.redis_answered(shared, attempt),
                Err(err) => self.redis_failed(shared, &err),
            }
        }
        if shared.is_up() {
            Backend::Redis
        } else {
            Backend::MemoryRedisDown
        }
    }

    /// The budget's size per minute; 0 means unlimited.
    fn per_minute(&self, budget: &Budget) -> u32 {
        match budget {
            Budget::Operations(_) => self.limits.operations_per_minute,
            Budget::Cost(_) => self.limits.cost_per_minute,
            Budget::LoginAccount(_) => self.limits.login_attempts_per_account_per_minute,
            Budget::LoginAddress(_) => self.limits.login_attempts_per_address_per_minute,
        }
    }

    /// Spends `amount` from `budget`, or says how long until it could (whole seconds, at
    /// least one). A budget holds a minute's worth and refills continuously, so short
    /// bursts are fine.
    pub async fn take(&self, budget: Budget, amount: u64) -> Result<(), Duration> {
        let per_minute = self.per_minute(&budget);
        // A single request never needs more than a whole budget; 0 is free (and a
        // budget of 0 is off).
        let cells = u32::try_from(amount.min(u64::from(per_minute))).unwrap_or(per_minute);
        let Some(cells) = NonZeroU32::new(cells) else {
            return Ok(());
        };
        let verdict = match &self.shared {
            Some(shared) => self.take_shared(shared, &budget, per_minute, cells).await,
            None => self.memory.take(&budget, cells),
        };
        if self.memory.prune_due() {
            self.prune_in_background();
        }
        verdict.map_err(|wait| {
            if let Some(rejections) = &self.rejections {
                rejections.with_label_values(&[budget.kind()]).inc();
            }
            Duration::from_secs(wait.as_secs_f64().ceil().max(1.0) as u64)
        })
    }

    async fn take_shared(
        &self,
        shared: &Shared,
        budget: &Budget,
        per_minute: u32,
        cells: NonZeroU32,
    ) -> Result<(), Duration> {
        let attempt = shared.attempt();
        if attempt == Attempt::Skip {
            return self.memory.take(budget, cells);
        }
        match shared.take(budget, per_minute, cells).await {
            Ok(verdict) => {
                self.redis_answered(shared, attempt);
                // What Redis allowed is spent in memory too (whatever memory says), so
                // that an outage does not hand this instance's clients fresh budgets.
                if verdict.is_ok() {
                    let _ = self.memory.take(budget, cells);
                }
                verdict
            }
            Err(err) => {
                self.redis_failed(shared, &err);
                self.memory.take(budget, cells)
            }
        }
    }

    fn redis_answered(&self, shared: &Shared, attempt: Attempt) {
        if shared.answered(attempt) {
            tracing::info!("Redis answers again: rate limits are shared by every instance");
            self.show_backend();
        }
    }

    /// Logged once per outage: the first failure after Redis answered.
    fn redis_failed(&self, shared: &Shared, err: &shared::Unavailable) {
        if shared.failed() {
            tracing::warn!(
                error = %err,
                "Redis does not answer: rate limits are counted per instance until it does"
            );
            self.show_backend();
        }
    }

    fn show_backend(&self) {
        let Some(gauge) = &self.backend else { return };
        let redis = self.shared.as_ref().is_some_and(Shared::is_up);
        gauge.with_label_values(&["redis"]).set(i64::from(redis));
        gauge.with_label_values(&["memory"]).set(i64::from(!redis));
    }

    /// Drops idle clients off the runtime's threads: with many clients it takes a while.
    fn prune_in_background(&self) {
        let memory = self.memory.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(move || memory.prune())),
            Err(_) => memory.prune(),
        }
    }

    /// Drops every client whose budgets have refilled from memory now (it happens on its
    /// own every few seconds).
    pub fn prune(&self) {
        self.memory.prune();
    }

    /// Clients held in memory, over every kind of budget.
    pub fn tracked(&self) -> usize {
        self.memory.tracked()
    }

    /// [`take`](Self::take), as the error a resolver returns.
    pub async fn spend(&self, budget: Budget, amount: u64) -> Result<(), AppError> {
        self.take(budget, amount)
            .await
            .map_err(|wait| AppError::RateLimited(wait.as_secs().max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(operations: u32) -> RateLimiter {
        RateLimiter::new(&RateLimits {
            operations_per_minute: operations,
            cost_per_minute: 100,
            ..RateLimits::default()
        })
        .expect("no Redis URL to refuse")
    }

    #[tokio::test]
    async fn a_budget_allows_a_minutes_worth_then_says_when_to_retry() {
        let limiter = limiter(3);
        let me = Budget::Operations(Client::User(1));
        for _ in 0..3 {
            assert_eq!(limiter.take(me.clone(), 1).await, Ok(()));
        }
        let retry = limiter
            .take(me, 1)
            .await
            .expect_err("the fourth is over budget");
        assert!(
            retry >= Duration::from_secs(1) && retry <= Duration::from_secs(20),
            "{retry:?}"
        );
        assert_eq!(retry.subsec_nanos(), 0, "whole seconds: {retry:?}");
        assert_eq!(
            limiter.take(Budget::Operations(Client::User(2)), 1).await,
            Ok(()),
            "budgets are per client"
        );
    }

    #[tokio::test]
    async fn zero_turns_a_budget_off() {
        let limiter = limiter(0);
        for _ in 0..10_000 {
            assert_eq!(
                limiter.take(Budget::Operations(Client::User(1)), 1).await,
                Ok(())
            );
        }
    }

    #[tokio::test]
    async fn a_cost_above_the_whole_budget_spends_the_whole_budget() {
        let limiter = limiter(3);
        let me = Budget::Cost(Client::User(1));
        assert_eq!(limiter.take(me.clone(), 40).await, Ok(()));
        assert_eq!(limiter.take(me.clone(), 60).await, Ok(()));
        assert!(
            limiter.take(me.clone(), 1).await.is_err(),
            "100 of 100 spent"
        );
        let other = Budget::Cost(Client::User(2));
        assert_eq!(limiter.take(other.clone(), 5_000).await, Ok(()));
        assert!(limiter.take(other, 1).await.is_err());
    }

    #[tokio::test]
    async fn without_redis_budgets_are_counted_in_memory() {
        assert_eq!(limiter(3).backend().await, Backend::Memory);
    }
}
