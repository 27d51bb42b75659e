//! Tokens from an external identity provider: RS256 and ES256 public keys from a JWKS
//! file or URL, chosen by `kid`, refreshed and rotated; the user found by `email`, and
//! our own authorization applied as for any user.
//!
//! The keys are fixed test-only keys in `tests/api/keys/`. The JWKS URL, and the URLs
//! a token's `jku`/`x5u` headers point at, are served by tiny servers on 127.0.0.1
//! inside the tests, which count every request they get.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::State,
    http::{StatusCode as HttpStatus, Uri},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use session_analytics::{
    config::{Config, ExternalAuth},
    startup::Application,
};

use crate::{
    fixture::{self, *},
    helpers::{Reply, Scratch, TestApp, assert_refused, spawn_with_config, test_config},
};

pub const IDP_ISSUER: &str = "https://idp.test.example/";
pub const IDP_AUDIENCE: &str = "session-analytics-idp";
const VIEWER: &str = "{ viewer { userId email role } }";
const SESSION_TITLE: &str = "query($id: ID!) { session(id: $id) { id title } }";
const UNKNOWN_USER: &str = "unknown user";
const UNKNOWN_KEY: &str = "the bearer token's signing key is unknown";
const NO_KID: &str = "the bearer token names no signing key (`kid`)";
const BAD_SIGNATURE: &str = "the bearer token's signature is invalid";
const BAD_ALGORITHM: &str = "the bearer token's algorithm is not accepted";
const LACKS_CLAIM: &str = "the bearer token lacks a required claim";

// ---------------------------------------------------------------------------------
// Test keys (also used by `tokens.rs`)

/// A test key pair: signs tokens, and shows its public half as a JWK.
pub struct TestKey {
    pub kid: String,
    pub algorithm: Algorithm,
    pub encoding: EncodingKey,
    /// The public key as a JWK, with `kid`.
    pub jwk: Value,
    /// RSA only: the public key as PEM (SubjectPublicKeyInfo), as a server would publish it.
    pub public_pem: Option<String>,
}

fn pem(name: &str) -> &'static str {
    match name {
        "rsa-a" => include_str!("keys/test-only-rsa-a.pem"),
        "rsa-b" => include_str!("keys/test-only-rsa-b.pem"),
        "rsa-attacker" => include_str!("keys/test-only-rsa-attacker.pem"),
        "ec-a" => include_str!("keys/test-only-ec-a.pem"),
        "ec-b" => include_str!("keys/test-only-ec-b.pem"),
        other => panic!("no test key {other}"),
    }
}

