//! DataLoaders: every relation a query reaches is fetched in one statement per batch.
//!
//! One `Loaders` value serves every key type (async-graphql keeps a queue per key
//! type), and a fresh `DataLoader<Loaders>` with a cache is made for each request, so
//! its per-request cache never outlives the request or crosses users. Speakers, their
//! ticket types, sponsors, assets and users also go through the instance's
//! [`SharedCache`](super::cache::SharedCache), which only ever holds rows that are the
//! same for every viewer (access is checked on the session before they are reached).

use std::{collections::HashMap, hash::Hash, sync::Arc, time::Duration};

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use sea_orm::DatabaseConnection;

use super::cache::{RequestGeneration, Section, SharedCache};
use crate::{
    entity::{mux_asset, ticket_type, user},
    error::AppError,
    store::{
        analytics::{self, EventTotalsRow, TimelineArgs, TimelineRow, VideoStatsRow},
        people,
        registrants::{self, RegistrantFilter, RegistrantPageArgs, RegistrantRow},
        sessions::{
            self, SessionFilter, SessionPageArgs, SessionPageRow, SpeakerRow, SponsorRow, StatsRow,
            ViewerTickets,
        },
    },
    telemetry,
};

/// The per-request loader.
pub type RequestLoader = DataLoader<Loaders, HashMapCache>;

/// Everything the loaders need: the connection, who is asking, and the shared cache
/// with the generation this request runs under.
pub struct Loaders {
    db: DatabaseConnection,
    viewer_id: Option<i64>,
    cache: Option<Arc<SharedCache>>,
    generation: RequestGeneration,
}

/// How long a loader waits for more keys before it runs a batch. Resolvers of one
/// level run concurrently and enqueue their keys within microseconds, so a short
/// wait keeps the batches whole without adding the default millisecond to each level.
const BATCH_DELAY: Duration = Duration::from_micros(200);

impl Loaders {
    pub fn new(
        db: DatabaseConnection,
        viewer_id: Option<i64>,
        cache: Option<Arc<SharedCache>>,
        generation: RequestGeneration,
    ) -> RequestLoader {
        // Batches run on spawned tasks; the telemetry spawner runs them in the
        // request's scope, so their statements count for the request.
        DataLoader::with_cache(
            Self {
                db,
                viewer_id,
                cache,
                generation,
            },
            telemetry::spawner(),
            HashMapCache::default(),
        )
        .delay(BATCH_DELAY)
    }
}

/// Answers every key, with `default` where the database had nothing.
fn answer<K: Copy + Eq + Hash, V: Clone>(
    keys: &[K],
    id: impl Fn(&K) -> i64,
    found: &HashMap<i64, V>,
    default: impl Fn(&K) -> V,
) -> HashMap<K, V> {
    keys.iter()
        .map(|k| (*k, found.get(&id(k)).cloned().unwrap_or_else(|| default(k))))
        .collect()
}

/// Values of `ids`: from the shared cache section `section` when the request knows its
/// generation, the rest from `fetch` (which are then cached).
async fn through_cache<V: Clone>(
    loaders: &Loaders,
    section: impl Fn(&SharedCache) -> &Section<V>,
    ids: Vec<i64>,
    fetch: impl AsyncFnOnce(&[i64]) -> Result<HashMap<i64, V>, AppError>,
) -> Result<HashMap<i64, V>, AppError> {
    let (Some(cache), Some(&generation)) = (&loaders.cache, loaders.generation.get()) else {
        return fetch(&ids).await;
    };
    let section = section(cache);
    let (mut found, missing) = section.get(generation, &ids);
    if !missing.is_empty() {
        let loaded = fetch(&missing).await?;
        section.put(generation, loaded.iter().map(|(k, v)| (*k, v.clone())));
        found.extend(loaded);
    }
    Ok(found)
}

