//! Persisted queries: Apollo's automatic persisted queries (APQ) and trusted documents.
//!
//! Both only swap an id for a document's text before the request is parsed, so every
//! document limit, validation rule and budget applies to a persisted document exactly
//! as to one sent in full.
//!
//! * **APQ** (the default): a client sends `extensions.persistedQuery = {version: 1,
//!   sha256Hash}` without `query`. A known hash runs its document; an unknown one is
//!   answered `PERSISTED_QUERY_NOT_FOUND` (message `PersistedQueryNotFound`, HTTP 200
//!   as Apollo Server answers, so that Apollo Client resends the request with `query`).
//!   With `query` too, the hash must be the query's SHA-256; the document is remembered
//!   once it has been executed, that is once it parsed and passed every limit and
//!   validation. The store is a bounded LRU per instance: behind a load balancer a
//!   miss on another instance costs the client one resend, nothing else.
//! * **Trusted documents** (`TRUSTED_DOCUMENTS`): only the manifest's operations run,
//!   named by `documentId` (`sha256:<hash>` or the manifest's key as is) or by
//!   `extensions.persistedQuery.sha256Hash`. A free-form `query` runs only when its
//!   text is exactly a manifest document (its SHA-256 is a manifest body's), so tools
//!   that send the text still work; anything else is refused with
//!   `PERSISTED_QUERY_REQUIRED`. Nothing is registered in this mode.

mod stores;

use std::{num::NonZeroUsize, sync::Arc};

use axum::http::{HeaderValue, StatusCode, header};
use serde_json::Value;
use sha2::{Digest, Sha256};
pub use stores::{ApqStore, Manifest};

use super::params::Params;
use crate::{
    config::Delivery,
    error::AppError,
    graphql::{request::Statuses, response::Finished},
};

/// What this instance does with persisted queries.
pub enum PersistedQueries {
    /// Neither APQ nor trusted documents: a persisted query is `PERSISTED_QUERY_NOT_SUPPORTED`.
    Off,
    /// Apollo's automatic persisted queries, remembered in a bounded store.
    Automatic(ApqStore),
    /// Only the operations of a manifest run.
    Trusted(Manifest),
}

impl PersistedQueries {
    /// The mode `delivery` asks for; reads and checks the trusted-documents manifest,
    /// refusing (naming the file and the entry) one that cannot be served.
    pub fn from_config(delivery: &Delivery) -> anyhow::Result<Self> {
        if let Some(path) = &delivery.trusted_documents {
            let manifest = Manifest::load(path)?;
            tracing::info!(
                documents = manifest.len(),
                "trusted documents: only the manifest's operations run"
            );
            return Ok(Self::Trusted(manifest));
        }
        Ok(match NonZeroUsize::new(delivery.apq_cache_size as usize) {
            Some(entries) => Self::Automatic(ApqStore::new(
                entries,
                usize::try_from(delivery.apq_cache_max_bytes).unwrap_or(usize::MAX),
            )),
            None => Self::Off,
        })
    }

    /// The document a request runs: its own `query`, or the persisted one its id names.
    /// `persisted_query` is the request's `extensions.persistedQuery`.
    pub fn resolve(
        &self,
        query: Option<String>,
        document_id: Option<String>,
        persisted_query: Option<Value>,
    ) -> Result<Resolved, Refusal> {
        let apq = persisted_query
            .map(|value| ApqExtension::parse(&value))
            .transpose()?;
        let via_apq = apq.is_some();
        let refuse = |error| Refusal {
            error,
            apollo: via_apq,
        };
        if matches!(self, Self::Off) && (via_apq || document_id.is_some()) {
            return Err(refuse(AppError::PersistedQueryNotSupported));
        }
        if document_id.is_some() && (query.is_some() || via_apq) {
            return Err(refuse(AppError::bad_request(
                "send either `documentId` or `query` (with or without `extensions.persistedQuery`), not both",
            )));
        }
        // A sent query must be the document its hash names, whatever the mode.
        if let (Some(query), Some(apq)) = (&query, &apq)
            && sha256_hex(query) != apq.hash
        {
            return Err(refuse(AppError::bad_request(
                "`extensions.persistedQuery.sha256Hash` is not the SHA-256 of `query`: hash the exact query text, as UTF-8, in lowercase hexadecimal",
            )));
        }
        match self {
            Self::Off => Ok(Resolved::free(query)),
            Self::Automatic(store) => match (query, apq, document_id) {
                (Some(query), Some(apq), _) => Ok(Resolved {
                    register: Some(Registration {
                        hash: apq.hash,
                        document: query.clone(),
                    }),
                    query: Some(query),
                }),
                (None, Some(apq), _) => store
                    .get(&apq.hash)
                    .map(Resolved::persisted)
                    .ok_or_else(|| refuse(AppError::PersistedQueryNotFound)),
                (None, None, Some(id)) => store
                    .get(strip_sha256(&id))
                    .map(Resolved::persisted)
                    .ok_or_else(|| refuse(AppError::PersistedQueryNotFound)),
                (query, None, _) => Ok(Resolved::free(query)),
            },
            Self::Trusted(manifest) => match (query, apq, document_id) {
                (None, Some(apq), _) => manifest
                    .by_id_or_hash(&apq.hash)
                    .map(Resolved::persisted)
                    .ok_or_else(|| refuse(AppError::PersistedQueryNotFound)),
                (None, None, Some(id)) => manifest
                    .by_document_id(&id)
                    .map(Resolved::persisted)
                    .ok_or_else(|| refuse(AppError::PersistedQueryNotFound)),
                (Some(query), _, _) => {
                    if manifest.has_body_hash(&sha256_hex(&query)) {
                        Ok(Resolved::free(Some(query)))
                    } else {
                        Err(Refusal {
                            error: AppError::PersistedQueryRequired(
                                "this server runs only trusted documents: send the `documentId` of an operation from its manifest".into(),
                            ),
                            apollo: false,
                        })
                    }
                }
                (None, None, None) => Ok(Resolved::free(None)),
            },
        }
    }

