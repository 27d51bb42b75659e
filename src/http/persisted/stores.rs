//! Where persisted documents are kept: the APQ store (bounded, least recently used
//! first) and a trusted-documents manifest.

use std::{
    collections::HashMap,
    num::NonZeroUsize,
    path::Path,
    sync::{Arc, Mutex},
};

use anyhow::{Context as _, bail};
use lru::LruCache;
use serde_json::Value;

use super::{is_sha256_hex, sha256_hex, strip_sha256};

// ---------------------------------------------------------------------------------
// APQ store

/// Documents by hash, bounded in entries and in bytes; least recently used go first.
pub struct ApqStore {
    inner: Mutex<Entries>,
    max_bytes: usize,
}

struct Entries {
    documents: LruCache<String, Arc<str>>,
    bytes: usize,
}

impl ApqStore {
    pub fn new(entries: NonZeroUsize, max_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Entries {
                documents: LruCache::new(entries),
                bytes: 0,
            }),
            max_bytes,
        }
    }

    pub(super) fn get(&self, hash: &str) -> Option<Arc<str>> {
        let hash = hash.to_ascii_lowercase();
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        inner.documents.get(&hash).cloned()
    }

    pub(super) fn put(&self, hash: String, document: String) {
        if document.len() > self.max_bytes {
            return;
        }
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if inner.documents.contains(&hash) {
            inner.documents.promote(&hash);
            return;
        }
        inner.bytes += document.len();
        // `push` evicts the least recently used entry when the store is full.
        if let Some((_, evicted)) = inner.documents.push(hash, Arc::from(document)) {
            inner.bytes -= evicted.len();
        }
        while inner.bytes > self.max_bytes {
            match inner.documents.pop_lru() {
                Some((_, evicted)) => inner.bytes -= evicted.len(),
                None => break,
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Trusted documents

/// A trusted-documents manifest: the only operations the server runs.
pub struct Manifest {
    /// By the manifest's key (codegen) or `id` (Apollo).
    by_id: HashMap<String, Arc<str>>,
    /// By the SHA-256 of the document text.
    by_hash: HashMap<String, Arc<str>>,
}

impl Manifest {
    /// Reads and checks `path`; every error names the file and, where it applies, the entry.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read TRUSTED_DOCUMENTS file {}", path.display()))?;
        Self::parse(&text).with_context(|| {
            format!(
                "TRUSTED_DOCUMENTS file {} is not a usable manifest",
                path.display()
            )
        })
    }

    /// Reads graphql-codegen's `{ "<hash>": "<document>" }` or Apollo's
    /// `{ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [...] }`.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let value: Value = serde_json::from_str(text).context("the file is not valid JSON")?;
        let Value::Object(fields) = value else {
            bail!("expected a JSON object");
        };
        let entries: Vec<(String, Value)> = if fields.get("format").and_then(Value::as_str)
            == Some("apollo-persisted-query-manifest")
        {
            if fields.get("version") != Some(&Value::from(1)) {
                bail!("only version 1 of apollo-persisted-query-manifest is supported");
            }
            let Some(Value::Array(operations)) = fields.get("operations") else {
                bail!("`operations` must be an array");
            };
            operations
                .iter()
                .enumerate()
                .map(|(index, operation)| {
                    let id = operation
                        .get("id")
                        .and_then(Value::as_str)
                        .with_context(|| format!("operation {index} has no string `id`"))?;
                    let body = operation
                        .get("body")
                        .cloned()
                        .with_context(|| format!("operation {index} ({id}) has no `body`"))?;
                    Ok((id.to_owned(), body))
                })
                .collect::<anyhow::Result<_>>()?
        } else {
            fields.into_iter().collect()
        };
        if entries.is_empty() {
            bail!("the manifest holds no documents");
        }
        let mut manifest = Self {
            by_id: HashMap::new(),
            by_hash: HashMap::new(),
        };
        for (id, body) in entries {
            let shown: String = id.chars().take(80).collect();
            let Value::String(body) = body else {
                bail!("entry {shown:?}: the document must be a string");
            };
            if let Err(err) = async_graphql::parser::parse_query(&body) {
                bail!("entry {shown:?}: the document does not parse: {err}");
            }
            let hash = sha256_hex(&body);
            if is_sha256_hex(&id) && !id.eq_ignore_ascii_case(&hash) {
                bail!(
                    "entry {shown:?}: the key looks like a SHA-256 but the document's SHA-256 is {hash}"
                );
            }
            let body: Arc<str> = Arc::from(body);
            if manifest.by_id.insert(id, body.clone()).is_some() {
                bail!("entry {shown:?} appears more than once");
            }
            manifest.by_hash.insert(hash, body);
        }
        Ok(manifest)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// `documentId`: the manifest key as is, else `sha256:<hash>` or a bare hash of a body.
    pub(super) fn by_document_id(&self, id: &str) -> Option<Arc<str>> {
        self.by_id
            .get(id)
            .or_else(|| self.by_hash.get(&strip_sha256(id).to_ascii_lowercase()))
            .cloned()
    }

    /// An APQ hash: a manifest key, else the hash of a body.
    pub(super) fn by_id_or_hash(&self, hash: &str) -> Option<Arc<str>> {
        self.by_id
            .get(hash)
            .or_else(|| self.by_hash.get(hash))
            .cloned()
    }

    pub(super) fn has_body_hash(&self, hash: &str) -> bool {
        self.by_hash.contains_key(hash)
    }
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;

    use super::{super::sha256_hex, ApqStore, Manifest};

    #[test]
    fn the_store_forgets_least_recently_used_documents_first_and_stays_within_its_bytes() {
        let store = ApqStore::new(NonZeroUsize::new(2).expect("2"), 10);
        store.put("a".into(), "aaaa".into());
        store.put("b".into(), "bbbb".into());
        assert!(store.get("a").is_some(), "a is used, so b is older");
        store.put("c".into(), "cccc".into());
        assert!(store.get("b").is_none(), "two entries at most");
        assert!(store.get("a").is_some() && store.get("c").is_some());
        store.put("d".into(), "dddddddd".into());
        assert!(store.get("d").is_some());
        assert!(
            store.get("a").is_none() && store.get("c").is_none(),
            "10 bytes at most"
        );
        store.put("e".into(), "e".repeat(11));
        assert!(
            store.get("e").is_none(),
            "a document over the bytes is not kept"
        );
    }

    #[test]
    fn a_manifest_key_that_is_not_the_hash_of_its_document_is_refused() {
        let wrong = sha256_hex("{ b }");
        let err = Manifest::parse(&format!(r#"{{"{wrong}": "{{ a }}"}}"#))
            .err()
            .expect("refused");
        assert!(format!("{err:#}").contains(&wrong), "{err:#}");
        let right = sha256_hex("{ a }");
        let manifest = Manifest::parse(&format!(
            r#"{{"{right}": "{{ a }}", "other-id": "{{ b }}"}}"#
        ))
        .expect("a good manifest");
        assert_eq!(manifest.len(), 2);
    }
}
