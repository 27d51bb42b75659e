//! Events, and the page of events a viewer hosts.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::access::ViewerAccess;
use crate::entity::{enums::Role, event};

pub async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<event::Model>, DbErr> {
    event::Entity::find_by_id(id).one(db).await
}

/// The events `access` hosts: everything for super admins, else their assignments.
fn hosted(access: &ViewerAccess) -> Condition {
    if access.user.role == Role::SuperAdmin {
        return Condition::all();
    }
    if !access.has_host_role() {
        return Condition::any(); // `any` of nothing matches nothing
    }
    Condition::any()
        .add(event::Column::Id.is_in(access.event_ids.iter().copied()))
        .add(event::Column::OrganizerId.is_in(access.organizer_ids.iter().copied()))
}

/// A page of hosted events, newest first (`start_time DESC, id DESC`).
pub async fn hosted_page(
    db: &DatabaseConnection,
    access: &ViewerAccess,
    after: Option<(DateTime<Utc>, i64)>,
    limit: u64,
) -> Result<Vec<event::Model>, DbErr> {
    let mut query = event::Entity::find().filter(hosted(access));
    if let Some((start, id)) = after {
        query = query.filter(
            Condition::any()
                .add(event::Column::StartTime.lt(start))
                .add(
                    Condition::all()
                        .add(event::Column::StartTime.eq(start))
                        .add(event::Column::Id.lt(id)),
                ),
        );
    }
    query
        .order_by_desc(event::Column::StartTime)
        .order_by_desc(event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// How many events `access` hosts.
pub async fn hosted_count(db: &DatabaseConnection, access: &ViewerAccess) -> Result<u64, DbErr> {
    event::Entity::find().filter(hosted(access)).count(db).await
}
