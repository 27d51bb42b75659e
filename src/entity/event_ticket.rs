//! `event_tickets`: a ticket to an event, held by one user and possibly bought by another.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_tickets")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub ticket_type_id: i64,
    pub holder_user_id: i64,
    pub purchaser_user_id: i64,
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
    #[sea_orm(
        belongs_to = "super::ticket_type::Entity",
        from = "Column::TicketTypeId",
        to = "super::ticket_type::Column::Id"
    )]
    TicketType,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::HolderUserId",
        to = "super::user::Column::Id"
    )]
    HolderUser,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::PurchaserUserId",
        to = "super::user::Column::Id"
    )]
    PurchaserUser,
    #[sea_orm(has_many = "super::session_registration::Entity")]
    SessionRegistration,
    #[sea_orm(has_many = "super::session_activity::Entity")]
    SessionActivity,
}

// No `Related<user::Entity>`: two foreign keys point at users, so callers pick
// `Relation::HolderUser` or `Relation::PurchaserUser` explicitly.

impl Related<super::event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl Related<super::ticket_type::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TicketType.def()
    }
}

impl Related<super::session_registration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionRegistration.def()
    }
}

impl Related<super::session_activity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionActivity.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
