//! Tokens from an external identity provider: RS256 and ES256, verified with the
//! provider's public keys from a JWKS document (a file or a URL the operator
//! configures), the key chosen by the token's `kid`.
//!
//! * Only the configured source is ever read. A token's `jku`, `x5u`, `x5c` and `jwk`
//!   headers are ignored: a token can never point us at a key of its choosing, and its
//!   `kid` is only ever looked up in the key set we hold.
//! * A key is used only for the algorithm of its type: RSA keys (2048 bits or more)
//!   for RS256, P-256 keys for ES256. Symmetric (`oct`) keys, other curves, keys for
//!   encryption and keys without a `kid` are skipped.
//! * The key set is refreshed every `JWKS_REFRESH_SECONDS` in the background, and on a
//!   `kid` we do not know at most once per that interval, so a stream of made-up
//!   `kid`s costs one fetch, not one per request. A refresh that fails, or finds no
//!   usable key, keeps the previous keys and logs a warning.

use std::{
    collections::HashMap,
    net::IpAddr,
    path::PathBuf,
    sync::{Arc, Mutex, PoisonError, RwLock},
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{
    Algorithm, DecodingKey, Header, Validation,
    jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse},
};
use serde::Deserialize;
use serde_json::Value;

use super::jwt::{LEEWAY_SECONDS, refusal};
use crate::{config::ExternalAuth, error::AppError};

/// The algorithms an identity provider's tokens may use; any other `alg` is left to
/// our own tokens' verification (which accepts HS256 only).
pub const ALGORITHMS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// Largest JWKS document we read (a real one is a few KiB).
const MAX_JWKS_BYTES: usize = 1 << 20;
/// The whole fetch of `JWKS_URL`, and its connection.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest refresh interval: a provider's rotated keys should not wait longer.
const MAX_REFRESH_SECONDS: u64 = 86_400;
/// Smallest RSA modulus accepted, in bytes (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// Settings that stop the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum JwksConfigError {
    #[error("set either JWKS_FILE or JWKS_URL, not both")]
    BothSources,
    #[error(
        "EXTERNAL_JWT_ISSUER must be set when JWKS_FILE or JWKS_URL is: it is the `iss` the identity provider's tokens must carry"
    )]
    MissingIssuer,
    #[error(
        "EXTERNAL_JWT_AUDIENCE must be set when JWKS_FILE or JWKS_URL is: it is the `aud` the identity provider's tokens must carry"
    )]
    MissingAudience,
    #[error(
        "EXTERNAL_JWT_ISSUER or EXTERNAL_JWT_AUDIENCE is set, but neither JWKS_FILE nor JWKS_URL: set one of them to accept the identity provider's tokens"
    )]
    MissingSource,
    #[error("JWKS_REFRESH_SECONDS must be between 1 and {MAX_REFRESH_SECONDS} (a day)")]
    RefreshInterval,
    #[error("JWKS_URL must be an https:// URL (http:// only on a loopback address): {0}")]
    Url(&'static str),
    #[error("cannot build the HTTP client for JWKS_URL: {0}")]
    Client(String),
    #[error("cannot load the identity provider's keys from {setting}: {source}")]
    Load {
        setting: &'static str,
        source: LoadError,
    },
}

/// Why reading or fetching a key set failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read the file: {0}")]
    Read(std::io::Error),
    #[error("the request failed: {0}")]
    Fetch(String),
    #[error("the server answered HTTP {0}")]
    Status(u16),
    #[error("the document is larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    #[error("not a JWKS document (a JSON object with a `keys` array): {0}")]
    Json(serde_json::Error),
    #[error(
        "no usable key: a key needs a `kid` and must be RSA (2048 bits or more, RS256) or EC P-256 (ES256), for signatures"
    )]
    NoUsableKey,
}

/// Where the key set comes from.
enum Source {
    File(PathBuf),
    Url {
        url: reqwest::Url,
        client: reqwest::Client,
    },
}

