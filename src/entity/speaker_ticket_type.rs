//! `speaker_ticket_types`: the ticket types a speaker is given access with.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "speaker_ticket_types")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub speaker_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket_type_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::speaker::Entity",
        from = "Column::SpeakerId",
        to = "super::speaker::Column::Id",
        on_delete = "Cascade"
    )]
    Speaker,
    #[sea_orm(
        belongs_to = "super::ticket_type::Entity",
        from = "Column::TicketTypeId",
        to = "super::ticket_type::Column::Id",
        on_delete = "Cascade"
    )]
    TicketType,
}

impl Related<super::speaker::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Speaker.def()
    }
}

impl Related<super::ticket_type::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TicketType.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
