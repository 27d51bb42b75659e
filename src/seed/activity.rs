//! Activity for seeded sessions: what each registrant did (joined, watched live or the
//! recording, chatted, asked, voted, checked in), generated from a fixed seed, and the
//! figures derived from it with the same pure functions as ingestion.
//!
//! The generator works one registrant at a time, so a caller can stream millions of
//! events without holding them. [`Tally`] turns one session's registrants' events into
//! the rows of the derived tables (`src/analytics/derive.rs` decides every rule), so a
//! seeded database reads exactly as if its log had been ingested.

use std::collections::BTreeMap;

use rand::{Rng, rngs::StdRng};
use sea_orm::{DbErr, Value};

use super::bulk::{RawRow, Sink, copy_field};
use crate::{
    analytics::{
        Logged, Mode, TimelineSlot,
        derive::{self},
    },
    entity::enums::ActivityKind,
    progress::Progress,
};

/// A session as the generator sees it (times in whole seconds since 1970).
#[derive(Clone, Copy, Debug)]
pub(super) struct Stage {
    pub start: i64,
    pub end: i64,
    /// The video's length (`sessions.duration_seconds`): sessions without one happen in
    /// a room only, and have no recording.
    pub video_seconds: Option<i32>,
    pub chat: bool,
    pub qanda: bool,
    pub poll: bool,
}

/// How the viewers of a data set behave.
#[derive(Clone, Copy, Debug)]
pub(super) struct Habits {
    /// Seconds between two heartbeats of a player. Gaps up to `VIEW_GAP_SECONDS` stay
    /// one view, so a player reporting less often than every `HEARTBEAT_SECONDS`
    /// watches the same seconds with fewer events (the large set's 10 million).
    pub heartbeat_every: i64,
    /// Share of the attendees of a session with video who came in person (a check-in).
    pub in_person: f64,
    /// Share of the registrants who did not attend who watch the recording.
    pub recording: f64,
}

/// One event of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Act {
    pub kind: ActivityKind,
    pub at: i64,
    pub position: Option<i32>,
}

/// A registration as the generator needs it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Registrant {
    /// Registered (not only interested).
    pub registered: bool,
    /// The stored figure: they attended.
    pub attended: bool,
    /// The stored figure: seconds they watched.
    pub watched: i32,
}

/// Writes into `out` (cleared first) what `who` did in `stage`, in time order.
pub(super) fn registrant(
    rng: &mut StdRng,
    stage: &Stage,
    habits: &Habits,
    who: Registrant,
    out: &mut Vec<Act>,
) {
    out.clear();
    if !who.registered {
        return;
    }
    let mut online = false;
    if who.attended {
        if stage.video_seconds.is_none() || rng.random_bool(habits.in_person) {
            in_person(rng, stage, out);
        } else {
            live(rng, stage, habits, who.watched, out);
            online = true;
        }
    }
    // Some who missed the session watch the recording, and a few who saw it again.
    let rewatch = if who.attended {
        online && rng.random_bool(0.05)
    } else {
        rng.random_bool(habits.recording)
    };
    if let (Some(video), true) = (stage.video_seconds, rewatch) {
        recording(rng, stage, habits, i64::from(video), out);
    }
    out.sort_by_key(|a| a.at);
}

fn push(out: &mut Vec<Act>, kind: ActivityKind, at: i64, position: Option<i64>) {
    out.push(Act {
        kind,
        at,
        position: position.map(|p| p.clamp(0, i64::from(i32::MAX)) as i32),
    });
}

/// A check-in in the first quarter of an hour, and perhaps a question or a poll vote
/// from the app.
fn in_person(rng: &mut StdRng, stage: &Stage, out: &mut Vec<Act>) {
    let length = (stage.end - stage.start).max(1);
    push(
        out,
        ActivityKind::CheckIn,
        stage.start + rng.random_range(0..length.min(900)),
        None,
    );
    if stage.qanda && rng.random_bool(0.08) {
        push(
            out,
            ActivityKind::Question,
            stage.start + rng.random_range(length / 2..length),
            None,
        );
    }
    if stage.poll && rng.random_bool(0.3) {
        push(
            out,
            ActivityKind::PollVote,
            stage.start + rng.random_range(length / 3..length),
            None,
        );
    }
}

