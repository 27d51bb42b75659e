//! SeaORM entities, one module per table of `docs/DATA_MODEL.md`.

pub mod enums;
pub mod prelude;

pub mod event;
pub mod event_admin;
pub mod event_ticket;
pub mod mux_asset;
pub mod organizer;
pub mod organizer_admin;
pub mod session;
pub mod session_activity;
pub mod session_registration;
pub mod session_speaker;
pub mod session_sponsor;
pub mod session_stats;
pub mod speaker;
pub mod speaker_ticket_type;
pub mod sponsor;
pub mod ticket_type;
pub mod user;
