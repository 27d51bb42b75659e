//! The one application error type, and its single mapping to GraphQL errors.
//!
//! Every failure a client can see is one of these variants, each with a stable
//! `extensions.code` and the numeric `extensions.status` the REST API used.
//! Internal detail (driver messages, SQL) is logged where the error is created
//! and never reaches the client.

use async_graphql::{ErrorExtensionValues, Name, Pos, ServerError, Value as ConstValue};
use sea_orm::DbErr;

/// One bad item of a batch: its place in the batch, the field at fault and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub index: usize,
    pub field: &'static str,
    pub reason: String,
}

/// A failure with a stable code that a client can act on.
///
/// It deliberately does not implement `Display`: async-graphql converts every
/// `Display` type into an error *without* extensions, and that conversion would
/// silently win over ours and drop the code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden,
    /// FORBIDDEN for something other than reading event data: says what was refused.
    NotAllowed(&'static str),
    NotEventHost,
    SessionNotFound,
    EventNotFound,
    BadRequest(String),
    /// BAD_REQUEST for a batch refused whole: every bad item, also in `extensions.problems`.
    InvalidBatch(Vec<Problem>),
    /// `attendanceTimeline` of a session longer than `max` buckets of the size asked
    /// for (it would have `buckets`): a coarser bucket answers.
    TimelineTooLong {
        buckets: i64,
        max: i64,
    },
    /// Over a rate limit; the client may retry after this many seconds.
    RateLimited(u64),
    /// A subscription over a live-connection budget (the message names it).
    TooManySubscriptions(String),
    /// A persisted document id (APQ hash or `documentId`) this server does not know.
    PersistedQueryNotFound,
    /// A persisted query sent to a server that keeps none (APQ off, no trusted documents).
    PersistedQueryNotSupported,
    /// Trusted-documents mode: a document that is not in the manifest.
    PersistedQueryRequired(String),
    ServiceUnavailable,
    /// The request ran past the configured time limit (milliseconds).
    Timeout(u64),
    Internal,
}

impl AppError {
    /// The stable machine-readable code, as listed in the API contract.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden | Self::NotAllowed(_) => "FORBIDDEN",
            Self::NotEventHost => "NOT_EVENT_HOST",
            Self::SessionNotFound => "SESSION_NOT_FOUND",
            Self::EventNotFound => "EVENT_NOT_FOUND",
            Self::BadRequest(_) | Self::InvalidBatch(_) => "BAD_REQUEST",
            Self::TimelineTooLong { .. } => "TIMELINE_TOO_LONG",
            Self::RateLimited(_) => "RATE_LIMITED",
            Self::TooManySubscriptions(_) => "TOO_MANY_SUBSCRIPTIONS",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::PersistedQueryNotSupported => "PERSISTED_QUERY_NOT_SUPPORTED",
            Self::PersistedQueryRequired(_) => "PERSISTED_QUERY_REQUIRED",
            Self::ServiceUnavailable | Self::Timeout(_) => "SERVICE_UNAVAILABLE",
            Self::Internal => "INTERNAL",
        }
    }

    /// The numeric status the REST API returned for the same condition.
    pub fn status(&self) -> u32 {
        match self {
            Self::Unauthenticated(_) => 401,
            Self::Forbidden | Self::NotAllowed(_) => 403,
            Self::NotEventHost => 4_030_201,
            Self::SessionNotFound => 404_800,
            Self::EventNotFound => 4_040_200,
            Self::BadRequest(_) | Self::InvalidBatch(_) | Self::TimelineTooLong { .. } => 400,
            Self::RateLimited(_) | Self::TooManySubscriptions(_) => 429,
            Self::PersistedQueryNotFound => 404,
            Self::PersistedQueryNotSupported | Self::PersistedQueryRequired(_) => 400,
            Self::ServiceUnavailable | Self::Timeout(_) => 503,
            Self::Internal => 500,
        }
    }

    /// The human-readable message; never internal detail.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m)
            | Self::BadRequest(m)
            | Self::PersistedQueryRequired(m)
            | Self::TooManySubscriptions(m) => m.clone(),
            Self::Forbidden => {
                "only super admins, organizer admins and event admins may read event data".into()
            }
            Self::NotAllowed(what) => (*what).into(),
            Self::InvalidBatch(problems) => {
                let listed: Vec<String> = problems
                    .iter()
                    .map(|p| format!("#{} `{}`: {}", p.index, p.field, p.reason))
                    .collect();
                format!(
                    "the batch was refused whole, nothing was written: {}",
                    listed.join("; ")
                )
            }
            Self::NotEventHost => "you are not a host of this event".into(),
            Self::TimelineTooLong { buckets, max } => format!(
                "the session spans {buckets} buckets of that size and a timeline has at most \
                 {max}: ask for a longer `bucket`"
            ),
            Self::SessionNotFound => "no session with that id".into(),
            Self::EventNotFound => "no event with that id".into(),
            // Apollo clients recognise these two by the exact message, not only the code.
            Self::PersistedQueryNotFound => "PersistedQueryNotFound".into(),
            Self::PersistedQueryNotSupported => "PersistedQueryNotSupported".into(),
            Self::RateLimited(seconds) => {
                format!("too many requests; retry in {seconds} s")
            }
            Self::ServiceUnavailable => {
                "the database cannot be reached right now; try again shortly".into()
            }
            Self::Timeout(ms) => {
                format!("the request ran longer than the {ms} ms time limit; ask for less")
            }
            Self::Internal => "internal error".into(),
        }
    }

    /// Shorthand for a `BAD_REQUEST` with a message that says what to fix.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }
}

