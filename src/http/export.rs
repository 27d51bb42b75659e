//! CSV downloads for hosts: `GET /export/sessions/{id}/registrants.csv` and
//! `GET /export/events/{id}/sessions.csv`.
//!
//! Admission is the API's: the `Bearer` token (401), one operation from the caller's
//! rate-limit budget (429), the host-role guard and host check of
//! [`RequestContext`] (403 `FORBIDDEN` / `NOT_EVENT_HOST`), the not-found codes (404);
//! refusals are the API's JSON error bodies. The body is then streamed a page at a time
//! (`EXPORT_PAGE_ROWS` rows per statement and per chunk), so a download holds one page
//! in memory whatever the session's size; see `store::export` for what a page sees of
//! rows written while the download runs.
//!
//! The first page is read before the response starts, so a failure there is still an
//! ordinary error response. A later failure cannot change the status any more: it is
//! logged (with the request id) and the body ends with an error, which cuts the
//! connection short instead of finishing the chunked body, so the client sees an
//! incomplete download rather than a short file that looks whole. A client that goes
//! away drops the stream: the statement in flight is dropped with it and one line is
//! logged.

mod csv;

use std::{future::Future, time::Instant};

use axum::{
    Extension,
    body::{Body, Bytes},
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use tracing::{Instrument as _, Span};

use super::{AppState, respond};
use crate::{
    auth::bearer::{Bearer, BearerRejection},
    entity::enums::RegistrationType,
    error::AppError,
    graphql::{
        cache::RequestGeneration, context::RequestContext, request::Caller,
        types::registrant::engagement,
    },
    rate_limit::{Budget, ClientAddress},
    store::{self, export::After},
};

/// `GET /export/sessions/{id}/registrants.csv`: every registrant of a session.
pub async fn session_registrants(
    State(state): State<AppState>,
    bearer: Result<Bearer, BearerRejection>,
    address: Option<Extension<ClientAddress>>,
    Path(id): Path<String>,
) -> Response {
    let admitted = async {
        let context = admit(&state, bearer, address).await?;
        context.admin().await?;
        let id = parse_id(&id, "a session")?;
        let (session, event) = store::sessions::find_with_event(&state.db, id)
            .await?
            .ok_or(AppError::SessionNotFound)?;
        context.host_of(&event).await?;
        Ok::<_, Refusal>(session)
    };
    match admitted.await {
        Ok(session) => {
            let filename = format!("session-{}-registrants.csv", session.id);
            let pages = Registrants {
                session_id: session.id,
                video_seconds: session.duration_seconds,
            };
            download(&state, pages, &filename).await
        }
        Err(err) => refuse(&err),
    }
}

/// `GET /export/events/{id}/sessions.csv`: an event's sessions table with its figures.
pub async fn event_sessions(
    State(state): State<AppState>,
    bearer: Result<Bearer, BearerRejection>,
    address: Option<Extension<ClientAddress>>,
    Path(id): Path<String>,
) -> Response {
    let admitted = async {
        let context = admit(&state, bearer, address).await?;
        context.admin().await?;
        let id = parse_id(&id, "an event")?;
        let event = store::events::find(&state.db, id)
            .await?
            .ok_or(AppError::EventNotFound)?;
        context.host_of(&event).await?;
        Ok::<_, Refusal>(event)
    };
    match admitted.await {
        Ok(event) => {
            let filename = format!("event-{}-sessions.csv", event.id);
            download(&state, Sessions { event_id: event.id }, &filename).await
        }
        Err(err) => refuse(&err),
    }
}

/// Why a request is refused before anything is exported.
enum Refusal {
    /// A bad token: the bearer extractor's own 401 (with its challenge) or 503.
    Token(BearerRejection),
    App(AppError),
}

impl From<AppError> for Refusal {
    fn from(err: AppError) -> Self {
        Self::App(err)
    }
}

impl From<DbErr> for Refusal {
    fn from(err: DbErr) -> Self {
        Self::App(err.into())
    }
}

/// The token and the caller's operation budget, in the order `/graphql` checks them;
/// then the request context whose guards decide the rest.
async fn admit(
    state: &AppState,
    bearer: Result<Bearer, BearerRejection>,
    address: Option<Extension<ClientAddress>>,
) -> Result<RequestContext, Refusal> {
    let Bearer(user_id) = bearer.map_err(Refusal::Token)?;
    let caller = Caller {
        user_id,
        address: address.map(|Extension(address)| address),
    };
    if let Some(client) = caller.client() {
        state.limiter.spend(Budget::Operations(client), 1).await?;
    }
    Ok(RequestContext::new(
        state.db.clone(),
        user_id,
        RequestGeneration::default(),
    ))
}

/// A path id, as the API's `id` arguments are read: a positive integer.
fn parse_id(id: &str, what: &str) -> Result<i64, AppError> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::bad_request(format!("`id` must be {what} id: a positive integer")))
}

