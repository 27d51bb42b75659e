//! Bearer tokens: every way a token can be missing, malformed or invalid.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use session_analytics::{auth::Keys, config::Secret, entity::enums::Role};

use crate::{
    fixture::*,
    helpers::{AUDIENCE, ISSUER, Reply, TEST_SECRET, TestApp, assert_refused, spawn_app},
    jwks::{DocumentServer, ec_key, jwks, rsa_key},
};

const VIEWER: &str = "{ viewer { email } }";
const VIEWER_FULL: &str = "{ viewer { userId email role } }";
const LOGIN: &str = "mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token expiresAt viewer { userId email role } }
}";
const MALFORMED_HEADER: &str = "the Authorization header must be `Bearer <token>`";
const MALFORMED_TOKEN: &str = "the bearer token is malformed";
const WRONG_LOGIN: &str = "wrong email or password";
const BAD_SIGNATURE: &str = "the bearer token's signature is invalid";
const BAD_ALGORITHM: &str = "the bearer token's algorithm is not accepted";
const LACKS_CLAIM: &str = "the bearer token lacks a required claim";
const TOO_LONG: &str = "the bearer token is longer than the 4096 bytes the server accepts";

/// Asserts the request ran (HTTP 200) but `viewer` failed with UNAUTHENTICATED.
fn assert_anonymous_error(reply: &Reply, case: &str, message: &str) {
    assert_eq!(reply.status, StatusCode::OK, "{case}: {}", reply.body);
    assert!(
        reply.headers.get("www-authenticate").is_none(),
        "{case}: no challenge when the request runs"
    );
    assert_eq!(reply.error_code(), "UNAUTHENTICATED", "{case}");
    assert_eq!(
        reply.body["errors"][0]["extensions"]["status"], 401,
        "{case}"
    );
    assert_eq!(reply.body["errors"][0]["message"], message, "{case}");
    assert!(reply.body["data"].is_null(), "{case}: {}", reply.body);
}

fn segments(token: &str) -> Vec<&str> {
    token.split('.').collect()
}

/// The JSON of a token's payload (its middle segment).
fn payload_of(token: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD
        .decode(segments(token)[1])
        .expect("the payload is base64url without padding");
    serde_json::from_slice(&bytes).expect("the payload is JSON")
}

/// Claims that the server would accept, as JSON, with `sub` as given.
fn valid_claims(sub: &str) -> serde_json::Map<String, Value> {
    let now = Utc::now().timestamp();
    let claims = json!({
        "sub": sub, "role": "SUPER_ADMIN", "iat": now, "nbf": now, "exp": now + 3600,
        "iss": ISSUER, "aud": AUDIENCE,
    });
    claims.as_object().expect("an object").clone()
}

/// Signs `claims` with the test secret and `algorithm`.
fn sign(claims: &serde_json::Map<String, Value>, algorithm: Algorithm) -> String {
    sign_with_secret(Header::new(algorithm), claims, TEST_SECRET.as_bytes())
}

/// Signs `claims` under `header` with an HMAC `secret`.
fn sign_with_secret(
    header: Header,
    claims: &serde_json::Map<String, Value>,
    secret: &[u8],
) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).expect("signing")
}

/// An HS256 header with `kid`.
fn hs256_with_kid(kid: &str) -> Header {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.into());
    header
}

/// A token's header replaced by `header` (JSON text), payload and signature kept.
fn with_header(token: &str, header: &str) -> String {
    let parts = segments(token);
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        parts[1],
        parts[2]
    )
}

fn other_keys(secret: &str, issuer: &str, audience: &str) -> Keys {
    Keys::new(&Secret::new(secret), issuer, audience, 3600)
}

async fn login(app: &TestApp, email: &str, password: &str) -> Reply {
    app.query(None, LOGIN, json!({ "email": email, "password": password }))
        .await
}

#[tokio::test]
async fn a_request_without_authorization_runs_anonymously_and_viewer_is_unauthenticated() {
    let app = spawn_with_fixture().await;
    let reply = app.post_raw(None, VIEWER, json!({})).await;
    assert_anonymous_error(
        &reply,
        "no Authorization header",
        "sign in with `login` and send `Authorization: Bearer <token>`",
    );

    let reply = login(&app, "super@test.dev", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK);
    let token = reply.data()["login"]["token"].as_str().expect("a token");
    assert_eq!(segments(token).len(), 3, "a JWT: {token}");
}