fn ids<K>(keys: &[K], id: impl Fn(&K) -> i64) -> Vec<i64> {
    let mut ids: Vec<i64> = keys.iter().map(id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Declares a key newtype over an id whose value is a list of rows, loaded by `$fetch`
/// through the shared cache's `$section`.
macro_rules! list_loader {
    ($key:ident, $label:literal, $section:ident, $row:ty, $fetch:path, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl Loader<$key> for Loaders {
            type Value = Arc<Vec<$row>>;
            type Error = AppError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, AppError> {
                let found = through_cache(
                    self,
                    |cache| &cache.$section,
                    ids(keys, |k| k.0),
                    async |ids: &[i64]| {
                        telemetry::observe_batch($label, ids.len());
                        let mut rows = $fetch(&self.db, ids).await?;
                        // Ids with no rows are answered (and cached) as empty lists.
                        Ok(ids
                            .iter()
                            .map(|id| (*id, Arc::new(rows.remove(id).unwrap_or_default())))
                            .collect())
                    },
                )
                .await?;
                Ok(answer(keys, |k| k.0, &found, |_| Arc::new(Vec::new())))
            }
        }
    };
}

list_loader!(
    SpeakersKey,
    "speakers",
    speakers,
    SpeakerRow,
    sessions::speakers,
    "The speakers of a session."
);
list_loader!(
    SpeakerTicketTypesKey,
    "speaker_ticket_types",
    speaker_ticket_types,
    ticket_type::Model,
    sessions::speaker_ticket_types,
    "The ticket types of a speaker."
);
list_loader!(
    SponsorsKey,
    "sponsors",
    sponsors,
    SponsorRow,
    sessions::sponsors,
    "The sponsors of a session."
);
list_loader!(
    AssetsKey,
    "assets",
    assets,
    mux_asset::Model,
    sessions::assets,
    "The Mux assets of a session."
);

/// The registration counts of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatsKey(pub i64);

impl Loader<StatsKey> for Loaders {
    type Value = StatsRow;
    type Error = AppError;

    async fn load(&self, keys: &[StatsKey]) -> Result<HashMap<StatsKey, StatsRow>, AppError> {
        telemetry::observe_batch("stats", keys.len());
        let found = sessions::stats(&self.db, &ids(keys, |k| k.0)).await?;
        Ok(answer(
            keys,
            |k| k.0,
            &found,
            |k| StatsRow {
                session_id: k.0,
                ..StatsRow::default()
            },
        ))
    }
}

/// The video figures of a session (zeros for a session without activity).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct VideoStatsKey(pub i64);

impl Loader<VideoStatsKey> for Loaders {
    type Value = VideoStatsRow;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[VideoStatsKey],
    ) -> Result<HashMap<VideoStatsKey, VideoStatsRow>, AppError> {
        telemetry::observe_batch("video_stats", keys.len());
        let found = analytics::video_stats(&self.db, &ids(keys, |k| k.0)).await?;
        Ok(answer(
            keys,
            |k| k.0,
            &found,
            |k| VideoStatsRow {
                session_id: k.0,
                ..VideoStatsRow::default()
            },
        ))
    }
}

/// The totals of an event over its sessions (zeros for an event without sessions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EventTotalsKey(pub i64);

impl Loader<EventTotalsKey> for Loaders {
    type Value = EventTotalsRow;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[EventTotalsKey],
    ) -> Result<HashMap<EventTotalsKey, EventTotalsRow>, AppError> {
        telemetry::observe_batch("event_totals", keys.len());
        let found = analytics::event_totals(&self.db, &ids(keys, |k| k.0)).await?;
        Ok(answer(
            keys,
            |k| k.0,
            &found,
            |k| EventTotalsRow {
                event_id: k.0,
                ..EventTotalsRow::default()
            },
        ))
    }
}

/// A user by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserKey(pub i64);

impl Loader<UserKey> for Loaders {
    type Value = user::Model;
    type Error = AppError;

    async fn load(&self, keys: &[UserKey]) -> Result<HashMap<UserKey, user::Model>, AppError> {
        let found = through_cache(
            self,
            |cache| &cache.users,
            ids(keys, |k| k.0),
            async |ids: &[i64]| {
                telemetry::observe_batch("users", ids.len());
                Ok(people::users(&self.db, ids).await?)
            },
        )
        .await?;
        Ok(keys
            .iter()
            .filter_map(|k| found.get(&k.0).map(|u| (*k, u.clone())))
            .collect())
    }
}

