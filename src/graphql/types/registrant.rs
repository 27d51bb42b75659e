//! `RegisteredHolderUser`: a ticket holder's registration for a session.

use std::sync::Arc;

use crate::graphql::scalars::DateTime;
use async_graphql::{Context, Enum, ID, InputType, Object, ScalarType, Value};

use crate::{
    entity::enums::RegistrationType,
    error::AppResult,
    graphql::{
        batch::{Batch, leaf, related},
        loaders::{RegistrantCountKey, StatsKey},
        pagination::TotalCount,
        rows::PlainObject,
    },
    store::registrants::{self, RegistrantFilter, RegistrantRow},
};

/// Orders of the registrant list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum, serde::Serialize, serde::Deserialize)]
pub enum RegistrantOrder {
    /// Earliest registration first.
    RegistrationDateAsc,
    /// Latest registration first.
    RegistrationDateDesc,
    /// By last name, A to Z, ignoring case.
    LastNameAsc,
    /// Most engaged first.
    EngagementDesc,
}

impl From<RegistrantOrder> for registrants::RegistrantOrder {
    fn from(order: RegistrantOrder) -> Self {
        match order {
            RegistrantOrder::RegistrationDateAsc => Self::RegistrationDateAsc,
            RegistrantOrder::RegistrationDateDesc => Self::RegistrationDateDesc,
            RegistrantOrder::LastNameAsc => Self::LastNameAsc,
            RegistrantOrder::EngagementDesc => Self::EngagementDesc,
        }
    }
}

/// A ticket holder registered for (or interested in) a session, with attendance.
#[derive(Clone)]
pub struct RegisteredHolderUser {
    row: Arc<RegistrantRow>,
    /// The session's video length, for engagement.
    video_seconds: Option<i32>,
}

impl RegisteredHolderUser {
    pub fn new(row: RegistrantRow, video_seconds: Option<i32>) -> Self {
        Self {
            row: Arc::new(row),
            video_seconds,
        }
    }
}

/// Watched share of the video in percent, at most 100; 0 without a video.
pub fn engagement(watch_seconds: i32, video_seconds: Option<i32>) -> f64 {
    match video_seconds {
        Some(video) if video > 0 => {
            (f64::from(watch_seconds.max(0)) * 100.0 / f64::from(video)).min(100.0)
        }
        _ => 0.0,
    }
}

/// A ticket holder registered for (or interested in) a session, with attendance and engagement.
#[Object]
impl RegisteredHolderUser {
    /// The holder's event ticket.
    async fn event_ticket_id(&self) -> ID {
        self.row.event_ticket_id.into()
    }

    /// The ticket holder's user id.
    async fn user_id(&self) -> ID {
        self.row.user_id.into()
    }

    /// The holder's first name.
    async fn first_name(&self) -> Option<&str> {
        self.row.first_name.as_deref()
    }

    /// The holder's last name.
    async fn last_name(&self) -> Option<&str> {
        self.row.last_name.as_deref()
    }

    /// The holder's email address.
    async fn email(&self) -> &str {
        &self.row.email
    }

    /// The holder's phone number.
    async fn phone_number(&self) -> Option<&str> {
        self.row.phone_number.as_deref()
    }

    /// True when the holder joined the session.
    async fn attended(&self) -> bool {
        self.row.attended
    }

    /// When the holder registered for or bookmarked the session.
    async fn registration_date(&self) -> DateTime {
        self.row.registered_at.into()
    }

    /// Registered, or only interested (bookmarked).
    async fn registration_type(&self) -> RegistrationType {
        self.row.registration_type
    }

    /// Seconds of the session's video the holder watched.
    async fn watch_time_seconds(&self) -> i32 {
        self.row.watch_time_seconds
    }

    /// Watched share of the session's video in percent, 0 to 100; 0 where the session has no video.
    async fn engagement(&self) -> f64 {
        engagement(self.row.watch_time_seconds, self.video_seconds)
    }
}

/// The fields of the `#[Object]` above, for a page's `nodes` (`graphql::rows`): the
/// same values, converted the way async-graphql converts them (`tests/api/pagination.rs`
/// compares the two paths field by field).
impl PlainObject for RegisteredHolderUser {
    const FIELDS: &'static [&'static str] = &[
        "eventTicketId",
        "userId",
        "firstName",
        "lastName",
        "email",
        "phoneNumber",
        "attended",
        "registrationDate",
        "registrationType",
        "watchTimeSeconds",
        "engagement",
    ];

    fn value(&self, field: usize) -> Value {
        let text = |text: &Option<String>| text.as_deref().map_or(Value::Null, Value::from);
        let row = &*self.row;
        match field {
            0 => ScalarType::to_value(&ID::from(row.event_ticket_id)),
            1 => ScalarType::to_value(&ID::from(row.user_id)),
            2 => text(&row.first_name),
            3 => text(&row.last_name),
            4 => Value::from(row.email.as_str()),
            5 => text(&row.phone_number),
            6 => Value::from(row.attended),
            7 => ScalarType::to_value(&DateTime::from(row.registered_at)),
            8 => InputType::to_value(&row.registration_type),
            9 => ScalarType::to_value(&row.watch_time_seconds),
            10 => ScalarType::to_value(&engagement(row.watch_time_seconds, self.video_seconds)),
            _ => Value::Null,
        }
    }
}

/// Counts a registrant list's matches on demand, for all sibling sessions at once.
pub struct RegistrantCount {
    pub session_id: i64,
    pub filter: RegistrantFilter,
    pub batch: Arc<Batch>,
}

impl TotalCount for RegistrantCount {
    async fn total(&self, ctx: &Context<'_>) -> AppResult<i64> {
        if self.filter.search.is_none() {
            // The counters answer it: the same load as the session's `stats` (one
            // statement for both, or none when the session was read with them).
            let (stats, _) = related(ctx, &self.batch, self.session_id, StatsKey, leaf).await?;
            return Ok(stats.map_or(0, |stats| stats.registrations(self.filter.attended)));
        }
        let key = |session_id| RegistrantCountKey {
            session_id,
            args: self.filter.clone(),
        };
        let (count, _) = related(ctx, &self.batch, self.session_id, key, leaf).await?;
        Ok(count.unwrap_or(0))
    }
}
