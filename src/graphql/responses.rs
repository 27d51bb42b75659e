//! Whole answers kept across requests, each reused only while every version of the data it read is still current (`RESPONSE_CACHE`, docs/PERFORMANCE.md).
//!
//! Only queries whose root fields are all `session(id:)` or `event(id:)` (and
//! `__typename`) are candidates: what such an answer can read is named by its own root
//! arguments, so the versions it depends on (the cache generation, the sessions' data
//! versions, the events' sums of them: `store::versions`) are read *before* it runs.
//! An answer is kept under the versions read before it, so a write racing with the
//! request can only make an entry look older than its data, never newer: it is then
//! missed, never served stale. The key is the exact request (document text, operation
//! name, variables) and the viewer; the viewer's rights are part of the generation.

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex, MutexGuard},
};

use async_graphql::{
    Positioned, Variables,
    parser::types::{ExecutableDocument, OperationDefinition, OperationType, Selection},
};
use async_graphql_value::{ConstValue, Value};
use axum::{
    body::Bytes,
    http::{HeaderMap, StatusCode},
};
use lru::LruCache;
use sea_orm::DatabaseConnection;

use super::{request::select, response::Finished};
use crate::{
    config::Delivery,
    store,
    store::versions::{Of, Versions},
    telemetry,
};

/// Per-entry bookkeeping counted against the byte budget besides the key and body.
const ENTRY_OVERHEAD: usize = 256;

/// The response cache of one instance: least recently used answers go first, beyond
/// `max_entries` or `max_bytes` (keys and bodies).
pub struct ResponseCache {
    max_entries: usize,
    max_bytes: usize,
    state: Mutex<State>,
}

struct State {
    entries: LruCache<Key, Entry>,
    bytes: usize,
}

/// One request as a client sends it, and who sends it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    query: String,
    operation: Option<String>,
    /// The variables as JSON (their names sorted: `Variables` is a `BTreeMap`).
    variables: String,
    user: i64,
}

impl Key {
    /// `None` when the variables cannot be written as JSON (never, in practice).
    pub fn new(
        query: &str,
        operation: Option<&str>,
        variables: &Variables,
        user: i64,
    ) -> Option<Self> {
        Some(Self {
            query: query.to_owned(),
            operation: operation.map(str::to_owned),
            variables: serde_json::to_string(variables).ok()?,
            user,
        })
    }

    fn size(&self) -> usize {
        self.query.len() + self.operation.as_ref().map_or(0, String::len) + self.variables.len()
    }
}

struct Entry {
    versions: Versions,
    answer: Answer,
    size: usize,
}

/// What a kept answer gives back.
#[derive(Clone)]
pub struct Answer {
    /// The JSON body, exactly as it was first written.
    pub body: Bytes,
    pub headers: HeaderMap,
    /// Its cost, charged again to each client it is served to.
    pub cost: u64,
}

impl ResponseCache {
    /// The cache `delivery` configures; `None` when it is off (the default).
    pub fn from_config(delivery: &Delivery) -> Option<Arc<Self>> {
        if !delivery.response_cache {
            return None;
        }
        Some(Arc::new(Self {
            max_entries: delivery.response_cache_entries as usize,
            max_bytes: usize::try_from(delivery.response_cache_bytes).unwrap_or(usize::MAX),
            state: Mutex::new(State {
                entries: LruCache::unbounded(),
                bytes: 0,
            }),
        }))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // No update panics halfway: a poisoned lock still holds a consistent cache.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Its view of a request, when it is a candidate: a query of `session(id:)` and
    /// `event(id:)` root fields by a signed-in viewer. The versions of what it names
    /// are read here, before anything else reads the data, on the connection (primary
    /// or replica) the request runs on. `None` when the request is no candidate or the
    /// versions cannot be read (the request then runs uncached, and meets the outage
    /// itself).
    pub async fn candidate(
        &self,
        db: &DatabaseConnection,
        query: &str,
        document: Option<&ExecutableDocument>,
        operation_name: Option<&str>,
        variables: &Variables,
        user_id: Option<i64>,
    ) -> Option<Candidate<'_>> {
        let user = user_id?;
        let (_, operation) = select(document?, operation_name)?;
        let dependencies = dependencies(document?, operation, variables)?;
        let key = Key::new(query, operation_name, variables, user)?;
        let read = store::versions::read(db, &dependencies.sessions, &dependencies.events);
        match read.await {
            Ok(versions) => Some(Candidate {
                cache: self,
                key,
                dependencies,
                versions,
            }),
            Err(err) => {
                tracing::warn!(error = %err, "reading data versions failed; answering uncached");
                None
            }
        }
    }

    /// The answer kept for `key` if it was read under exactly `versions`.
    pub fn get(&self, key: &Key, versions: &Versions) -> Option<Answer> {
        let found = {
            let mut state = self.lock();
            match state.entries.get(key) {
                Some(entry) if entry.versions == *versions => Some(entry.answer.clone()),
                _ => None,
            }
        };
        telemetry::observe_responses(if found.is_some() { "hit" } else { "miss" }, 1);
        found
    }