/// Watching the live stream: most arrive on time, stay for about what the registration
/// says they watched, and some take a break long enough to make two views; a few only
/// peek in (a view under the 30-second rule).
fn live(rng: &mut StdRng, stage: &Stage, habits: &Habits, watched: i32, out: &mut Vec<Act>) {
    let length = stage.end - stage.start;
    if length < 120 {
        return;
    }
    let arrive = stage.start + (rng.random::<f64>().powi(3) * 0.3 * length as f64) as i64;
    if rng.random_bool(0.04) {
        let leave = arrive + rng.random_range(5..25);
        push(out, ActivityKind::Join, arrive, None);
        push(out, ActivityKind::Leave, leave.min(stage.end), None);
        return;
    }
    let until = (arrive + i64::from(watched).clamp(60, length)).min(stage.end);
    let mut stretches = vec![(arrive, until)];
    if until - arrive > 1_200 && rng.random_bool(0.12) {
        let pause = arrive + ((until - arrive) as f64 * rng.random_range(0.3..0.6)) as i64;
        let back = (pause + rng.random_range(120..600)).min(stage.end - 60);
        if back > pause {
            stretches = vec![(arrive, pause), (back, until.max(back + 60))];
        }
    }
    for (from, to) in stretches {
        push(out, ActivityKind::Join, from, None);
        let mut t = from + habits.heartbeat_every;
        while t <= to {
            push(out, ActivityKind::LiveHeartbeat, t, Some(t - stage.start));
            t += habits.heartbeat_every;
        }
        // Some players never say goodbye: the view ends with the last heartbeat.
        if rng.random_bool(0.85) {
            push(out, ActivityKind::Leave, to, None);
        }
    }
    let (from, to) = (arrive, until.max(arrive + 1));
    if stage.chat && rng.random_bool(0.35) {
        for _ in 0..rng.random_range(1..=4) {
            push(out, ActivityKind::Chat, rng.random_range(from..to), None);
        }
    }
    if stage.qanda && rng.random_bool(0.12) {
        push(
            out,
            ActivityKind::Question,
            rng.random_range(from..to),
            None,
        );
    }
    if stage.poll && rng.random_bool(0.5) {
        push(
            out,
            ActivityKind::PollVote,
            rng.random_range(from..to),
            None,
        );
    }
}

/// Watching the recording, within a few hours after the session: from the beginning or
/// from a point in it, mostly for minutes, sometimes only seconds.
fn recording(rng: &mut StdRng, stage: &Stage, habits: &Habits, video: i64, out: &mut Vec<Act>) {
    let begin = stage.end + rng.random_range(1_800..3 * 3_600);
    let seconds = if rng.random_bool(0.1) {
        rng.random_range(10..25)
    } else {
        rng.random_range(120..video.clamp(121, 2_400) + 1)
    };
    let offset = if rng.random_bool(0.3) {
        rng.random_range(0..(video - seconds).max(1))
    } else {
        0
    };
    let mut t = begin + habits.heartbeat_every.min(seconds);
    loop {
        push(
            out,
            ActivityKind::RecordingHeartbeat,
            t,
            Some(offset + t - begin),
        );
        t += habits.heartbeat_every;
        if t > begin + seconds {
            break;
        }
    }
}

/// One session's derived figures, built viewer by viewer: each viewer's events go
/// through [`derive::derive_session`] (the function `rederive` applies to a whole
/// session), and the per-viewer results add up to the session's, which is exact
/// because every session figure is a sum over viewers, or over slots of such sums,
/// except the peak, taken at the end.
pub(super) struct Tally {
    session_id: i64,
    threshold: i64,
    video: derive::VideoStats,
    timeline: BTreeMap<i64, TimelineSlot>,
    /// Whether any event was added: a session with activity has a row of video figures.
    any: bool,
}

