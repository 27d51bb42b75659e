//! Sessions and what hangs off them: pages per event, stats, speakers, sponsors, assets.

use std::{collections::HashMap, sync::OnceLock};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, DbErr,
    DerivePartialModel, EntityTrait, FromQueryResult, IdenStatic, JoinType, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, RelationTrait, Statement, Value, Values,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Order, Query, WindowStatement},
};

use super::{
    access::{self, ViewerAccess},
    group_by, sql,
};
use crate::entity::{
    enums::{ActivityKind, RegistrationType, SessionFormat, SponsorSize},
    event, event_ticket, mux_asset, session, session_activity, session_registration,
    session_speaker, session_sponsor, session_stats, speaker, speaker_ticket_type, sponsor,
    ticket_type, user,
};

/// Which sessions of an event a page or count covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SessionFilter {
    /// Case-insensitive substring of the title.
    pub search: Option<String>,
    pub format: Option<SessionFormat>,
}

/// What an event's sessions page is sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionSort {
    StartTime,
    /// The title, lower-cased by the database (`LOWER`).
    Title,
    Registered,
    Attendees,
    /// The video length; a session without a video sorts as `-1`.
    Duration,
    /// Live seconds per live viewer, rounded down (0 without viewers).
    AverageLiveWatch,
    LiveViews,
    RecordingViews,
}

/// The order of a sessions page: a sort key and its direction, then the session id
/// ascending, so the order is total and a keyset cursor resumes it exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionOrder {
    pub sort: SessionSort,
    pub descending: bool,
}

impl SessionOrder {
    /// By start time, earliest first: the order the table always had.
    pub const DEFAULT: Self = Self {
        sort: SessionSort::StartTime,
        descending: false,
    };
}

/// Where the previous page ended: its last row's sort key, as the database computed it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SessionKey {
    #[serde(rename = "d")]
    Time(DateTime<Utc>),
    #[serde(rename = "s")]
    Text(String),
    #[serde(rename = "n")]
    Number(i64),
}

impl SessionKey {
    /// Whether this key is of the kind `sort` sorts by (a forged cursor may mix them).
    pub fn fits(&self, sort: SessionSort) -> bool {
        match self {
            Self::Time(_) => sort == SessionSort::StartTime,
            Self::Text(_) => sort == SessionSort::Title,
            Self::Number(_) => !matches!(sort, SessionSort::StartTime | SessionSort::Title),
        }
    }
}

/// One page of an event's sessions, in `order`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionPageArgs {
    pub filter: SessionFilter,
    pub order: SessionOrder,
    /// Keyset: the sort key and id of the last row of the previous page.
    pub after: Option<(SessionKey, i64)>,
    /// Rows to fetch (the page size plus one, to learn whether there is a next page).
    pub limit: u64,
}

/// A session of a page with its sort key, for the cursor that resumes after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionPageRow {
    pub session: session::Model,
    pub key: SessionKey,
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

/// A session and its event, and what a signed-in viewer's request needs with them.
pub struct Found {
    pub session: session::Model,
    pub event: event::Model,
    /// The viewer's rights; `None` when their user no longer exists.
    pub viewer: Option<ViewerAccess>,
    /// The viewer's own registered tickets for the session.
    pub tickets: ViewerTickets,
    /// The session's counters, when they were asked for ([`WithStats::Yes`]).
    pub stats: Option<StatsRow>,
}

/// Whether [`find_for_viewer`] reads the session's counters too: a request that shows
/// them (or counts registrants) then needs no statement of its own for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WithStats {
    No,
    Yes,
}

/// A session and its event, with the viewer's rights and own tickets, in one statement:
/// the host check and the session's fields then cost a single round trip, and the
/// rights come from the same snapshot as the session they guard.
pub async fn find_for_viewer(
    db: &DatabaseConnection,
    id: i64,
    viewer_id: i64,
    with_stats: WithStats,
) -> Result<Option<Found>, DbErr> {
    let statement = find_for_viewer_statement(db.get_database_backend(), id, viewer_id, with_stats);
    let Some(row) = db.query_one_raw(statement).await? else {
        return Ok(None);
    };
    // The same prefixes `find_also_related` gives its two models.
    let session = session::Model::from_query_result(&row, "A_")?;
    let Some(event) = event::Model::from_query_result_optional(&row, "B_")? else {
        return Ok(None);
    };
    Ok(Some(Found {
        session,
        event,
        viewer: access::from_row(&row)?,
        tickets: ViewerTickets {
            held: row.try_get("", "viewer_held")?,
            purchased: row.try_get("", "viewer_purchased")?,
        },
        stats: match with_stats {
            WithStats::No => None,
            WithStats::Yes => Some(StatsRow {
                session_id: id,
                registered: row.try_get("", "S_registered")?,
                interested: row.try_get("", "S_interested")?,
                attended: row.try_get("", "S_attended")?,
                attendees: row.try_get("", "S_attendees")?,
            }),
        },
    }))
}

