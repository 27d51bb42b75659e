//! Every entity under its table's singular name, for `use crate::entity::prelude::*`.

pub use super::event::Entity as Event;
pub use super::event_admin::Entity as EventAdmin;
pub use super::event_ticket::Entity as EventTicket;
pub use super::mux_asset::Entity as MuxAsset;
pub use super::organizer::Entity as Organizer;
pub use super::organizer_admin::Entity as OrganizerAdmin;
pub use super::session::Entity as Session;
pub use super::session_activity::Entity as SessionActivity;
pub use super::session_registration::Entity as SessionRegistration;
pub use super::session_speaker::Entity as SessionSpeaker;
pub use super::session_sponsor::Entity as SessionSponsor;
pub use super::session_stats::Entity as SessionStats;
pub use super::speaker::Entity as Speaker;
pub use super::speaker_ticket_type::Entity as SpeakerTicketType;
pub use super::sponsor::Entity as Sponsor;
pub use super::ticket_type::Entity as TicketType;
pub use super::user::Entity as User;