/// The RSA test key `name` (`rsa-a`, `rsa-b`, `rsa-attacker`) under `kid`, for RS256.
pub fn rsa_key(name: &str, kid: &str) -> TestKey {
    use rsa::{
        RsaPrivateKey,
        pkcs1::EncodeRsaPrivateKey,
        pkcs8::{DecodePrivateKey, EncodePublicKey, LineEnding},
        traits::PublicKeyParts,
    };
    let private = RsaPrivateKey::from_pkcs8_pem(pem(name)).expect("a PKCS#8 RSA key");
    let der = private.to_pkcs1_der().expect("PKCS#1 DER");
    let public = private.to_public_key();
    TestKey {
        kid: kid.into(),
        algorithm: Algorithm::RS256,
        encoding: EncodingKey::from_rsa_der(der.as_bytes()),
        jwk: json!({
            "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        }),
        public_pem: Some(
            public
                .to_public_key_pem(LineEnding::LF)
                .expect("a public PEM"),
        ),
    }
}

/// The P-256 test key `name` (`ec-a`, `ec-b`) under `kid`, for ES256.
pub fn ec_key(name: &str, kid: &str) -> TestKey {
    use p256::{
        SecretKey,
        elliptic_curve::sec1::ToEncodedPoint,
        pkcs8::{DecodePrivateKey, EncodePrivateKey},
    };
    let secret = SecretKey::from_pkcs8_pem(pem(name)).expect("a PKCS#8 P-256 key");
    let der = secret.to_pkcs8_der().expect("PKCS#8 DER");
    let point = secret.public_key().to_encoded_point(false);
    let coordinate = |c: Option<&p256::FieldBytes>| URL_SAFE_NO_PAD.encode(c.expect("affine"));
    TestKey {
        kid: kid.into(),
        algorithm: Algorithm::ES256,
        encoding: EncodingKey::from_ec_der(der.as_bytes()),
        jwk: json!({
            "kty": "EC", "kid": kid, "crv": "P-256", "use": "sig", "alg": "ES256",
            "x": coordinate(point.x()), "y": coordinate(point.y()),
        }),
        public_pem: None,
    }
}

/// A JWKS document of these keys' public halves.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|key| key.jwk.clone()).collect::<Vec<_>>() })
}

/// Claims an identity provider would issue for `email`, valid now.
pub fn idp_claims(email: &str) -> Map<String, Value> {
    let now = Utc::now().timestamp();
    let claims = json!({
        "iss": IDP_ISSUER, "aud": IDP_AUDIENCE, "sub": "idp|0123456789",
        "email": email, "email_verified": true,
        "iat": now, "nbf": now, "exp": now + 600,
    });
    claims.as_object().expect("an object").clone()
}

/// `claims` signed with `key`, the header naming the key's algorithm and `kid`.
pub fn idp_token(key: &TestKey, claims: &Map<String, Value>) -> String {
    let mut header = Header::new(key.algorithm);
    header.kid = Some(key.kid.clone());
    sign_with(header, key, claims)
}

/// `claims` signed with `key` under exactly `header`.
pub fn sign_with(header: Header, key: &TestKey, claims: &Map<String, Value>) -> String {
    jsonwebtoken::encode(&header, claims, &key.encoding).expect("signing")
}

// ---------------------------------------------------------------------------------
// Servers

/// A tiny HTTP server on 127.0.0.1 that answers every path with one document and
/// records the paths it was asked for.
#[derive(Clone)]
pub struct DocumentServer {
    pub base: String,
    answer: Arc<Mutex<(HttpStatus, String)>>,
    requests: Arc<Mutex<Vec<String>>>,
    hits: Arc<AtomicUsize>,
}

impl DocumentServer {
    pub async fn start(document: &Value) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let server = Self {
            base: format!("http://{}", listener.local_addr().expect("an address")),
            answer: Arc::new(Mutex::new((HttpStatus::OK, document.to_string()))),
            requests: Arc::default(),
            hits: Arc::default(),
        };
        async fn answer(State(server): State<DocumentServer>, uri: Uri) -> (HttpStatus, String) {
            server.hits.fetch_add(1, Ordering::SeqCst);
            server
                .requests
                .lock()
                .expect("requests")
                .push(uri.to_string());
            server.answer.lock().expect("answer").clone()
        }
        let router = Router::new().fallback(answer).with_state(server.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn serve(&self, status: HttpStatus, body: impl Into<String>) {
        *self.answer.lock().expect("answer") = (status, body.into());
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("requests").clone()
    }
}

// ---------------------------------------------------------------------------------
// Applications

/// A configuration that accepts the test identity provider's tokens from `source`.
fn idp_config(scratch: &Scratch, database_url: String, source: Source) -> Config {
    let mut config = test_config(scratch.path(), database_url);
    let (jwks_file, jwks_url) = match source {
        Source::File(path) => (Some(path), None),
        Source::Url(url) => (None, Some(url)),
    };
    config.external_auth = ExternalAuth {
        jwks_file,
        jwks_url,
        jwks_refresh_seconds: 3600,
        external_issuer: Some(IDP_ISSUER.into()),
        external_audience: Some(IDP_AUDIENCE.into()),
    };
    config
}

enum Source {
    File(PathBuf),
    Url(String),
}

/// The fixture's application, accepting the identity provider's tokens from `source`,
/// refreshing its keys every `refresh_seconds`.
async fn spawn_idp(source: Source, refresh_seconds: u64) -> TestApp {
    spawn_idp_in(Scratch::new(), source, refresh_seconds).await
}

async fn spawn_idp_in(mut scratch: Scratch, source: Source, refresh_seconds: u64) -> TestApp {
    let url = scratch.database_url().await;
    let mut config = idp_config(&scratch, url, source);
    config.external_auth.jwks_refresh_seconds = refresh_seconds;
    let app = spawn_with_config(config, scratch).await;
    fixture::load(&app.db).await;
    app
}

/// Writes `document` to `path` the way a deployment would: a new file renamed over the old.
fn write_jwks(path: &Path, document: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, document).expect("writing the JWKS");
    std::fs::rename(&temporary, path).expect("replacing the JWKS");
}

/// The fixture's application with a JWKS file of `keys`; the file's path too.
async fn spawn_with_jwks_file(keys: &[&TestKey], refresh_seconds: u64) -> (TestApp, PathBuf) {
    let scratch = Scratch::new();
    let path = scratch.path().join("jwks.json");
    write_jwks(&path, &jwks(keys).to_string());
    let app = spawn_idp_in(scratch, Source::File(path.clone()), refresh_seconds).await;
    (app, path)
}

// ---------------------------------------------------------------------------------
// Assertions

async fn viewer(app: &TestApp, token: &str) -> Reply {
    app.query(Some(token), VIEWER, json!({})).await
}

async fn viewer_id(app: &TestApp, token: &str) -> Value {
    let reply = viewer(app, token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.data()["viewer"]["userId"].clone()
}

// ---------------------------------------------------------------------------------
// Accepted tokens

#[tokio::test]
async fn rs256_and_es256_tokens_of_the_identity_provider_sign_in_the_user_with_that_email() {
    let (rsa, ec) = (rsa_key("rsa-a", "rsa-2026"), ec_key("ec-a", "ec-2026"));
    let (app, _) = spawn_with_jwks_file(&[&rsa, &ec], 3600).await;

    // The email is matched ignoring case; the role is the database's.
    let token = idp_token(&rsa, &idp_claims("EventAdmin@Test.DEV"));
    let reply = viewer(&app, &token).await;
    assert_eq!(
        reply.data()["viewer"],
        json!({ "userId": "3", "email": "eventadmin@test.dev", "role": "EVENT_ADMIN" })
    );

    // Our authorization applies as for any user: event A's session, not event C's.
    let reply = app
        .query(Some(&token), SESSION_TITLE, json!({ "id": "100" }))
        .await;
    assert_eq!(reply.data()["session"]["id"], "100");
    let reply = app
        .query(Some(&token), SESSION_TITLE, json!({ "id": "200" }))
        .await;
    assert_eq!(reply.error_code(), "NOT_EVENT_HOST");

    let token = idp_token(&ec, &idp_claims("super@test.dev"));
    assert_eq!(viewer_id(&app, &token).await, "1");
    let reply = app
        .query(Some(&token), SESSION_TITLE, json!({ "id": "200" }))
        .await;
    assert_eq!(reply.data()["session"]["id"], "200");

    // An attendee signs in, and is refused event data like any attendee.
    let token = idp_token(&rsa, &idp_claims("attendee@test.dev"));
    assert_eq!(viewer_id(&app, &token).await, "4");
    let reply = app
        .query(Some(&token), SESSION_TITLE, json!({ "id": "100" }))
        .await;
    assert_eq!(reply.error_code(), "FORBIDDEN");

    // `aud` may be a list that names us; other claims are ignored.
    let mut claims = idp_claims("orgadmin@test.dev");
    claims.insert("aud".into(), json!(["another-api", IDP_AUDIENCE]));
    claims.insert("role".into(), json!("SUPER_ADMIN"));
    claims.insert("groups".into(), json!(["admins"]));
    let reply = viewer(&app, &idp_token(&ec, &claims)).await;
    assert_eq!(
        reply.data()["viewer"],
        json!({ "userId": "2", "email": "orgadmin@test.dev", "role": "ORGANIZER_ADMIN" }),
        "a role claim changes nothing"
    );

    // Within the 30 s leeway.
    let now = Utc::now().timestamp();
    let mut claims = idp_claims("super@test.dev");
    claims.insert("exp".into(), json!(now - 10));
    claims.insert("nbf".into(), json!(now + 10));
    assert_eq!(viewer_id(&app, &idp_token(&rsa, &claims)).await, "1");
}

#[tokio::test]
async fn our_own_tokens_and_login_keep_working_beside_the_identity_provider() {
    let rsa = rsa_key("rsa-a", "a");
    let (app, _) = spawn_with_jwks_file(&[&rsa], 3600).await;
    let token = app.token(SUPER.0, SUPER.1);
    assert_eq!(viewer_id(&app, &token).await, "1");

    let reply = app
        .query(
            None,
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            json!({ "e": "eventadmin@test.dev", "p": PASSWORD }),
        )
        .await;
    let token = reply.data()["login"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    assert_eq!(viewer_id(&app, &token).await, "3");
}

#[tokio::test]
async fn a_demoted_user_loses_access_and_a_deleted_user_is_unknown_whatever_the_idp_says() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    use session_analytics::{entity::enums::Role, entity::user};
    // The same holds for our own tokens: `access.rs`,
    // `a_demoted_user_loses_access_at_once_and_a_deleted_user_is_unauthenticated`.
    let rsa = rsa_key("rsa-a", "a");
    let (app, _) = spawn_with_jwks_file(&[&rsa], 3600).await;
    let token = idp_token(&rsa, &idp_claims("orgadmin@test.dev"));
    let reply = app
        .query(Some(&token), SESSION_TITLE, json!({ "id": "100" }))
        .await;
    assert_eq!(reply.data()["session"]["id"], "100");

    user::ActiveModel {
        id: Set(ORG_ADMIN.0),
        role: Set(Role::Attendee),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .expect("demote");
    let reply = app
        .query(Some(&token), SESSION_TITLE, json!({ "id": "100" }))
        .await;
    assert_eq!(
        reply.error_code(),
        "FORBIDDEN",
        "the database decides the role"
    );

    let token = idp_token(&rsa, &idp_claims("staff@test.dev"));
    assert_eq!(viewer_id(&app, &token).await, "5");
    user::Entity::delete_by_id(STAFF.0)
        .exec(&app.db)
        .await
        .expect("delete");
    assert_refused(&viewer(&app, &token).await, "deleted user", UNKNOWN_USER);
}

// ---------------------------------------------------------------------------------
// Refused tokens

#[tokio::test]
async fn bad_identity_provider_tokens_are_refused_with_401_and_the_reason() {
    let rsa = rsa_key("rsa-a", "a");
    let ec = ec_key("ec-a", "ec-a");
    let attacker = rsa_key("rsa-attacker", "a");
    let (app, _) = spawn_with_jwks_file(&[&rsa, &ec], 3600).await;
    let now = Utc::now().timestamp();
    let good = idp_claims("super@test.dev");
    let with = |changes: Value| {
        let mut claims = good.clone();
        for (name, value) in changes.as_object().expect("an object") {
            if value.is_null() {
                claims.remove(name);
            } else {
                claims.insert(name.clone(), value.clone());
            }
        }
        claims
    };
    let header = |algorithm, kid: Option<&str>| {
        let mut header = Header::new(algorithm);
        header.kid = kid.map(str::to_owned);
        header
    };
    // A key under another key's kid, or with another algorithm.
    let ec_as_a = ec_key("ec-a", "a");
    let rsa_as_ec = rsa_key("rsa-a", "ec-a");
    // RS256 → HS256 confusion: the public key (as PEM, or as the JWK's modulus) used
    // as an HMAC secret, under the RSA key's kid.
    let pem = rsa.public_pem.clone().expect("a PEM");
    let hmac = |secret: &[u8]| {
        jsonwebtoken::encode(
            &header(Algorithm::HS256, Some("a")),
            &good,
            &EncodingKey::from_secret(secret),
        )
        .expect("signing")
    };
    let modulus = URL_SAFE_NO_PAD
        .decode(rsa.jwk["n"].as_str().expect("n"))
        .expect("base64url");

    let valid = idp_token(&rsa, &good);
    let parts: Vec<&str> = valid.split('.').collect();
    let mut payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url"))
            .expect("JSON");
    payload["email"] = json!("orgadmin@test.dev");
    let tampered_payload = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );
    let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("base64url");
    signature[10] ^= 0x01;
    let tampered_signature = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(&signature)
    );
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","kid":"a"}"#);
    let alg_none = format!("{none_header}.{}.", parts[1]);
    let mut padded = good.clone();
    padded.insert("padding".into(), json!("x".repeat(8 * 1024)));

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "no kid",
            sign_with(header(Algorithm::RS256, None), &rsa, &good),
            NO_KID,
        ),
        (
            "an empty kid",
            sign_with(header(Algorithm::RS256, Some("")), &rsa, &good),
            NO_KID,
        ),
        (
            "an unknown kid",
            sign_with(header(Algorithm::RS256, Some("zz")), &rsa, &good),
            UNKNOWN_KEY,
        ),
        (
            "signed with another key under a known kid",
            idp_token(&attacker, &good),
            BAD_SIGNATURE,
        ),
        (
            "ES256 under an RSA key's kid",
            idp_token(&ec_as_a, &good),
            BAD_ALGORITHM,
        ),
        (
            "RS256 under an EC key's kid",
            idp_token(&rsa_as_ec, &good),
            BAD_ALGORITHM,
        ),
        (
            "HS256 with the RSA public key PEM as the secret",
            hmac(pem.as_bytes()),
            BAD_SIGNATURE,
        ),
        (
            "HS256 with the RSA modulus as the secret",
            hmac(&modulus),
            BAD_SIGNATURE,
        ),
        (
            "HS256 with the JWK's text as the secret",
            hmac(rsa.jwk.to_string().as_bytes()),
            BAD_SIGNATURE,
        ),
        (
            "RS512 with the right key",
            sign_with(header(Algorithm::RS512, Some("a")), &rsa, &good),
            BAD_ALGORITHM,
        ),
        (
            "PS256 with the right key",
            sign_with(header(Algorithm::PS256, Some("a")), &rsa, &good),
            BAD_ALGORITHM,
        ),
        ("alg none", alg_none, "the bearer token is malformed"),
        ("a tampered payload", tampered_payload, BAD_SIGNATURE),
        ("a tampered signature", tampered_signature, BAD_SIGNATURE),
        (
            "another issuer",
            idp_token(&rsa, &with(json!({ "iss": "https://evil.example/" }))),
            "the bearer token has the wrong issuer",
        ),
        (
            "our own issuer",
            idp_token(&rsa, &with(json!({ "iss": crate::helpers::ISSUER }))),
            "the bearer token has the wrong issuer",
        ),
        (
            "the issuer in a list",
            idp_token(&rsa, &with(json!({ "iss": [IDP_ISSUER] }))),
            "the bearer token has the wrong issuer",
        ),
        (
            "no issuer",
            idp_token(&rsa, &with(json!({ "iss": null }))),
            LACKS_CLAIM,
        ),
        (
            "another audience",
            idp_token(&rsa, &with(json!({ "aud": "another-api" }))),
            "the bearer token has the wrong audience",
        ),
        (
            "our own tokens' audience",
            idp_token(&rsa, &with(json!({ "aud": crate::helpers::AUDIENCE }))),
            "the bearer token has the wrong audience",
        ),
        (
            "no audience",
            idp_token(&rsa, &with(json!({ "aud": null }))),
            LACKS_CLAIM,
        ),
        (
            "expired a minute ago (beyond the leeway)",
            idp_token(&rsa, &with(json!({ "exp": now - 60 }))),
            "the bearer token has expired",
        ),
        (
            "not valid for another minute",
            idp_token(&rsa, &with(json!({ "nbf": now + 60 }))),
            "the bearer token is not valid yet",
        ),
        (
            "no exp",
            idp_token(&ec, &with(json!({ "exp": null }))),
            LACKS_CLAIM,
        ),
        (
            "no nbf",
            idp_token(&ec, &with(json!({ "nbf": null }))),
            LACKS_CLAIM,
        ),
        (
            "a string exp",
            idp_token(&ec, &with(json!({ "exp": (now + 600).to_string() }))),
            LACKS_CLAIM,
        ),
        (
            "a string nbf",
            idp_token(&ec, &with(json!({ "nbf": now.to_string() }))),
            LACKS_CLAIM,
        ),
        (
            "no email",
            idp_token(&rsa, &with(json!({ "email": null }))),
            UNKNOWN_USER,
        ),
        (
            "an empty email",
            idp_token(&rsa, &with(json!({ "email": " " }))),
            UNKNOWN_USER,
        ),
        (
            "an email that is not a string",
            idp_token(&rsa, &with(json!({ "email": ["super@test.dev"] }))),
            UNKNOWN_USER,
        ),
        (
            "an email we do not know",
            idp_token(&rsa, &with(json!({ "email": "nobody@test.dev" }))),
            UNKNOWN_USER,
        ),
        (
            "an unverified email",
            idp_token(&rsa, &with(json!({ "email_verified": false }))),
            "the bearer token's email address is not verified",
        ),
        (
            "an unverified email, as a string",
            idp_token(&ec, &with(json!({ "email_verified": "false" }))),
            "the bearer token's email address is not verified",
        ),
        (
            "an 8 KiB token",
            idp_token(&rsa, &padded),
            "the bearer token is longer than the 4096 bytes the server accepts",
        ),
    ];
    for (case, token, message) in cases {
        assert_refused(&viewer(&app, &token).await, case, message);
    }
}

