//! `Sponsor`: a sponsor shown at a session.

use async_graphql::{ID, Object};

use crate::{entity::enums::SponsorSize, store::sessions::SponsorRow};

/// A sponsor of a session.
#[derive(Clone)]
pub struct Sponsor(pub SponsorRow);

/// A sponsor shown at a session.
#[Object]
impl Sponsor {
    /// Sponsor id.
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    /// Sponsor name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Logo image URL.
    async fn logo_url(&self) -> Option<&str> {
        self.0.logo_url.as_deref()
    }

    /// The sponsor's website.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// How large the sponsor's logo is shown.
    async fn size(&self) -> Option<SponsorSize> {
        self.0.size
    }

    /// Display order at this session.
    async fn position(&self) -> i32 {
        self.0.position
    }
}
