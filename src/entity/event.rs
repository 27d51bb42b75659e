//! `events`: a virtual or hybrid event run by an organizer.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organizer_id: i64,
    pub name: String,
    pub start_time: DateTimeUtc,
    pub end_time: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organizer::Entity",
        from = "Column::OrganizerId",
        to = "super::organizer::Column::Id",
        on_delete = "Cascade"
    )]
    Organizer,
    #[sea_orm(has_many = "super::event_admin::Entity")]
    EventAdmin,
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
    #[sea_orm(has_many = "super::ticket_type::Entity")]
    TicketType,
    #[sea_orm(has_many = "super::event_ticket::Entity")]
    EventTicket,
    #[sea_orm(has_many = "super::speaker::Entity")]
    Speaker,
    #[sea_orm(has_many = "super::sponsor::Entity")]
    Sponsor,
}

impl Related<super::organizer::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organizer.def()
    }
}

impl Related<super::event_admin::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EventAdmin.def()
    }
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl Related<super::ticket_type::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TicketType.def()
    }
}

impl Related<super::event_ticket::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EventTicket.def()
    }
}

impl Related<super::speaker::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Speaker.def()
    }
}

impl Related<super::sponsor::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sponsor.def()
    }
}

/// The event's admins, through `event_admins`.
impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        super::event_admin::Relation::User.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::event_admin::Relation::Event.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