impl Source {
    fn setting(&self) -> &'static str {
        match self {
            Self::File(_) => "JWKS_FILE",
            Self::Url { .. } => "JWKS_URL",
        }
    }

    async fn read(&self) -> Result<Vec<u8>, LoadError> {
        match self {
            Self::File(path) => {
                let metadata = tokio::fs::metadata(path).await.map_err(LoadError::Read)?;
                if metadata.len() > MAX_JWKS_BYTES as u64 {
                    return Err(LoadError::TooLarge);
                }
                let bytes = tokio::fs::read(path).await.map_err(LoadError::Read)?;
                if bytes.len() > MAX_JWKS_BYTES {
                    return Err(LoadError::TooLarge);
                }
                Ok(bytes)
            }
            Self::Url { url, client } => {
                // `without_url`: the error text is logged, and a URL may carry credentials.
                let fetch = |err: reqwest::Error| LoadError::Fetch(err.without_url().to_string());
                let mut response = client.get(url.clone()).send().await.map_err(fetch)?;
                if !response.status().is_success() {
                    return Err(LoadError::Status(response.status().as_u16()));
                }
                if response
                    .content_length()
                    .is_some_and(|length| length > MAX_JWKS_BYTES as u64)
                {
                    return Err(LoadError::TooLarge);
                }
                let mut bytes = Vec::new();
                while let Some(chunk) = response.chunk().await.map_err(fetch)? {
                    if bytes.len() + chunk.len() > MAX_JWKS_BYTES {
                        return Err(LoadError::TooLarge);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(bytes)
            }
        }
    }
}

/// One usable public key and the one algorithm it verifies.
struct VerifyingKey {
    algorithm: Algorithm,
    key: DecodingKey,
}

type KeySet = HashMap<String, Arc<VerifyingKey>>;

/// The usable keys of a JWKS document, by `kid`. Keys that jsonwebtoken cannot read
/// (an algorithm it does not know, say) or that we would not use are skipped, so that
/// one exotic key does not hide the others; the first of two keys with one `kid` wins.
fn parse_key_set(bytes: &[u8]) -> Result<KeySet, LoadError> {
    #[derive(Deserialize)]
    struct Document {
        keys: Vec<Value>,
    }
    let document: Document = serde_json::from_slice(bytes).map_err(LoadError::Json)?;
    let mut set = KeySet::new();
    for value in document.keys {
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        if let Some((kid, key)) = usable(&jwk) {
            set.entry(kid).or_insert_with(|| Arc::new(key));
        }
    }
    if set.is_empty() {
        return Err(LoadError::NoUsableKey);
    }
    Ok(set)
}

/// The `kid` and verifying key of a JWK we accept, or `None`.
fn usable(jwk: &Jwk) -> Option<(String, VerifyingKey)> {
    let common = &jwk.common;
    let kid = common.key_id.as_ref().filter(|kid| !kid.is_empty())?;
    if common
        .public_key_use
        .as_ref()
        .is_some_and(|usage| *usage != PublicKeyUse::Signature)
    {
        return None;
    }
    if common
        .key_operations
        .as_ref()
        .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
    {
        return None;
    }
    let (algorithm, named) = match &jwk.algorithm {
        AlgorithmParameters::RSA(params) => {
            let modulus = URL_SAFE_NO_PAD.decode(&params.n).ok()?;
            let significant = modulus.iter().skip_while(|byte| **byte == 0).count();
            if significant < MIN_RSA_MODULUS_BYTES {
                return None;
            }
            (Algorithm::RS256, KeyAlgorithm::RS256)
        }
        AlgorithmParameters::EllipticCurve(params) if params.curve == EllipticCurve::P256 => {
            let coordinate = |c: &str| URL_SAFE_NO_PAD.decode(c).ok().filter(|c| c.len() == 32);
            coordinate(&params.x)?;
            coordinate(&params.y)?;
            (Algorithm::ES256, KeyAlgorithm::ES256)
        }
        _ => return None,
    };
    if common.key_algorithm.is_some_and(|alg| alg != named) {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((kid.clone(), VerifyingKey { algorithm, key }))
}

/// Checks a `JWKS_URL`: https, or http on a loopback address (tests, a local sidecar).
fn parse_url(text: &str) -> Result<reqwest::Url, JwksConfigError> {
    let url = reqwest::Url::parse(text).map_err(|_| JwksConfigError::Url("not a URL"))?;
    let host = url
        .host_str()
        .ok_or(JwksConfigError::Url("the URL has no host"))?;
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(JwksConfigError::Url(
            "plain http is accepted only on a loopback address: keys fetched in clear text could be replaced on the way",
        )),
        _ => Err(JwksConfigError::Url("the scheme must be https")),
    }
}

/// Verifies the identity provider's tokens. Built once at start-up, when a JWKS
/// source is configured; shared by every request.
pub struct ExternalVerifier {
    source: Source,
    issuer: String,
    refresh_every: Duration,
    rs256: Validation,
    es256: Validation,
    keys: RwLock<Arc<KeySet>>,
    /// Serializes refreshes, so that an older key set never replaces a newer one.
    refreshing: tokio::sync::Mutex<()>,
    /// When an unknown `kid` last made us refresh.
    last_on_demand: Mutex<Option<Instant>>,
}

impl ExternalVerifier {
    /// `None` when no JWKS source is configured. Otherwise checks the settings and
    /// loads the key set once: a server that cannot read its identity provider's keys
    /// does not start.
    pub async fn from_config(config: &ExternalAuth) -> Result<Option<Arc<Self>>, JwksConfigError> {
        let nonempty = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        let file = config
            .jwks_file
            .clone()
            .filter(|path| !path.as_os_str().is_empty());
        let url = nonempty(&config.jwks_url);
        let (issuer, audience) = (
            nonempty(&config.external_issuer),
            nonempty(&config.external_audience),
        );
        let source = match (file, url) {
            (Some(_), Some(_)) => return Err(JwksConfigError::BothSources),
            (None, None) if issuer.is_some() || audience.is_some() => {
                return Err(JwksConfigError::MissingSource);
            }
            (None, None) => return Ok(None),
            (Some(path), None) => Source::File(path),
            (None, Some(url)) => {
                let url = parse_url(&url)?;
                let client = reqwest::Client::builder()
                    .timeout(FETCH_TIMEOUT)
                    .connect_timeout(CONNECT_TIMEOUT)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|err| JwksConfigError::Client(err.to_string()))?;
                Source::Url { url, client }
            }
        };
        let issuer = issuer.ok_or(JwksConfigError::MissingIssuer)?;
        let audience = audience.ok_or(JwksConfigError::MissingAudience)?;
        if !(1..=MAX_REFRESH_SECONDS).contains(&config.jwks_refresh_seconds) {
            return Err(JwksConfigError::RefreshInterval);
        }
        let keys = source
            .read()
            .await
            .and_then(|bytes| parse_key_set(&bytes))
            .map_err(|source_error| JwksConfigError::Load {
                setting: source.setting(),
                source: source_error,
            })?;
        tracing::info!(
            source = source.setting(),
            keys = keys.len(),
            "loaded the identity provider's keys"
        );
        let validation = |algorithm| {
            let mut validation = Validation::new(algorithm);
            validation.set_issuer(&[&issuer]);
            validation.set_audience(&[&audience]);
            validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
            validation.validate_exp = true;
            validation.validate_nbf = true;
            validation.leeway = LEEWAY_SECONDS;
            validation
        };
        Ok(Some(Arc::new(Self {
            rs256: validation(Algorithm::RS256),
            es256: validation(Algorithm::ES256),
            source,
            issuer,
            refresh_every: Duration::from_secs(config.jwks_refresh_seconds),
            keys: RwLock::new(Arc::new(keys)),
            refreshing: tokio::sync::Mutex::new(()),
            last_on_demand: Mutex::new(None),
        })))
    }

    /// Refreshes the key set every `JWKS_REFRESH_SECONDS` until the verifier is dropped.
    pub fn spawn_refresh(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let verifier = Arc::downgrade(self);
        let every = self.refresh_every;
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(verifier) = verifier.upgrade() else {
                    break;
                };
                let _one_at_a_time = verifier.refreshing.lock().await;
                verifier.refresh().await;
            }
        })
    }

    /// Reloads the key set; on failure keeps the current one. The caller holds `refreshing`.
    async fn refresh(&self) {
        match self
            .source
            .read()
            .await
            .and_then(|bytes| parse_key_set(&bytes))
        {
            Ok(keys) => {
                tracing::debug!(keys = keys.len(), "refreshed the identity provider's keys");
                *self.keys.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(keys);
            }
            Err(err) => tracing::warn!(
                source = self.source.setting(),
                error = %err,
                "refreshing the identity provider's keys failed; keeping the previous keys"
            ),
        }
    }

    fn current(&self) -> Arc<KeySet> {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The key named `kid`: from the current set, else after one refresh, if no
    /// unknown `kid` has caused one within the refresh interval.
    async fn key(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        if let Some(key) = self.current().get(kid) {
            return Some(key.clone());
        }
        let _one_at_a_time = self.refreshing.lock().await;
        // A refresh may have finished while we waited for the lock.
        if let Some(key) = self.current().get(kid) {
            return Some(key.clone());
        }
        {
            let mut last = self
                .last_on_demand
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < self.refresh_every) {
                return None;
            }
            *last = Some(Instant::now());
        }
        self.refresh().await;
        self.current().get(kid).cloned()
    }

    /// Verifies an identity provider's token (`header` is its decoded header, with an
    /// `alg` in [`ALGORITHMS`]) and returns its `email` claim and its `exp` (unix seconds).
    pub async fn verify(
        &self,
        token: &str,
        header: &Header,
    ) -> Result<(String, Option<i64>), AppError> {
        let refuse = |why: &str| AppError::Unauthenticated(why.into());
        let kid = header
            .kid
            .as_deref()
            .filter(|kid| !kid.is_empty())
            .ok_or_else(|| refuse("the bearer token names no signing key (`kid`)"))?;
        let key = self
            .key(kid)
            .await
            .ok_or_else(|| refuse("the bearer token's signing key is unknown"))?;
        if key.algorithm != header.alg {
            return Err(refuse("the bearer token's algorithm is not accepted"));
        }
        let validation = match key.algorithm {
            Algorithm::ES256 => &self.es256,
            _ => &self.rs256,
        };
        let claims = jsonwebtoken::decode::<Value>(token, &key.key, validation)
            .map_err(|err| refusal(&err))?
            .claims;
        // jsonwebtoken also accepts an array `iss` that contains ours; the claim is one string.
        if claims.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str()) {
            return Err(refuse("the bearer token has the wrong issuer"));
        }
        // Some providers let users change their email without verifying it; such an
        // address must not stand for one of our users. (Some send the flag as a string.)
        let verified = claims.get("email_verified");
        if verified == Some(&Value::Bool(false))
            || verified.and_then(Value::as_str) == Some("false")
        {
            return Err(refuse("the bearer token's email address is not verified"));
        }
        let expires_at = claims.get("exp").and_then(Value::as_i64);
        claims
            .get("email")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|email| !email.is_empty())
            .map(|email| (email.to_owned(), expires_at))
            .ok_or_else(|| refuse(UNKNOWN_USER))
    }
}

