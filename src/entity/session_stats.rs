//! `session_stats`: per-session registration counters, kept by triggers and only ever read here.

use sea_orm::entity::prelude::*;

/// Written only by the triggers of `migration::session_stats` (and its recompute after a
/// bulk load); the server reads it, never writes it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "session_stats")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id: i64,
    pub registered: i64,
    pub interested: i64,
    pub attended: i64,
    /// Distinct attending holders (`session_attendance`).
    pub attendees: i64,
    /// The session has its own search index (`migration::session_search`).
    pub search_indexed: bool,
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
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
