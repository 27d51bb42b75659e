//! `login`: exchanges an email and password for a bearer token.

use std::sync::Arc;

use async_graphql::{Context, Object, Result};

use crate::{
    auth::{Keys, password},
    entity::enums::Role,
    error::AppError,
    graphql::{
        context::db,
        types::viewer::{LoginPayload, Viewer},
    },
    rate_limit::{Budget, ClientAddress, RateLimiter},
    store,
};

#[derive(Default)]
pub struct LoginMutation;

#[Object]
impl LoginMutation {
    /// Exchanges an email and password for a bearer token (JWT) to send as
    /// `Authorization: Bearer <token>`.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email address (case-insensitive).")] email: String,
        #[graphql(desc = "The account's password.")] password: String,
    ) -> Result<LoginPayload> {
        // Budgets per account and per address stop password guessing, whichever the
        // attacker varies; both are spent before the password is checked.
        let limiter = ctx
            .data::<Arc<RateLimiter>>()
            .map_err(|_| AppError::Internal)?;
        limiter
            .spend(Budget::LoginAccount(email.trim().to_lowercase()), 1)
            .await?;
        if let Ok(ClientAddress(address)) = ctx.data::<ClientAddress>() {
            limiter.spend(Budget::LoginAddress(*address), 1).await?;
        }
        let user = store::people::by_email(db(ctx)?, &email)
            .await
            .map_err(AppError::from)?;
        // Verify even when there is no such user, so both cases take the same time.
        let stored = user.as_ref().and_then(|u| u.password_hash.clone());
        let ok = password::verify(password, stored).await?;
        let Some(user) = user.filter(|_| ok) else {
            return Err(AppError::Unauthenticated("wrong email or password".into()).into());
        };
        // A service account reports activity with a token an operator issued; a password
        // that leaked from one must not open a session. Said only after the password
        // matched, so the answer tells a guesser nothing about the account.
        if user.role == Role::Ingest {
            return Err(AppError::NotAllowed(
                "an INGEST service account cannot log in with a password; \
                 its token comes from `session-analytics token` or an identity provider",
            )
            .into());
        }
        let keys = ctx.data::<Keys>().map_err(|_| AppError::Internal)?;
        let issued = keys.issue(user.id, user.role)?;
        Ok(LoginPayload {
            token: issued.token,
            expires_at: issued.expires_at.into(),
            viewer: Viewer(user),
        })
    }
}
