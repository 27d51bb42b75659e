//! `Speaker` and `TicketType`: who speaks at a session, and the tickets they hold.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};

use crate::{
    entity::ticket_type,
    graphql::{
        batch::{Batch, leaf, related},
        loaders::SpeakerTicketTypesKey,
    },
    store::sessions::SpeakerRow,
};

/// A speaker of a session: their event profile and their role at this session.
#[derive(Clone)]
pub struct Speaker(pub Arc<SpeakerRow>, pub Arc<Batch>);

/// A speaker of a session: their event profile and their role at this session.
#[Object]
impl Speaker {
    /// The speaker's profile id within the event.
    async fn speaker_id(&self) -> ID {
        self.0.speaker_id.into()
    }

    /// The speaker's user id.
    async fn user_id(&self) -> ID {
        self.0.user_id.into()
    }

    /// First name as shown for the speaker.
    async fn first_name(&self) -> &str {
        &self.0.first_name
    }

    /// Last name as shown for the speaker.
    async fn last_name(&self) -> &str {
        &self.0.last_name
    }

    /// The speaker's email address.
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// Job title.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }

    /// Company name.
    async fn company(&self) -> Option<&str> {
        self.0.company.as_deref()
    }

    /// Profile picture URL.
    async fn image_url(&self) -> Option<&str> {
        self.0.image_url.as_deref()
    }

    /// Pronouns, e.g. "she/her".
    async fn pronouns(&self) -> Option<&str> {
        self.0.pronouns.as_deref()
    }

    /// Short biography.
    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }

    /// LinkedIn profile URL.
    async fn linked_in(&self) -> Option<&str> {
        self.0.linked_in.as_deref()
    }

    /// Twitter profile URL.
    async fn twitter(&self) -> Option<&str> {
        self.0.twitter.as_deref()
    }

    /// Instagram profile URL.
    async fn instagram(&self) -> Option<&str> {
        self.0.instagram.as_deref()
    }

    /// Display order.
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// May start and stop the broadcast in the studio.
    async fn moderator(&self) -> bool {
        self.0.moderator
    }

    /// Sees the start and stop buttons in the studio.
    async fn show_moderator(&self) -> bool {
        self.0.show_moderator
    }

    /// Logged in at the virtual event hub.
    #[graphql(name = "loggedInAtVEH")]
    async fn logged_in_at_veh(&self) -> bool {
        self.0.logged_in_at_veh
    }

    /// Checked microphone, camera and speakers before going live.
    async fn device_checked(&self) -> bool {
        self.0.device_checked
    }

    /// The ticket types the speaker holds.
    async fn ticket_types_for_speaker(&self, ctx: &Context<'_>) -> Result<Vec<TicketType>> {
        let (rows, _) =
            related(ctx, &self.1, self.0.speaker_id, SpeakerTicketTypesKey, leaf).await?;
        Ok(rows
            .map(|list| list.iter().cloned().map(TicketType).collect())
            .unwrap_or_default())
    }

    /// May override the profile details the event shows.
    async fn allow_override_details(&self) -> bool {
        self.0.allow_override_details
    }

    /// A free ticket bought for the speaker gives direct access to the virtual event hub.
    async fn allow_attendee_access(&self) -> bool {
        self.0.allow_attendee_access
    }
}

/// A kind of ticket sold for an event.
#[derive(Clone)]
pub struct TicketType(pub ticket_type::Model);

/// A kind of ticket sold for an event.
#[Object]
impl TicketType {
    /// Ticket type id.
    async fn id(&self) -> ID {
        self.0.id.into()
    }

    /// Name shown to buyers.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// True when the ticket costs nothing.
    async fn free(&self) -> bool {
        self.0.free
    }
}