/// What one viewer's events derive to.
#[derive(Debug, Default)]
pub(super) struct ViewerRows {
    pub segments: Vec<SegmentRow>,
    pub stats: Option<ViewerStatsRow>,
    /// The registrant rollup: `attended` becomes true (never false)...
    pub attends: bool,
    /// ... and the watch time is replaced once a heartbeat arrived.
    pub watch_seconds: Option<i32>,
}

impl Tally {
    pub(super) fn new(session_id: i64, video_seconds: Option<i32>) -> Self {
        Self {
            session_id,
            threshold: derive::threshold(video_seconds),
            video: derive::VideoStats::default(),
            timeline: BTreeMap::new(),
            any: false,
        }
    }

    /// Adds the events of viewer `user_id` (all of theirs in this session).
    pub(super) fn add(&mut self, user_id: i64, acts: &[Act]) -> ViewerRows {
        let mut rows = ViewerRows::default();
        if acts.is_empty() {
            return rows;
        }
        self.any = true;
        let figures = derive::derive_session(
            self.threshold,
            acts.iter().map(|a| Logged {
                user_id,
                kind: a.kind,
                at: a.at,
            }),
        );
        let (v, s) = (&figures.video, &mut self.video);
        s.live_views += v.live_views;
        s.recording_views += v.recording_views;
        s.live_viewers += v.live_viewers;
        s.recording_viewers += v.recording_viewers;
        s.unique_live_viewers += v.unique_live_viewers;
        s.unique_recording_viewers += v.unique_recording_viewers;
        s.live_seconds += v.live_seconds;
        s.recording_seconds += v.recording_seconds;
        s.counts.joins += v.counts.joins;
        s.counts.leaves += v.counts.leaves;
        s.counts.check_ins += v.counts.check_ins;
        s.counts.chat_messages += v.counts.chat_messages;
        s.counts.questions += v.counts.questions;
        s.counts.poll_votes += v.counts.poll_votes;
        for r in &figures.timeline {
            let t = self.timeline.entry(r.slot).or_insert(TimelineSlot {
                slot: r.slot,
                ..TimelineSlot::default()
            });
            t.live_viewers += r.live_viewers;
            t.recording_viewers += r.recording_viewers;
            t.joins += r.joins;
            t.leaves += r.leaves;
        }
        for viewer in &figures.viewers {
            for mode in [Mode::Live, Mode::Recording] {
                rows.segments
                    .extend(viewer.views(mode).iter().map(|v| SegmentRow {
                        session_id: self.session_id,
                        user_id,
                        recording: mode.is_recording(),
                        started_at: v.start,
                        ended_at: v.end,
                    }));
            }
            rows.attends |= viewer.attended;
            let total = viewer.live.seconds + viewer.recording.seconds;
            rows.watch_seconds = viewer
                .heartbeat
                .then(|| total.clamp(0, i64::from(i32::MAX)) as i32);
            rows.stats = Some(ViewerStatsRow {
                session_id: self.session_id,
                user_id,
                live_seconds: viewer.live.seconds,
                recording_seconds: viewer.recording.seconds,
                attended: viewer.attended,
                live_views: viewer.live.views as i32,
                recording_views: viewer.recording.views as i32,
            });
        }
        rows
    }

