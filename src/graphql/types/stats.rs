//! `SessionStats`: registration and attendance counts of a session.

use async_graphql::Object;

use crate::store::sessions::StatsRow;

/// Registration and attendance counts, computed by one SQL aggregate per batch.
pub struct SessionStats(pub StatsRow);

fn clamp(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl SessionStats {
    pub fn attendees(&self) -> i32 {
        clamp(self.0.attendees)
    }
}

/// Registration and attendance counts of a session.
#[Object]
impl SessionStats {
    /// Holders who registered for the session.
    async fn registered_count(&self) -> i32 {
        clamp(self.0.registered)
    }

    /// Holders who bookmarked the session without registering.
    async fn interested_count(&self) -> i32 {
        clamp(self.0.interested)
    }

    /// Distinct holders who joined.
    async fn attendee_count(&self) -> i32 {
        self.attendees()
    }
}
