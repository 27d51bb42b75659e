//! Parsed documents kept by their text: clients send the same few documents again and
//! again, with new variables, and parsing one costs more than copying its tree.

use std::{
    num::NonZeroUsize,
    sync::{Arc, Mutex},
};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

use super::limits::DocumentLimits;

/// How many parsed documents are kept (least recently used go first).
const ENTRIES: NonZeroUsize = NonZeroUsize::new(512).expect("not zero");
/// Documents longer than this (bytes of source) are parsed every time: a cache of
/// `ENTRIES` such documents stays within a few tens of MiB.
const MAX_SOURCE_BYTES: usize = 16 * 1024;

/// The document limits, and the documents parsed under them.
pub struct Documents {
    limits: DocumentLimits,
    parsed: Mutex<LruCache<String, Arc<ExecutableDocument>>>,
}

impl Documents {
    pub fn new(limits: DocumentLimits) -> Self {
        Self {
            limits,
            parsed: Mutex::new(LruCache::new(ENTRIES)),
        }
    }

    /// The limits documents are checked against.
    pub fn limits(&self) -> &DocumentLimits {
        &self.limits
    }

    /// The document parsed from exactly `source` earlier, if it is kept. It passed the
    /// token limit then, under the same limits.
    pub fn get(&self, source: &str) -> Option<Arc<ExecutableDocument>> {
        self.lock().get(source).cloned()
    }

    /// Keeps `document`, parsed from `source` within the limits, and returns it shared.
    pub fn keep(&self, source: &str, document: ExecutableDocument) -> Arc<ExecutableDocument> {
        let document = Arc::new(document);
        if source.len() <= MAX_SOURCE_BYTES {
            self.lock().put(source.to_owned(), document.clone());
        }
        document
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, Arc<ExecutableDocument>>> {
        // No update can panic halfway: a poisoned lock still holds a consistent cache.
        self.parsed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
