//! Enumerations stored as short text columns (`varchar(32)`) and, except `ActivityKind`, exposed in GraphQL.

use sea_orm::entity::prelude::*;

/// What a user is allowed to do on the platform.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Role {
    /// Runs the platform: can see and manage every organizer and event.
    #[sea_orm(string_value = "SUPER_ADMIN")]
    SuperAdmin,
    /// Manages an organizer and every event it hosts.
    #[sea_orm(string_value = "ORGANIZER_ADMIN")]
    OrganizerAdmin,
    /// Manages the events they were made an admin of.
    #[sea_orm(string_value = "EVENT_ADMIN")]
    EventAdmin,
    /// Helps run an event (check-in, moderation) without managing it.
    #[sea_orm(string_value = "STAFF")]
    Staff,
    /// Presents in one or more sessions.
    #[sea_orm(string_value = "SPEAKER")]
    Speaker,
    /// Holds a ticket and takes part in sessions.
    #[sea_orm(string_value = "ATTENDEE")]
    Attendee,
    /// A service account that reports attendee activity (`recordActivity`) for the
    /// events it is assigned to; it cannot read event data or log in with a password.
    #[sea_orm(string_value = "INGEST")]
    Ingest,
}

/// The kind of agenda item a session is.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum SessionFormat {
    /// The event's main stage: one broadcast everyone can watch.
    #[sea_orm(string_value = "MAINSTAGE_SESSION")]
    MainstageSession,
    /// A smaller session running alongside others, where attendees can join in.
    #[sea_orm(string_value = "BREAKOUT_SESSION")]
    BreakoutSession,
    /// Time set aside for attendees to meet one another.
    #[sea_orm(string_value = "NETWORKING_SESSION")]
    NetworkingSession,
    /// A hands-on session in which attendees work along with the speaker.
    #[sea_orm(string_value = "WORKSHOP_SESSION")]
    WorkshopSession,
    /// The exhibit hall, where sponsors and exhibitors show their booths.
    #[sea_orm(string_value = "EXPO")]
    Expo,
    /// A pause in the agenda.
    #[sea_orm(string_value = "BREAK")]
    Break,
    /// Any other kind of agenda item.
    #[sea_orm(string_value = "OTHER")]
    Other,
}

/// Where a session's video comes from.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum StreamProvider {
    /// Produced in the platform's own live studio.
    #[sea_orm(string_value = "ACCELEVENTS")]
    Accelevents,
    /// A YouTube live stream or video.
    #[sea_orm(string_value = "YOUTUBE")]
    Youtube,
    /// A Vimeo live stream or video.
    #[sea_orm(string_value = "VIMEO")]
    Vimeo,
    /// A video hosted on Wistia.
    #[sea_orm(string_value = "WISTIA")]
    Wistia,
    /// A Zoom meeting or webinar.
    #[sea_orm(string_value = "ZOOM")]
    Zoom,
    /// A Facebook Live stream.
    #[sea_orm(string_value = "FACEBOOK")]
    Facebook,
    /// A video file uploaded to the platform and played back from there.
    #[sea_orm(string_value = "DIRECT_UPLOAD")]
    DirectUpload,
    /// A live feed pushed to the platform over RTMP from the organizer's own encoder.
    #[sea_orm(string_value = "RTMP")]
    Rtmp,
}

/// The real-time video service behind a session's live studio or meeting room.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum SubStreamProvider {
    /// Dolby.io Communications, formerly Voxeet.
    #[sea_orm(string_value = "VOXEET")]
    Voxeet,
    /// The Vonage Video API, formerly TokBox.
    #[sea_orm(string_value = "TOKBOX")]
    Tokbox,
    /// The Amazon Chime SDK.
    #[sea_orm(string_value = "CHIME")]
    Chime,
    /// Agora's real-time video service.
    #[sea_orm(string_value = "AGORA")]
    Agora,
}

/// Who can see a session in the agenda.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum SessionVisibility {
    /// Everyone who can see the event sees the session.
    #[sea_orm(string_value = "PUBLIC")]
    Public,
    /// Hidden from the public agenda; only people given access see it.
    #[sea_orm(string_value = "PRIVATE")]
    Private,
}

/// How strongly a ticket holder signed up for a session.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum RegistrationType {
    /// Reserved a place in the session.
    #[sea_orm(string_value = "REGISTERED")]
    Registered,
    /// Marked the session as interesting without reserving a place.
    #[sea_orm(string_value = "INTERESTED")]
    Interested,
}

/// How prominently a sponsor is shown, following its sponsorship tier.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum SponsorSize {
    /// A small logo.
    #[sea_orm(string_value = "SMALL")]
    Small,
    /// A medium-sized logo.
    #[sea_orm(string_value = "MEDIUM")]
    Medium,
    /// A large logo, for the top tier.
    #[sea_orm(string_value = "LARGE")]
    Large,
}

/// What a viewer did in a session, as recorded in the raw activity log.
// No async_graphql::Enum: the raw log stays internal; the API serves what is derived from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ActivityKind {
    /// Entered the session's stream or meeting room.
    #[sea_orm(string_value = "JOIN")]
    Join,
    /// Left the session's stream or meeting room.
    #[sea_orm(string_value = "LEAVE")]
    Leave,
    /// Watched the session, live or recorded (the log before ingestion; not ingested).
    #[sea_orm(string_value = "VIEW")]
    View,
    /// Posted in the session's chat (`CHAT_MESSAGE` in the API; stored as `CHAT`, the
    /// value the log and imports have always used).
    #[sea_orm(string_value = "CHAT")]
    Chat,
    /// The player reported the viewer watching the live stream.
    #[sea_orm(string_value = "LIVE_HEARTBEAT")]
    LiveHeartbeat,
    /// The player reported the viewer watching the recording.
    #[sea_orm(string_value = "RECORDING_HEARTBEAT")]
    RecordingHeartbeat,
    /// Checked in at the venue, in person.
    #[sea_orm(string_value = "CHECK_IN")]
    CheckIn,
    /// Asked a question in the session's Q&A.
    #[sea_orm(string_value = "QUESTION")]
    Question,
    /// Voted in one of the session's polls.
    #[sea_orm(string_value = "POLL_VOTE")]
    PollVote,
}