/// [`find_for_viewer`]'s statement. Its text is the same on every call, only its two
/// ids differ: it is built once per backend (with stand-in ids) and then only given the
/// ids (building it through sea-query was 7 % of a registrant page's work,
/// docs/PERFORMANCE.md "Plain rows").
fn find_for_viewer_statement(
    backend: DbBackend,
    id: i64,
    viewer_id: i64,
    with_stats: WithStats,
) -> Statement {
    // Stand-ins no row has: ids are positive.
    const ID: i64 = -7_000_001;
    const VIEWER: i64 = -7_000_002;
    // One per backend and with or without the counters.
    static BUILT: [OnceLock<Statement>; 4] = [const { OnceLock::new() }; 4];
    let slot =
        usize::from(backend == DbBackend::Postgres) * 2 + usize::from(with_stats == WithStats::Yes);
    let built = BUILT[slot].get_or_init(|| {
        let mut query = session::Entity::find_by_id(ID)
            .find_also_related(event::Entity)
            .into_query();
        access::join_viewer(&mut query, backend, VIEWER);
        query.expr_as(viewer_ticket("holder_user_id"), Alias::new("viewer_held"));
        query.expr_as(
            viewer_ticket("purchaser_user_id"),
            Alias::new("viewer_purchased"),
        );
        if with_stats == WithStats::Yes {
            // A session without a counter row has no registrations (as in [`stats`]).
            query.left_join(
                session_stats::Entity,
                Expr::col((session_stats::Entity, session_stats::Column::SessionId))
                    .equals((session::Entity, session::Column::Id)),
            );
            for column in [
                session_stats::Column::Registered,
                session_stats::Column::Interested,
                session_stats::Column::Attended,
                session_stats::Column::Attendees,
            ] {
                let counter = Expr::col((session_stats::Entity, column));
                query.expr_as(
                    Func::coalesce([counter, Expr::val(0i64)]),
                    Alias::new(format!("S_{}", column.as_str())),
                );
            }
        }
        backend.build(&query)
    });
    let values = built.values.as_ref().map(|values| {
        Values(
            values
                .iter()
                .map(|value| match value {
                    Value::BigInt(Some(ID)) => Value::from(id),
                    Value::BigInt(Some(VIEWER)) => Value::from(viewer_id),
                    other => other.clone(),
                })
                .collect(),
        )
    });
    Statement {
        sql: built.sql.clone(),
        values,
        db_backend: backend,
    }
}

/// The first registered ticket of the session whose `column` (holder or purchaser) is
/// the viewer, as [`viewer_tickets`] picks it.
fn viewer_ticket(column: &str) -> Expr {
    // The registration type is our own constant, written into the text (a bound value's
    // placeholder would differ per backend inside custom SQL).
    Expr::cust(format!(
        "(SELECT r.event_ticket_id FROM session_registrations r \
         JOIN event_tickets t ON t.id = r.event_ticket_id \
         WHERE r.session_id = sessions.id AND r.registration_type = '{}' \
         AND t.{column} = viewer.id ORDER BY r.id LIMIT 1)",
        RegistrationType::Registered.to_value()
    ))
}

/// The sessions `filter` covers, for the page and the count alike.
fn filter_condition(db: &DatabaseConnection, filter: &SessionFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(search) = &filter.search {
        condition = condition.add(sql::contains(
            db.get_database_backend(),
            Expr::col((session::Entity, session::Column::Title)),
            search,
        ));
    }
    if let Some(format) = filter.format {
        condition = condition.add(session::Column::Format.eq(format));
    }
    condition
}

/// Which counter table a sort key reads: `session_stats` as `st`, or
/// `session_video_stats` as `v` (both at most one row per session).
enum Joined {
    None,
    Stats,
    Video,
}

