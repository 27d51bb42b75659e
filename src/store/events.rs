//! Events, and the page of events a viewer hosts.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::access::{self, ViewerAccess};
use crate::entity::{enums::Role, event};

pub async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<event::Model>, DbErr> {
    event::Entity::find_by_id(id).one(db).await
}

/// An event and the viewer's rights (`None`: their user no longer exists), in one
/// statement: the host check costs no round trip of its own, and the rights come from
/// the same snapshot as the event they guard.
pub async fn find_for_viewer(
    db: &DatabaseConnection,
    id: i64,
    viewer_id: i64,
) -> Result<Option<(event::Model, Option<ViewerAccess>)>, DbErr> {
    let backend = db.get_database_backend();
    let mut query = event::Entity::find_by_id(id).into_query();
    access::join_viewer(&mut query, backend, viewer_id);
    let Some(row) = db.query_one_raw(backend.build(&query)).await? else {
        return Ok(None);
    };
    let event = event::Model::from_query_result(&row, "")?;
    Ok(Some((event, access::from_row(&row)?)))
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