    /// The session's row of `session_video_stats` (none without activity) and its
    /// rows of `session_timeline`.
    pub(super) fn finish(self) -> (Option<VideoStatsRow>, Vec<TimelineRow>) {
        let mut video = self.video;
        let session_id = self.session_id;
        let timeline: Vec<TimelineRow> = self
            .timeline
            .into_values()
            .map(|r| {
                // Slots ascend: `>` keeps the first slot that reaches the peak.
                if r.live_viewers > video.peak_concurrent_viewers {
                    video.peak_concurrent_viewers = r.live_viewers;
                    video.peak_at = Some(r.slot * derive::HEARTBEAT_SECONDS);
                }
                TimelineRow {
                    session_id,
                    slot: r.slot,
                    live_viewers: r.live_viewers,
                    recording_viewers: r.recording_viewers,
                    joins: r.joins,
                    leaves: r.leaves,
                }
            })
            .collect();
        let row = VideoStatsRow {
            session_id,
            live_views: video.live_views,
            recording_views: video.recording_views,
            live_viewers: video.live_viewers,
            recording_viewers: video.recording_viewers,
            unique_live_viewers: video.unique_live_viewers,
            unique_recording_viewers: video.unique_recording_viewers,
            live_seconds: video.live_seconds,
            recording_seconds: video.recording_seconds,
            joins: video.counts.joins,
            leaves: video.counts.leaves,
            check_ins: video.counts.check_ins,
            chat_messages: video.counts.chat_messages,
            questions: video.counts.questions,
            poll_votes: video.counts.poll_votes,
            peak_concurrent_viewers: video.peak_concurrent_viewers,
            peak_at: video.peak_at,
        };
        (self.any.then_some(row), timeline)
    }
}

/// A row of `session_view_segments`: one view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SegmentRow {
    pub session_id: i64,
    pub user_id: i64,
    pub recording: bool,
    pub started_at: i64,
    pub ended_at: i64,
}

/// A row of `session_viewer_stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ViewerStatsRow {
    pub session_id: i64,
    pub user_id: i64,
    pub live_seconds: i64,
    pub recording_seconds: i64,
    pub attended: bool,
    pub live_views: i32,
    pub recording_views: i32,
}

/// A row of `session_video_stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct VideoStatsRow {
    pub session_id: i64,
    pub live_views: i64,
    pub recording_views: i64,
    pub live_viewers: i64,
    pub recording_viewers: i64,
    pub unique_live_viewers: i64,
    pub unique_recording_viewers: i64,
    pub live_seconds: i64,
    pub recording_seconds: i64,
    pub joins: i64,
    pub leaves: i64,
    pub check_ins: i64,
    pub chat_messages: i64,
    pub questions: i64,
    pub poll_votes: i64,
    pub peak_concurrent_viewers: i64,
    pub peak_at: Option<i64>,
}

/// A row of `session_timeline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TimelineRow {
    pub session_id: i64,
    pub slot: i64,
    pub live_viewers: i64,
    pub recording_viewers: i64,
    pub joins: i64,
    pub leaves: i64,
}

/// A row of `session_activities` with a client event id made of where it came from:
/// `{prefix}-{session}-{user}-{n}`, unique as long as a viewer holds one ticket of the
/// session's event.
#[derive(Clone, Copy, Debug)]
pub(super) struct LogRow {
    pub id: i64,
    pub prefix: &'static str,
    pub session_id: i64,
    pub user_id: i64,
    pub event_ticket_id: i64,
    pub n: usize,
    pub act: Act,
}

impl LogRow {
    pub(super) fn client_event_id(&self) -> String {
        format!(
            "{}-{}-{}-{}",
            self.prefix, self.session_id, self.user_id, self.n
        )
    }
}

/// `at` as the `COPY` text of a `timestamptz` in UTC.
fn push_timestamp(out: &mut String, at: i64) {
    let day = at.div_euclid(86_400);
    let second = at.rem_euclid(86_400);
    let date = chrono::DateTime::from_timestamp(day * 86_400, 0)
        .unwrap_or_default()
        .date_naive();
    use chrono::Datelike;
    push_digits(out, i64::from(date.year()), 4);
    out.push('-');
    push_digits(out, i64::from(date.month()), 2);
    out.push('-');
    push_digits(out, i64::from(date.day()), 2);
    out.push(' ');
    push_digits(out, second / 3_600, 2);
    out.push(':');
    push_digits(out, second / 60 % 60, 2);
    out.push(':');
    push_digits(out, second % 60, 2);
    out.push_str("+00");
}

fn push_digits(out: &mut String, value: i64, width: usize) {
    let text = value.to_string();
    for _ in text.len()..width {
        out.push('0');
    }
    out.push_str(&text);
}

