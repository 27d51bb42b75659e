//! `sessions`: one item of an event's agenda, with its streaming settings.

use sea_orm::entity::prelude::*;

use super::enums::{SessionFormat, SessionVisibility, StreamProvider, SubStreamProvider};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub title: String,
    pub start_time: DateTimeUtc,
    pub end_time: DateTimeUtc,
    pub location: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub description: Option<String>,
    pub capacity: Option<i32>,
    pub format: SessionFormat,
    pub duration_seconds: Option<i32>,
    pub hide_session_from_attendees: bool,
    pub enable_qanda: bool,
    pub enable_chat: bool,
    pub enable_poll: bool,
    pub stream_key: Option<String>,
    pub stream_url: Option<String>,
    pub stream_provider: Option<StreamProvider>,
    pub sub_stream_provider: Option<SubStreamProvider>,
    pub rtmp_url: Option<String>,
    pub accel_events_studio: bool,
    pub direct_video_auto_start: bool,
    pub display_donation: bool,
    pub meeting_password: Option<String>,
    pub closed_caption_height: Option<i32>,
    pub closed_caption_url: Option<String>,
    pub record_session: bool,
    pub hide_video_controls: bool,
    pub sub_title_file_url: Option<String>,
    pub visibility: SessionVisibility,
    pub enable_attendee_list: bool,
    pub allowed_minutes_to_join_late: Option<i32>,
    pub qanda_private: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::event::Entity",
        from = "Column::EventId",
        to = "super::event::Column::Id",
        on_delete = "Cascade"
    )]
    Event,
    #[sea_orm(has_many = "super::session_registration::Entity")]
    SessionRegistration,
    #[sea_orm(has_many = "super::session_speaker::Entity")]
    SessionSpeaker,
    #[sea_orm(has_many = "super::session_sponsor::Entity")]
    SessionSponsor,
    #[sea_orm(has_many = "super::mux_asset::Entity")]
    MuxAsset,
    #[sea_orm(has_many = "super::session_activity::Entity")]
    SessionActivity,
}

impl Related<super::event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl Related<super::session_registration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionRegistration.def()
    }
}

impl Related<super::session_speaker::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionSpeaker.def()
    }
}

impl Related<super::session_sponsor::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionSponsor.def()
    }
}

impl Related<super::mux_asset::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MuxAsset.def()
    }
}

impl Related<super::session_activity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionActivity.def()
    }
}

/// The session's speakers, through `session_speakers`.
impl Related<super::speaker::Entity> for Entity {
    fn to() -> RelationDef {
        super::session_speaker::Relation::Speaker.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::session_speaker::Relation::Session.def().rev())
    }
}

/// The session's sponsors, through `session_sponsors`.
impl Related<super::sponsor::Entity> for Entity {
    fn to() -> RelationDef {
        super::session_sponsor::Relation::Sponsor.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::session_sponsor::Relation::Session.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