    /// Puts the text of a persisted document in place of its id in `params`, or says
    /// why the request cannot run: an unknown id, a hash that does not fit, a free-form
    /// document in trusted-documents mode. Returns what to remember once it ran.
    pub fn apply(&self, params: &mut Params) -> Result<Option<Registration>, Refusal> {
        let persisted_query = params
            .extensions
            .as_mut()
            .and_then(|extensions| extensions.remove("persistedQuery"));
        let resolved = self.resolve(
            params.query.take(),
            params.document_id.take(),
            persisted_query,
        )?;
        params.query = resolved.query;
        Ok(resolved.register)
    }

    /// Remembers a document once it was executed (it parsed and passed every limit).
    pub fn register(&self, registration: Registration) {
        if let Self::Automatic(store) = self {
            store.put(registration.hash, registration.document);
        }
    }
}

/// The document a request runs, and what to remember once it ran.
pub struct Resolved {
    pub query: Option<String>,
    pub register: Option<Registration>,
}

impl Resolved {
    fn free(query: Option<String>) -> Self {
        Self {
            query,
            register: None,
        }
    }

    fn persisted(document: Arc<str>) -> Self {
        Self::free(Some(document.to_string()))
    }
}

/// An APQ document to store after it has been executed.
pub struct Registration {
    hash: String,
    document: String,
}

/// A request refused by the persisted-query step.
#[derive(Debug)]
pub struct Refusal {
    pub error: AppError,
    /// The request used Apollo's `extensions.persistedQuery`: a miss is answered with
    /// HTTP 200 whatever the media type, because Apollo Client turns persisted queries
    /// off for good after a 400 or 500 instead of resending the query.
    pub apollo: bool,
}

impl Refusal {
    /// The refusal, with nothing executed. An unknown or unsupported persisted query is
    /// a request error (400 for `application/graphql-response+json`, 200 for legacy
    /// JSON), except with Apollo's extension, which always gets 200 (see `apollo`); a
    /// malformed one and a document outside the trusted set are 400.
    pub fn finish(&self, statuses: Statuses) -> Finished {
        let miss = matches!(
            self.error,
            AppError::PersistedQueryNotFound | AppError::PersistedQueryNotSupported
        );
        let status = if miss && (self.apollo || statuses == Statuses::Legacy) {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        tracing::info!(
            status = status.as_u16(),
            code = self.error.code(),
            "graphql request refused: persisted query"
        );
        let mut finished = Finished::refused(status, &self.error);
        // A cached miss would make every later GET for that hash miss as well.
        finished.set(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache, must-revalidate"),
        );
        finished
    }
}

/// `extensions.persistedQuery`, checked.
struct ApqExtension {
    /// Lowercase hexadecimal SHA-256.
    hash: String,
}

impl ApqExtension {
    fn parse(value: &Value) -> Result<Self, Refusal> {
        let bad = |message: &str| Refusal {
            error: AppError::bad_request(message),
            apollo: true,
        };
        let Value::Object(fields) = value else {
            return Err(bad(
                "`extensions.persistedQuery` must be an object with `version` and `sha256Hash`",
            ));
        };
        if fields.get("version") != Some(&Value::from(1)) {
            return Err(bad(
                "unsupported `extensions.persistedQuery.version`: only version 1 is supported",
            ));
        }
        let hash = fields
            .get("sha256Hash")
            .and_then(Value::as_str)
            .filter(|hash| is_sha256_hex(hash))
            .ok_or_else(|| {
                bad("`extensions.persistedQuery.sha256Hash` must be a SHA-256 in hexadecimal (64 digits)")
            })?;
        Ok(Self {
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// Lowercase hexadecimal SHA-256 of `text` as UTF-8.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `sha256:<hash>` → `<hash>` (the persisted-documents proposal's prefixed form).
fn strip_sha256(id: &str) -> &str {
    id.strip_prefix("sha256:").unwrap_or(id)
}
