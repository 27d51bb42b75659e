//! The root subscription: `sessionLive`, a session's figures pushed as they change.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result, Subscription as SubscriptionRoot};
use chrono::Utc;
use futures_util::{Stream, stream};
use sea_orm::DatabaseConnection;

use super::{
    context::db,
    query::parse_id,
    scalars::DateTime,
    types::{analytics::VideoAnalytics, stats::SessionStats},
};
use crate::{
    entity::event,
    error::AppError,
    live::{
        Live, LiveCaller, SubscriptionPermit,
        hub::{Figures, Snapshot, Subscription as HubSubscription},
    },
    store,
};

/// Every subscription field.
#[derive(Default)]
pub struct Subscription;

/// Live figures, pushed over WebSocket at `/graphql` as they change.
#[SubscriptionRoot]
impl Subscription {
    /// A session's live figures: one message at once, then one whenever a figure
    /// changes, at most one per second (changes in between are coalesced). Host
    /// rights as for `session` (UNAUTHENTICATED, FORBIDDEN, NOT_EVENT_HOST,
    /// SESSION_NOT_FOUND), checked again whenever users or host assignments change:
    /// a viewer who loses them gets that error and the subscription ends, as it does
    /// when the connection's token expires or the session is deleted. Over WebSocket
    /// at `/graphql` (`graphql-transport-ws` or `subscriptions-transport-ws`), with
    /// the bearer token in `connection_init`'s payload.
    async fn session_live(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Session id.")] session_id: ID,
    ) -> Result<impl Stream<Item = Result<SessionLive>> + use<>> {
        let caller = ctx.data::<LiveCaller>().map_err(|_| {
            AppError::bad_request(
                "subscriptions are served over WebSocket at /graphql \
                 (graphql-transport-ws or subscriptions-transport-ws)",
            )
        })?;
        let live = ctx
            .data::<Arc<Live>>()
            .map_err(|_| AppError::Internal)?
            .clone();
        let db = db(ctx)?.clone();
        let session_id = parse_id(&session_id, "a session")?;
        let permit = live.subscribe(caller)?;
        let (event, generation) = {
            let _turn = live
                .admission
                .acquire()
                .await
                .map_err(|_| AppError::ServiceUnavailable)?;
            let (_, event) = store::sessions::find_with_event(&db, session_id)
                .await
                .map_err(AppError::from)?
                .ok_or(AppError::SessionNotFound)?;
            let generation = check_rights(&db, caller.user_id, &event).await?;
            (event, generation)
        };
        let watcher = Watcher {
            subscription: live.hub.subscribe(session_id),
            _permit: permit,
            db,
            user_id: caller.user_id,
            event,
            generation,
            expires_at: caller.expires_at,
            first: true,
            done: false,
        };
        Ok(stream::unfold(watcher, |mut watcher| async move {
            let item = watcher.next().await?;
            Some((item, watcher))
        }))
    }
}

/// The viewer's rights over `event` now, from the database (as every query checks
/// them), and the cache generation they were read under.
async fn check_rights(
    db: &DatabaseConnection,
    user_id: i64,
    event: &event::Model,
) -> Result<i64, AppError> {
    let access = store::access::load(db, user_id).await?.ok_or_else(|| {
        AppError::Unauthenticated("the bearer token's user no longer exists".into())
    })?;
    if !access.has_host_role() {
        return Err(AppError::Forbidden);
    }
    if !access.hosts(event) {
        return Err(AppError::NotEventHost);
    }
    Ok(access.cache_generation)
}

/// One subscriber's state between messages.
struct Watcher {
    subscription: HubSubscription,
    _permit: SubscriptionPermit,
    db: DatabaseConnection,
    user_id: i64,
    event: event::Model,
    /// The generation the viewer's rights were last checked under.
    generation: i64,
    expires_at: Option<chrono::DateTime<Utc>>,
    first: bool,
    done: bool,
}

impl Watcher {
    /// The next message, or `None` once the subscription ended.
    async fn next(&mut self) -> Option<Result<SessionLive>> {
        loop {
            if self.done {
                return None;
            }
            if !self.first {
                let expiry = async {
                    match self.expires_at {
                        Some(at) => {
                            let left = (at - Utc::now()).to_std().unwrap_or_default();
                            tokio::time::sleep(left).await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                };
                tokio::select! {
                    changed = self.subscription.rx.changed() => {
                        if changed.is_err() {
                            return None;
                        }
                    }
                    () = expiry => {
                        self.done = true;
                        return Some(Err(AppError::Unauthenticated(
                            "the bearer token has expired; sign in again and resubscribe".into(),
                        )
                        .into()));
                    }
                }
            }
            self.first = false;
            let snapshot = self.subscription.rx.borrow_and_update().clone();
            let figures = match snapshot {
                Snapshot::Pending => continue,
                Snapshot::Gone => {
                    self.done = true;
                    return Some(Err(AppError::SessionNotFound.into()));
                }
                Snapshot::Live(figures) => figures,
            };
            // Rights change with users and host assignments, which move the generation.
            if figures.row.generation != self.generation {
                match check_rights(&self.db, self.user_id, &self.event).await {
                    Ok(_) => self.generation = figures.row.generation,
                    Err(err) => {
                        self.done = true;
                        return Some(Err(err.into()));
                    }
                }
            }
            return Some(Ok(SessionLive(figures)));
        }
    }
}

/// A session's live figures.
pub struct SessionLive(Arc<Figures>);

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A session's figures as they stand, pushed by `sessionLive`.
#[Object]
impl SessionLive {
    /// Session id.
    async fn session_id(&self) -> ID {
        ID(self.0.row.stats.session_id.to_string())
    }

    /// Viewers watching live now: the most live viewers in one 10-second slot of
    /// the last minute (a player reports at least once a minute).
    async fn concurrent_viewers(&self) -> i32 {
        count(self.0.row.concurrent_viewers)
    }

    /// `JOIN` events in the last minute.
    async fn joins_last_minute(&self) -> i32 {
        count(self.0.row.joins_last_minute)
    }

    /// Registration and attendance counts, as `Session.stats`.
    async fn stats(&self) -> SessionStats {
        SessionStats(self.0.row.stats)
    }

    /// Video figures and interaction counts (chat messages, questions, poll votes,
    /// check-ins), as `Session.videoAnalytics`.
    async fn video_analytics(&self) -> VideoAnalytics {
        VideoAnalytics(self.0.row.video)
    }

    /// Chat messages sent (as `videoAnalytics.chatMessages`).
    async fn chat_messages(&self) -> i32 {
        count(self.0.row.video.chat_messages)
    }

    /// Questions asked (as `videoAnalytics.questions`).
    async fn questions(&self) -> i32 {
        count(self.0.row.video.questions)
    }

    /// Poll votes cast (as `videoAnalytics.pollVotes`).
    async fn poll_votes(&self) -> i32 {
        count(self.0.row.video.poll_votes)
    }

    /// When these figures were read.
    async fn updated_at(&self) -> DateTime {
        DateTime(self.0.read_at)
    }
}
