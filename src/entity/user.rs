//! `users`: everyone who can be identified on the platform, from super admins to attendees.

use sea_orm::entity::prelude::*;

use super::enums::Role;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub role: Role,
    /// `None` for accounts that never set a password; they cannot log in.
    pub password_hash: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::event_admin::Entity")]
    EventAdmin,
    #[sea_orm(has_many = "super::organizer_admin::Entity")]
    OrganizerAdmin,
    /// Tickets this user holds (`event_tickets.holder_user_id`).
    #[sea_orm(
        has_many = "super::event_ticket::Entity",
        via_rel = "Relation::HolderUser"
    )]
    HeldTicket,
    /// Tickets this user paid for (`event_tickets.purchaser_user_id`).
    #[sea_orm(
        has_many = "super::event_ticket::Entity",
        via_rel = "Relation::PurchaserUser"
    )]
    PurchasedTicket,
    #[sea_orm(has_many = "super::speaker::Entity")]
    Speaker,
    #[sea_orm(has_many = "super::mux_asset::Entity")]
    MuxAsset,
    #[sea_orm(has_many = "super::session_activity::Entity")]
    SessionActivity,
}

// No `Related<event_ticket::Entity>`: a user reaches tickets by two foreign keys
// (holder and purchaser), so callers pick `Relation::HeldTicket` or
// `Relation::PurchasedTicket` explicitly.

impl Related<super::event_admin::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EventAdmin.def()
    }
}

impl Related<super::organizer_admin::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrganizerAdmin.def()
    }
}

impl Related<super::speaker::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Speaker.def()
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

/// Events this user administers, through `event_admins`.
impl Related<super::event::Entity> for Entity {
    fn to() -> RelationDef {
        super::event_admin::Relation::Event.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::event_admin::Relation::User.def().rev())
    }
}

/// Organizers this user administers, through `organizer_admins`.
impl Related<super::organizer::Entity> for Entity {
    fn to() -> RelationDef {
        super::organizer_admin::Relation::Organizer.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::organizer_admin::Relation::User.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
