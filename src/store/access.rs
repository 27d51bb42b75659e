//! Who the viewer is and which events they host, loaded once per request.

use std::collections::HashSet;

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, IdenStatic, Iterable,
    JoinType, QueryResult,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement},
};

use crate::entity::{enums::Role, event, user};

/// The viewer's account and host rights. The database, not the token, is the truth
/// for both: a user demoted or removed since login loses access at once.
#[derive(Clone, Debug)]
pub struct ViewerAccess {
    pub user: user::Model,
    /// The cache generation when the viewer was read (see `graphql::cache`).
    pub cache_generation: i64,
    /// Events the viewer is an event admin of; for INGEST, the events it reports for.
    pub event_ids: HashSet<i64>,
    /// Organizers the viewer is an organizer admin of.
    pub organizer_ids: HashSet<i64>,
}

impl ViewerAccess {
    /// May this role read event and session data at all?
    pub fn has_host_role(&self) -> bool {
        matches!(
            self.user.role,
            Role::SuperAdmin | Role::OrganizerAdmin | Role::EventAdmin
        )
    }

    /// May this INGEST account report activity for `event`?
    pub fn ingests_for(&self, event_id: i64) -> bool {
        self.user.role == Role::Ingest && self.event_ids.contains(&event_id)
    }

    /// Does the viewer host `event`?
    pub fn hosts(&self, event: &event::Model) -> bool {
        match self.user.role {
            Role::SuperAdmin => true,
            Role::OrganizerAdmin | Role::EventAdmin => {
                self.event_ids.contains(&event.id)
                    || self.organizer_ids.contains(&event.organizer_id)
            }
            _ => false,
        }
    }
}

impl ViewerAccess {
    /// The rights `user` has with these assignments (read with them, as of `generation`).
    fn new(user: user::Model, cache_generation: i64, events: &[i64], organizers: &[i64]) -> Self {
        // An INGEST service account is assigned to events through `event_admins` too:
        // the same table, read the same way; its role keeps it from every host read.
        let event_ids = match user.role {
            Role::OrganizerAdmin | Role::EventAdmin | Role::Ingest => {
                events.iter().copied().collect()
            }
            _ => HashSet::new(),
        };
        let organizer_ids = if user.role == Role::OrganizerAdmin {
            organizers.iter().copied().collect()
        } else {
            HashSet::new()
        };
        Self {
            user,
            cache_generation,
            event_ids,
            organizer_ids,
        }
    }
}

/// The prefix of the viewer's columns in a statement [`join_viewer`] extended.
const PREFIX: &str = "viewer_";

/// Adds the viewer to `query`, whatever else it reads: their row (a `LEFT JOIN`, so the
/// query's own rows come back when the user is gone), the cache generation, and their
/// event and organizer assignments. The rights are then read in the same statement,
/// and so the same snapshot, as the data they guard, without a round trip of their own.
/// [`from_row`] reads them back. Inside `query`, the viewer's row is `viewer`.
pub fn join_viewer(query: &mut SelectStatement, backend: DbBackend, user_id: i64) {
    let viewer = Alias::new("viewer");
    query.join_as(
        JoinType::LeftJoin,
        user::Entity,
        viewer.clone(),
        Expr::col((viewer.clone(), user::Column::Id)).eq(user_id),
    );
    for column in user::Column::iter() {
        let name = Alias::new(format!("{PREFIX}{}", column.as_str()));
        if matches!(column, user::Column::PasswordHash) {
            // Only `login` needs it, and it reads it by email.
            query.expr_as(Expr::value(Option::<String>::None), name);
        } else {
            query.expr_as(Expr::col((viewer.clone(), column)), name);
        }
    }
    query.expr_as(
        Expr::cust("(SELECT generation FROM cache_generation WHERE id = 1)"),
        Alias::new("viewer_generation"),
    );
    let ids = |table: &str, column: &str| {
        Expr::cust(match backend {
            DbBackend::Postgres => format!(
                "(SELECT string_agg({column}::text, ',') FROM {table} WHERE user_id = viewer.id)"
            ),
            _ => format!(
                "(SELECT group_concat({column}, ',') FROM {table} WHERE user_id = viewer.id)"
            ),
        })
    };
    query.expr_as(ids("event_admins", "event_id"), Alias::new("viewer_events"));
    query.expr_as(
        ids("organizer_admins", "organizer_id"),
        Alias::new("viewer_organizers"),
    );
}

/// The viewer [`join_viewer`] added to a row; `None` when the user does not exist.
pub fn from_row(row: &QueryResult) -> Result<Option<ViewerAccess>, DbErr> {
    let Some(user) = user::Model::from_query_result_optional(row, PREFIX)? else {
        return Ok(None);
    };
    let generation: i64 = row.try_get("", "viewer_generation")?;
    let list = |column: &str| -> Result<Vec<i64>, DbErr> {
        let text: Option<String> = row.try_get("", column)?;
        Ok(text
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
            .collect())
    };
    let (events, organizers) = (list("viewer_events")?, list("viewer_organizers")?);
    Ok(Some(ViewerAccess::new(
        user,
        generation,
        &events,
        &organizers,
    )))
}

/// Loads the viewer's account and rights, in one statement.
pub async fn load(db: &DatabaseConnection, user_id: i64) -> Result<Option<ViewerAccess>, DbErr> {
    // From the generation's one row, so there is a row whatever the user: the viewer's
    // columns are null when they are gone.
    let generation = Alias::new("cache_generation");
    let mut query = Query::select()
        .from(generation.clone())
        .and_where(Expr::col((generation, Alias::new("id"))).eq(1))
        .to_owned();
    let backend = db.get_database_backend();
    join_viewer(&mut query, backend, user_id);
    match db.query_one_raw(backend.build(&query)).await? {
        Some(row) => from_row(&row),
        None => Ok(None),
    }
}
