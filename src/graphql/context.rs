//! Per-request context: who is asking, resolved lazily and at most once per request.

use std::sync::Arc;

use async_graphql::Context;
use sea_orm::DatabaseConnection;
use tokio::sync::OnceCell;

use super::cache::RequestGeneration;
use crate::{
    entity::event,
    error::{AppError, AppResult},
    store::{self, access::ViewerAccess},
};

/// What the HTTP edge learned about the caller, plus the lazily loaded access rights.
pub struct RequestContext {
    db: DatabaseConnection,
    /// The verified token's user id; `None` for anonymous requests.
    user_id: Option<i64>,
    access: OnceCell<AppResult<Arc<ViewerAccess>>>,
    /// Set from the viewer's row for the loaders' shared cache.
    generation: RequestGeneration,
}

impl RequestContext {
    pub fn new(
        db: DatabaseConnection,
        user_id: Option<i64>,
        generation: RequestGeneration,
    ) -> Self {
        Self {
            db,
            user_id,
            access: OnceCell::new(),
            generation,
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        self.user_id
    }

    /// The signed-in viewer, or UNAUTHENTICATED. Loaded from the database once per request.
    pub async fn access(&self) -> AppResult<Arc<ViewerAccess>> {
        self.access
            .get_or_init(|| async {
                let Some(user_id) = self.user_id else {
                    return Err(AppError::Unauthenticated(
                        "sign in with `login` and send `Authorization: Bearer <token>`".into(),
                    ));
                };
                match store::access::load(&self.db, user_id).await? {
                    Some(access) => {
                        let _ = self.generation.set(access.cache_generation);
                        Ok(Arc::new(access))
                    }
                    None => Err(AppError::Unauthenticated(
                        "the bearer token's user no longer exists".into(),
                    )),
                }
            })
            .await
            .clone()
    }

    /// The viewer, who must hold an admin role (else FORBIDDEN).
    pub async fn admin(&self) -> AppResult<Arc<ViewerAccess>> {
        let access = self.access().await?;
        if access.has_host_role() {
            Ok(access)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The viewer, who must host `event` (else NOT_EVENT_HOST).
    pub async fn host_of(&self, event: &event::Model) -> AppResult<Arc<ViewerAccess>> {
        let access = self.admin().await?;
        if access.hosts(event) {
            Ok(access)
        } else {
            Err(AppError::NotEventHost)
        }
    }
}

/// The request context; every request built by the HTTP layer carries one.
pub fn request<'a>(ctx: &'a Context<'_>) -> AppResult<&'a RequestContext> {
    ctx.data::<RequestContext>().map_err(|_| {
        tracing::error!("request context missing from GraphQL request");
        AppError::Internal
    })
}

/// The database connection, stored in the schema's data.
pub fn db<'a>(ctx: &'a Context<'_>) -> AppResult<&'a DatabaseConnection> {
    ctx.data::<DatabaseConnection>()
        .map_err(|_| AppError::Internal)
}