fn timestamp(at: i64) -> Value {
    Value::ChronoDateTimeUtc(chrono::DateTime::from_timestamp(at, 0))
}

/// The stored text of `kind` (its `string_value`), without an allocation per row.
fn kind_text(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Join => "JOIN",
        ActivityKind::Leave => "LEAVE",
        ActivityKind::View => "VIEW",
        ActivityKind::Chat => "CHAT",
        ActivityKind::LiveHeartbeat => "LIVE_HEARTBEAT",
        ActivityKind::RecordingHeartbeat => "RECORDING_HEARTBEAT",
        ActivityKind::CheckIn => "CHECK_IN",
        ActivityKind::Question => "QUESTION",
        ActivityKind::PollVote => "POLL_VOTE",
    }
}

impl RawRow for LogRow {
    const TABLE: &'static str = "session_activities";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "client_event_id",
        "session_id",
        "user_id",
        "event_ticket_id",
        "kind",
        "occurred_at",
        "position_seconds",
    ];

    fn copy_text(&self, out: &mut String) {
        copy_field(out, true, self.id);
        copy_field(
            out,
            false,
            format_args!(
                "{}-{}-{}-{}",
                self.prefix, self.session_id, self.user_id, self.n
            ),
        );
        copy_field(out, false, self.session_id);
        copy_field(out, false, self.user_id);
        copy_field(out, false, self.event_ticket_id);
        copy_field(out, false, kind_text(self.act.kind));
        out.push('\t');
        push_timestamp(out, self.act.at);
        match self.act.position {
            Some(p) => copy_field(out, false, p),
            None => out.push_str("\t\\N"),
        }
    }

    fn values(&self, out: &mut Vec<Value>) {
        out.extend([
            self.id.into(),
            self.client_event_id().into(),
            self.session_id.into(),
            self.user_id.into(),
            self.event_ticket_id.into(),
            kind_text(self.act.kind).into(),
            timestamp(self.act.at),
            self.act.position.into(),
        ]);
    }
}

fn copy_bool(b: bool) -> char {
    if b { 't' } else { 'f' }
}

impl RawRow for SegmentRow {
    const TABLE: &'static str = "session_view_segments";
    const COLUMNS: &'static [&'static str] = &[
        "session_id",
        "user_id",
        "recording",
        "started_at",
        "ended_at",
    ];

    fn copy_text(&self, out: &mut String) {
        copy_field(out, true, self.session_id);
        copy_field(out, false, self.user_id);
        copy_field(out, false, copy_bool(self.recording));
        copy_field(out, false, self.started_at);
        copy_field(out, false, self.ended_at);
    }

    fn values(&self, out: &mut Vec<Value>) {
        out.extend([
            self.session_id.into(),
            self.user_id.into(),
            self.recording.into(),
            self.started_at.into(),
            self.ended_at.into(),
        ]);
    }
}

impl RawRow for ViewerStatsRow {
    const TABLE: &'static str = "session_viewer_stats";
    const COLUMNS: &'static [&'static str] = &[
        "session_id",
        "user_id",
        "live_seconds",
        "recording_seconds",
        "attended",
        "live_views",
        "recording_views",
    ];

    fn copy_text(&self, out: &mut String) {
        copy_field(out, true, self.session_id);
        copy_field(out, false, self.user_id);
        copy_field(out, false, self.live_seconds);
        copy_field(out, false, self.recording_seconds);
        copy_field(out, false, copy_bool(self.attended));
        copy_field(out, false, self.live_views);
        copy_field(out, false, self.recording_views);
    }

    fn values(&self, out: &mut Vec<Value>) {
        out.extend([
            self.session_id.into(),
            self.user_id.into(),
            self.live_seconds.into(),
            self.recording_seconds.into(),
            self.attended.into(),
            self.live_views.into(),
            self.recording_views.into(),
        ]);
    }
}

