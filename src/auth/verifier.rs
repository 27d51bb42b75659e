//! Verifying a bearer token and finding whose it is: our own HS256 tokens, and, when
//! an identity provider is configured, its RS256 and ES256 tokens.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use super::{
    Keys,
    jwks::{self, ExternalVerifier},
};
use crate::{error::AppError, store::people};

/// Longest bearer token accepted, in bytes. Longer ones are refused before anything
/// decodes them: ours are about 300 bytes, identity providers' rarely above 2 KiB.
pub const MAX_TOKEN_BYTES: usize = 4096;

/// Verifies bearer tokens; built once at start-up, cheap to clone.
#[derive(Clone)]
pub struct Verifier {
    keys: Keys,
    external: Option<Arc<ExternalVerifier>>,
}

impl Verifier {
    pub fn new(keys: Keys, external: Option<Arc<ExternalVerifier>>) -> Self {
        Self { keys, external }
    }

    /// The id of the user `token` stands for, or UNAUTHENTICATED saying why not.
    pub async fn user_id(&self, db: &DatabaseConnection, token: &str) -> Result<i64, AppError> {
        Ok(self.identify(db, token).await?.user_id)
    }

    /// Whose `token` is and until when it is valid, or UNAUTHENTICATED saying why not.
    ///
    /// A token whose header names RS256 or ES256 goes to the identity provider's keys
    /// when one is configured, and names its user by the `email` claim (one statement);
    /// every other token must be one of ours: HS256 with our secret, the user in `sub`.
    /// Whether that user still exists, and what they may do, is decided later from the
    /// database, as for any user.
    pub async fn identify(
        &self,
        db: &DatabaseConnection,
        token: &str,
    ) -> Result<Identity, AppError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AppError::Unauthenticated(format!(
                "the bearer token is longer than the {MAX_TOKEN_BYTES} bytes the server accepts"
            )));
        }
        if let Some(external) = &self.external
            && let Ok(header) = jsonwebtoken::decode_header(token)
            && jwks::ALGORITHMS.contains(&header.alg)
        {
            let (email, expires_at) = external.verify(token, &header).await?;
            return match people::id_by_email(db, &email).await? {
                Some(user_id) => Ok(Identity {
                    user_id,
                    expires_at: expires_at.and_then(|exp| DateTime::from_timestamp(exp, 0)),
                }),
                None => Err(AppError::Unauthenticated(jwks::UNKNOWN_USER.into())),
            };
        }
        let claims = self.keys.verify(token)?;
        Ok(Identity {
            user_id: claims.user_id()?,
            expires_at: DateTime::from_timestamp(claims.exp, 0),
        })
    }
}

/// A verified token: its user and when it expires (`None`: the provider set no `exp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub user_id: i64,
    pub expires_at: Option<DateTime<Utc>>,
}