#[tokio::test]
async fn injection_text_in_kid_only_ever_misses_the_key_set() {
    let rsa = rsa_key("rsa-a", "a");
    let (app, path) = spawn_with_jwks_file(&[&rsa], 3600).await;
    let secret_file = path.with_file_name("secret.json");
    std::fs::write(
        &secret_file,
        jwks(&[&rsa_key("rsa-attacker", "x")]).to_string(),
    )
    .expect("a file the attacker would like read");
    for kid in [
        "../../etc/passwd",
        "../secret.json",
        secret_file.to_str().expect("a path"),
        "' OR 1=1 --",
        "a' OR 'a'='a",
        "a\u{0}",
        "a ",
        "A",
        "$(touch /tmp/pwned)",
        "{\"kid\":\"a\"}",
    ] {
        let attacker = rsa_key("rsa-attacker", kid);
        assert_refused(
            &viewer(&app, &idp_token(&attacker, &idp_claims("super@test.dev"))).await,
            kid,
            UNKNOWN_KEY,
        );
        // Even the right key under such a kid is not found by it.
        let right = rsa_key("rsa-a", kid);
        assert_refused(
            &viewer(&app, &idp_token(&right, &idp_claims("super@test.dev"))).await,
            kid,
            UNKNOWN_KEY,
        );
    }
}