#[tokio::test]
async fn malformed_authorization_headers_are_refused_with_401_and_a_challenge() {
    let app = spawn_with_fixture().await;
    let valid = app.token(SUPER.0, SUPER.1);
    let cases = [
        ("an empty header value", String::new(), MALFORMED_HEADER),
        (
            "the Basic scheme",
            "Basic dXNlcjpwYXNz".to_owned(),
            MALFORMED_HEADER,
        ),
        (
            "Bearer without a token",
            "Bearer".to_owned(),
            MALFORMED_HEADER,
        ),
        ("Bearer and a space", "Bearer ".to_owned(), MALFORMED_HEADER),
        (
            "Bearer and only blanks",
            "Bearer    ".to_owned(),
            MALFORMED_HEADER,
        ),
        ("a token without a scheme", valid.clone(), MALFORMED_HEADER),
        (
            "the token scheme",
            format!("Token {valid}"),
            MALFORMED_HEADER,
        ),
        (
            "two segments",
            "Bearer eyJhbGciOiJIUzI1NiJ9.e30".to_owned(),
            MALFORMED_TOKEN,
        ),
        (
            "four segments",
            format!("Bearer {valid}.AAAA"),
            MALFORMED_TOKEN,
        ),
        (
            "one segment",
            "Bearer justonelongword".to_owned(),
            MALFORMED_TOKEN,
        ),
        (
            "garbage base64",
            "Bearer !!!.@@@.###".to_owned(),
            MALFORMED_TOKEN,
        ),
        (
            "base64 of something that is not JSON",
            format!(
                "Bearer {}.{}.{}",
                URL_SAFE_NO_PAD.encode("not json"),
                URL_SAFE_NO_PAD.encode("nor this"),
                URL_SAFE_NO_PAD.encode("sig")
            ),
            MALFORMED_TOKEN,
        ),
    ];
    for (case, header, message) in cases {
        let reply = app.post_raw(Some(&header), VIEWER, json!({})).await;
        assert_refused(&reply, case, message);
    }
}

