//! Sessions and what hangs off them: pages per event, stats, speakers, sponsors, assets.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder,
};

use super::{group_by, sql::Sql};
use crate::entity::{
    enums::{RegistrationType, SessionFormat, SponsorSize},
    event, mux_asset, session, ticket_type,
};

/// Which sessions of an event a page or count covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SessionFilter {
    /// Case-insensitive substring of the title.
    pub search: Option<String>,
    pub format: Option<SessionFormat>,
}

/// One page of an event's sessions, ordered by `(start_time, id)`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionPageArgs {
    pub filter: SessionFilter,
    /// Keyset: the last row of the previous page.
    pub after: Option<(DateTime<Utc>, i64)>,
    /// Rows to fetch (the page size plus one, to learn whether there is a next page).
    pub limit: u64,
}

/// A session and its event, in one statement.
pub async fn find_with_event(
    db: &DatabaseConnection,
    id: i64,
) -> Result<Option<(session::Model, event::Model)>, DbErr> {
    let found = session::Entity::find_by_id(id)
        .find_also_related(event::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(session, event)| event.map(|event| (session, event))))
}

fn push_filter(sql: &mut Sql, filter: &SessionFilter) {
    if let Some(search) = &filter.search {
        sql.push_contains(&["s.title"], search);
    }
    if let Some(format) = filter.format {
        sql.push(" AND s.format = ").bind(format.to_value());
    }
}

/// The requested page of sessions for each event, in one statement.
pub async fn pages(
    db: &DatabaseConnection,
    event_ids: &[i64],
    args: &SessionPageArgs,
) -> Result<HashMap<i64, Vec<session::Model>>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT * FROM (SELECT s.*, ROW_NUMBER() OVER \
         (PARTITION BY s.event_id ORDER BY s.start_time, s.id) AS rn \
         FROM sessions s WHERE s.event_id IN ",
    )
    .bind_list(event_ids);
    push_filter(&mut sql, &args.filter);
    if let Some((start, id)) = args.after {
        sql.push(" AND (s.start_time > ")
            .bind(start)
            .push(" OR (s.start_time = ")
            .bind(start)
            .push(" AND s.id > ")
            .bind(id)
            .push("))");
    }
    sql.push(") ranked WHERE rn <= ")
        .bind(args.limit as i64)
        .push(" ORDER BY event_id, rn");
    let rows = session::Model::find_by_statement(sql.build())
        .all(db)
        .await?;
    Ok(group_by(rows, |s| s.event_id))
}

#[derive(FromQueryResult)]
struct CountRow {
    parent_id: i64,
    total: i64,
}

/// How many sessions match `filter`, per event.
pub async fn counts(
    db: &DatabaseConnection,
    event_ids: &[i64],
    filter: &SessionFilter,
) -> Result<HashMap<i64, i64>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT s.event_id AS parent_id, COUNT(*) AS total FROM sessions s WHERE s.event_id IN ",
    )
    .bind_list(event_ids);
    push_filter(&mut sql, filter);
    sql.push(" GROUP BY s.event_id");
    let rows = CountRow::find_by_statement(sql.build()).all(db).await?;
    Ok(rows.into_iter().map(|r| (r.parent_id, r.total)).collect())
}

/// Registration counts of one session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, FromQueryResult)]
pub struct StatsRow {
    pub session_id: i64,
    pub registered: i64,
    pub interested: i64,
    pub attendees: i64,
}

/// Registered, interested and attended counts per session: one statement reading the
/// counters that triggers keep (`migration::session_stats`), so its cost does not grow
/// with the registrations. A session without a counter row has no registrations.
pub async fn stats(
    db: &DatabaseConnection,
    session_ids: &[i64],
) -> Result<HashMap<i64, StatsRow>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT session_id, registered, interested, attendees FROM session_stats \
         WHERE session_id IN ",
    )
    .bind_list(session_ids);
    let rows = StatsRow::find_by_statement(sql.build()).all(db).await?;
    Ok(rows.into_iter().map(|r| (r.session_id, r)).collect())
}

