//! `organizers`: the companies or teams that host events.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::event::Entity")]
    Event,
    #[sea_orm(has_many = "super::organizer_admin::Entity")]
    OrganizerAdmin,
}

impl Related<super::event::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Event.def()
    }
}

impl Related<super::organizer_admin::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrganizerAdmin.def()
    }
}

/// The organizer's admins, through `organizer_admins`.
impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        super::organizer_admin::Relation::User.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::organizer_admin::Relation::Organizer.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
