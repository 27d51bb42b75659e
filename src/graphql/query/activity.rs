//! `recordActivity`: an INGEST service account logs a batch of attendee activity, validated whole, each event once.

use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use async_graphql::{Context, ID, Object, Result};
use chrono::{Duration, Utc};

use crate::{
    config::Limits,
    entity::enums::Role,
    error::{AppError, Problem},
    graphql::{
        context::{db, request},
        types::activity::{ActivityInput, RecordActivityResult},
    },
    live::Live,
    store::activity::{self, NewActivity, SessionEvent, Ticket},
};

/// Longest client event id, in characters (the column is `varchar(128)`).
pub const MAX_EVENT_ID_CHARS: usize = 128;

#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// Logs what attendees did (INGEST service accounts only, for the sessions of the
    /// events they are assigned to). The batch is checked whole first: any bad event
    /// refuses all of it with BAD_REQUEST, naming each one in `extensions.problems`
    /// (`index`, `field`, `reason`), and nothing is written. An event whose `id` was
    /// logged before is skipped, so a retried batch changes nothing.
    async fn record_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most MAX_ACTIVITY_BATCH events (1,000 by default).")] events: Vec<
            ActivityInput,
        >,
    ) -> Result<RecordActivityResult> {
        let access = request(ctx)?.access().await?;
        if access.user.role != Role::Ingest {
            return Err(
                AppError::NotAllowed("only INGEST service accounts may record activity").into(),
            );
        }
        let limits = ctx.data::<Limits>().map_err(|_| AppError::Internal)?;
        let max = limits.max_activity_batch as usize;
        if events.len() > max {
            return Err(AppError::bad_request(format!(
                "a batch has at most {max} events (MAX_ACTIVITY_BATCH), this one {}",
                events.len()
            ))
            .into());
        }
        let received = events.len() as i32;
        if events.is_empty() {
            return Ok(RecordActivityResult {
                received,
                recorded: 0,
                duplicates: 0,
            });
        }
        let db = db(ctx)?;

        // What the batch refers to, one statement each whatever its size.
        let parsed: Vec<Refs> = events.iter().map(Refs::of).collect();
        let session_ids: Vec<i64> = unique(parsed.iter().filter_map(|r| r.session));
        let sessions = activity::session_events(db, &session_ids)
            .await
            .map_err(AppError::from)?;
        // Sessions of events the account is not assigned to: refused before anything is
        // said about the batch's content.
        if sessions.values().any(|s| !access.ingests_for(s.event_id)) {
            return Err(AppError::NotEventHost.into());
        }
        let ticket_ids = unique(parsed.iter().filter_map(|r| r.ticket));
        let holders = unique(parsed.iter().filter_map(|r| r.user));
        let event_ids = unique(sessions.values().map(|s| s.event_id));
        let tickets = activity::tickets(db, &ticket_ids, &holders, &event_ids)
            .await
            .map_err(AppError::from)?;

        let now = Utc::now();
        let skew = Duration::seconds(i64::from(limits.activity_clock_skew_seconds));
        let checked = check(&events, &parsed, &sessions, &tickets, now + skew)
            .map_err(AppError::InvalidBatch)?;
        let recorded = activity::record(db, &checked, &sessions)
            .await
            .map_err(AppError::from)? as i32;
        if recorded > 0
            && let Ok(live) = ctx.data::<Arc<Live>>()
        {
            live.wrote(session_ids.iter().copied());
        }
        Ok(RecordActivityResult {
            received,
            recorded,
            duplicates: received - recorded,
        })
    }
}

/// An event's ids as numbers (`None` where absent or not an id; [`check`] says which).
struct Refs {
    session: Option<i64>,
    ticket: Option<i64>,
    user: Option<i64>,
}

impl Refs {
    fn of(event: &ActivityInput) -> Self {
        Self {
            session: parse(Some(&event.session_id)),
            ticket: parse(event.event_ticket_id.as_ref()),
            user: parse(event.user_id.as_ref()),
        }
    }
}