    /// Keeps `answer` for `key`, read under `versions`, unless it is too large; it
    /// replaces what the key held.
    pub fn put(&self, key: Key, versions: Versions, answer: Answer) {
        let size = key.size()
            + answer.body.len()
            + versions.len() * std::mem::size_of::<(Of, i64)>()
            + ENTRY_OVERHEAD;
        // One answer may not push out more than a sixteenth of the others.
        if size > self.max_bytes / 16 {
            return;
        }
        let mut evicted: u64 = 0;
        {
            let mut state = self.lock();
            let entry = Entry {
                versions,
                answer,
                size,
            };
            if let Some(old) = state.entries.put(key, entry) {
                state.bytes -= old.size;
            }
            state.bytes += size;
            while state.entries.len() > self.max_entries || state.bytes > self.max_bytes {
                let Some((_, old)) = state.entries.pop_lru() else {
                    break;
                };
                state.bytes -= old.size;
                evicted += 1;
            }
        }
        telemetry::observe_responses("store", 1);
        telemetry::observe_responses("eviction", evicted);
    }
}

/// A request the response cache may answer or keep: its key, what its root fields
/// name, and the versions of those read before anything else.
pub struct Candidate<'a> {
    cache: &'a ResponseCache,
    key: Key,
    dependencies: Dependencies,
    versions: Versions,
}

impl Candidate<'_> {
    /// The answer kept for this request under the versions just read, if any.
    pub fn hit(&self) -> Option<Answer> {
        self.cache.get(&self.key, &self.versions)
    }

    /// Keeps `finished` when it may be reused: it ran without any error, and read
    /// nothing but what its versions were read for, nor the clock. The body is
    /// encoded once, here, and the same bytes are sent now and on every hit.
    pub fn keep(self, finished: Finished, reads: &Reads, cost: u64) -> Finished {
        if finished.status != StatusCode::OK
            || !finished.executed()
            || !finished.errors().is_empty()
            || !reads.covered_by(&self.dependencies)
        {
            return finished;
        }
        let Ok(body) = finished.encode() else {
            return finished; // the transport reports it
        };
        let answer = Answer {
            body: body.clone(),
            headers: finished.headers.clone(),
            cost,
        };
        self.cache.put(self.key, self.versions, answer);
        Finished::encoded(body, finished.headers)
    }
}

/// What a request's root fields name: the sessions and events its answer can read.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Dependencies {
    pub sessions: Vec<i64>,
    pub events: Vec<i64>,
}

/// The dependencies of `operation` when it is a candidate: a query whose every root
/// field is `session(id:)` or `event(id:)` with an id given (or `__typename`), through
/// fragments too. `None` for anything else (`events`, `viewer`, mutations,
/// introspection), which is never kept.
pub fn dependencies(
    document: &ExecutableDocument,
    operation: &Positioned<OperationDefinition>,
    variables: &Variables,
) -> Option<Dependencies> {
    if operation.node.ty != OperationType::Query {
        return None;
    }
    let mut sessions = BTreeSet::new();
    let mut events = BTreeSet::new();
    let mut pending = vec![&operation.node.selection_set.node];
    let mut spread = BTreeSet::new();
    while let Some(set) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let ids = match field.name.node.as_str() {
                        "__typename" => continue,
                        "session" => &mut sessions,
                        "event" => &mut events,
                        _ => return None,
                    };
                    let (_, value) = field
                        .arguments
                        .iter()
                        .find(|(name, _)| name.node.as_str() == "id")?;
                    ids.insert(id(&value.node, variables)?);
                }
                Selection::InlineFragment(inline) => pending.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(fragment) => {
                    let name = &fragment.node.fragment_name.node;
                    if spread.insert(name.clone()) {
                        pending.push(&document.fragments.get(name)?.node.selection_set.node);
                    }
                }
            }
        }
    }
    Some(Dependencies {
        sessions: sessions.into_iter().collect(),
        events: events.into_iter().collect(),
    })
}