/// A speaker as they appear at one session.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct SpeakerRow {
    pub session_id: i64,
    pub position: i32,
    pub moderator: bool,
    pub show_moderator: bool,
    pub speaker_id: i64,
    pub user_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub title: Option<String>,
    pub company: Option<String>,
    pub image_url: Option<String>,
    pub pronouns: Option<String>,
    pub bio: Option<String>,
    pub linked_in: Option<String>,
    pub twitter: Option<String>,
    pub instagram: Option<String>,
    pub logged_in_at_veh: bool,
    pub device_checked: bool,
    pub allow_override_details: bool,
    pub allow_attendee_access: bool,
}

/// The speakers of each session in display order.
pub async fn speakers(
    db: &DatabaseConnection,
    session_ids: &[i64],
) -> Result<HashMap<i64, Vec<SpeakerRow>>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT ss.session_id, ss.position, ss.moderator, ss.show_moderator, \
         sp.id AS speaker_id, sp.user_id, sp.first_name, sp.last_name, u.email, sp.title, \
         sp.company, sp.image_url, sp.pronouns, sp.bio, sp.linked_in, sp.twitter, sp.instagram, \
         sp.logged_in_at_veh, sp.device_checked, sp.allow_override_details, sp.allow_attendee_access \
         FROM session_speakers ss JOIN speakers sp ON sp.id = ss.speaker_id \
         JOIN users u ON u.id = sp.user_id WHERE ss.session_id IN ",
    )
    .bind_list(session_ids)
    .push(" ORDER BY ss.session_id, ss.position, sp.id");
    let rows = SpeakerRow::find_by_statement(sql.build()).all(db).await?;
    Ok(group_by(rows, |r| r.session_id))
}

#[derive(FromQueryResult)]
struct SpeakerTicketTypeRow {
    speaker_id: i64,
    id: i64,
    event_id: i64,
    name: String,
    free: bool,
}

/// The ticket types of each speaker.
pub async fn speaker_ticket_types(
    db: &DatabaseConnection,
    speaker_ids: &[i64],
) -> Result<HashMap<i64, Vec<ticket_type::Model>>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT stt.speaker_id, tt.id, tt.event_id, tt.name, tt.free \
         FROM speaker_ticket_types stt JOIN ticket_types tt ON tt.id = stt.ticket_type_id \
         WHERE stt.speaker_id IN ",
    )
    .bind_list(speaker_ids)
    .push(" ORDER BY stt.speaker_id, tt.id");
    let rows = SpeakerTicketTypeRow::find_by_statement(sql.build())
        .all(db)
        .await?;
    let mut grouped: HashMap<i64, Vec<ticket_type::Model>> = HashMap::new();
    for row in rows {
        grouped
            .entry(row.speaker_id)
            .or_default()
            .push(ticket_type::Model {
                id: row.id,
                event_id: row.event_id,
                name: row.name,
                free: row.free,
            });
    }
    Ok(grouped)
}

/// A sponsor as it appears at one session.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct SponsorRow {
    pub session_id: i64,
    pub position: i32,
    pub id: i64,
    pub name: String,
    pub logo_url: Option<String>,
    pub website: Option<String>,
    pub size: Option<SponsorSize>,
}

/// The sponsors of each session in display order.
pub async fn sponsors(
    db: &DatabaseConnection,
    session_ids: &[i64],
) -> Result<HashMap<i64, Vec<SponsorRow>>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT ss.session_id, ss.position, sp.id, sp.name, sp.logo_url, sp.website, sp.size \
         FROM session_sponsors ss JOIN sponsors sp ON sp.id = ss.sponsor_id \
         WHERE ss.session_id IN ",
    )
    .bind_list(session_ids)
    .push(" ORDER BY ss.session_id, ss.position, sp.id");
    let rows = SponsorRow::find_by_statement(sql.build()).all(db).await?;
    Ok(group_by(rows, |r| r.session_id))
}

