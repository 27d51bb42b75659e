//! Issuing and verifying the bearer tokens (HS256 JWTs) that `login` hands out.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use sea_orm::ActiveEnum;

use crate::{config::Secret, entity::enums::Role, error::AppError};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub(crate) const LEEWAY_SECONDS: u64 = 30;

/// The claims of our tokens. `role` is informational: the database stays the
/// truth for a user's role and host rights, so a demoted user loses access at once.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// The role at issue time, as text (e.g. `EVENT_ADMIN`).
    pub role: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

impl Claims {
    /// The user id in `sub`, or an error if it is not one of ours.
    pub fn user_id(&self) -> Result<i64, AppError> {
        self.sub
            .parse()
            .map_err(|_| AppError::Unauthenticated("the bearer token is invalid".into()))
    }
}

/// The signing and verifying keys, built once at start-up.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: chrono::Duration,
}

/// A freshly issued token.
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl Keys {
    pub fn new(secret: &Secret, issuer: &str, audience: &str, ttl_seconds: u32) -> Self {
        let bytes = secret.expose().as_bytes();
        // Pin the algorithm: a token that names any other (`none`, RS256, HS512) is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl: chrono::Duration::seconds(i64::from(ttl_seconds)),
        }
    }

    /// Signs a token for `user_id` valid from now for the configured lifetime.
    pub fn issue(&self, user_id: i64, role: Role) -> Result<IssuedToken, AppError> {
        self.issue_at(user_id, role, Utc::now())
    }

    /// Signs a token as if issued at `now` (tests use it for expired or future tokens).
    pub fn issue_at(
        &self,
        user_id: i64,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, AppError> {
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: user_id.to_string(),
            role: role.to_value(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|err| {
            tracing::error!(error = %err, "signing a token failed");
            AppError::Internal
        })?;
        Ok(IssuedToken { token, expires_at })
    }

    /// Verifies signature, algorithm, `exp`, `nbf`, `iss` and `aud`.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        // Decoded as plain JSON first, so that jsonwebtoken's own checks (which name a
        // missing claim) run before our typed claims could fail to deserialize.
        let claims =
            jsonwebtoken::decode::<serde_json::Value>(token, &self.decoding, &self.validation)
                .map(|data| data.claims)
                .map_err(|err| refusal(&err))?;
        serde_json::from_value(claims).map_err(|_| {
            AppError::Unauthenticated("the bearer token lacks a required claim".into())
        })
    }
}

/// Why jsonwebtoken refused a token, in words for the client (never the token itself).
pub(crate) fn refusal(err: &jsonwebtoken::errors::Error) -> AppError {
    let why = match err.kind() {
        ErrorKind::ExpiredSignature => "the bearer token has expired",
        ErrorKind::ImmatureSignature => "the bearer token is not valid yet",
        ErrorKind::InvalidIssuer => "the bearer token has the wrong issuer",
        ErrorKind::InvalidAudience => "the bearer token has the wrong audience",
        ErrorKind::InvalidSignature => "the bearer token's signature is invalid",
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => {
            "the bearer token's algorithm is not accepted"
        }
        ErrorKind::MissingRequiredClaim(_) => "the bearer token lacks a required claim",
        _ => "the bearer token is malformed",
    };
    AppError::Unauthenticated(why.into())
}
