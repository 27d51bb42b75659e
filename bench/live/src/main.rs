//! Load generator for `sessionLive`: opens many WebSocket subscribers spread over
//! sessions, records one chat message per session at a steady pace, and measures, for
//! every subscriber and every write, the time from sending the write to receiving the
//! first message that includes it.
//!
//!   live-bench --url http://127.0.0.1:8000 --token ADMIN --ingest-token INGEST \
//!     --targets 12:3456,13:3460,... --subscribers 10000 --duration 60 --interval-ms 2000 \
//!     [--server-pid PID] [--connect-concurrency 256]
//!
//! `--targets` lists `session:ticket` pairs (a ticket of the session's event, who
//! "chats"). Prints one JSON object with the figures. Targets only the URL given.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

const LIVE: &str = "subscription($id: ID!) { sessionLive(sessionId: $id) { sessionId chatMessages } }";
const RECORD: &str = "mutation($events: [ActivityInput!]!) { recordActivity(events: $events) { recorded } }";

struct Args {
    url: String,
    token: String,
    ingest_token: String,
    targets: Vec<(i64, i64)>,
    subscribers: usize,
    duration: f64,
    interval_ms: u64,
    server_pid: Option<u32>,
    connect_concurrency: usize,
}

fn args() -> Args {
    let mut map = HashMap::new();
    let raw: Vec<String> = std::env::args().skip(1).collect();
    for pair in raw.chunks(2) {
        if let [k, v] = pair {
            map.insert(k.trim_start_matches("--").to_owned(), v.clone());
        }
    }
    let get = |k: &str| map.get(k).cloned().unwrap_or_else(|| panic!("--{k} is required"));
    Args {
        url: get("url"),
        token: get("token"),
        ingest_token: get("ingest-token"),
        targets: get("targets")
            .split(',')
            .map(|p| {
                let (s, t) = p.split_once(':').expect("session:ticket");
                (s.parse().expect("session id"), t.parse().expect("ticket id"))
            })
            .collect(),
        subscribers: map.get("subscribers").map_or(10_000, |v| v.parse().expect("n")),
        duration: map.get("duration").map_or(60.0, |v| v.parse().expect("seconds")),
        interval_ms: map.get("interval-ms").map_or(2_000, |v| v.parse().expect("ms")),
        server_pid: map.get("server-pid").map(|v| v.parse().expect("pid")),
        connect_concurrency: map
            .get("connect-concurrency")
            .map_or(256, |v| v.parse().expect("n")),
    }
}

/// What every subscriber shares: per session, its count before the run and when each
/// write was sent (write k makes the count `base + k + 1`).
struct Shared {
    base: Vec<AtomicU64>,
    sent: Vec<Mutex<Vec<Instant>>>,
    index: HashMap<i64, usize>,
    received: AtomicU64,
}

const UNSET: u64 = u64::MAX;

