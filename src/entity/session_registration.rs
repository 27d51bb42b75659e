//! `session_registrations`: a ticket's sign-up for a session, with the attendance rollups analytics read.

use sea_orm::entity::prelude::*;

use super::enums::RegistrationType;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_registrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub session_id: i64,
    pub event_ticket_id: i64,
    pub registration_type: RegistrationType,
    pub registered_at: DateTimeUtc,
    pub attended: bool,
    pub watch_time_seconds: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::session::Entity",
        from = "Column::SessionId",
        to = "super::session::Column::Id",
        on_delete = "Cascade"
    )]
    Session,
    #[sea_orm(
        belongs_to = "super::event_ticket::Entity",
        from = "Column::EventTicketId",
        to = "super::event_ticket::Column::Id",
        on_delete = "Cascade"
    )]
    EventTicket,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl Related<super::event_ticket::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EventTicket.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