/// An `id` argument as the resolvers read it: a positive integer, given as a string
/// or a number, literally or through a variable.
fn id(value: &Value, variables: &Variables) -> Option<i64> {
    match value {
        Value::Variable(name) => match variables.get(name)? {
            ConstValue::String(s) => s.parse().ok(),
            ConstValue::Number(n) => n.as_i64(),
            _ => None,
        },
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
    .filter(|id| *id > 0)
}

/// What one request's execution read, recorded by the resolvers that build the
/// `Session` and `Event` objects after their host checks; request data of every
/// query the pipeline runs.
#[derive(Clone, Default)]
pub struct Reads(Arc<Mutex<ReadSet>>);

#[derive(Default)]
struct ReadSet {
    sessions: BTreeSet<i64>,
    events: BTreeSet<i64>,
    /// Something in the answer depends on the clock, not only on the data.
    clock: bool,
}

impl Reads {
    fn lock(&self) -> MutexGuard<'_, ReadSet> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The answer reads session `id` (and everything under it).
    pub fn session(&self, id: i64) {
        self.lock().sessions.insert(id);
    }

    /// The answer reads event `id` (and everything under it).
    pub fn event(&self, id: i64) {
        self.lock().events.insert(id);
    }

    /// The answer depends on the time it was computed (a session's `status`): it
    /// is never kept.
    pub fn clock(&self) {
        self.lock().clock = true;
    }

    /// True when everything read was among `dependencies` (whose versions were read
    /// before) and nothing depended on the clock.
    pub fn covered_by(&self, dependencies: &Dependencies) -> bool {
        let reads = self.lock();
        !reads.clock
            && reads
                .sessions
                .iter()
                .all(|id| dependencies.sessions.binary_search(id).is_ok())
            && reads
                .events
                .iter()
                .all(|id| dependencies.events.binary_search(id).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(max_entries: usize, max_bytes: usize) -> ResponseCache {
        ResponseCache {
            max_entries,
            max_bytes,
            state: Mutex::new(State {
                entries: LruCache::unbounded(),
                bytes: 0,
            }),
        }
    }

    fn key(user: i64) -> Key {
        Key::new(
            "{ session(id: 1) { id } }",
            None,
            &Variables::default(),
            user,
        )
        .expect("key")
    }

    fn answer(bytes: usize) -> Answer {
        Answer {
            body: Bytes::from(vec![b' '; bytes]),
            headers: HeaderMap::new(),
            cost: 3,
        }
    }

    const V1: &[(Of, i64)] = &[(Of::Generation, 1), (Of::Session(1), 7)];

    #[test]
    fn an_answer_is_served_only_under_the_versions_it_was_kept_with() {
        let cache = cache(10, 1 << 20);
        cache.put(key(1), V1.to_vec(), answer(10));
        assert_eq!(cache.get(&key(1), &V1.to_vec()).map(|a| a.cost), Some(3));
        let moved = vec![(Of::Generation, 1), (Of::Session(1), 8)];
        assert!(cache.get(&key(1), &moved).is_none());
        let absent = vec![(Of::Generation, 1)];
        assert!(cache.get(&key(1), &absent).is_none());
        assert!(cache.get(&key(2), &V1.to_vec()).is_none(), "another viewer");
    }

    #[test]
    fn the_least_recently_used_answers_go_beyond_the_entry_and_byte_limits() {
        let cache = cache(2, 1 << 20);
        for user in 1..=3 {
            cache.put(key(user), V1.to_vec(), answer(10));
        }
        assert!(cache.get(&key(1), &V1.to_vec()).is_none());
        assert!(cache.get(&key(3), &V1.to_vec()).is_some());

        // Each entry is about 1,300 bytes (under a sixteenth of 64 KiB): some 50 fit.
        let cache = super::tests::cache(100, 16 * 4096);
        for user in 1..=60 {
            cache.put(key(user), V1.to_vec(), answer(1000));
        }
        let state = cache.lock();
        assert!(state.bytes <= 16 * 4096, "{} bytes", state.bytes);
        assert!(state.entries.len() < 60 && state.entries.len() > 10);
        assert_eq!(
            state.bytes,
            state.entries.iter().map(|(_, e)| e.size).sum::<usize>()
        );
    }

    #[test]
    fn an_answer_over_a_sixteenth_of_the_bytes_is_not_kept() {
        let cache = cache(10, 16 * 1024);
        cache.put(key(1), V1.to_vec(), answer(1024));
        assert!(cache.get(&key(1), &V1.to_vec()).is_none());
        cache.put(key(1), V1.to_vec(), answer(100));
        assert!(cache.get(&key(1), &V1.to_vec()).is_some());
    }

    fn deps(query: &str, variables: serde_json::Value) -> Option<Dependencies> {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        let variables = Variables::from_json(variables);
        let (_, operation) = super::super::request::select(&document, None)?;
        dependencies(&document, operation, &variables)
    }

    #[test]
    fn only_session_and_event_root_fields_with_ids_are_candidates() {
        assert_eq!(
            deps(
                "query($s: ID!) { __typename a: session(id: $s) { id } ...F \
                 ... { event(id: 10) { id } } } fragment F on Query { session(id: \"7\") { id } }",
                serde_json::json!({ "s": "3" }),
            ),
            Some(Dependencies {
                sessions: vec![3, 7],
                events: vec![10],
            })
        );
        for query in [
            "{ events { nodes { id } } }",
            "{ viewer { id } }",
            "{ session(id: 1) { id } viewer { id } }",
            "{ __schema { queryType { name } } }",
            "{ session(id: \"x\") { id } }",
            "{ session(id: 0) { id } }",
            "query($s: ID) { session(id: $s) { id } }",
            "mutation { login(email: \"a\", password: \"b\") { token } }",
        ] {
            assert_eq!(deps(query, serde_json::json!({})), None, "{query}");
        }
    }
}