/// The refusal for an identity provider's token that names no user of ours.
pub const UNKNOWN_USER: &str = "unknown user";

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn modulus(bytes: usize) -> String {
        URL_SAFE_NO_PAD.encode(vec![0xC5; bytes])
    }

    fn coordinate() -> String {
        URL_SAFE_NO_PAD.encode([7u8; 32])
    }

    fn kids(document: &Value) -> Result<Vec<(String, Algorithm)>, LoadError> {
        let set = parse_key_set(document.to_string().as_bytes())?;
        let mut kids: Vec<_> = set
            .iter()
            .map(|(kid, key)| (kid.clone(), key.algorithm))
            .collect();
        kids.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(kids)
    }

    #[test]
    fn only_signature_keys_of_rs256_and_es256_with_a_kid_are_kept() {
        let document = json!({ "keys": [
            { "kty": "RSA", "kid": "rsa", "n": modulus(256), "e": "AQAB" },
            { "kty": "RSA", "kid": "rsa-sig", "use": "sig", "alg": "RS256", "n": modulus(512), "e": "AQAB" },
            { "kty": "RSA", "kid": "rsa-verify", "key_ops": ["verify"], "n": modulus(256), "e": "AQAB" },
            { "kty": "EC", "kid": "ec", "crv": "P-256", "x": coordinate(), "y": coordinate() },
            // Skipped: no kid, too short, for encryption, another algorithm, symmetric,
            // another curve, a key jsonwebtoken cannot read, signing-only key_ops.
            { "kty": "RSA", "n": modulus(256), "e": "AQAB" },
            { "kty": "RSA", "kid": "", "n": modulus(256), "e": "AQAB" },
            { "kty": "RSA", "kid": "rsa-1024", "n": modulus(128), "e": "AQAB" },
            { "kty": "RSA", "kid": "rsa-enc", "use": "enc", "n": modulus(256), "e": "AQAB" },
            { "kty": "RSA", "kid": "rsa-oaep", "alg": "RSA-OAEP", "n": modulus(256), "e": "AQAB" },
            { "kty": "RSA", "kid": "rsa-512", "alg": "RS512", "n": modulus(256), "e": "AQAB" },
            { "kty": "RSA", "kid": "rsa-sign", "key_ops": ["sign"], "n": modulus(256), "e": "AQAB" },
            { "kty": "oct", "kid": "hmac", "alg": "HS256", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0" },
            { "kty": "EC", "kid": "p384", "crv": "P-384", "x": coordinate(), "y": coordinate() },
            { "kty": "EC", "kid": "ec-es384", "alg": "ES384", "crv": "P-256", "x": coordinate(), "y": coordinate() },
            { "kty": "EC", "kid": "ec-short", "crv": "P-256", "x": "AAAA", "y": coordinate() },
            { "kty": "OKP", "kid": "ed", "crv": "X448", "x": coordinate() },
            { "kty": "unheard-of", "kid": "odd" },
        ]});
        let kept = kids(&document).expect("a key set");
        assert_eq!(
            kept,
            [
                ("ec".to_owned(), Algorithm::ES256),
                ("rsa".to_owned(), Algorithm::RS256),
                ("rsa-sig".to_owned(), Algorithm::RS256),
                ("rsa-verify".to_owned(), Algorithm::RS256),
            ]
        );
    }

    #[test]
    fn the_first_of_two_keys_with_one_kid_wins() {
        let document = json!({ "keys": [
            { "kty": "EC", "kid": "same", "crv": "P-256", "x": coordinate(), "y": coordinate() },
            { "kty": "RSA", "kid": "same", "n": modulus(256), "e": "AQAB" },
        ]});
        assert_eq!(
            kids(&document).expect("a key set"),
            [("same".to_owned(), Algorithm::ES256)]
        );
    }

    #[test]
    fn a_document_without_usable_keys_is_refused() {
        for document in [
            json!({ "keys": [] }),
            json!({ "keys": [{ "kty": "oct", "kid": "hmac", "k": "c2VjcmV0" }] }),
        ] {
            assert!(
                matches!(kids(&document), Err(LoadError::NoUsableKey)),
                "{document}"
            );
        }
        for document in [json!([]), json!({ "key": [] }), json!("keys")] {
            assert!(
                matches!(kids(&document), Err(LoadError::Json(_))),
                "{document}"
            );
        }
    }

    #[test]
    fn jwks_urls_must_be_https_except_on_loopback() {
        for ok in [
            "https://idp.example.com/.well-known/jwks.json",
            "https://10.0.0.1/jwks",
            "http://127.0.0.1:8080/jwks",
            "http://localhost/jwks",
            "http://[::1]:9000/jwks",
        ] {
            assert!(parse_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://idp.example.com/jwks",
            "http://10.0.0.1/jwks",
            "ftp://idp.example.com/jwks",
            "file:///etc/jwks.json",
            "idp.example.com/jwks",
            "",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }
}