/// The sort key of `sort` over `sessions` and the table it needs joined. Every numeric
/// key is a BIGINT on both backends, and a session without a counter row sorts as 0.
fn sort_key(sort: SessionSort) -> (Expr, Joined) {
    let col = |c: session::Column| Expr::col((session::Entity, c));
    match sort {
        SessionSort::StartTime => (col(session::Column::StartTime), Joined::None),
        SessionSort::Title => (
            Func::lower(col(session::Column::Title)).into(),
            Joined::None,
        ),
        SessionSort::Duration => (
            Expr::cust("CAST(COALESCE(sessions.duration_seconds, -1) AS BIGINT)"),
            Joined::None,
        ),
        SessionSort::Registered => (Expr::cust("COALESCE(st.registered, 0)"), Joined::Stats),
        SessionSort::Attendees => (Expr::cust("COALESCE(st.attendees, 0)"), Joined::Stats),
        SessionSort::AverageLiveWatch => (
            Expr::cust(
                "COALESCE(CASE WHEN v.live_viewers > 0 THEN v.live_seconds / v.live_viewers END, 0)",
            ),
            Joined::Video,
        ),
        SessionSort::LiveViews => (Expr::cust("COALESCE(v.live_views, 0)"), Joined::Video),
        SessionSort::RecordingViews => {
            (Expr::cust("COALESCE(v.recording_views, 0)"), Joined::Video)
        }
    }
}

/// The requested page of sessions for each event, in one statement: the matching
/// sessions numbered per event in page order (`ROW_NUMBER() OVER (PARTITION BY
/// event_id ORDER BY key, id)`), the first `limit` of each kept. Orders by a figure
/// join its counter row (`LEFT JOIN`, one row per session), so they cost what the
/// default order costs: both grow with the event's sessions, never with
/// registrations or activity.
pub async fn pages(
    db: &DatabaseConnection,
    event_ids: &[i64],
    args: &SessionPageArgs,
) -> Result<HashMap<i64, Vec<SessionPageRow>>, DbErr> {
    let (key, joined) = sort_key(args.order.sort);
    let mut ranked = session::Entity::find()
        .filter(session::Column::EventId.is_in(event_ids.iter().copied()))
        .filter(filter_condition(db, &args.filter));
    if let Some((after, id)) = &args.after {
        let value: Expr = match after {
            SessionKey::Time(t) => Expr::val(*t),
            SessionKey::Text(s) => Expr::val(s.clone()),
            SessionKey::Number(n) => Expr::val(*n),
        };
        let beyond = if args.order.descending {
            key.clone().lt(value.clone())
        } else {
            key.clone().gt(value.clone())
        };
        ranked = ranked.filter(
            Condition::any().add(beyond).add(
                Condition::all()
                    .add(key.clone().eq(value))
                    .add(session::Column::Id.gt(*id)),
            ),
        );
    }
    let mut ranked = ranked.into_query();
    let on = |alias: &'static str| {
        Expr::col((alias, "session_id")).equals((session::Entity, session::Column::Id))
    };
    match joined {
        Joined::None => {}
        Joined::Stats => {
            ranked.join_as(JoinType::LeftJoin, "session_stats", "st", on("st"));
        }
        Joined::Video => {
            ranked.join_as(JoinType::LeftJoin, "session_video_stats", "v", on("v"));
        }
    }
    ranked.expr_as(key.clone(), "sort_key");
    let direction = if args.order.descending {
        Order::Desc
    } else {
        Order::Asc
    };
    ranked.expr_window_as(
        Func::cust("ROW_NUMBER"),
        WindowStatement::partition_by((session::Entity, session::Column::EventId))
            .order_by_expr(key, direction)
            .order_by((session::Entity, session::Column::Id), Order::Asc)
            .to_owned(),
        "rn",
    );
    let query = Query::select()
        .column(Asterisk)
        .from_subquery(ranked, "ranked")
        .and_where(Expr::col("rn").lte(args.limit as i64))
        .order_by(session::Column::EventId, Order::Asc)
        .order_by("rn", Order::Asc)
        .to_owned();
    let mut rows = Vec::new();
    for row in db
        .query_all_raw(db.get_database_backend().build(&query))
        .await?
    {
        let session = session::Model::from_query_result(&row, "")?;
        let key = match args.order.sort {
            // The column itself: no need to read it twice.
            SessionSort::StartTime => SessionKey::Time(session.start_time),
            SessionSort::Title => SessionKey::Text(row.try_get("", "sort_key")?),
            _ => SessionKey::Number(row.try_get("", "sort_key")?),
        };
        rows.push(SessionPageRow { session, key });
    }
    Ok(group_by(rows, |r| r.session.event_id))
}

