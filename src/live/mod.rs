//! Live figures for subscribers: the per-instance hub, the cross-instance listener, and the connection budgets.
//!
//! A change is announced to the [`hub::Hub`] (by the writer on this instance, and on
//! PostgreSQL by `NOTIFY` from every instance through [`listen`]); the hub reads the
//! changed sessions once and every subscriber of those sessions gets the result. The
//! WebSocket transport is `http::websocket`; the `sessionLive` field is
//! `graphql::subscription`.

pub mod hub;
pub mod listen;

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU32, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::watch;

use crate::{config, error::AppError};
use hub::{Hub, Pace};

/// The live side of one instance: its hub, its budgets and its shutdown signal.
pub struct Live {
    pub hub: Arc<Hub>,
    pub settings: config::Live,
    /// Subscriptions being admitted (their rights read) at once: half the pool, so that
    /// a storm of new subscribers waits its turn instead of timing out on the pool and
    /// starving the HTTP requests.
    pub admission: tokio::sync::Semaphore,
    counts: Mutex<Counts>,
    shutdown: watch::Sender<bool>,
    /// On PostgreSQL the triggers' `NOTIFY` announces every write, this instance's too.
    notified: bool,
}

#[derive(Default)]
struct Counts {
    connections: u32,
    subscriptions: u32,
    per_user: HashMap<i64, u32>,
    per_address: HashMap<IpAddr, u32>,
}

/// Why a WebSocket connection was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `LIVE_MAX_CONNECTIONS`: this instance is full.
    InstanceFull,
    /// `LIVE_MAX_CONNECTIONS_PER_ADDRESS`.
    Address,
    /// `LIVE_MAX_CONNECTIONS_PER_USER`.
    User,
}

impl Refusal {
    /// What the client is told.
    pub fn message(&self) -> &'static str {
        match self {
            Self::InstanceFull => {
                "this server holds all the live connections it may (LIVE_MAX_CONNECTIONS); try again later"
            }
            Self::Address => {
                "too many live connections from this address (LIVE_MAX_CONNECTIONS_PER_ADDRESS)"
            }
            Self::User => "too many live connections for this user (LIVE_MAX_CONNECTIONS_PER_USER)",
        }
    }
}

