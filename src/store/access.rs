//! Who the viewer is and which events they host, loaded once per request.

use std::collections::HashSet;

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};

use crate::entity::{enums::Role, event, event_admin, organizer_admin, user};

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

/// Loads the user and, for admins, their assignments (one statement each).
pub async fn load(db: &DatabaseConnection, user_id: i64) -> Result<Option<ViewerAccess>, DbErr> {
    // Through `people::viewer`, which leaves the password hash unread.
    let Some((user, cache_generation)) = super::people::viewer(db, user_id).await? else {
        return Ok(None);
    };
    let (event_ids, organizer_ids) = match user.role {
        // An INGEST service account is assigned to events through `event_admins` too: the
        // same table, read the same way; its role keeps it from every host read.
        Role::OrganizerAdmin | Role::EventAdmin | Role::Ingest => {
            let events: Vec<i64> = event_admin::Entity::find()
                .select_only()
                .column(event_admin::Column::EventId)
                .filter(event_admin::Column::UserId.eq(user_id))
                .into_tuple()
                .all(db)
                .await?;
            let organizers: Vec<i64> = if user.role == Role::OrganizerAdmin {
                organizer_admin::Entity::find()
                    .select_only()
                    .column(organizer_admin::Column::OrganizerId)
                    .filter(organizer_admin::Column::UserId.eq(user_id))
                    .into_tuple()
                    .all(db)
                    .await?
            } else {
                Vec::new()
            };
            (
                events.into_iter().collect(),
                organizers.into_iter().collect(),
            )
        }
        _ => Default::default(),
    };
    Ok(Some(ViewerAccess {
        user,
        cache_generation,
        event_ids,
        organizer_ids,
    }))
}