/// How many sessions match `filter`, per event.
pub async fn counts(
    db: &DatabaseConnection,
    event_ids: &[i64],
    filter: &SessionFilter,
) -> Result<HashMap<i64, i64>, DbErr> {
    let rows: Vec<(i64, i64)> = session::Entity::find()
        .select_only()
        .column(session::Column::EventId)
        .expr(Expr::col(Asterisk).count())
        .filter(session::Column::EventId.is_in(event_ids.iter().copied()))
        .filter(filter_condition(db, filter))
        .group_by(session::Column::EventId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Registration counts of one session: its `session_stats` row, the columns named once
/// here (a partial model selects exactly its fields).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, DerivePartialModel)]
#[sea_orm(entity = "session_stats::Entity")]
pub struct StatsRow {
    pub session_id: i64,
    pub registered: i64,
    pub interested: i64,
    /// Registrations marked attended.
    pub attended: i64,
    /// Distinct holders who attended.
    pub attendees: i64,
}

impl StatsRow {
    /// How many registrations (registered or interested) have `attended` as their
    /// attendance (any, when `None`).
    pub fn registrations(&self, attended: Option<bool>) -> i64 {
        let all = self.registered + self.interested;
        match attended {
            None => all,
            Some(true) => self.attended,
            Some(false) => all - self.attended,
        }
    }
}

/// Registered, interested and attended counts per session: one statement reading the
/// counters that triggers keep (`migration::session_stats`), so its cost does not grow
/// with the registrations. A session without a counter row has no registrations.
pub async fn stats(
    db: &DatabaseConnection,
    session_ids: &[i64],
) -> Result<HashMap<i64, StatsRow>, DbErr> {
    let rows = session_stats::Entity::find()
        .filter(session_stats::Column::SessionId.is_in(session_ids.iter().copied()))
        .into_partial_model::<StatsRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|r| (r.session_id, r)).collect())
}

/// A speaker as they appear at one session: the link's columns, the speaker's and
/// their user's email, each named once here (the partial model is the select list).
#[derive(Clone, Debug, PartialEq, Eq, DerivePartialModel)]
#[sea_orm(entity = "speaker::Entity")]
pub struct SpeakerRow {
    #[sea_orm(
        from_expr = "Expr::col((session_speaker::Entity, session_speaker::Column::SessionId))"
    )]
    pub session_id: i64,
    #[sea_orm(
        from_expr = "Expr::col((session_speaker::Entity, session_speaker::Column::Position))"
    )]
    pub position: i32,
    #[sea_orm(
        from_expr = "Expr::col((session_speaker::Entity, session_speaker::Column::Moderator))"
    )]
    pub moderator: bool,
    #[sea_orm(
        from_expr = "Expr::col((session_speaker::Entity, session_speaker::Column::ShowModerator))"
    )]
    pub show_moderator: bool,
    #[sea_orm(from_col = "id")]
    pub speaker_id: i64,
    pub user_id: i64,
    pub first_name: String,
    pub last_name: String,
    #[sea_orm(from_expr = "Expr::col((user::Entity, user::Column::Email))")]
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
    let rows = session_speaker::Entity::find()
        .join(
            JoinType::InnerJoin,
            session_speaker::Relation::Speaker.def(),
        )
        .join(JoinType::InnerJoin, speaker::Relation::User.def())
        .filter(session_speaker::Column::SessionId.is_in(session_ids.iter().copied()))
        .order_by_asc(session_speaker::Column::SessionId)
        .order_by_asc(session_speaker::Column::Position)
        .order_by_asc(speaker::Column::Id)
        .into_partial_model::<SpeakerRow>()
        .all(db)
        .await?;
    Ok(group_by(rows, |r| r.session_id))
}

/// A ticket type with the speaker it was reached from; the ticket type's columns are
/// its entity's (`nested`), so they are listed nowhere by hand.
#[derive(DerivePartialModel)]
#[sea_orm(entity = "speaker_ticket_type::Entity")]
struct SpeakerTicketTypeRow {
    speaker_id: i64,
    #[sea_orm(nested)]
    ticket_type: ticket_type::Model,
}

