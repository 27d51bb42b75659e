//! What a budget check costs: `RateLimiter::take` in memory and in Redis, one at a time
//! (the latency a request adds) and from many tasks at once (throughput).
//!
//! `cargo bench --bench rate_limit [-- redis://127.0.0.1:6379]` (loopback only; keys go
//! under a prefix of the run's own and expire within a minute).

use std::{
    net::{IpAddr, Ipv4Addr},
    sync::Arc,
    time::{Duration, Instant},
};

use session_analytics::{
    config::{RateLimits, Secret},
    rate_limit::{Backend, Budget, Client, RateLimiter},
};

const SEQUENTIAL: u32 = 20_000;
const TASKS: u32 = 64;
const PER_TASK: u32 = 2_000;

fn limits(redis: Option<&str>) -> RateLimits {
    RateLimits {
        // Large enough that nothing is refused: what is measured is the check itself.
        operations_per_minute: 1_000_000,
        redis_url: redis.map(Secret::new),
        redis_prefix: format!("sa:bench:{:016x}", rand::random::<u64>()),
        ..RateLimits::default()
    }
}

fn client(n: u32) -> Budget {
    Budget::Operations(Client::Address(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))))
}

async fn measure(name: &str, limiter: Arc<RateLimiter>) {
    // One client at a time: the latency a request pays.
    let mut samples = Vec::with_capacity(SEQUENTIAL as usize);
    for n in 0..SEQUENTIAL {
        let started = Instant::now();
        let _ = limiter.take(client(n % 1_000), 1).await;
        samples.push(started.elapsed());
    }
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / SEQUENTIAL;
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    println!(
        "{name:<7} sequential: {SEQUENTIAL} takes, mean {:.1} µs, p50 {:.1} µs, p99 {:.1} µs",
        mean.as_secs_f64() * 1e6,
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
    );

    // Many requests at once: what one instance can check per second.
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let limiter = limiter.clone();
            tokio::spawn(async move {
                for n in 0..PER_TASK {
                    let _ = limiter.take(client(task * PER_TASK + n), 1).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a bench task");
    }
    let total = TASKS * PER_TASK;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{name:<7} {TASKS} tasks: {total} takes in {elapsed:.2} s, {:.0} takes/s",
        f64::from(total) / elapsed
    );
}

#[tokio::main]
async fn main() {
    let redis = std::env::args()
        .skip(1)
        .find(|arg| arg.starts_with("redis://"))
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into());

    let memory = Arc::new(RateLimiter::new(&limits(None)).expect("budgets in memory"));
    measure("memory", memory).await;

    let shared = Arc::new(RateLimiter::new(&limits(Some(&redis))).expect("a Redis URL"));
    shared.connect().await;
    if shared.backend().await != Backend::Redis {
        eprintln!("no Redis answers at {redis}: start one (redis-server) to measure it");
        std::process::exit(1);
    }
    measure("redis", shared.clone()).await;
    if shared.backend().await != Backend::Redis {
        eprintln!("Redis stopped answering during the run: those numbers are memory's");
        std::process::exit(1);
    }
}