/// CPU ticks (user + system) of a process.
fn ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// (VmRSS, VmHWM) of a process, in KiB.
fn memory(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

const CLK_TCK: f64 = 100.0;

#[tokio::main]
async fn main() {
    let args = args();
    let sessions: Vec<i64> = args.targets.iter().map(|(s, _)| *s).collect();
    let shared = Arc::new(Shared {
        base: sessions.iter().map(|_| AtomicU64::new(UNSET)).collect(),
        sent: sessions.iter().map(|_| Mutex::new(Vec::new())).collect(),
        index: sessions.iter().enumerate().map(|(i, s)| (*s, i)).collect(),
        received: AtomicU64::new(0),
    });
    let ws_url = format!("{}/graphql", args.url.replacen("http", "ws", 1));

    // 1. Connect and subscribe, `connect_concurrency` handshakes at a time.
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(args.connect_concurrency));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<Result<(), String>>();
    let (lat_tx, mut lat_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u32>>();
    let stop = Arc::new(tokio::sync::Notify::new());
    let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for n in 0..args.subscribers {
        let session = sessions[n % sessions.len()];
        let (ws_url, token) = (ws_url.clone(), args.token.clone());
        let (gate, ready_tx, lat_tx, shared) =
            (gate.clone(), ready_tx.clone(), lat_tx.clone(), shared.clone());
        let (stop, stopped) = (stop.clone(), stopped.clone());
        tokio::spawn(async move {
            let permit = gate.acquire_owned().await.expect("gate");
            let mut request = ws_url.into_client_request().expect("request");
            request.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_static("graphql-transport-ws"),
            );
            let mut socket = match connect_async(request).await {
                Ok((socket, _)) => socket,
                Err(err) => {
                    let _ = ready_tx.send(Err(format!("connect: {err}")));
                    return;
                }
            };
            let init = json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}});
            let sub = json!({"id": "1", "type": "subscribe",
                "payload": {"query": LIVE, "variables": {"id": session.to_string()}}});
            if socket.send(Message::text(init.to_string())).await.is_err()
                || socket.send(Message::text(sub.to_string())).await.is_err()
            {
                let _ = ready_tx.send(Err("send".into()));
                return;
            }
            drop(permit);
            let i = shared.index[&session];
            let mut seen: Option<u64> = None;
            let mut latencies = Vec::new();
            loop {
                let message = tokio::select! {
                    m = socket.next() => m,
                    () = stop.notified() => None,
                };
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                let Some(Ok(message)) = message else { break };
                let Message::Text(text) = message else { continue };
                let now = Instant::now();
                let Ok(value) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                if value["type"] == "connection_ack" {
                    continue;
                }
                let Some(count) = value["payload"]["data"]["sessionLive"]["chatMessages"].as_u64() else {
                    let _ = ready_tx.send(Err(format!("unexpected: {value}")));
                    break;
                };
                shared.received.fetch_add(1, Ordering::Relaxed);
                match seen {
                    None => {
                        // Every subscriber of a session starts from the same count.
                        let _ = shared.base[i].compare_exchange(UNSET, count, Ordering::AcqRel, Ordering::Acquire);
                        seen = Some(count);
                        let _ = ready_tx.send(Ok(()));
                    }
                    Some(last) if count > last => {
                        let base = shared.base[i].load(Ordering::Acquire);
                        let sent = shared.sent[i].lock().expect("lock").clone();
                        for k in last.max(base)..count {
                            if let Some(at) = sent.get((k - base) as usize) {
                                latencies.push(now.duration_since(*at).as_micros() as u32);
                            }
                        }
                        seen = Some(count);
                    }
                    _ => {}
                }
            }
            let _ = lat_tx.send(latencies);
        });
    }
    drop(ready_tx);
    drop(lat_tx);
    let mut ok = 0usize;
    let mut failures = Vec::new();
    while ok + failures.len() < args.subscribers {
        match ready_rx.recv().await {
            Some(Ok(())) => ok += 1,
            Some(Err(e)) => failures.push(e),
            None => break,
        }
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    eprintln!("{ok} subscribers ready in {connect_seconds:.1} s, {} failed", failures.len());
    if !failures.is_empty() {
        eprintln!("first failure: {}", failures[0]);
    }
    let server_pid = args.server_pid.map(|p| p.to_string());
    let idle_memory = args.server_pid.map(memory);
    tokio::time::sleep(Duration::from_secs(2)).await;

    // 2. Writes: one chat message per session every `interval_ms`, sessions staggered.
    let client = reqwest::Client::new();
    let server_ticks_0 = server_pid.as_deref().and_then(ticks);
    let self_ticks_0 = ticks("self");
    let run_start = Instant::now();
    let interval = Duration::from_millis(args.interval_ms);
    let step = interval / args.targets.len() as u32;
    let mut writes = 0u64;
    let mut write_errors = 0u64;
    let mut expected_deliveries = 0u64;
    let per_session: Vec<u64> = (0..sessions.len())
        .map(|i| ((args.subscribers - i).div_ceil(sessions.len())) as u64)
        .collect();
    let mut tick = tokio::time::interval(step);
    let mut n = 0usize;
    while run_start.elapsed().as_secs_f64() < args.duration {
        tick.tick().await;
        let i = n % args.targets.len();
        n += 1;
        let (session, ticket) = args.targets[i];
        let body = json!({"query": RECORD, "variables": {"events": [{
            "id": format!("live-bench-{}-{session}-{n}", std::process::id()),
            "type": "CHAT_MESSAGE", "sessionId": session.to_string(),
            "eventTicketId": ticket.to_string(),
            "occurredAt": format_now(),
        }]}});
        // Sent time first: the latency includes the write itself.
        shared.sent[i].lock().expect("lock").push(Instant::now());
        let reply = client
            .post(format!("{}/graphql", args.url))
            .bearer_auth(&args.ingest_token)
            .json(&body)
            .send()
            .await;
        let recorded = match reply {
            Ok(r) => r.json::<Value>().await.ok().and_then(|v| v["data"]["recordActivity"]["recorded"].as_u64()),
            Err(_) => None,
        };
        if recorded == Some(1) {
            writes += 1;
            expected_deliveries += per_session[i];
        } else {
            write_errors += 1;
            // Not counted as sent: take the time back out.
            shared.sent[i].lock().expect("lock").pop();
        }
    }
    let run_seconds = run_start.elapsed().as_secs_f64();
    let server_ticks_1 = server_pid.as_deref().and_then(ticks);
    let self_ticks_1 = ticks("self");
    let busy_memory = args.server_pid.map(memory);
    // Stragglers.
    tokio::time::sleep(Duration::from_secs(3)).await;
    stopped.store(true, Ordering::Relaxed);
    stop.notify_waiters();
    let mut all: Vec<u32> = Vec::new();
    while let Some(batch) = lat_rx.recv().await {
        all.extend(batch);
    }
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        if all.is_empty() {
            return f64::NAN;
        }
        let idx = ((all.len() as f64 - 1.0) * p).round() as usize;
        all[idx] as f64 / 1000.0
    };
    let within_1s = all.iter().filter(|l| **l <= 1_000_000).count();
    let cpu = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => Some((b - a) as f64 / CLK_TCK / run_seconds * 100.0),
        _ => None,
    };
    let result = json!({
        "subscribers_ready": ok,
        "subscriber_failures": failures.len(),
        "sessions": sessions.len(),
        "connect_seconds": connect_seconds,
        "run_seconds": run_seconds,
        "writes": writes,
        "write_errors": write_errors,
        "messages_received": shared.received.load(Ordering::Relaxed),
        "expected_deliveries": expected_deliveries,
        "observed_deliveries": all.len(),
        "within_1s": within_1s,
        "latency_ms": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": pct(1.0)},
        "server_cpu_percent_of_one_core": cpu(server_ticks_0, server_ticks_1),
        "generator_cpu_percent_of_one_core": cpu(self_ticks_0, self_ticks_1),
        "server_rss_kib_idle": idle_memory.map(|m| m.0),
        "server_rss_kib_busy": busy_memory.map(|m| m.0),
        "server_hwm_kib": busy_memory.map(|m| m.1),
    });
    println!("{}", serde_json::to_string_pretty(&result).expect("json"));
    std::process::exit(0);
}

/// Now as RFC 3339 UTC, from the system clock (no date crate needed).
fn format_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock");
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
