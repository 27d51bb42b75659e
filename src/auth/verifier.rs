//! Verifying a bearer token and finding whose it is: our own HS256 tokens, and, when
//! an identity provider is configured, its RS256 and ES256 tokens.

use std::sync::Arc;

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
    ///
    /// A token whose header names RS256 or ES256 goes to the identity provider's keys
    /// when one is configured, and names its user by the `email` claim (one statement);
    /// every other token must be one of ours: HS256 with our secret, the user in `sub`.
    /// Whether that user still exists, and what they may do, is decided later from the
    /// database, as for any user.
    pub async fn user_id(&self, db: &DatabaseConnection, token: &str) -> Result<i64, AppError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AppError::Unauthenticated(format!(
                "the bearer token is longer than the {MAX_TOKEN_BYTES} bytes the server accepts"
            )));
        }
        if let Some(external) = &self.external
            && let Ok(header) = jsonwebtoken::decode_header(token)
            && jwks::ALGORITHMS.contains(&header.alg)
        {
            let email = external.verify(token, &header).await?;
            return match people::id_by_email(db, &email).await? {
                Some(id) => Ok(id),
                None => Err(AppError::Unauthenticated(jwks::UNKNOWN_USER.into())),
            };
        }
        self.keys.verify(token)?.user_id()
    }
}
