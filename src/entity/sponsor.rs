//! `sponsors`: a sponsor of an event, shown in the sessions it sponsors.

use sea_orm::entity::prelude::*;

use super::enums::SponsorSize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sponsors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub name: String,
    pub logo_url: Option<String>,
    pub website: Option<String>,
    pub size: Option<SponsorSize>,
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
    #[sea_orm(has_many = "super::session_sponsor::Entity")]
    SessionSponsor,
}

impl Related<super::event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl Related<super::session_sponsor::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SessionSponsor.def()
    }
}

/// Sessions this sponsor appears in, through `session_sponsors`.
impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        super::session_sponsor::Relation::Session.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::session_sponsor::Relation::Sponsor.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