/// The Mux assets of each session, oldest first.
pub async fn assets(
    db: &DatabaseConnection,
    session_ids: &[i64],
) -> Result<HashMap<i64, Vec<mux_asset::Model>>, DbErr> {
    let rows = mux_asset::Entity::find()
        .filter(mux_asset::Column::SessionId.is_in(session_ids.iter().copied()))
        .order_by_asc(mux_asset::Column::SessionId)
        .order_by_asc(mux_asset::Column::CreatedAt)
        .order_by_asc(mux_asset::Column::Id)
        .all(db)
        .await?;
    Ok(group_by(rows, |a| a.session_id))
}

/// The viewer's own tickets registered for a session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ViewerTickets {
    /// A ticket the viewer holds, registered (not just bookmarked) for the session.
    pub held: Option<i64>,
    /// A ticket the viewer purchased, registered for the session.
    pub purchased: Option<i64>,
}

#[derive(FromQueryResult)]
struct ViewerTicketRow {
    session_id: i64,
    event_ticket_id: i64,
    registration_type: RegistrationType,
    holder_user_id: i64,
    purchaser_user_id: i64,
}

/// The viewer's held and purchased registered tickets, per session.
pub async fn viewer_tickets(
    db: &DatabaseConnection,
    viewer_id: i64,
    session_ids: &[i64],
) -> Result<HashMap<i64, ViewerTickets>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT r.session_id, r.event_ticket_id, r.registration_type, t.holder_user_id, \
         t.purchaser_user_id FROM session_registrations r \
         JOIN event_tickets t ON t.id = r.event_ticket_id WHERE r.session_id IN ",
    )
    .bind_list(session_ids)
    .push(" AND (t.holder_user_id = ")
    .bind(viewer_id)
    .push(" OR t.purchaser_user_id = ")
    .bind(viewer_id)
    .push(") ORDER BY r.session_id, r.id");
    let rows = ViewerTicketRow::find_by_statement(sql.build())
        .all(db)
        .await?;
    let mut out: HashMap<i64, ViewerTickets> = HashMap::new();
    for row in rows
        .into_iter()
        .filter(|r| r.registration_type == RegistrationType::Registered)
    {
        let entry = out.entry(row.session_id).or_default();
        if row.holder_user_id == viewer_id && entry.held.is_none() {
            entry.held = Some(row.event_ticket_id);
        }
        if row.purchaser_user_id == viewer_id && entry.purchased.is_none() {
            entry.purchased = Some(row.event_ticket_id);
        }
    }
    Ok(out)
}

#[derive(FromQueryResult)]
struct PresenceRow {
    session_id: i64,
    last_join: Option<DateTime<Utc>>,
    last_leave: Option<DateTime<Utc>>,
}

/// Sessions the viewer is in right now: their last JOIN is later than their last LEAVE.
pub async fn viewer_presence(
    db: &DatabaseConnection,
    viewer_id: i64,
    session_ids: &[i64],
) -> Result<HashMap<i64, bool>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT session_id, \
         MAX(CASE WHEN kind = 'JOIN' THEN occurred_at END) AS last_join, \
         MAX(CASE WHEN kind = 'LEAVE' THEN occurred_at END) AS last_leave \
         FROM session_activities WHERE user_id = ",
    )
    .bind(viewer_id)
    .push(" AND session_id IN ")
    .bind_list(session_ids)
    .push(" GROUP BY session_id");
    let rows = PresenceRow::find_by_statement(sql.build()).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let present = match (r.last_join, r.last_leave) {
                (Some(join), Some(leave)) => join > leave,
                (Some(_), None) => true,
                _ => false,
            };
            (r.session_id, present)
        })
        .collect())
}
