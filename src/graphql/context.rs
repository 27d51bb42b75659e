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

    /// The signed-in viewer, or UNAUTHENTICATED. Loaded from the database once per
    /// request, unless the first root field read it with its own data ([`Self::prime`]).
    pub async fn access(&self) -> AppResult<Arc<ViewerAccess>> {
        self.access
            .get_or_init(|| async {
                let user_id = self.signed_in()?;
                let access = store::access::load(&self.db, user_id).await?;
                self.loaded(access)
            })
            .await
            .clone()
    }

    /// The signed-in viewer's id, or UNAUTHENTICATED (no statement).
    pub fn signed_in(&self) -> AppResult<i64> {
        self.user_id.ok_or_else(|| {
            AppError::Unauthenticated(
                "sign in with `login` and send `Authorization: Bearer <token>`".into(),
            )
        })
    }

    /// `error`, unless the viewer may not read event data at all: then what the role
    /// guard (`graphql::guard`) says first (FORBIDDEN, UNAUTHENTICATED), so resolvers
    /// that check the role themselves refuse in the same order as guarded ones.
    pub async fn role_first(&self, error: AppError) -> AppError {
        match self.admin().await {
            Ok(_) => error,
            Err(refused) => refused,
        }
    }

    /// Takes the viewer as read in the same statement as a root field's data
    /// (`store::access::join_viewer`), so that the host check costs no statement of its
    /// own; a viewer already loaded for this request is kept.
    pub fn prime(&self, access: Option<ViewerAccess>) {
        if self.user_id.is_some() && !self.access.initialized() {
            let _ = self.access.set(self.loaded(access));
        }
    }

    /// The viewer's rights as read, or why there are none.
    fn loaded(&self, access: Option<ViewerAccess>) -> AppResult<Arc<ViewerAccess>> {
        match access {
            Some(access) => {
                let _ = self.generation.set(access.cache_generation);
                Ok(Arc::new(access))
            }
            None => Err(AppError::Unauthenticated(
                "the bearer token's user no longer exists".into(),
            )),
        }
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
