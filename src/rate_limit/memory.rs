//! Budgets kept in this instance's memory: one keyed GCRA limiter (`governor`) per kind of
//! budget, each pruned of its idle keys by its own quota.

use std::{
    hash::Hash,
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use governor::{DefaultKeyedRateLimiter, InsufficientCapacity, Quota, clock::Clock};

use super::{Budget, Client};
use crate::config::RateLimits;

/// How often idle keys are dropped. A key is idle once its budget has refilled (at most
/// a minute after its last use), so a client is remembered for at most about 70 s after
/// it stopped asking; what is held is bounded by the clients seen in that time.
const PRUNE_EVERY: Duration = Duration::from_secs(10);

type Keyed<K> = DefaultKeyedRateLimiter<K>;

pub(super) struct Memory {
    operations: Option<Keyed<Client>>,
    cost: Option<Keyed<Client>>,
    login_account: Option<Keyed<String>>,
    login_address: Option<Keyed<IpAddr>>,
    started: Instant,
    /// Milliseconds after `started` when the next pruning is due.
    prune_at: AtomicU64,
}

/// A limiter of `per_minute` cells a minute, all of which may be spent at once (a
/// minute's budget); none when 0 (the budget is off).
fn keyed<K: Hash + Eq + Clone>(per_minute: u32) -> Option<Keyed<K>> {
    NonZeroU32::new(per_minute).map(|n| Keyed::keyed(Quota::per_minute(n)))
}

impl Memory {
    pub(super) fn new(limits: &RateLimits) -> Self {
        Self {
            operations: keyed(limits.operations_per_minute),
            cost: keyed(limits.cost_per_minute),
            login_account: keyed(limits.login_attempts_per_account_per_minute),
            login_address: keyed(limits.login_attempts_per_address_per_minute),
            started: Instant::now(),
            prune_at: AtomicU64::new(millis(PRUNE_EVERY)),
        }
    }

    /// Spends `cells` (at most the budget's size) from `budget`, or says how long until
    /// they could be spent.
    pub(super) fn take(&self, budget: &Budget, cells: NonZeroU32) -> Result<(), Duration> {
        match budget {
            Budget::Operations(client) => check(self.operations.as_ref(), client, cells),
            Budget::Cost(client) => check(self.cost.as_ref(), client, cells),
            Budget::LoginAccount(email) => check(self.login_account.as_ref(), email, cells),
            Budget::LoginAddress(address) => check(self.login_address.as_ref(), address, cells),
        }
    }

    /// Is a pruning due? True for one caller per [`PRUNE_EVERY`].
    pub(super) fn prune_due(&self) -> bool {
        let now = millis(self.started.elapsed());
        let due = self.prune_at.load(Ordering::Relaxed);
        now >= due
            && self
                .prune_at
                .compare_exchange(
                    due,
                    now + millis(PRUNE_EVERY),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
    }

    /// Drops the keys whose budget has refilled (they are no different from a client
    /// never seen), judged by each limiter's own quota, and gives the space back.
    pub(super) fn prune(&self) {
        fn prune<K: Hash + Eq + Clone>(limiter: Option<&Keyed<K>>) {
            if let Some(limiter) = limiter {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
        prune(self.operations.as_ref());
        prune(self.cost.as_ref());
        prune(self.login_account.as_ref());
        prune(self.login_address.as_ref());
    }

    /// Keys held, over every kind of budget.
    pub(super) fn tracked(&self) -> usize {
        fn len<K: Hash + Eq + Clone>(limiter: Option<&Keyed<K>>) -> usize {
            limiter.map_or(0, Keyed::len)
        }
        len(self.operations.as_ref())
            + len(self.cost.as_ref())
            + len(self.login_account.as_ref())
            + len(self.login_address.as_ref())
    }
}

fn check<K: Hash + Eq + Clone>(
    limiter: Option<&Keyed<K>>,
    key: &K,
    cells: NonZeroU32,
) -> Result<(), Duration> {
    let Some(limiter) = limiter else {
        return Ok(()); // the budget is off
    };
    match limiter.check_key_n(key, cells) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(not_until)) => Err(not_until.wait_time_from(limiter.clock().now())),
        // The caller never asks for more than a budget holds; should it, a minute is
        // when a whole budget is back.
        Err(InsufficientCapacity(_)) => Err(Duration::from_secs(60)),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
