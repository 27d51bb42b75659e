//! `session_activities`: the raw log of what viewers do in sessions, from which the rollups can be recomputed.

use sea_orm::entity::prelude::*;

use super::enums::ActivityKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub session_id: i64,
    pub user_id: i64,
    pub event_ticket_id: Option<i64>,
    pub kind: ActivityKind,
    pub occurred_at: DateTimeUtc,
    /// The id the client gave the event (`recordActivity`); unique. `None` for rows
    /// logged before ingestion, which do not feed the derived figures.
    pub client_event_id: Option<String>,
    /// The position in the video, in seconds, that a heartbeat reported.
    pub position_seconds: Option<i32>,
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
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::event_ticket::Entity",
        from = "Column::EventTicketId",
        to = "super::event_ticket::Column::Id",
        on_delete = "SetNull"
    )]
    EventTicket,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::event_ticket::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EventTicket.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