impl RawRow for VideoStatsRow {
    const TABLE: &'static str = "session_video_stats";
    const COLUMNS: &'static [&'static str] = &crate::store::derived::VIDEO_STATS_COLUMNS;

    fn copy_text(&self, out: &mut String) {
        let mut values = Vec::with_capacity(Self::COLUMNS.len());
        self.values(&mut values);
        for (i, value) in values.into_iter().enumerate() {
            match value {
                Value::BigInt(Some(n)) => copy_field(out, i == 0, n),
                _ => copy_field(out, i == 0, "\\N"),
            }
        }
    }

    fn values(&self, out: &mut Vec<Value>) {
        out.extend([
            self.session_id.into(),
            self.live_views.into(),
            self.recording_views.into(),
            self.live_viewers.into(),
            self.recording_viewers.into(),
            self.unique_live_viewers.into(),
            self.unique_recording_viewers.into(),
            self.live_seconds.into(),
            self.recording_seconds.into(),
            self.joins.into(),
            self.leaves.into(),
            self.check_ins.into(),
            self.chat_messages.into(),
            self.questions.into(),
            self.poll_votes.into(),
            self.peak_concurrent_viewers.into(),
            self.peak_at.into(),
        ]);
    }
}

impl RawRow for TimelineRow {
    const TABLE: &'static str = "session_timeline";
    const COLUMNS: &'static [&'static str] = &[
        "session_id",
        "slot",
        "live_viewers",
        "recording_viewers",
        "joins",
        "leaves",
    ];

    fn copy_text(&self, out: &mut String) {
        copy_field(out, true, self.session_id);
        copy_field(out, false, self.slot);
        copy_field(out, false, self.live_viewers);
        copy_field(out, false, self.recording_viewers);
        copy_field(out, false, self.joins);
        copy_field(out, false, self.leaves);
    }

    fn values(&self, out: &mut Vec<Value>) {
        out.extend([
            self.session_id.into(),
            self.slot.into(),
            self.live_viewers.into(),
            self.recording_viewers.into(),
            self.joins.into(),
            self.leaves.into(),
        ]);
    }
}

/// Rows buffered per table before one `COPY` (or a run of multi-row inserts) writes them.
const FLUSH_ROWS: usize = 100_000;

/// The activity of a synthetic set on its way into the database: the log and the
/// derived tables, buffered per table and written in bulk as the buffers fill, so
/// memory stays bounded whatever the number of events.
#[derive(Default)]
pub(super) struct Loader {
    log: Vec<LogRow>,
    segments: Vec<SegmentRow>,
    viewers: Vec<ViewerStatsRow>,
    sessions: Vec<VideoStatsRow>,
    timeline: Vec<TimelineRow>,
    next_id: i64,
    /// Events written (or buffered) so far.
    pub events: u64,
    /// Derived rows written (or buffered) so far.
    pub derived: u64,
    /// Time spent writing them (the rest is generating and deriving).
    pub writing: std::time::Duration,
}

impl Loader {
    /// Buffers a viewer's events (`acts`) and what they derived to.
    pub(super) fn viewer(
        &mut self,
        prefix: &'static str,
        (session_id, user_id, event_ticket_id): (i64, i64, i64),
        acts: &[Act],
        rows: ViewerRows,
    ) {
        for (n, act) in acts.iter().enumerate() {
            self.next_id += 1;
            self.log.push(LogRow {
                id: self.next_id,
                prefix,
                session_id,
                user_id,
                event_ticket_id,
                n,
                act: *act,
            });
        }
        self.events += acts.len() as u64;
        self.derived += rows.segments.len() as u64 + u64::from(rows.stats.is_some());
        self.segments.extend(rows.segments);
        self.viewers.extend(rows.stats);
    }

    /// Counts what [`Loader::viewer`] would write.
    #[cfg(test)]
    pub(super) fn count(&mut self, events: usize, rows: ViewerRows) {
        self.events += events as u64;
        self.derived += rows.segments.len() as u64 + u64::from(rows.stats.is_some());
    }