#[tokio::test]
async fn well_formed_but_invalid_tokens_are_refused_with_the_reason() {
    let app = spawn_with_fixture().await;
    let now = Utc::now();
    let (id, role) = SUPER;
    let valid = app.token(id, role);
    let issued = |keys: &Keys, at| keys.issue_at(id, role, at).expect("a token").token;

    // `alg: none`: a valid token's payload under a header that claims no signature.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let alg_none = format!("{none_header}.{}.", segments(&valid)[1]);

    // The payload of a token for the attendee, with `sub` changed to the super admin.
    let attendee = app.token(ATTENDEE.0, ATTENDEE.1);
    let mut payload = payload_of(&attendee);
    assert_eq!(payload["sub"], "4");
    payload["sub"] = json!("1");
    let parts = segments(&attendee);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    );

    let mut no_exp = valid_claims("1");
    no_exp.remove("exp");
    let mut no_aud = valid_claims("1");
    no_aud.remove("aud");
    let with = |name: &str, value: Value| {
        let mut claims = valid_claims("1");
        claims.insert(name.into(), value);
        claims
    };

    // A valid token's signature changed in one bit (the first byte: base64url's last
    // character carries padding bits that decoders may ignore).
    let parts = segments(&valid);
    let mut signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("base64url");
    signature[0] ^= 0x01;
    let tampered_signature = format!(
        "{}.{}.{}",
        parts[0],
        parts[1],
        URL_SAFE_NO_PAD.encode(&signature)
    );
    let no_signature = format!("{}.{}.", parts[0], parts[1]);

    // RS256 → HS256 confusion: an HS256 token whose HMAC secret is an RSA public key,
    // as PEM, the way a verifier that takes "the key" for any `alg` would be fooled.
    let rsa = rsa_key("rsa-a", "a");
    let public_pem = rsa.public_pem.clone().expect("a PEM");
    let now_ts = now.timestamp();

    let cases = [
        (
            "expired two hours ago",
            issued(&app.keys, now - Duration::hours(2)),
            Some("the bearer token has expired"),
        ),
        (
            "expired beyond the 30 s leeway",
            issued(&app.keys, now - Duration::seconds(3600 + 60)),
            Some("the bearer token has expired"),
        ),
        (
            "not valid for another hour",
            issued(&app.keys, now + Duration::hours(1)),
            Some("the bearer token is not valid yet"),
        ),
        (
            "not valid for another minute (beyond the leeway)",
            issued(&app.keys, now + Duration::seconds(60)),
            Some("the bearer token is not valid yet"),
        ),
        (
            "the wrong audience",
            issued(&other_keys(TEST_SECRET, ISSUER, "another-api"), now),
            Some("the bearer token has the wrong audience"),
        ),
        (
            "the wrong issuer",
            issued(&other_keys(TEST_SECRET, "someone-else", AUDIENCE), now),
            Some("the bearer token has the wrong issuer"),
        ),
        (
            "signed with another secret",
            issued(
                &other_keys("another-secret-another-secret-0123456789", ISSUER, AUDIENCE),
                now,
            ),
            Some("the bearer token's signature is invalid"),
        ),
        (
            "alg none with an empty signature",
            alg_none,
            Some(MALFORMED_TOKEN),
        ),
        (
            "alg NONE in capitals, the signature kept",
            with_header(&valid, r#"{"alg":"NONE","typ":"JWT"}"#),
            Some(MALFORMED_TOKEN),
        ),
        (
            "alg None, the signature kept",
            with_header(&valid, r#"{"alg":"None","typ":"JWT"}"#),
            Some(MALFORMED_TOKEN),
        ),
        (
            "alg none, the signature kept",
            with_header(&valid, r#"{"alg":"none","typ":"JWT"}"#),
            Some(MALFORMED_TOKEN),
        ),
        (
            "alg hs256 in lower case",
            with_header(&valid, r#"{"alg":"hs256","typ":"JWT"}"#),
            Some(MALFORMED_TOKEN),
        ),
        (
            "no alg",
            with_header(&valid, r#"{"typ":"JWT"}"#),
            Some(MALFORMED_TOKEN),
        ),
        (
            "HS256 signed with an RSA public key's PEM as the secret",
            sign_with_secret(
                Header::new(Algorithm::HS256),
                &valid_claims("1"),
                public_pem.as_bytes(),
            ),
            Some(BAD_SIGNATURE),
        ),
        (
            "RS256, and no identity provider configured",
            crate::jwks::sign_with(Header::new(Algorithm::RS256), &rsa, &valid_claims("1")),
            Some(BAD_ALGORITHM),
        ),
        (
            "ES256, and no identity provider configured",
            crate::jwks::idp_token(&ec_key("ec-a", "ec"), &valid_claims("1")),
            Some(BAD_ALGORITHM),
        ),
        (
            "a tampered signature",
            tampered_signature,
            Some(BAD_SIGNATURE),
        ),
        ("no signature", no_signature, Some(BAD_SIGNATURE)),
        (
            "HS512 with the right secret",
            sign(&valid_claims("1"), Algorithm::HS512),
            Some("the bearer token's algorithm is not accepted"),
        ),
        (
            "a tampered payload",
            tampered,
            Some("the bearer token's signature is invalid"),
        ),
        // The message is checked in `a_token_missing_a_claim_is_refused_as_lacking_it`.
        ("no exp claim", sign(&no_exp, Algorithm::HS256), None),
        (
            "no aud claim",
            sign(&no_aud, Algorithm::HS256),
            Some(LACKS_CLAIM),
        ),
        (
            "an empty aud",
            sign(&with("aud", json!("")), Algorithm::HS256),
            Some("the bearer token has the wrong audience"),
        ),
        (
            "an aud list without ours",
            sign(&with("aud", json!(["another-api"])), Algorithm::HS256),
            Some("the bearer token has the wrong audience"),
        ),
        (
            "a string exp",
            sign(
                &with("exp", json!((now_ts + 3600).to_string())),
                Algorithm::HS256,
            ),
            Some(LACKS_CLAIM),
        ),
        (
            "a string nbf",
            sign(&with("nbf", json!(now_ts.to_string())), Algorithm::HS256),
            Some(LACKS_CLAIM),
        ),
        (
            "a fractional exp",
            sign(
                &with("exp", json!(now_ts as f64 + 3600.5)),
                Algorithm::HS256,
            ),
            Some(LACKS_CLAIM),
        ),
        (
            "a negative nbf",
            sign(&with("nbf", json!(-1)), Algorithm::HS256),
            Some(LACKS_CLAIM),
        ),
        (
            "a non-numeric sub",
            sign(&valid_claims("alice"), Algorithm::HS256),
            Some("the bearer token is invalid"),
        ),
    ];
    for (case, token, message) in cases {
        let reply = app.query(Some(&token), VIEWER, json!({})).await;
        assert_refused(&reply, case, message);
    }
}

#[tokio::test]
async fn the_kid_header_is_never_used_to_find_a_key() {
    let app = spawn_with_fixture().await;
    let claims = valid_claims("1");
    for kid in [
        "../../etc/passwd",
        "/dev/null",
        "' OR 1=1 --",
        "\"; DROP TABLE users; --",
        "$(id)",
        "",
    ] {
        // Forged with another secret (an empty one: what reading `/dev/null` would
        // give): refused on the signature, whatever the kid says.
        for secret in [&b""[..], b"attacker-secret-attacker-secret-0123"] {
            let token = sign_with_secret(hs256_with_kid(kid), &claims, secret);
            let reply = app.query(Some(&token), VIEWER, json!({})).await;
            assert_refused(&reply, kid, BAD_SIGNATURE);
        }
        // Our own token with any kid is still just our token: the kid names no key.
        let token = sign_with_secret(hs256_with_kid(kid), &claims, TEST_SECRET.as_bytes());
        let reply = app.query(Some(&token), VIEWER, json!({})).await;
        assert_eq!(reply.data()["viewer"]["email"], "super@test.dev", "{kid}");
    }
}

#[tokio::test]
async fn jku_and_x5u_headers_are_never_fetched() {
    let attacker = rsa_key("rsa-attacker", "attacker");
    let trap = DocumentServer::start(&jwks(&[&attacker])).await;
    let app = spawn_with_fixture().await;
    let claims = valid_claims("1");
    let point = |mut header: Header| {
        header.kid = Some("attacker".into());
        header.jku = Some(trap.url("/jwks.json"));
        header.x5u = Some(trap.url("/cert.pem"));
        header
    };
    let cases = [
        (
            "RS256 signed with the key the jku names",
            crate::jwks::sign_with(point(Header::new(Algorithm::RS256)), &attacker, &claims),
            BAD_ALGORITHM,
        ),
        (
            "HS256 with another secret",
            sign_with_secret(
                point(Header::new(Algorithm::HS256)),
                &claims,
                b"attacker-secret-attacker-secret-0123",
            ),
            BAD_SIGNATURE,
        ),
    ];
    for (case, token, message) in cases {
        let reply = app.query(Some(&token), VIEWER, json!({})).await;
        assert_refused(&reply, case, message);
    }
    // Our own token pointing elsewhere is verified with our secret, and nothing is fetched.
    let token = sign_with_secret(
        point(Header::new(Algorithm::HS256)),
        &claims,
        TEST_SECRET.as_bytes(),
    );
    let reply = app.query(Some(&token), VIEWER, json!({})).await;
    assert_eq!(reply.data()["viewer"]["email"], "super@test.dev");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(trap.hits(), 0, "fetched: {:?}", trap.requests());
}

#[tokio::test]
async fn tokens_over_4_kib_are_refused_before_they_are_decoded() {
    let app = spawn_with_fixture().await;
    // A valid token of our own, its claims padded to at least `length` bytes (at most
    // 2 more: each byte of claims adds 1 or 2 characters of base64url).
    let padded = |length: usize| {
        let mut claims = valid_claims("1");
        let mut fill = 0;
        loop {
            claims.insert("padding".into(), json!("x".repeat(fill)));
            let token = sign(&claims, Algorithm::HS256);
            if token.len() >= length {
                return token;
            }
            fill += ((length - token.len()) * 3 / 4).max(1);
        }
    };
    let eight_kib = padded(8 * 1024);
    let reply = app.query(Some(&eight_kib), VIEWER, json!({})).await;
    assert_refused(&reply, "an 8 KiB token, validly signed", TOO_LONG);

    let just_over = padded(4097);
    assert!((4097..=4099).contains(&just_over.len()));
    let reply = app.query(Some(&just_over), VIEWER, json!({})).await;
    assert_refused(&reply, "4097 bytes", TOO_LONG);

    // Not even decoded: 8 KiB of garbage is refused for its length, not its form.
    let garbage = format!(
        "{}.{}.{}",
        "A".repeat(3000),
        "B".repeat(3000),
        "C".repeat(3000)
    );
    let reply = app.query(Some(&garbage), VIEWER, json!({})).await;
    assert_refused(&reply, "8 KiB of garbage", TOO_LONG);

    let at_limit = padded(4093);
    assert!((4093..=4096).contains(&at_limit.len()));
    let reply = app.query(Some(&at_limit), VIEWER, json!({})).await;
    assert_eq!(reply.data()["viewer"]["email"], "super@test.dev");
}

async fn refuse_tokens_missing_each_claim(claims: &[&str], message: Option<&'static str>) {
    let app = spawn_with_fixture().await;
    for &claim in claims {
        let mut claims = valid_claims("1");
        claims.remove(claim);
        let reply = app
            .query(Some(&sign(&claims, Algorithm::HS256)), VIEWER, json!({}))
            .await;
        assert_refused(&reply, &format!("without {claim}"), message);
    }
}

#[tokio::test]
async fn a_token_missing_any_claim_is_refused() {
    refuse_tokens_missing_each_claim(&["exp", "nbf", "iat", "iss", "aud", "sub", "role"], None)
        .await;
}

#[tokio::test]
async fn a_token_missing_a_claim_is_refused_as_lacking_it() {
    refuse_tokens_missing_each_claim(
        &["exp", "nbf", "iss", "aud", "sub"],
        Some("the bearer token lacks a required claim"),
    )
    .await;
}

#[tokio::test]
async fn a_bad_token_refuses_even_login() {
    let app = spawn_with_fixture().await;
    let reply = app
        .post_raw(
            Some("Bearer not.a.token"),
            LOGIN,
            json!({ "email": "super@test.dev", "password": PASSWORD }),
        )
        .await;
    assert_refused(&reply, "login with a bad token", MALFORMED_TOKEN);
}

#[tokio::test]
async fn tokens_within_the_30_second_leeway_are_accepted() {
    let app = spawn_with_fixture().await;
    let now = Utc::now();
    for (case, at) in [
        ("expired 10 s ago", now - Duration::seconds(3600 + 10)),
        ("valid in 10 s", now + Duration::seconds(10)),
    ] {
        let token = app
            .keys
            .issue_at(SUPER.0, SUPER.1, at)
            .expect("a token")
            .token;
        let reply = app.query(Some(&token), VIEWER, json!({})).await;
        assert_eq!(reply.status, StatusCode::OK, "{case}");
        assert_eq!(reply.data()["viewer"]["email"], "super@test.dev", "{case}");
    }
}

#[tokio::test]
async fn a_valid_token_for_a_user_that_does_not_exist_is_unauthenticated_on_viewer() {
    let app = spawn_with_fixture().await;
    let token = app.token(999_999, Role::SuperAdmin);
    let reply = app.query(Some(&token), VIEWER, json!({})).await;
    assert_anonymous_error(
        &reply,
        "unknown user",
        "the bearer token's user no longer exists",
    );

    // The same holds for a token minted by hand with another well-formed id.
    let reply = app
        .query(
            Some(&sign(&valid_claims("424242"), Algorithm::HS256)),
            VIEWER,
            json!({}),
        )
        .await;
    assert_anonymous_error(
        &reply,
        "unknown user, hand-made",
        "the bearer token's user no longer exists",
    );
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive_and_blanks_around_the_token_are_ignored() {
    let app = spawn_with_fixture().await;
    let token = app.token(EVENT_ADMIN.0, EVENT_ADMIN.1);
    for header in [
        format!("Bearer {token}"),
        format!("bearer {token}"),
        format!("BEARER {token}"),
        format!("bEaReR {token}"),
        format!("Bearer   {token}"),
        format!("Bearer {token}  "),
    ] {
        let reply = app.post_raw(Some(&header), VIEWER_FULL, json!({})).await;
        assert_eq!(reply.status, StatusCode::OK, "{header:?}");
        assert_eq!(
            reply.data()["viewer"],
            json!({ "userId": "3", "email": "eventadmin@test.dev", "role": "EVENT_ADMIN" }),
            "{header:?}"
        );
    }
}

#[tokio::test]
async fn login_issues_a_one_hour_token_with_the_expected_claims_that_the_server_accepts() {
    let app = spawn_with_fixture().await;
    let before = Utc::now().timestamp();
    let reply = login(&app, "super@test.dev", PASSWORD).await;
    let after = Utc::now().timestamp();
    assert_eq!(reply.status, StatusCode::OK);
    let payload = &reply.data()["login"];
    assert_eq!(
        payload["viewer"],
        json!({ "userId": "1", "email": "super@test.dev", "role": "SUPER_ADMIN" })
    );

    let expires_at =
        chrono::DateTime::parse_from_rfc3339(payload["expiresAt"].as_str().expect("expiresAt"))
            .expect("RFC 3339")
            .timestamp();
    assert!(
        (before + 3600..=after + 3600).contains(&expires_at),
        "expiresAt {expires_at} is one hour after the login ({before}..={after})"
    );
    assert!(
        payload["expiresAt"]
            .as_str()
            .expect("expiresAt")
            .ends_with('Z')
    );

    let token = payload["token"].as_str().expect("token");
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(segments(token)[0])
            .expect("base64url header"),
    )
    .expect("JSON header");
    assert_eq!(header["alg"], "HS256");

    let claims = payload_of(token);
    assert_eq!(claims["sub"], "1");
    assert_eq!(claims["role"], "SUPER_ADMIN");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], AUDIENCE);
    let iat = claims["iat"].as_i64().expect("numeric iat");
    assert!((before..=after).contains(&iat), "iat {iat}");
    assert_eq!(claims["nbf"].as_i64(), Some(iat));
    assert_eq!(claims["exp"].as_i64(), Some(iat + 3600));
    assert_eq!(claims["exp"].as_i64(), Some(expires_at));
    assert_eq!(
        claims.as_object().map(|c| c.len()),
        Some(7),
        "no other claims: {claims}"
    );

    let reply = app.query(Some(token), VIEWER_FULL, json!({})).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.data()["viewer"],
        json!({ "userId": "1", "email": "super@test.dev", "role": "SUPER_ADMIN" })
    );
}

#[tokio::test]
async fn login_matches_the_email_case_insensitively_and_ignores_surrounding_blanks() {
    let app = spawn_with_fixture().await;
    for email in ["SUPER@test.dev", "Super@Test.Dev", "  super@test.dev "] {
        let reply = login(&app, email, PASSWORD).await;
        let data = reply.data();
        assert_eq!(data["login"]["viewer"]["userId"], "1", "{email:?}");
        let token = data["login"]["token"].as_str().expect("token");
        let reply = app.query(Some(token), VIEWER, json!({})).await;
        assert_eq!(
            reply.data()["viewer"]["email"],
            "super@test.dev",
            "{email:?}"
        );
    }
}

#[tokio::test]
async fn failed_logins_all_give_the_same_unauthenticated_error() {
    let app = spawn_with_fixture().await;
    let cases = [
        ("a wrong password", "super@test.dev", "not the password"),
        (
            "the password in another case",
            "super@test.dev",
            &PASSWORD.to_uppercase(),
        ),
        ("an empty password", "super@test.dev", ""),
        ("an unknown email", "nobody@test.dev", PASSWORD),
        // Grace exists but has no password: she cannot sign in at all.
        ("a user without a password", "grace@test.dev", PASSWORD),
    ];
    for (case, email, password) in cases {
        let reply = login(&app, email, password).await;
        assert_eq!(reply.status, StatusCode::OK, "{case}");
        assert_eq!(reply.error_code(), "UNAUTHENTICATED", "{case}");
        assert_eq!(reply.body["errors"][0]["message"], WRONG_LOGIN, "{case}");
        assert_eq!(
            reply.body["errors"][0]["extensions"]["status"], 401,
            "{case}"
        );
        assert!(reply.body["data"].is_null(), "{case}: {}", reply.body);
        assert!(!reply.body.to_string().contains("eyJ"), "{case}: no token");
    }
}

#[tokio::test]
async fn an_empty_database_refuses_logins_the_same_way() {
    let app = spawn_app().await;
    let reply = login(&app, "super@test.dev", PASSWORD).await;
    assert_eq!(reply.error_code(), "UNAUTHENTICATED");
    assert_eq!(reply.body["errors"][0]["message"], WRONG_LOGIN);
}