/// The ticket types of each speaker.
pub async fn speaker_ticket_types(
    db: &DatabaseConnection,
    speaker_ids: &[i64],
) -> Result<HashMap<i64, Vec<ticket_type::Model>>, DbErr> {
    let rows = speaker_ticket_type::Entity::find()
        .join(
            JoinType::InnerJoin,
            speaker_ticket_type::Relation::TicketType.def(),
        )
        .filter(speaker_ticket_type::Column::SpeakerId.is_in(speaker_ids.iter().copied()))
        .order_by_asc(speaker_ticket_type::Column::SpeakerId)
        .order_by_asc(ticket_type::Column::Id)
        .into_partial_model::<SpeakerTicketTypeRow>()
        .all(db)
        .await?;
    let mut grouped: HashMap<i64, Vec<ticket_type::Model>> = HashMap::new();
    for row in rows {
        grouped
            .entry(row.speaker_id)
            .or_default()
            .push(row.ticket_type);
    }
    Ok(grouped)
}

/// A sponsor as it appears at one session: the link's columns and the sponsor's,
/// each named once here (the partial model is the select list).
#[derive(Clone, Debug, PartialEq, Eq, DerivePartialModel)]
#[sea_orm(entity = "sponsor::Entity")]
pub struct SponsorRow {
    #[sea_orm(
        from_expr = "Expr::col((session_sponsor::Entity, session_sponsor::Column::SessionId))"
    )]
    pub session_id: i64,
    #[sea_orm(
        from_expr = "Expr::col((session_sponsor::Entity, session_sponsor::Column::Position))"
    )]
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
    let rows = session_sponsor::Entity::find()
        .join(
            JoinType::InnerJoin,
            session_sponsor::Relation::Sponsor.def(),
        )
        .filter(session_sponsor::Column::SessionId.is_in(session_ids.iter().copied()))
        .order_by_asc(session_sponsor::Column::SessionId)
        .order_by_asc(session_sponsor::Column::Position)
        .order_by_asc(sponsor::Column::Id)
        .into_partial_model::<SponsorRow>()
        .all(db)
        .await?;
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

/// A registration with its ticket's holder and purchaser.
#[derive(DerivePartialModel)]
#[sea_orm(entity = "session_registration::Entity")]
struct ViewerTicketRow {
    session_id: i64,
    event_ticket_id: i64,
    registration_type: RegistrationType,
    #[sea_orm(from_expr = "Expr::col((event_ticket::Entity, event_ticket::Column::HolderUserId))")]
    holder_user_id: i64,
    #[sea_orm(
        from_expr = "Expr::col((event_ticket::Entity, event_ticket::Column::PurchaserUserId))"
    )]
    purchaser_user_id: i64,
}

/// The viewer's held and purchased registered tickets, per session.
pub async fn viewer_tickets(
    db: &DatabaseConnection,
    viewer_id: i64,
    session_ids: &[i64],
) -> Result<HashMap<i64, ViewerTickets>, DbErr> {
    let rows = session_registration::Entity::find()
        .join(
            JoinType::InnerJoin,
            session_registration::Relation::EventTicket.def(),
        )
        .filter(session_registration::Column::SessionId.is_in(session_ids.iter().copied()))
        .filter(
            Condition::any()
                .add(event_ticket::Column::HolderUserId.eq(viewer_id))
                .add(event_ticket::Column::PurchaserUserId.eq(viewer_id)),
        )
        .order_by_asc(session_registration::Column::SessionId)
        .order_by_asc(session_registration::Column::Id)
        .into_partial_model::<ViewerTicketRow>()
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

/// `MAX(CASE WHEN kind = <kind> THEN occurred_at END)`: the viewer's latest activity of
/// one kind in the group's session.
fn last(kind: ActivityKind) -> Expr {
    Func::max(Expr::case(
        session_activity::Column::Kind.eq(kind),
        Expr::col((
            session_activity::Entity,
            session_activity::Column::OccurredAt,
        )),
    ))
    .into()
}

/// Sessions the viewer is in right now: their last JOIN is later than their last LEAVE.
pub async fn viewer_presence(
    db: &DatabaseConnection,
    viewer_id: i64,
    session_ids: &[i64],
) -> Result<HashMap<i64, bool>, DbErr> {
    type Row = (i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let rows: Vec<Row> = session_activity::Entity::find()
        .select_only()
        .column(session_activity::Column::SessionId)
        .expr(last(ActivityKind::Join))
        .expr(last(ActivityKind::Leave))
        .filter(session_activity::Column::UserId.eq(viewer_id))
        .filter(session_activity::Column::SessionId.is_in(session_ids.iter().copied()))
        .group_by(session_activity::Column::SessionId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(session_id, last_join, last_leave)| {
            let present = match (last_join, last_leave) {
                (Some(join), Some(leave)) => join > leave,
                (Some(_), None) => true,
                _ => false,
            };
            (session_id, present)
        })
        .collect())
}
