//! `Viewer` and `LoginPayload`: the signed-in user.

use crate::graphql::scalars::DateTime;
use async_graphql::{ID, Object, SimpleObject};

use crate::entity::{enums::Role, user};

/// The user a bearer token belongs to.
#[derive(Clone)]
pub struct Viewer(pub user::Model);

/// The user a bearer token belongs to.
#[Object]
impl Viewer {
    /// User id.
    async fn user_id(&self) -> ID {
        self.0.id.into()
    }

    /// Email address.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// First name.
    async fn first_name(&self) -> Option<&str> {
        self.0.first_name.as_deref()
    }

    /// Last name.
    async fn last_name(&self) -> Option<&str> {
        self.0.last_name.as_deref()
    }

    /// The user's role; only admins may read event and session data.
    async fn role(&self) -> Role {
        self.0.role
    }
}

/// The result of a successful `login`.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Bearer token (JWT) to send as `Authorization: Bearer <token>`.
    pub token: String,
    /// When the token stops being accepted.
    pub expires_at: DateTime,
    /// The user who signed in.
    pub viewer: Viewer,
}