/// The viewer's own registered tickets for a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ViewerTicketsKey(pub i64);

impl Loader<ViewerTicketsKey> for Loaders {
    type Value = ViewerTickets;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[ViewerTicketsKey],
    ) -> Result<HashMap<ViewerTicketsKey, ViewerTickets>, AppError> {
        telemetry::observe_batch("viewer_tickets", keys.len());
        let found = match self.viewer_id {
            Some(viewer) => sessions::viewer_tickets(&self.db, viewer, &ids(keys, |k| k.0)).await?,
            None => HashMap::new(),
        };
        Ok(answer(keys, |k| k.0, &found, |_| ViewerTickets::default()))
    }
}

/// Whether the viewer is in a session's meeting right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ViewerPresenceKey(pub i64);

impl Loader<ViewerPresenceKey> for Loaders {
    type Value = bool;
    type Error = AppError;

    async fn load(
        &self,
        keys: &[ViewerPresenceKey],
    ) -> Result<HashMap<ViewerPresenceKey, bool>, AppError> {
        telemetry::observe_batch("viewer_presence", keys.len());
        let found = match self.viewer_id {
            Some(viewer) => {
                sessions::viewer_presence(&self.db, viewer, &ids(keys, |k| k.0)).await?
            }
            None => HashMap::new(),
        };
        Ok(answer(keys, |k| k.0, &found, |_| false))
    }
}

/// Groups keys that share their arguments, so each group is one statement.
fn by_args<K, A: Clone + Eq + Hash>(
    keys: &[K],
    parts: impl Fn(&K) -> (i64, &A),
) -> HashMap<A, Vec<i64>> {
    let mut groups: HashMap<A, Vec<i64>> = HashMap::new();
    for key in keys {
        let (id, args) = parts(key);
        groups.entry(args.clone()).or_default().push(id);
    }
    groups
}

/// Declares a key of a parent id plus arguments, loaded per group of equal arguments.
macro_rules! grouped_loader {
    ($key:ident, $label:literal, $parent:ident, $args:ty, $value:ty, $wrap:expr, $empty:expr, $fetch:path, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $key {
            pub $parent: i64,
            pub args: $args,
        }

        impl Loader<$key> for Loaders {
            type Value = $value;
            type Error = AppError;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, AppError> {
                telemetry::observe_batch($label, keys.len());
                let mut out = HashMap::with_capacity(keys.len());
                for (args, parents) in by_args(keys, |k| (k.$parent, &k.args)) {
                    let mut found = $fetch(&self.db, &parents, &args).await?;
                    for parent in parents {
                        let value = found.remove(&parent).map($wrap).unwrap_or_else(|| $empty);
                        out.insert(
                            $key {
                                $parent: parent,
                                args: args.clone(),
                            },
                            value,
                        );
                    }
                }
                Ok(out)
            }
        }
    };
}

grouped_loader!(
    SessionPageKey,
    "session_pages",
    event_id,
    SessionPageArgs,
    Arc<Vec<SessionPageRow>>,
    Arc::new,
    Arc::new(Vec::new()),
    sessions::pages,
    "A page of an event's sessions."
);
grouped_loader!(
    SessionCountKey,
    "session_counts",
    event_id,
    SessionFilter,
    i64,
    std::convert::identity,
    0,
    sessions::counts,
    "How many of an event's sessions match a filter."
);
grouped_loader!(
    RegistrantPageKey,
    "registrant_pages",
    session_id,
    RegistrantPageArgs,
    Arc<Vec<RegistrantRow>>,
    Arc::new,
    Arc::new(Vec::new()),
    registrants::pages,
    "A page of a session's registrants."
);
grouped_loader!(
    RegistrantCountKey,
    "registrant_counts",
    session_id,
    RegistrantFilter,
    i64,
    std::convert::identity,
    0,
    registrants::counts,
    "How many of a session's registrants match a filter."
);
grouped_loader!(
    TimelineKey,
    "timelines",
    session_id,
    TimelineArgs,
    Arc<Vec<TimelineRow>>,
    Arc::new,
    Arc::new(Vec::new()),
    analytics::timelines,
    "The non-empty buckets of a session's attendance timeline."
);