/// True when the error says the database cannot be reached (pool exhausted or closed,
/// connection refused or dropped mid-statement), rather than that a statement failed.
fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx::Error as Sqlx};
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => {
            match &**e {
                Sqlx::Io(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed
                | Sqlx::Tls(_)
                | Sqlx::Protocol(_) => true,
                // PostgreSQL: statement timeout or cancel (57014), server shutting down (57P0x).
                Sqlx::Database(db) => db
                    .code()
                    .is_some_and(|code| code == "57014" || code.starts_with("57P")),
                _ => false,
            }
        }
        _ => false,
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        // Logged here, once, because the client only ever sees the generic variant.
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            Self::ServiceUnavailable
        } else {
            tracing::error!(error = %err, "database error");
            Self::Internal
        }
    }
}

impl AppError {
    /// The one place an error's `extensions` are written: `code` and `status` always,
    /// `retryAfter` (seconds) on every rate-limit error, whichever path refused it.
    pub fn extensions(&self) -> ErrorExtensionValues {
        let mut extensions = ErrorExtensionValues::default();
        self.write_extensions(&mut extensions);
        extensions
    }

    /// Writes this error's `extensions` entries into `extensions`, keeping the others:
    /// how async-graphql's own errors (which carry no code) are labelled.
    pub fn write_extensions(&self, extensions: &mut ErrorExtensionValues) {
        extensions.set("code", self.code());
        extensions.set("status", self.status());
        if let Self::RateLimited(seconds) = self {
            extensions.set("retryAfter", *seconds);
        }
        if let Self::TimelineTooLong { buckets, max } = self {
            extensions.set("buckets", *buckets);
            extensions.set("maxBuckets", *max);
        }
        if let Self::InvalidBatch(problems) = self {
            let list = problems
                .iter()
                .map(|p| {
                    let mut item = async_graphql::indexmap::IndexMap::new();
                    item.insert(Name::new("index"), ConstValue::from(p.index as u64));
                    item.insert(Name::new("field"), ConstValue::from(p.field));
                    item.insert(Name::new("reason"), ConstValue::from(p.reason.clone()));
                    ConstValue::Object(item)
                })
                .collect::<Vec<_>>();
            extensions.set("problems", ConstValue::List(list));
        }
    }

    /// This error as one entry of a response's `errors`, at `pos` in the document if
    /// it is about a place in it. Every error body the server writes is built from this.
    pub fn to_server_error(&self, pos: Option<Pos>) -> ServerError {
        let mut error = ServerError::new(self.message(), pos);
        error.extensions = Some(self.extensions());
        error
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        let mut error = async_graphql::Error::new(err.message());
        error.extensions = Some(err.extensions());
        error
    }
}

/// Resolver result: errors become GraphQL errors with `code` and `status`.
pub type AppResult<T> = Result<T, AppError>;
