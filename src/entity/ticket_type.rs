//! `ticket_types`: the kinds of ticket an event sells or gives away.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_types")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub name: String,
    pub free: bool,
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
    #[sea_orm(has_many = "super::event_ticket::Entity")]
    EventTicket,
    #[sea_orm(has_many = "super::speaker_ticket_type::Entity")]
    SpeakerTicketType,
}

impl Related<super::event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl Related<super::event_ticket::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EventTicket.def()
    }
}

impl Related<super::speaker_ticket_type::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SpeakerTicketType.def()
    }
}

/// Speakers given this ticket type, through `speaker_ticket_types`.
impl Related<super::speaker::Entity> for Entity {
    fn to() -> RelationDef {
        super::speaker_ticket_type::Relation::Speaker.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::speaker_ticket_type::Relation::TicketType.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