#[tokio::test]
async fn jku_x5u_and_embedded_jwk_headers_are_never_followed() {
    let rsa = rsa_key("rsa-a", "a");
    let attacker = rsa_key("rsa-attacker", "attacker");
    let trap = DocumentServer::start(&jwks(&[&attacker])).await;
    let (app, _) = spawn_with_jwks_file(&[&rsa], 3600).await;
    let claims = idp_claims("super@test.dev");
    let headers = |kid: &str| {
        let mut jku = Header::new(Algorithm::RS256);
        jku.kid = Some(kid.into());
        jku.jku = Some(trap.url("/jwks.json"));
        let mut x5u = Header::new(Algorithm::RS256);
        x5u.kid = Some(kid.into());
        x5u.x5u = Some(trap.url("/cert.pem"));
        let mut jwk = Header::new(Algorithm::RS256);
        jwk.kid = Some(kid.into());
        jwk.jwk = Some(serde_json::from_value::<Jwk>(attacker.jwk.clone()).expect("a JWK"));
        [("jku", jku), ("x5u", x5u), ("embedded jwk", jwk)]
    };
    for (what, header) in headers("attacker") {
        let token = sign_with(header, &attacker, &claims);
        assert_refused(&viewer(&app, &token).await, what, UNKNOWN_KEY);
    }
    for (what, header) in headers("a") {
        let token = sign_with(header, &attacker, &claims);
        assert_refused(&viewer(&app, &token).await, what, BAD_SIGNATURE);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(trap.hits(), 0, "fetched: {:?}", trap.requests());
}

// ---------------------------------------------------------------------------------
// Rotation and refresh

#[tokio::test]
async fn a_rotated_key_is_fetched_on_its_first_kid_and_the_retired_key_is_refused() {
    let (a, b) = (rsa_key("rsa-a", "a"), rsa_key("rsa-b", "b"));
    let idp = DocumentServer::start(&jwks(&[&a])).await;
    let app = spawn_idp(Source::Url(idp.url("/.well-known/jwks.json")), 3600).await;
    assert_eq!(idp.hits(), 1, "loaded once at start");
    assert_eq!(idp.requests(), ["/.well-known/jwks.json"]);
    let claims = idp_claims("super@test.dev");
    assert_eq!(viewer_id(&app, &idp_token(&a, &claims)).await, "1");
    assert_eq!(idp.hits(), 1, "a known kid needs no fetch");

    // The provider rotates to key B only.
    idp.serve(HttpStatus::OK, jwks(&[&b]).to_string());
    assert_eq!(viewer_id(&app, &idp_token(&b, &claims)).await, "1");
    assert_eq!(idp.hits(), 2, "the unknown kid b caused one refresh");

    assert_refused(
        &viewer(&app, &idp_token(&a, &claims)).await,
        "the retired key a",
        UNKNOWN_KEY,
    );
    assert_eq!(viewer_id(&app, &idp_token(&b, &claims)).await, "1");
    assert_eq!(idp.hits(), 2, "no second refresh within the interval");
}

#[tokio::test]
async fn a_stream_of_unknown_kids_costs_one_fetch_per_refresh_interval() {
    let a = rsa_key("rsa-a", "a");
    let idp = DocumentServer::start(&jwks(&[&a])).await;
    let app = spawn_idp(Source::Url(idp.url("/jwks")), 3600).await;
    let claims = idp_claims("super@test.dev");
    let attacker = rsa_key("rsa-attacker", "unused");
    let tokens: Vec<String> = (0..40)
        .map(|i| {
            let mut header = Header::new(Algorithm::RS256);
            header.kid = Some(format!("made-up-{i}"));
            sign_with(header, &attacker, &claims)
        })
        .collect();
    let replies =
        futures_util::future::join_all(tokens.iter().map(|token| viewer(&app, token))).await;
    for reply in &replies {
        assert_refused(reply, "a made-up kid", UNKNOWN_KEY);
    }
    assert_eq!(
        idp.hits(),
        2,
        "one fetch at start, one for all the unknown kids"
    );
    assert_eq!(viewer_id(&app, &idp_token(&a, &claims)).await, "1");
}

#[tokio::test]
async fn the_key_set_is_refreshed_in_the_background_and_a_failed_refresh_keeps_the_keys() {
    let (a, ec_b) = (rsa_key("rsa-a", "a"), ec_key("ec-b", "ec-b"));
    let (app, path) = spawn_with_jwks_file(&[&a], 1).await;
    let claims = idp_claims("super@test.dev");
    assert_eq!(viewer_id(&app, &idp_token(&a, &claims)).await, "1");

    // Rotate the file to an ES256 key: key a keeps working until the next refresh,
    // which no request triggers (kid a is known), then it is refused.
    write_jwks(&path, &jwks(&[&ec_b]).to_string());
    let token_a = idp_token(&a, &claims);
    let mut refused = false;
    for _ in 0..100 {
        let reply = viewer(&app, &token_a).await;
        if reply.status == StatusCode::UNAUTHORIZED {
            assert_refused(&reply, "the retired key a", UNKNOWN_KEY);
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "the background refresh dropped key a within 10 s");
    let token_b = idp_token(&ec_b, &claims);
    assert_eq!(viewer_id(&app, &token_b).await, "1");

    // A broken, an empty, a keyless or a missing file: the keys stay as they were.
    for (case, document) in [
        ("half-written JSON", Some(r#"{"keys": [{"kty": "EC""#)),
        ("no keys", Some(r#"{"keys": []}"#)),
        (
            "only a symmetric key",
            Some(r#"{"keys": [{"kty": "oct", "kid": "ec-b", "k": "c2VjcmV0LXNlY3JldA"}]}"#),
        ),
        ("not JSON", Some("<html>502 Bad Gateway</html>")),
        ("no file", None),
    ] {
        match document {
            Some(document) => write_jwks(&path, document),
            None => std::fs::remove_file(&path).expect("removing the JWKS"),
        }
        tokio::time::sleep(Duration::from_millis(2_200)).await;
        assert_eq!(viewer_id(&app, &token_b).await, "1", "{case}");
    }
}

#[tokio::test]
async fn a_failing_jwks_url_keeps_the_keys_it_had() {
    let a = rsa_key("rsa-a", "a");
    let idp = DocumentServer::start(&jwks(&[&a])).await;
    let app = spawn_idp(Source::Url(idp.url("/jwks")), 1).await;
    let token = idp_token(&a, &idp_claims("super@test.dev"));
    for (status, body) in [
        (HttpStatus::INTERNAL_SERVER_ERROR, "oops".to_owned()),
        (HttpStatus::OK, "not json".to_owned()),
        (HttpStatus::OK, r#"{"keys": []}"#.to_owned()),
        (HttpStatus::NOT_FOUND, jwks(&[&a]).to_string()),
    ] {
        idp.serve(status, body);
        let before = idp.hits();
        tokio::time::sleep(Duration::from_millis(2_200)).await;
        assert!(idp.hits() > before, "{status}: refreshed in the background");
        assert_eq!(viewer_id(&app, &token).await, "1", "{status}");
    }
}

// ---------------------------------------------------------------------------------
// Start-up

/// The error `Application::build` fails with for `external`, as the operator sees it.
async fn startup_error(external: ExternalAuth) -> String {
    let scratch = Scratch::new();
    let url = format!(
        "sqlite://{}?mode=rwc",
        scratch.path().join("never-opened.db").display()
    );
    let mut config = test_config(scratch.path(), url);
    config.external_auth = external;
    match Application::build(&config, "127.0.0.1:0".parse().expect("an address")).await {
        Ok(_) => panic!("the application started with {:?}", config.external_auth),
        Err(err) => format!("{err:#}"),
    }
}

#[tokio::test]
async fn incomplete_or_unusable_identity_provider_settings_refuse_to_start_naming_the_setting() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let good = dir.path().join("jwks.json");
    std::fs::write(&good, jwks(&[&rsa_key("rsa-a", "a")]).to_string()).expect("write");
    let keyless = dir.path().join("keyless.json");
    std::fs::write(
        &keyless,
        r#"{"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]}"#,
    )
    .expect("write");
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("an address").port()
    };
    let complete = |jwks_file: Option<PathBuf>, jwks_url: Option<String>| ExternalAuth {
        jwks_file,
        jwks_url,
        jwks_refresh_seconds: 300,
        external_issuer: Some(IDP_ISSUER.into()),
        external_audience: Some(IDP_AUDIENCE.into()),
    };
    let cases = [
        (
            "no issuer",
            ExternalAuth {
                external_issuer: None,
                ..complete(Some(good.clone()), None)
            },
            "EXTERNAL_JWT_ISSUER must be set when JWKS_FILE or JWKS_URL is",
        ),
        (
            "a blank issuer",
            ExternalAuth {
                external_issuer: Some(" ".into()),
                ..complete(Some(good.clone()), None)
            },
            "EXTERNAL_JWT_ISSUER must be set",
        ),
        (
            "no audience",
            ExternalAuth {
                external_audience: None,
                ..complete(None, Some("https://idp.test.example/jwks".into()))
            },
            "EXTERNAL_JWT_AUDIENCE must be set when JWKS_FILE or JWKS_URL is",
        ),
        (
            "issuer and audience without a source",
            complete(None, None),
            "neither JWKS_FILE nor JWKS_URL",
        ),
        (
            "both sources",
            complete(
                Some(good.clone()),
                Some("https://idp.test.example/jwks".into()),
            ),
            "either JWKS_FILE or JWKS_URL, not both",
        ),
        (
            "a missing file",
            complete(Some(dir.path().join("missing.json")), None),
            "cannot load the identity provider's keys from JWKS_FILE: cannot read the file",
        ),
        (
            "a file without a usable key",
            complete(Some(keyless), None),
            "JWKS_FILE: no usable key",
        ),
        (
            "plain http to another host",
            complete(None, Some("http://idp.test.example/jwks".into())),
            "JWKS_URL must be an https:// URL",
        ),
        (
            "not a URL",
            complete(None, Some("idp.test.example/jwks".into())),
            "JWKS_URL must be an https:// URL",
        ),
        (
            "a URL nobody answers",
            complete(None, Some(format!("http://127.0.0.1:{closed_port}/jwks"))),
            "cannot load the identity provider's keys from JWKS_URL: the request failed",
        ),
        (
            "a refresh interval of zero",
            ExternalAuth {
                jwks_refresh_seconds: 0,
                ..complete(Some(good.clone()), None)
            },
            "JWKS_REFRESH_SECONDS must be between 1 and 86400",
        ),
        (
            "a refresh interval of a century",
            ExternalAuth {
                jwks_refresh_seconds: 100 * 365 * 86_400,
                ..complete(Some(good.clone()), None)
            },
            "JWKS_REFRESH_SECONDS must be between 1 and 86400",
        ),
    ];
    for (case, external, expected) in cases {
        let error = startup_error(external).await;
        assert!(error.contains(expected), "{case}: {error}");
    }

    // And the complete settings start.
    let mut scratch = Scratch::new();
    let url = scratch.database_url().await;
    let config = idp_config(&scratch, url, Source::File(good));
    Application::build(&config, "127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("complete settings start");
}
