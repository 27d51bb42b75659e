//! The cross-request cache of rarely-changing session relations: speakers (and their
//! ticket types), sponsors, assets and the users who created them.
//!
//! Every entry is tagged with the database's cache generation (`migration::
//! cache_generation`), which triggers move on in every transaction that writes those
//! tables. A request reads the generation in the same statement as its viewer and uses
//! entries of exactly that generation; a newer generation empties the cache, and rows
//! loaded under an older one are not kept. So a request sees no cached row older than the
//! last write committed before it started, on every instance behind a load balancer, with
//! no extra statement. `max_age` bounds an entry's life besides, for writers that bypass
//! the triggers.

use std::{
    collections::HashMap,
    num::NonZeroUsize,
    sync::{Arc, Mutex, MutexGuard, OnceLock},
    time::{Duration, Instant},
};

use lru::LruCache;

use crate::{
    entity::{mux_asset, ticket_type, user},
    store::sessions::{SpeakerRow, SponsorRow},
    telemetry,
};

/// One kind of cached value, by id: least recently used entries go first.
pub struct Section<V> {
    label: &'static str,
    max_age: Duration,
    state: Mutex<State<V>>,
}

struct State<V> {
    generation: i64,
    entries: LruCache<i64, (Instant, V)>,
}

impl<V: Clone> Section<V> {
    fn new(label: &'static str, entries: NonZeroUsize, max_age: Duration) -> Self {
        Self {
            label,
            max_age,
            state: Mutex::new(State {
                generation: i64::MIN,
                entries: LruCache::new(entries),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<V>> {
        // Nothing in a critical section can panic midway through an update; a poisoned
        // lock still holds a consistent map.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached values of `ids` under `generation`, and the ids to load.
    pub fn get(&self, generation: i64, ids: &[i64]) -> (HashMap<i64, V>, Vec<i64>) {
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let mut state = self.lock();
            if state.generation > generation {
                // This request started before the last write: it loads its own rows.
                missing.extend_from_slice(ids);
            } else {
                if state.generation < generation {
                    state.generation = generation;
                    state.entries.clear();
                }
                for id in ids {
                    match state.entries.get(id) {
                        Some((at, value)) if at.elapsed() < self.max_age => {
                            found.insert(*id, value.clone());
                        }
                        _ => missing.push(*id),
                    }
                }
            }
        }
        telemetry::observe_cache(self.label, found.len(), missing.len());
        (found, missing)
    }

    /// Keeps values loaded under `generation`, unless a newer one has been seen since.
    pub fn put(&self, generation: i64, values: impl IntoIterator<Item = (i64, V)>) {
        let now = Instant::now();
        let mut state = self.lock();
        if state.generation > generation {
            return;
        }
        if state.generation < generation {
            state.generation = generation;
            state.entries.clear();
        }
        for (id, value) in values {
            state.entries.put(id, (now, value));
        }
    }
}

/// Every cached kind, shared by all requests of one server instance.
pub struct SharedCache {
    pub speakers: Section<Arc<Vec<SpeakerRow>>>,
    pub speaker_ticket_types: Section<Arc<Vec<ticket_type::Model>>>,
    pub sponsors: Section<Arc<Vec<SponsorRow>>>,
    pub assets: Section<Arc<Vec<mux_asset::Model>>>,
    pub users: Section<user::Model>,
}

impl SharedCache {
    /// A cache of at most `entries` values of each kind, each kept at most `max_age`;
    /// `None` when `entries` is 0 (the cache is off).
    pub fn new(entries: usize, max_age: Duration) -> Option<Arc<Self>> {
        let entries = NonZeroUsize::new(entries)?;
        Some(Arc::new(Self {
            speakers: Section::new("speakers", entries, max_age),
            speaker_ticket_types: Section::new("speaker_ticket_types", entries, max_age),
            sponsors: Section::new("sponsors", entries, max_age),
            assets: Section::new("assets", entries, max_age),
            users: Section::new("users", entries, max_age),
        }))
    }
}

/// The cache generation a request runs under: set when its viewer is loaded (before any
/// session data can be reached), shared by its context and its loaders.
pub type RequestGeneration = Arc<OnceLock<i64>>;
