//! The multiplexer: one read per changed session, shared by all of its subscribers.
//!
//! Subscribers of a session share one [`watch`] channel. Changes only mark sessions
//! dirty; one task (the refresher) reads every due session's figures in one statement
//! and publishes them, so a change costs one read whatever the number of subscribers
//! (the way Hasura multiplexes live queries). A session is read again at most once per
//! `min_interval` (changes in between are coalesced into the next read) and at least
//! once per `refresh` while it has subscribers: "joins in the last minute" decays with
//! no write at all, and writers this instance never hears of are caught that way.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use tokio::{
    sync::{Notify, watch},
    time::Instant,
};

use crate::store::live::{self, LiveRow};

/// What subscribers of a session see.
#[derive(Clone, Debug, PartialEq)]
pub enum Snapshot {
    /// Not read yet: the first read is under way.
    Pending,
    /// The latest figures.
    Live(Arc<Figures>),
    /// The session no longer exists.
    Gone,
}

/// A session's figures and when they were read.
#[derive(Debug, PartialEq)]
pub struct Figures {
    pub row: LiveRow,
    pub read_at: DateTime<Utc>,
}

/// How often sessions are read.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    /// At most one read (and so one message) per session per this interval.
    pub min_interval: Duration,
    /// At least one read per session per this interval while it has subscribers.
    pub refresh: Duration,
}

struct Entry {
    tx: watch::Sender<Snapshot>,
    subscribers: usize,
    dirty: bool,
    last_read: Option<Instant>,
}

/// The sessions with subscribers on this instance.
pub struct Hub {
    sessions: Mutex<HashMap<i64, Entry>>,
    wake: Notify,
    pace: Pace,
}

/// A subscriber's view of one session; dropping it unsubscribes.
pub struct Subscription {
    pub rx: watch::Receiver<Snapshot>,
    hub: Arc<Hub>,
    session_id: i64,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.hub.unsubscribe(self.session_id);
    }
}

/// Sessions read per refresher round at most; the rest wait for the next round.
const MAX_READ_PER_ROUND: usize = 5_000;

impl Hub {
    pub fn new(pace: Pace) -> Arc<Self> {
        Arc::new(Self {
            sessions: Mutex::new(HashMap::new()),
            wake: Notify::new(),
            pace,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Entry>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Subscribes to `session_id`: the receiver holds the latest snapshot at once (or
    /// `Pending` until the first read, which is due immediately).
    pub fn subscribe(self: &Arc<Self>, session_id: i64) -> Subscription {
        let rx = {
            let mut sessions = self.lock();
            let entry = sessions.entry(session_id).or_insert_with(|| Entry {
                tx: watch::Sender::new(Snapshot::Pending),
                subscribers: 0,
                dirty: true,
                last_read: None,
            });
            entry.subscribers += 1;
            entry.tx.subscribe()
        };
        self.wake.notify_one();
        Subscription {
            rx,
            hub: self.clone(),
            session_id,
        }
    }

    fn unsubscribe(&self, session_id: i64) {
        let mut sessions = self.lock();
        if let Some(entry) = sessions.get_mut(&session_id) {
            entry.subscribers = entry.subscribers.saturating_sub(1);
            if entry.subscribers == 0 {
                sessions.remove(&session_id);
            }
        }
    }

    /// These sessions' figures may have changed: read them again (once per
    /// `min_interval` at most). Sessions nobody here subscribes to are ignored.
    pub fn changed(&self, session_ids: impl IntoIterator<Item = i64>) {
        let mut any = false;
        {
            let mut sessions = self.lock();
            for id in session_ids {
                if let Some(entry) = sessions.get_mut(&id) {
                    entry.dirty = true;
                    any = true;
                }
            }
        }
        if any {
            self.wake.notify_one();
        }
    }

    /// Everything may have changed (rights, or notifications missed while the
    /// listening connection was down): read every session again.
    pub fn changed_all(&self) {
        for entry in self.lock().values_mut() {
            entry.dirty = true;
        }
        self.wake.notify_one();
    }

    /// Sessions with at least one subscriber, and subscribers in all.
    pub fn counts(&self) -> (usize, usize) {
        let sessions = self.lock();
        (
            sessions.len(),
            sessions.values().map(|e| e.subscribers).sum(),
        )
    }

    /// The sessions due for a read now (marked read), and when the next one falls due.
    fn due(&self, now: Instant) -> (Vec<i64>, Option<Instant>) {
        let mut due = Vec::new();
        let mut next: Option<Instant> = None;
        let mut sessions = self.lock();
        for (id, entry) in sessions.iter_mut() {
            let at = match entry.last_read {
                None => now,
                Some(last) if entry.dirty => last + self.pace.min_interval,
                Some(last) => last + self.pace.refresh,
            };
            if at <= now && due.len() < MAX_READ_PER_ROUND {
                entry.dirty = false;
                entry.last_read = Some(now);
                due.push(*id);
            } else {
                let at = at.max(now);
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        (due, next)
    }

    fn publish(&self, due: &[i64], mut rows: HashMap<i64, LiveRow>, read_at: DateTime<Utc>) {
        let sessions = self.lock();
        for id in due {
            let Some(entry) = sessions.get(id) else {
                continue;
            };
            let snapshot = match rows.remove(id) {
                Some(row) => Snapshot::Live(Arc::new(Figures { row, read_at })),
                None => Snapshot::Gone,
            };
            // Subscribers wake only when a figure (or the generation) moved.
            entry.tx.send_if_modified(|current| {
                let same = match (&*current, &snapshot) {
                    (Snapshot::Live(a), Snapshot::Live(b)) => a.row == b.row,
                    (a, b) => a == b,
                };
                if !same {
                    *current = snapshot;
                }
                !same
            });
        }
    }

    /// Puts sessions whose read failed back in line.
    fn retry(&self, due: &[i64]) {
        let mut sessions = self.lock();
        for id in due {
            if let Some(entry) = sessions.get_mut(id) {
                entry.dirty = true;
            }
        }
    }

    /// The refresher: reads due sessions, publishes, sleeps until the next is due or
    /// a change arrives. Runs for the life of the process.
    pub async fn run(self: Arc<Self>, db: DatabaseConnection) {
        let mut failing = false;
        loop {
            let now = Instant::now();
            let (due, next) = self.due(now);
            if !due.is_empty() {
                let read_at = Utc::now();
                match live::figures(&db, &due, read_at.timestamp()).await {
                    Ok(rows) => {
                        if failing {
                            tracing::info!("live figures are read again");
                            failing = false;
                        }
                        self.publish(&due, rows, read_at);
                    }
                    Err(err) => {
                        // Logged once per outage; subscribers keep the last figures.
                        if !failing {
                            tracing::warn!(error = %err, "reading live figures failed; retrying");
                            failing = true;
                        }
                        self.retry(&due);
                        tokio::time::sleep(self.pace.min_interval).await;
                    }
                }
                continue;
            }
            match next {
                Some(at) => {
                    tokio::select! {
                        () = self.wake.notified() => {}
                        () = tokio::time::sleep_until(at) => {}
                    }
                }
                None => self.wake.notified().await,
            }
        }
    }
}
