//! The types of `recordActivity`: what a player or check-in desk reports, and what became of a batch.

use async_graphql::{Enum, ID, InputObject, SimpleObject};

use crate::{entity::enums::ActivityKind, graphql::scalars::DateTime};

/// What an attendee did, as reported to `recordActivity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum ActivityType {
    /// Entered the live session's stream or meeting room.
    Join,
    /// Left the live session's stream or meeting room.
    Leave,
    /// The player reports, every few seconds, that the viewer is watching live.
    LiveHeartbeat,
    /// The player reports, every few seconds, that the viewer is watching the recording.
    RecordingHeartbeat,
    /// Checked in at the venue, in person.
    CheckIn,
    /// Posted in the session's chat (only counted: no text is stored).
    ChatMessage,
    /// Asked a question in the session's Q&A (only counted).
    Question,
    /// Voted in one of the session's polls (only counted).
    PollVote,
}

impl From<ActivityType> for ActivityKind {
    fn from(kind: ActivityType) -> Self {
        match kind {
            ActivityType::Join => Self::Join,
            ActivityType::Leave => Self::Leave,
            ActivityType::LiveHeartbeat => Self::LiveHeartbeat,
            ActivityType::RecordingHeartbeat => Self::RecordingHeartbeat,
            ActivityType::CheckIn => Self::CheckIn,
            // The log has always called a chat message `CHAT`.
            ActivityType::ChatMessage => Self::Chat,
            ActivityType::Question => Self::Question,
            ActivityType::PollVote => Self::PollVote,
        }
    }
}

/// One thing an attendee did in a session.
#[derive(Clone, Debug, PartialEq, Eq, InputObject)]
pub struct ActivityInput {
    /// The client's own id for this event, unique across all its events (a UUID, say;
    /// 1 to 128 characters). Sending it again changes nothing: retries are safe.
    pub id: String,
    /// What happened.
    #[graphql(name = "type")]
    pub kind: ActivityType,
    /// The session it happened in.
    pub session_id: ID,
    /// The ticket of the session's event the attendee used; give it, `userId`, or both.
    pub event_ticket_id: Option<ID>,
    /// The attendee, who must hold a ticket of the session's event.
    pub user_id: Option<ID>,
    /// When it happened (not in the future beyond a small clock skew, not before the
    /// event was created).
    pub occurred_at: DateTime,
    /// Heartbeats: the position in the video, in seconds (0 or more).
    pub position_seconds: Option<i32>,
}

/// What `recordActivity` did with a batch.
#[derive(Clone, Copy, Debug, SimpleObject)]
pub struct RecordActivityResult {
    /// Events in the batch.
    pub received: i32,
    /// Events logged now, for the first time.
    pub recorded: i32,
    /// Events already logged (by an earlier request, another instance, or earlier in
    /// this batch) and skipped.
    pub duplicates: i32,
}