/// The refusal as the API writes its refusals: the JSON error body with `code` and
/// `status`, and the HTTP status that goes with the code (`Retry-After` on a 429).
fn refuse(refusal: &Refusal) -> Response {
    let err = match refusal {
        Refusal::Token(rejection) => return respond::write(rejection.finish(), None),
        Refusal::App(err) => err,
    };
    let status = match err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden | AppError::NotAllowed(_) | AppError::NotEventHost => {
            StatusCode::FORBIDDEN
        }
        AppError::SessionNotFound | AppError::EventNotFound => StatusCode::NOT_FOUND,
        AppError::BadRequest(_) | AppError::InvalidBatch(_) => StatusCode::BAD_REQUEST,
        AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::ServiceUnavailable | AppError::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let mut response = respond::refusal(status, err);
    if status == StatusCode::UNAUTHORIZED {
        // RFC 6750: no token at all gets the bare challenge (a bad one gets the
        // extractor's, with `error="invalid_token"`).
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// What the rows of one export are and how a page of them is read and written.
trait Pages: Send + 'static {
    /// The header row.
    const COLUMNS: &'static [&'static str];

    /// Reads up to `limit` rows after `after`, writes them to `out`, and returns how
    /// many there were and the key of the last one.
    fn write_page(
        &mut self,
        db: &DatabaseConnection,
        after: After,
        limit: u64,
        out: &mut csv::Writer,
    ) -> impl Future<Output = Result<(u64, After), DbErr>> + Send;
}

/// The registrants of one session, by registration date then id.
struct Registrants {
    session_id: i64,
    /// The session's video length, for engagement.
    video_seconds: Option<i32>,
}

impl Pages for Registrants {
    /// `RegisteredHolderUser`'s fields, then the holder's watching in this session.
    const COLUMNS: &'static [&'static str] = &[
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
        "liveWatchSeconds",
        "recordingWatchSeconds",
        "liveViews",
        "recordingViews",
    ];

    async fn write_page(
        &mut self,
        db: &DatabaseConnection,
        after: After,
        limit: u64,
        out: &mut csv::Writer,
    ) -> Result<(u64, After), DbErr> {
        let rows = store::export::registrant_page(db, self.session_id, after, limit).await?;
        let mut users: Vec<i64> = rows.iter().map(|r| r.user_id).collect();
        users.sort_unstable();
        users.dedup();
        let figures = store::export::viewer_figures(db, self.session_id, &users).await?;
        for row in &rows {
            let watched = figures.get(&row.user_id).copied().unwrap_or_default();
            out.value(row.event_ticket_id);
            out.value(row.user_id);
            out.opt_text(row.first_name.as_deref());
            out.opt_text(row.last_name.as_deref());
            out.text(&row.email);
            out.opt_text(row.phone_number.as_deref());
            out.value(row.attended);
            out.value(timestamp(row.registered_at));
            out.value(match row.registration_type {
                RegistrationType::Registered => "REGISTERED",
                RegistrationType::Interested => "INTERESTED",
            });
            out.value(row.watch_time_seconds);
            out.value(engagement(row.watch_time_seconds, self.video_seconds));
            out.value(watched.live_seconds);
            out.value(watched.recording_seconds);
            out.value(watched.live_views);
            out.value(watched.recording_views);
            out.end_row();
        }
        let last = rows.last().map(|r| (r.registered_at, r.registration_id));
        Ok((rows.len() as u64, last))
    }
}

/// The sessions of one event, by start time then id, with their figures.
struct Sessions {
    event_id: i64,
}

