//! `MuxAsset` and `UserRef`: a session's video files and who uploaded them.

use std::sync::Arc;

use crate::graphql::scalars::DateTime;
use async_graphql::{Context, ID, Object, Result};

use crate::{
    entity::{mux_asset, user},
    graphql::{
        batch::{Batch, leaf, related},
        loaders::UserKey,
    },
};

/// A video asset of a session, hosted by Mux.
#[derive(Clone)]
pub struct MuxAsset(pub mux_asset::Model, pub Arc<Batch>);

/// A video asset of a session, hosted by Mux.
#[Object]
impl MuxAsset {
    /// Our id of the asset.
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    /// Mux's asset id.
    async fn asset_id(&self) -> &str {
        &self.0.asset_id
    }

    /// Mux's playback id.
    async fn playback_id(&self) -> Option<&str> {
        self.0.playback_id.as_deref()
    }

    /// Name of the uploaded file.
    async fn file_name(&self) -> Option<&str> {
        self.0.file_name.as_deref()
    }

    /// Seconds.
    async fn duration(&self) -> Option<i32> {
        self.0.duration_seconds
    }

    /// When the asset was created.
    async fn created_at(&self) -> DateTime {
        self.0.created_at.into()
    }

    /// Who created the asset; null when unknown or the user was deleted.
    async fn created_by(&self, ctx: &Context<'_>) -> Result<Option<UserRef>> {
        let Some(user_id) = self.0.created_by_user_id else {
            return Ok(None);
        };
        let (user, _) = related(ctx, &self.1, user_id, UserKey, leaf).await?;
        Ok(user.map(UserRef))
    }
}

/// A short reference to a user.
#[derive(Clone)]
pub struct UserRef(pub user::Model);

/// A short reference to a user.
#[Object]
impl UserRef {
    /// User id.
    async fn user_id(&self) -> ID {
        self.0.id.into()
    }

    /// First name.
    async fn first_name(&self) -> Option<&str> {
        self.0.first_name.as_deref()
    }

    /// Last name.
    async fn last_name(&self) -> Option<&str> {
        self.0.last_name.as_deref()
    }

    /// Email address.
    async fn email(&self) -> &str {
        &self.0.email
    }
}
