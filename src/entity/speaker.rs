//! `speakers`: a user's speaker profile for one event.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "speakers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub user_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub title: Option<String>,
    pub company: Option<String>,
    pub image_url: Option<String>,
    pub pronouns: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub bio: Option<String>,
    pub linked_in: Option<String>,
    pub twitter: Option<String>,
    pub instagram: Option<String>,
    pub logged_in_at_veh: bool,
    pub device_checked: bool,
    pub allow_override_details: bool,
    pub allow_attendee_access: bool,
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
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
    #[sea_orm(has_many = "super::session_speaker::Entity")]
    SessionSpeaker,
    #[sea_orm(has_many = "super::speaker_ticket_type::Entity")]
    SpeakerTicketType,
}

impl Related<super::event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::session_speaker::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionSpeaker.def()
    }
}

impl Related<super::speaker_ticket_type::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SpeakerTicketType.def()
    }
}

/// Sessions this speaker appears in, through `session_speakers`.
impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        super::session_speaker::Relation::Session.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::session_speaker::Relation::Speaker.def().rev())
    }
}

/// Ticket types this speaker is given, through `speaker_ticket_types`.
impl Related<super::ticket_type::Entity> for Entity {
    fn to() -> RelationDef {
        super::speaker_ticket_type::Relation::TicketType.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::speaker_ticket_type::Relation::Speaker.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