fn parse(id: Option<&ID>) -> Option<i64> {
    id.and_then(|id| id.parse::<i64>().ok()).filter(|n| *n > 0)
}

fn unique(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    ids.collect::<BTreeSet<_>>().into_iter().collect()
}

/// Checks every event of the batch and returns the rows to log (an event repeated
/// with the same content once), or every problem found.
fn check(
    events: &[ActivityInput],
    refs: &[Refs],
    sessions: &HashMap<i64, SessionEvent>,
    tickets: &[Ticket],
    latest: chrono::DateTime<Utc>,
) -> Result<Vec<NewActivity>, Vec<Problem>> {
    let by_id: HashMap<i64, &Ticket> = tickets.iter().map(|t| (t.id, t)).collect();
    // A holder's first ticket of each event.
    let mut held: HashMap<(i64, i64), i64> = HashMap::new();
    for t in tickets {
        held.entry((t.holder_user_id, t.event_id)).or_insert(t.id);
    }
    let mut problems = Vec::new();
    let mut rows = Vec::with_capacity(events.len());
    let mut first_index: HashMap<&str, usize> = HashMap::new();
    for (index, (event, r)) in events.iter().zip(refs).enumerate() {
        let mut bad = |field: &'static str, reason: String| {
            problems.push(Problem {
                index,
                field,
                reason,
            });
        };
        let chars = event.id.chars().count();
        if chars == 0 || chars > MAX_EVENT_ID_CHARS {
            bad(
                "id",
                format!("must have 1 to {MAX_EVENT_ID_CHARS} characters"),
            );
        }
        if let Some(&first) = first_index.get(event.id.as_str()) {
            if events[first] != *event {
                bad(
                    "id",
                    format!("repeats the id of event #{first} with different content"),
                );
            }
            continue;
        }
        first_index.insert(&event.id, index);
        if event.position_seconds.is_some_and(|p| p < 0) {
            bad("positionSeconds", "must not be negative".to_owned());
        }
        let Some(session) = r.session.and_then(|id| sessions.get(&id)) else {
            bad("sessionId", "no session with that id".to_owned());
            continue;
        };
        let occurred_at = event.occurred_at.0;
        if occurred_at > latest {
            bad(
                "occurredAt",
                "lies in the future (beyond ACTIVITY_CLOCK_SKEW_SECONDS)".to_owned(),
            );
        } else if occurred_at < session.event_created_at {
            bad(
                "occurredAt",
                "is before the session's event was created".to_owned(),
            );
        }
        let user_id = match (event.event_ticket_id.as_ref(), event.user_id.as_ref()) {
            (None, None) => {
                bad("userId", "give eventTicketId, userId or both".to_owned());
                None
            }
            (Some(_), _) => match r.ticket.and_then(|id| by_id.get(&id)) {
                Some(t) if t.event_id == session.event_id => match (event.user_id.as_ref(), r.user)
                {
                    (Some(_), Some(user)) if user != t.holder_user_id => {
                        bad("userId", "is not the holder of eventTicketId".to_owned());
                        None
                    }
                    (Some(_), None) => {
                        bad("userId", "is not a user id".to_owned());
                        None
                    }
                    _ => Some(t.holder_user_id),
                },
                _ => {
                    bad(
                        "eventTicketId",
                        "is not a ticket of the session's event".to_owned(),
                    );
                    None
                }
            },
            (None, Some(_)) => match r.user {
                Some(user) if held.contains_key(&(user, session.event_id)) => Some(user),
                _ => {
                    bad(
                        "userId",
                        "holds no ticket of the session's event".to_owned(),
                    );
                    None
                }
            },
        };
        if let (Some(user_id), Some(session_id)) = (user_id, r.session) {
            rows.push(NewActivity {
                client_event_id: event.id.clone(),
                session_id,
                user_id,
                event_ticket_id: r.ticket,
                kind: event.kind.into(),
                occurred_at,
                position_seconds: event.position_seconds,
            });
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}
