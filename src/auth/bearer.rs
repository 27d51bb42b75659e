//! The bearer token as an axum extractor: `Authorization: Bearer <token>` to a user id.

use axum::{
    extract::FromRequestParts,
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};

use crate::{error::AppError, graphql::response::Finished, http::AppState};

/// The user a valid bearer token names; `None` without an `Authorization` header (the
/// request then runs anonymously, and only `login` is open to it). The token is
/// verified once, here: our HS256 tokens by `auth::Keys`, an identity provider's by
/// its JWKS keys (which names its user by email, costing one statement).
#[derive(Clone, Copy, Debug)]
pub struct Bearer(pub Option<i64>);

/// Why a request's `Authorization` header was refused.
#[derive(Debug)]
pub struct BearerRejection(pub AppError);

impl FromRequestParts<AppState> for Bearer {
    type Rejection = BearerRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(Self(None));
        };
        let malformed = || {
            BearerRejection(AppError::Unauthenticated(
                "the Authorization header must be `Bearer <token>`".into(),
            ))
        };
        let value = value.to_str().map_err(|_| malformed())?;
        let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(malformed());
        }
        state
            .verifier
            .user_id(&state.db, token)
            .await
            .map(|id| Self(Some(id)))
            .map_err(BearerRejection)
    }
}

impl BearerRejection {
    /// A 401 with the RFC 6750 challenge. A request with a bad token is refused whole,
    /// so a client never mistakes a broken token for missing data. Finding an identity
    /// provider's user needs the database, which can fail: that is no fault of the
    /// token, so no 401 and no challenge then.
    pub fn finish(&self) -> Finished {
        let status = match self.0 {
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::ServiceUnavailable | AppError::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let mut finished = Finished::refused(status, &self.0);
        if status == StatusCode::UNAUTHORIZED {
            tracing::info!(
                status = 401,
                "graphql request refused: invalid bearer token"
            );
            finished.set(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer error="invalid_token""#),
            );
        }
        finished
    }
}

impl IntoResponse for BearerRejection {
    fn into_response(self) -> Response {
        crate::http::respond::write(self.finish(), None)
    }
}
