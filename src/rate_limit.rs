//! Per-client budgets: token buckets for operations, query cost and login attempts.
//!
//! The buckets live in memory, per server instance: behind a load balancer a client
//! may spend up to the budget on each instance. That bounds abuse without shared state;
//! a global budget would need the database or a shared store on every request.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
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

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Buckets beyond this many are pruned of the ones that have refilled (idle clients).
const PRUNE_ABOVE: usize = 10_000;

pub struct RateLimiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<Budget, Bucket>>,
    takes: AtomicU64,
    /// Refusals by budget kind (a metric).
    rejections: Option<prometheus::IntCounterVec>,
}

impl RateLimiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            buckets: Mutex::new(HashMap::new()),
            takes: AtomicU64::new(0),
            rejections: None,
        }
    }

    /// Counts every refusal in `counter`, labelled by budget kind.
    pub fn with_rejections(mut self, counter: prometheus::IntCounterVec) -> Self {
        self.rejections = Some(counter);
        self
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

    /// Spends `amount` from `budget`, or says how long until it could. A bucket holds
    /// a minute's budget and refills continuously, so short bursts are fine.
    pub fn take(&self, budget: Budget, amount: u64) -> Result<(), Duration> {
        let per_minute = self.per_minute(&budget);
        let kind = budget.kind();
        if per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(per_minute);
        let per_second = capacity / 60.0;
        // A single request never needs more than a whole bucket.
        let amount = (amount as f64).min(capacity);
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(()); // a poisoned lock must not take the API down with it
        };
        if self
            .takes
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(1024)
            && buckets.len() > PRUNE_ABOVE
        {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < capacity
            });
        }
        let bucket = buckets.entry(budget).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let elapsed = now.duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.updated = now;
        if bucket.tokens >= amount {
            bucket.tokens -= amount;
            Ok(())
        } else {
            if let Some(rejections) = &self.rejections {
                rejections.with_label_values(&[kind]).inc();
            }
            let wait = (amount - bucket.tokens) / per_second;
            Err(Duration::from_secs_f64(wait.ceil().max(1.0)))
        }
    }
}

impl RateLimiter {
    /// [`take`](Self::take), as the error a resolver returns.
    pub fn spend(&self, budget: Budget, amount: u64) -> Result<(), AppError> {
        self.take(budget, amount)
            .map_err(|wait| AppError::RateLimited(wait.as_secs().max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(operations: u32) -> RateLimiter {
        RateLimiter::new(RateLimits {
            operations_per_minute: operations,
            ..RateLimits::default()
        })
    }

    #[test]
    fn a_bucket_allows_a_minutes_budget_then_says_when_to_retry() {
        let limiter = limiter(3);
        let me = Budget::Operations(Client::User(1));
        for _ in 0..3 {
            assert_eq!(limiter.take(me.clone(), 1), Ok(()));
        }
        let retry = limiter.take(me, 1).expect_err("the fourth is over budget");
        assert!(
            retry >= Duration::from_secs(1) && retry <= Duration::from_secs(20),
            "{retry:?}"
        );
        assert_eq!(
            limiter.take(Budget::Operations(Client::User(2)), 1),
            Ok(()),
            "budgets are per client"
        );
    }

    #[test]
    fn zero_turns_a_budget_off() {
        let limiter = limiter(0);
        for _ in 0..10_000 {
            assert_eq!(limiter.take(Budget::Operations(Client::User(1)), 1), Ok(()));
        }
    }
}