impl Live {
    /// Builds the hub and starts its refresher, and on PostgreSQL the listener on
    /// `database_url`; `pool_size` bounds the admissions. Needs a Tokio runtime.
    pub fn start(
        settings: config::Live,
        db: &DatabaseConnection,
        database_url: &str,
        pool_size: u32,
    ) -> Arc<Self> {
        let notified = db.get_database_backend() == DbBackend::Postgres;
        let hub = Hub::new(Pace {
            min_interval: Duration::from_millis(settings.live_min_interval_ms),
            refresh: Duration::from_secs(settings.live_refresh_seconds),
        });
        tokio::spawn(hub.clone().run(db.clone()));
        if notified {
            tokio::spawn(listen::run(database_url.to_owned(), hub.clone()));
        }
        Arc::new(Self {
            hub,
            settings,
            admission: tokio::sync::Semaphore::new((pool_size as usize / 2).max(1)),
            counts: Mutex::new(Counts::default()),
            shutdown: watch::Sender::new(false),
            notified,
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a new connection from `address`, or says which budget is spent.
    pub fn connect(self: &Arc<Self>, address: Option<IpAddr>) -> Result<ConnectionPermit, Refusal> {
        let mut counts = self.counts();
        if counts.connections >= self.settings.live_max_connections {
            return Err(Refusal::InstanceFull);
        }
        if let Some(address) = address {
            let n = counts.per_address.entry(address).or_default();
            if *n >= self.settings.live_max_connections_per_address {
                return Err(Refusal::Address);
            }
            *n += 1;
        }
        counts.connections += 1;
        Ok(ConnectionPermit {
            live: self.clone(),
            address,
            user: None,
        })
    }

    /// This instance wrote activity into these sessions. On SQLite (one instance, no
    /// `NOTIFY`) the hub hears it here; on PostgreSQL the triggers' notification, which
    /// reaches every instance, is the one signal, so a change is read once, not twice.
    pub fn wrote(&self, session_ids: impl IntoIterator<Item = i64>) {
        if !self.notified {
            self.hub.changed(session_ids);
        }
    }

    /// Connections and subscriptions held now.
    pub fn held(&self) -> (u32, u32) {
        let counts = self.counts();
        (counts.connections, counts.subscriptions)
    }

    /// Tells every connection to close (the server is stopping).
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves once [`Live::shut_down`] was called.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

/// One admitted connection; dropping it gives its place back.
pub struct ConnectionPermit {
    live: Arc<Live>,
    address: Option<IpAddr>,
    user: Option<i64>,
}

impl ConnectionPermit {
    /// Counts the connection against `user_id` once it authenticated.
    pub fn bind_user(&mut self, user_id: i64) -> Result<(), Refusal> {
        if self.user.is_some() {
            return Ok(());
        }
        let mut counts = self.live.counts();
        let n = counts.per_user.entry(user_id).or_default();
        if *n >= self.live.settings.live_max_connections_per_user {
            return Err(Refusal::User);
        }
        *n += 1;
        self.user = Some(user_id);
        Ok(())
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut counts = self.live.counts();
        counts.connections = counts.connections.saturating_sub(1);
        if let Some(address) = self.address {
            release(&mut counts.per_address, &address);
        }
        if let Some(user) = self.user {
            release(&mut counts.per_user, &user);
        }
    }
}

/// Takes one from `key`'s count, forgetting keys that reach zero (the maps stay as
/// small as the connections held).
fn release<K: std::hash::Hash + Eq>(map: &mut HashMap<K, u32>, key: &K) {
    if let Some(n) = map.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(key);
        }
    }
}

/// Who holds a WebSocket connection: in its GraphQL session data, for every
/// subscription it starts.
pub struct LiveCaller {
    pub user_id: i64,
    /// When the connection's token expires: its subscriptions end then.
    pub expires_at: Option<DateTime<Utc>>,
    /// Subscriptions this connection holds now.
    pub subscriptions: Arc<AtomicU32>,
}

/// One running subscription; dropping it gives its place back.
pub struct SubscriptionPermit {
    live: Arc<Live>,
    connection: Arc<AtomicU32>,
}

impl Live {
    /// Admits one more subscription on `caller`'s connection.
    pub fn subscribe(
        self: &Arc<Self>,
        caller: &LiveCaller,
    ) -> Result<SubscriptionPermit, AppError> {
        let per_connection = self.settings.live_max_subscriptions_per_connection;
        if caller
            .subscriptions
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < per_connection).then_some(n + 1)
            })
            .is_err()
        {
            return Err(AppError::TooManySubscriptions(format!(
                "a connection holds at most {per_connection} subscriptions \
                 (LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION); stop one first"
            )));
        }
        let mut counts = self.counts();
        if counts.subscriptions >= self.settings.live_max_subscriptions {
            caller.subscriptions.fetch_sub(1, Ordering::AcqRel);
            return Err(AppError::TooManySubscriptions(
                "this server holds all the subscriptions it may (LIVE_MAX_SUBSCRIPTIONS); \
                 try again later"
                    .into(),
            ));
        }
        counts.subscriptions += 1;
        Ok(SubscriptionPermit {
            live: self.clone(),
            connection: caller.subscriptions.clone(),
        })
    }
}

impl Drop for SubscriptionPermit {
    fn drop(&mut self) {
        self.connection.fetch_sub(1, Ordering::AcqRel);
        let mut counts = self.live.counts();
        counts.subscriptions = counts.subscriptions.saturating_sub(1);
    }
}