    /// Counts what [`Loader::session`] would write.
    #[cfg(test)]
    pub(super) fn session_count(&mut self, tally: Tally) {
        let (stats, timeline) = tally.finish();
        self.derived += timeline.len() as u64 + u64::from(stats.is_some());
    }

    /// Buffers a session's figures once all its viewers were added.
    pub(super) fn session(&mut self, tally: Tally) {
        let (stats, timeline) = tally.finish();
        self.derived += timeline.len() as u64 + u64::from(stats.is_some());
        self.sessions.extend(stats);
        self.timeline.extend(timeline);
    }

    /// Writes the buffers that are full (every buffer when `all`).
    pub(super) async fn flush(
        &mut self,
        sink: &mut Sink<'_>,
        progress: &Progress,
        all: bool,
    ) -> Result<(), DbErr> {
        let started = std::time::Instant::now();
        let full = |n: usize| n > 0 && (all || n >= FLUSH_ROWS);
        if full(self.log.len()) {
            sink.insert_raw(&self.log, progress).await?;
            self.log.clear();
        }
        if full(self.segments.len()) {
            sink.insert_raw(&self.segments, progress).await?;
            self.segments.clear();
        }
        if full(self.viewers.len()) {
            sink.insert_raw(&self.viewers, progress).await?;
            self.viewers.clear();
        }
        if full(self.sessions.len()) {
            sink.insert_raw(&self.sessions, progress).await?;
            self.sessions.clear();
        }
        if full(self.timeline.len()) {
            sink.insert_raw(&self.timeline, progress).await?;
            self.timeline.clear();
        }
        self.writing += started.elapsed();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    #[test]
    fn kinds_are_written_as_the_log_stores_them() {
        for kind in ActivityKind::iter() {
            assert_eq!(
                Value::String(Some(kind_text(kind).to_owned())),
                kind.to_value().into(),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn timestamps_are_copy_text_in_utc() {
        for at in [0, 1_791_187_200, 1_791_187_200 + 86_399, 1_796_342_405, -1] {
            let mut out = String::new();
            push_timestamp(&mut out, at);
            let expected = chrono::DateTime::from_timestamp(at, 0)
                .expect("in range")
                .format("%Y-%m-%d %H:%M:%S+00")
                .to_string();
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn a_viewer_watches_inside_the_session_and_the_recording_after_it() {
        use rand::SeedableRng;
        let stage = Stage {
            start: 1_000_000,
            end: 1_003_600,
            video_seconds: Some(3_600),
            chat: true,
            qanda: true,
            poll: true,
        };
        let habits = Habits {
            heartbeat_every: 30,
            in_person: 0.2,
            recording: 0.5,
        };
        let mut rng = StdRng::seed_from_u64(7);
        let mut acts = Vec::new();
        let mut tally = Tally::new(1, stage.video_seconds);
        for user in 0..500 {
            let who = Registrant {
                registered: true,
                attended: user % 2 == 0,
                watched: 1_800,
            };
            registrant(&mut rng, &stage, &habits, who, &mut acts);
            assert!(acts.windows(2).all(|w| w[0].at <= w[1].at));
            for a in &acts {
                if a.kind == ActivityKind::RecordingHeartbeat {
                    assert!(a.at > stage.end, "{a:?}");
                } else {
                    assert!((stage.start..=stage.end).contains(&a.at), "{a:?}");
                }
            }
            tally.add(user, &acts);
        }
        let (stats, timeline) = tally.finish();
        let stats = stats.expect("a session with activity");
        assert!(
            stats.live_views > 100 && stats.recording_views > 50,
            "{stats:?}"
        );
        assert!(
            stats.live_viewers > stats.unique_live_viewers,
            "some only peeked in"
        );
        assert!(stats.check_ins > 0 && stats.chat_messages > 0 && stats.poll_votes > 0);
        let peak = stats.peak_at.expect("a peak");
        assert!((stage.start..stage.end).contains(&peak));
        assert!(timeline.iter().any(|r| r.recording_viewers > 0));
    }
}