impl Pages for Sessions {
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "title",
        "startTime",
        "endTime",
        "registeredCount",
        "interestedCount",
        "attendeeCount",
        "duration",
        "liveViews",
        "recordingViews",
        "uniqueLiveViewers",
        "uniqueRecordingViewers",
        "averageLiveWatchSeconds",
        "averageRecordingWatchSeconds",
        "totalWatchSeconds",
        "chatMessages",
        "questions",
        "pollVotes",
        "checkIns",
        "peakConcurrentViewers",
    ];

    async fn write_page(
        &mut self,
        db: &DatabaseConnection,
        after: After,
        limit: u64,
        out: &mut csv::Writer,
    ) -> Result<(u64, After), DbErr> {
        let sessions = store::export::session_page(db, self.event_id, after, limit).await?;
        let ids: Vec<i64> = sessions.iter().map(|s| s.id).collect();
        let counts = store::sessions::stats(db, &ids).await?;
        let figures = store::export::video_figures(db, &ids).await?;
        for session in &sessions {
            let counts = counts.get(&session.id).copied().unwrap_or_default();
            let video = figures.get(&session.id).copied().unwrap_or_default();
            out.value(session.id);
            out.text(&session.title);
            out.value(timestamp(session.start_time));
            out.value(timestamp(session.end_time));
            out.value(counts.registered);
            out.value(counts.interested);
            out.value(counts.attendees);
            match session.duration_seconds {
                Some(seconds) => out.value(seconds),
                None => out.opt_text(None),
            }
            out.value(video.live_views);
            out.value(video.recording_views);
            out.value(video.unique_live_viewers);
            out.value(video.unique_recording_viewers);
            out.value(video.average_live_seconds());
            out.value(video.average_recording_seconds());
            out.value(video.total_seconds());
            out.value(video.chat_messages);
            out.value(video.questions);
            out.value(video.poll_votes);
            out.value(video.check_ins);
            out.value(video.peak_concurrent_viewers);
            out.end_row();
        }
        let last = sessions.last().map(|s| (s.start_time, s.id));
        Ok((sessions.len() as u64, last))
    }
}

/// A time as the API's `DateTime` scalar writes it: RFC 3339, UTC, `Z`.
fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Reads the first page, then answers with the CSV as a stream of pages.
async fn download<P: Pages>(state: &AppState, pages: P, filename: &str) -> Response {
    let limit = u64::from(state.limits.export_page_rows);
    let mut export = Export {
        db: state.db.clone(),
        pages,
        out: csv::Writer::with_capacity(limit as usize * 160),
        after: None,
        limit,
        phase: Phase::Reading,
        rows: 0,
        bytes: 0,
        started: Instant::now(),
        span: Span::current(),
    };
    export.out.header(P::COLUMNS);
    // The first page inside the handler: its failure is still a proper error response.
    let first = match export.next_chunk().await {
        Ok(chunk) => chunk,
        Err(err) => {
            export.phase = Phase::Failed;
            return refuse(&Refusal::App(err.into()));
        }
    };
    let stream =
        futures_util::stream::try_unfold((first, export), |(first, mut export)| async move {
            if let Some(chunk) = first {
                return Ok(Some((chunk, (None, export))));
            }
            let span = export.span.clone();
            async move {
                match export.next_chunk().await {
                    Ok(Some(chunk)) => Ok(Some((chunk, (None, export)))),
                    Ok(None) => Ok(None),
                    Err(err) => {
                        export.phase = Phase::Failed;
                        tracing::error!(
                            error = %err,
                            rows = export.rows,
                            "csv export failed mid-stream; the response is cut short"
                        );
                        Err(std::io::Error::other("the export failed"))
                    }
                }
            }
            .instrument(span)
            .await
        });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // Personal data: kept by no cache on the way.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// More pages may follow.
    Reading,
    /// The last page was written: the stream ends after what is buffered.
    Done,
    /// Ended by an error, already logged.
    Failed,
}

/// One download in progress: where it is, and what it has written so far.
struct Export<P: Pages> {
    db: DatabaseConnection,
    pages: P,
    out: csv::Writer,
    after: After,
    limit: u64,
    phase: Phase,
    rows: u64,
    bytes: u64,
    started: Instant,
    /// The request's span (it carries the request id): the stream runs after the
    /// handler has returned, outside the request's middleware.
    span: Span,
}

impl<P: Pages> Export<P> {
    /// The next chunk: what is buffered plus one more page while pages remain; `None`
    /// once everything is sent. A chunk is never empty: a page with no rows is the last.
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, DbErr> {
        if self.phase == Phase::Reading {
            let (rows, last) = self
                .pages
                .write_page(&self.db, self.after, self.limit, &mut self.out)
                .await?;
            self.rows += rows;
            self.after = last;
            if rows < self.limit {
                self.phase = Phase::Done;
            }
        }
        let chunk = self.out.take();
        if chunk.is_empty() {
            self.finish();
            return Ok(None);
        }
        self.bytes += chunk.len() as u64;
        Ok(Some(Bytes::from(chunk)))
    }

    fn finish(&mut self) {
        if self.phase == Phase::Done {
            tracing::info!(
                rows = self.rows,
                bytes = self.bytes,
                duration_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
                "csv export finished"
            );
        }
    }
}

impl<P: Pages> Drop for Export<P> {
    fn drop(&mut self) {
        // Dropped while pages remain: the client went away (or the server is stopping).
        // Nothing failed on our side; one line, no error.
        if self.phase == Phase::Reading {
            self.span.in_scope(|| {
                tracing::info!(rows = self.rows, "csv export stopped: the client went away");
            });
        }
    }
}
