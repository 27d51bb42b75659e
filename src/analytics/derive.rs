//! The derivation rules as pure functions: an event's interval, views merged by the gap rule, the 30-second rule, timeline slots.
//!
//! Times are whole seconds since 1970. A heartbeat at `t` covers `[t - 10, t]`, a
//! `JOIN` or `LEAVE` the instant `[t, t]` (live); the other kinds are only counted.
//! Per session, viewer and mode the intervals are merged into views: two belong to
//! one view when the gap between them is at most [`VIEW_GAP_SECONDS`]. A view's
//! watched seconds are its span (`end - start`, short gaps included); it counts as a
//! view when that span reaches [`threshold`]. Merging is order-independent and
//! idempotent, which is what makes late, reordered and repeated events harmless.

use std::collections::{BTreeMap, HashMap};

use crate::entity::enums::ActivityKind;

pub use migration::activity::HEARTBEAT_SECONDS;
pub use migration::analytics::{MIN_VIEW_SECONDS, VIEW_GAP_SECONDS};

/// Live (the stream) or recording (on demand): watched and counted apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Live,
    Recording,
}

impl Mode {
    /// The `recording` column of `session_view_segments`.
    pub fn is_recording(self) -> bool {
        self == Mode::Recording
    }
}

/// A closed interval `[start, end]` of whole seconds since 1970 (`start <= end`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

impl Span {
    /// Its length in seconds: a view's watched seconds.
    pub fn seconds(self) -> i64 {
        self.end - self.start
    }
}

/// The interval an event at `at` covers and in which mode, or `None` for the kinds
/// that are only counted (check-in, chat, question, poll vote, the old `VIEW`).
pub fn span_of(kind: ActivityKind, at: i64) -> Option<(Mode, Span)> {
    match kind {
        ActivityKind::LiveHeartbeat => Some((
            Mode::Live,
            Span {
                start: at - HEARTBEAT_SECONDS,
                end: at,
            },
        )),
        ActivityKind::RecordingHeartbeat => Some((
            Mode::Recording,
            Span {
                start: at - HEARTBEAT_SECONDS,
                end: at,
            },
        )),
        ActivityKind::Join | ActivityKind::Leave => Some((Mode::Live, Span { start: at, end: at })),
        ActivityKind::View
        | ActivityKind::Chat
        | ActivityKind::CheckIn
        | ActivityKind::Question
        | ActivityKind::PollVote => None,
    }
}

/// Whether `kind` makes the viewer count as attended (`JOIN`, `LIVE_HEARTBEAT`, `CHECK_IN`).
pub fn attends(kind: ActivityKind) -> bool {
    matches!(
        kind,
        ActivityKind::Join | ActivityKind::LiveHeartbeat | ActivityKind::CheckIn
    )
}

/// Whether `kind` is a heartbeat: the first one makes the registrant's watch time the
/// derived one instead of a stored (imported) figure.
pub fn is_heartbeat(kind: ActivityKind) -> bool {
    matches!(
        kind,
        ActivityKind::LiveHeartbeat | ActivityKind::RecordingHeartbeat
    )
}

/// Whether `a` and `b` belong to one view: they overlap or the gap between them is at
/// most [`VIEW_GAP_SECONDS`].
fn joined(a: Span, b: Span) -> bool {
    b.start - a.end <= VIEW_GAP_SECONDS && a.start - b.end <= VIEW_GAP_SECONDS
}

/// Adds `new` to `views`, which must be sorted by start and merged (every gap between
/// neighbours wider than [`VIEW_GAP_SECONDS`]), and keeps them so: every view within
/// the gap of `new` becomes one view with it. The result does not depend on the order
/// intervals are added in, and adding one twice changes nothing.
pub fn merge(views: &mut Vec<Span>, new: Span) {
    let new = Span {
        start: new.start.min(new.end),
        end: new.start.max(new.end),
    };
    // Views are disjoint and sorted, so their ends ascend like their starts: the views
    // joined with `new` are one run, found by two binary searches.
    let first = views.partition_point(|v| v.end + VIEW_GAP_SECONDS < new.start);
    let last = first + views[first..].partition_point(|v| v.start - new.end <= VIEW_GAP_SECONDS);
    if first == last {
        views.insert(first, new);
        return;
    }
    let merged = Span {
        start: new.start.min(views[first].start),
        end: new.end.max(views[last - 1].end),
    };
    views.splice(first..last, std::iter::once(merged));
}

/// The views of any intervals, in any order (sort and sweep): the same result as
/// [`merge`]-ing them one by one, in `O(n log n)`.
pub fn merge_all(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_unstable();
    let mut views: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match views.last_mut() {
            Some(last) if joined(*last, span) => last.end = last.end.max(span.end),
            _ => views.push(span),
        }
    }
    views
}

/// Seconds of watching that make a view: [`MIN_VIEW_SECONDS`], or the whole video when
/// the session's video (`sessions.duration_seconds`) is shorter.
pub fn threshold(video_seconds: Option<i32>) -> i64 {
    match video_seconds {
        Some(seconds) if seconds > 0 => MIN_VIEW_SECONDS.min(i64::from(seconds)),
        _ => MIN_VIEW_SECONDS,
    }
}

/// A viewer's figures in one mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watching {
    /// Watched seconds: the sum of the views' spans.
    pub seconds: i64,
    /// Views whose span reaches the threshold.
    pub views: i64,
}

/// The figures of one viewer's `views` in one mode.
pub fn watching(views: &[Span], threshold: i64) -> Watching {
    views.iter().fold(Watching::default(), |w, v| Watching {
        seconds: w.seconds + v.seconds(),
        views: w.views + i64::from(v.seconds() >= threshold),
    })
}

/// The timeline slot of an instant: `floor(t / HEARTBEAT_SECONDS)`.
pub fn slot_of(at: i64) -> i64 {
    at.div_euclid(HEARTBEAT_SECONDS)
}

/// The distinct slots `views` cover, ascending: a viewer is concurrent in every slot
/// from `slot_of(start)` to `slot_of(end)` of each view.
pub fn slots(views: &[Span]) -> impl Iterator<Item = i64> {
    let mut last: Option<i64> = None;
    views
        .iter()
        .flat_map(|v| slot_of(v.start)..=slot_of(v.end))
        .filter(move |slot| {
            if last.is_some_and(|l| *slot <= l) {
                return false;
            }
            last = Some(*slot);
            true
        })
}

/// The slot ranges `[first, last]` that `views` cover, ascending, overlapping or
/// touching ranges joined.
fn slot_ranges(views: &[Span]) -> Vec<(i64, i64)> {
    let mut ranges: Vec<(i64, i64)> = Vec::with_capacity(views.len());
    for v in views {
        let (first, last) = (slot_of(v.start), slot_of(v.end));
        match ranges.last_mut() {
            Some(prev) if first <= prev.1 + 1 => prev.1 = prev.1.max(last),
            _ => ranges.push((first, last)),
        }
    }
    ranges
}

/// The slots `after` covers and `before` does not, ascending: where a viewer whose
/// views were `before` and are now `after` (both sorted by start) must be added to the
/// timeline. Costs the number of views plus the number of new slots, however long the
/// views are.
pub fn new_slots(before: &[Span], after: &[Span]) -> Vec<i64> {
    let old = slot_ranges(before);
    let mut out = Vec::new();
    let mut j = 0;
    for (first, last) in slot_ranges(after) {
        let mut cursor = first;
        while j < old.len() && old[j].1 < cursor {
            j += 1;
        }
        let mut k = j;
        while cursor <= last {
            match old.get(k) {
                Some(&(o_first, o_last)) if o_first <= last => {
                    out.extend(cursor..o_first.max(cursor));
                    cursor = cursor.max(o_last + 1);
                    k += 1;
                }
                _ => {
                    out.extend(cursor..=last);
                    break;
                }
            }
        }
    }
    out
}

/// How many events of each counted kind a session received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub joins: i64,
    pub leaves: i64,
    pub check_ins: i64,
    pub chat_messages: i64,
    pub questions: i64,
    pub poll_votes: i64,
}

impl Counts {
    pub fn add(&mut self, kind: ActivityKind) {
        match kind {
            ActivityKind::Join => self.joins += 1,
            ActivityKind::Leave => self.leaves += 1,
            ActivityKind::CheckIn => self.check_ins += 1,
            ActivityKind::Chat => self.chat_messages += 1,
            ActivityKind::Question => self.questions += 1,
            ActivityKind::PollVote => self.poll_votes += 1,
            ActivityKind::View | ActivityKind::LiveHeartbeat | ActivityKind::RecordingHeartbeat => {
            }
        }
    }
}

/// One logged event of a session, as the derivation sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Logged {
    pub user_id: i64,
    pub kind: ActivityKind,
    /// Whole seconds since 1970.
    pub at: i64,
}

/// Everything derived for one viewer of a session (a row of `session_viewer_stats`
/// and its rows of `session_view_segments`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: i64,
    pub live_views: Vec<Span>,
    pub recording_views: Vec<Span>,
    pub live: Watching,
    pub recording: Watching,
    /// A JOIN, LIVE_HEARTBEAT or CHECK_IN was logged.
    pub attended: bool,
    /// A heartbeat was logged: the registrant's watch time is the derived one.
    pub heartbeat: bool,
}

impl Viewer {
    pub fn views(&self, mode: Mode) -> &[Span] {
        match mode {
            Mode::Live => &self.live_views,
            Mode::Recording => &self.recording_views,
        }
    }
}

/// One row of `session_timeline`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimelineSlot {
    pub slot: i64,
    pub live_viewers: i64,
    pub recording_viewers: i64,
    pub joins: i64,
    pub leaves: i64,
}

/// The row of `session_video_stats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VideoStats {
    pub live_views: i64,
    pub recording_views: i64,
    pub live_viewers: i64,
    pub recording_viewers: i64,
    pub unique_live_viewers: i64,
    pub unique_recording_viewers: i64,
    pub live_seconds: i64,
    pub recording_seconds: i64,
    pub counts: Counts,
    pub peak_concurrent_viewers: i64,
    /// Unix seconds of the first slot reaching the peak (`None` with no live viewer).
    pub peak_at: Option<i64>,
}

/// Everything derived for one session from its whole log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionFigures {
    /// By user id.
    pub viewers: Vec<Viewer>,
    /// By slot.
    pub timeline: Vec<TimelineSlot>,
    pub video: VideoStats,
}

/// Derives a session's figures from all of its logged events (any order), with the
/// view threshold of its video ([`threshold`]). Used by `rederive` and the seed; the
/// ingestion path reaches the same figures incrementally.
pub fn derive_session(threshold: i64, events: impl IntoIterator<Item = Logged>) -> SessionFigures {
    #[derive(Default)]
    struct Raw {
        live: Vec<Span>,
        recording: Vec<Span>,
        attended: bool,
        heartbeat: bool,
    }
    let mut raw: HashMap<i64, Raw> = HashMap::new();
    let mut timeline: BTreeMap<i64, TimelineSlot> = BTreeMap::new();
    let mut counts = Counts::default();
    for e in events {
        counts.add(e.kind);
        let viewer = raw.entry(e.user_id).or_default();
        viewer.attended |= attends(e.kind);
        viewer.heartbeat |= is_heartbeat(e.kind);
        if let Some((mode, span)) = span_of(e.kind, e.at) {
            match mode {
                Mode::Live => viewer.live.push(span),
                Mode::Recording => viewer.recording.push(span),
            }
        }
        if matches!(e.kind, ActivityKind::Join | ActivityKind::Leave) {
            let slot = slot_of(e.at);
            let row = timeline.entry(slot).or_insert(TimelineSlot {
                slot,
                ..TimelineSlot::default()
            });
            if e.kind == ActivityKind::Join {
                row.joins += 1;
            } else {
                row.leaves += 1;
            }
        }
    }
    let mut video = VideoStats {
        counts,
        ..VideoStats::default()
    };
    let mut viewers: Vec<Viewer> = raw
        .into_iter()
        .map(|(user_id, r)| {
            let live_views = merge_all(r.live);
            let recording_views = merge_all(r.recording);
            Viewer {
                user_id,
                live: watching(&live_views, threshold),
                recording: watching(&recording_views, threshold),
                live_views,
                recording_views,
                attended: r.attended,
                heartbeat: r.heartbeat,
            }
        })
        .collect();
    viewers.sort_unstable_by_key(|v| v.user_id);
    for v in &viewers {
        video.live_views += v.live.views;
        video.recording_views += v.recording.views;
        video.live_seconds += v.live.seconds;
        video.recording_seconds += v.recording.seconds;
        video.live_viewers += i64::from(!v.live_views.is_empty());
        video.recording_viewers += i64::from(!v.recording_views.is_empty());
        video.unique_live_viewers += i64::from(v.live.views > 0);
        video.unique_recording_viewers += i64::from(v.recording.views > 0);
        for slot in slots(&v.live_views) {
            timeline
                .entry(slot)
                .or_insert(TimelineSlot {
                    slot,
                    ..TimelineSlot::default()
                })
                .live_viewers += 1;
        }
        for slot in slots(&v.recording_views) {
            timeline
                .entry(slot)
                .or_insert(TimelineSlot {
                    slot,
                    ..TimelineSlot::default()
                })
                .recording_viewers += 1;
        }
    }
    for row in timeline.values() {
        // Slots ascend: `>` keeps the first slot that reaches the peak.
        if row.live_viewers > video.peak_concurrent_viewers {
            video.peak_concurrent_viewers = row.live_viewers;
            video.peak_at = Some(row.slot * HEARTBEAT_SECONDS);
        }
    }
    SessionFigures {
        viewers,
        timeline: timeline.into_values().collect(),
        video,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn span(start: i64, end: i64) -> Span {
        Span { start, end }
    }

    fn merged(spans: &[Span]) -> Vec<Span> {
        let mut views = Vec::new();
        for s in spans {
            merge(&mut views, *s);
        }
        views
    }

    /// The live views of a viewer who joined at 0 and sent heartbeats at `beats`.
    fn live_views(beats: &[i64]) -> Vec<Span> {
        let mut views = vec![
            span_of(ActivityKind::Join, 0)
                .expect("a JOIN has an interval")
                .1,
        ];
        for &at in beats {
            let (mode, s) = span_of(ActivityKind::LiveHeartbeat, at).expect("an interval");
            assert_eq!(mode, Mode::Live);
            merge(&mut views, s);
        }
        views
    }

    #[test]
    fn a_gap_of_exactly_60_seconds_joins_and_61_splits() {
        assert_eq!(merged(&[span(0, 10), span(70, 80)]), vec![span(0, 80)]);
        assert_eq!(
            merged(&[span(0, 10), span(71, 81)]),
            vec![span(0, 10), span(71, 81)]
        );
        // From the other side too.
        assert_eq!(merged(&[span(70, 80), span(0, 10)]), vec![span(0, 80)]);
        assert_eq!(
            merged(&[span(71, 81), span(0, 10)]),
            vec![span(0, 10), span(71, 81)]
        );
    }

    #[test]
    fn an_interval_between_two_views_joins_them() {
        let mut views = merged(&[span(0, 10), span(120, 130)]);
        assert_eq!(views.len(), 2);
        merge(&mut views, span(60, 70));
        assert_eq!(views, vec![span(0, 130)]);
        assert_eq!(
            watching(&views, 30),
            Watching {
                seconds: 130,
                views: 1
            }
        );
    }

    #[test]
    fn the_30_second_rule_at_29_30_and_31_seconds() {
        let t = threshold(None);
        assert_eq!(t, 30);
        assert_eq!(
            watching(&live_views(&[10, 20, 29]), t),
            Watching {
                seconds: 29,
                views: 0
            }
        );
        assert_eq!(
            watching(&live_views(&[10, 20, 30]), t),
            Watching {
                seconds: 30,
                views: 1
            }
        );
        assert_eq!(
            watching(&live_views(&[10, 20, 31]), t),
            Watching {
                seconds: 31,
                views: 1
            }
        );
    }

    #[test]
    fn a_video_shorter_than_30_seconds_counts_when_watched_whole() {
        let t = threshold(Some(20));
        assert_eq!(t, 20);
        assert_eq!(watching(&live_views(&[10, 19]), t).views, 0);
        assert_eq!(watching(&live_views(&[10, 20]), t).views, 1);
        // Unknown or zero length: the plain 30 seconds; a long video too.
        assert_eq!(threshold(Some(0)), 30);
        assert_eq!(threshold(Some(-5)), 30);
        assert_eq!(threshold(Some(3600)), 30);
    }

    #[test]
    fn overlapping_and_duplicate_heartbeats_count_once() {
        let beats = [0, 3, 10, 19, 20, 20];
        let mut views = Vec::new();
        for at in beats {
            merge(
                &mut views,
                span_of(ActivityKind::LiveHeartbeat, at)
                    .expect("an interval")
                    .1,
            );
        }
        assert_eq!(views, vec![span(-10, 20)]);
        assert_eq!(
            watching(&views, 30),
            Watching {
                seconds: 30,
                views: 1
            }
        );
    }

    #[test]
    fn only_joins_leaves_and_heartbeats_have_intervals() {
        assert_eq!(
            span_of(ActivityKind::RecordingHeartbeat, 100),
            Some((Mode::Recording, span(90, 100)))
        );
        assert_eq!(
            span_of(ActivityKind::Leave, 100),
            Some((Mode::Live, span(100, 100)))
        );
        for kind in [
            ActivityKind::CheckIn,
            ActivityKind::Chat,
            ActivityKind::Question,
            ActivityKind::PollVote,
            ActivityKind::View,
        ] {
            assert_eq!(span_of(kind, 100), None, "{kind:?}");
        }
    }

    #[test]
    fn slots_are_distinct_and_ascending() {
        let views = merged(&[span(5, 25), span(100, 100)]);
        assert_eq!(slots(&views).collect::<Vec<_>>(), vec![0, 1, 2, 10]);
        // Touching slots of two spans given unmerged are still listed once.
        assert_eq!(
            slots(&[span(0, 15), span(12, 30)]).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
        assert_eq!(slot_of(-1), -1);
    }

    #[test]
    fn a_session_is_derived_from_its_log() {
        let log = [
            (1, ActivityKind::Join, 1000),
            (1, ActivityKind::LiveHeartbeat, 1010),
            (1, ActivityKind::LiveHeartbeat, 1040),
            (2, ActivityKind::RecordingHeartbeat, 5000),
            (2, ActivityKind::Chat, 5001),
            (1, ActivityKind::Leave, 1041),
            (3, ActivityKind::CheckIn, 1000),
        ]
        .map(|(user_id, kind, at)| Logged { user_id, kind, at });
        let figures = derive_session(30, log);
        let one = &figures.viewers[0];
        assert_eq!(one.live_views, vec![span(1000, 1041)]);
        assert_eq!(
            one.live,
            Watching {
                seconds: 41,
                views: 1
            }
        );
        assert!(one.attended && one.heartbeat);
        let two = &figures.viewers[1];
        assert_eq!(
            two.recording,
            Watching {
                seconds: 10,
                views: 0
            }
        );
        assert!(!two.attended && two.heartbeat);
        let three = &figures.viewers[2];
        assert!(three.attended && !three.heartbeat && three.live_views.is_empty());
        let v = figures.video;
        assert_eq!(
            (v.live_views, v.live_viewers, v.unique_live_viewers),
            (1, 1, 1)
        );
        assert_eq!(
            (
                v.recording_views,
                v.recording_viewers,
                v.unique_recording_viewers
            ),
            (0, 1, 0)
        );
        assert_eq!((v.live_seconds, v.recording_seconds), (41, 10));
        assert_eq!(
            (
                v.counts.joins,
                v.counts.leaves,
                v.counts.check_ins,
                v.counts.chat_messages
            ),
            (1, 1, 1, 1)
        );
        assert_eq!((v.peak_concurrent_viewers, v.peak_at), (1, Some(1000)));
        let live_slots: Vec<i64> = figures
            .timeline
            .iter()
            .filter(|r| r.live_viewers > 0)
            .map(|r| r.slot)
            .collect();
        assert_eq!(live_slots, (100..=104).collect::<Vec<_>>());
        assert_eq!(figures.timeline[0].joins, 1);
        assert_eq!(figures.timeline[4].leaves, 1);
        assert_eq!(
            figures
                .timeline
                .last()
                .map(|r| (r.slot, r.recording_viewers)),
            Some((500, 1))
        );
    }

    fn intervals() -> impl Strategy<Value = Vec<Span>> {
        prop::collection::vec(
            (
                0i64..3_000,
                prop_oneof![Just(0i64), Just(HEARTBEAT_SECONDS)],
            )
                .prop_map(|(end, len)| span(end - len, end)),
            0..40,
        )
    }

    proptest! {
        #[test]
        fn any_order_gives_the_same_views(spans in intervals(), seed in any::<u64>()) {
            let expected = merge_all(spans.clone());
            // Sorted, and every gap between neighbours wider than the view gap.
            for pair in expected.windows(2) {
                prop_assert!(pair[1].start - pair[0].end > VIEW_GAP_SECONDS);
            }
            prop_assert_eq!(&merged(&spans), &expected);
            let mut reversed = spans.clone();
            reversed.reverse();
            prop_assert_eq!(&merged(&reversed), &expected);
            // A pseudo-random permutation (Fisher-Yates with a small LCG).
            let mut shuffled = spans.clone();
            let mut state = seed | 1;
            for i in (1..shuffled.len()).rev() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (state >> 33) as usize % (i + 1));
            }
            prop_assert_eq!(&merged(&shuffled), &expected);
        }

        #[test]
        fn new_slots_are_the_slots_gained(spans in intervals(), more in intervals()) {
            let before = merge_all(spans.clone());
            let after = merge_all([spans, more].concat());
            let had: std::collections::BTreeSet<i64> = slots(&before).collect();
            let gained: Vec<i64> = slots(&after).filter(|s| !had.contains(s)).collect();
            prop_assert_eq!(new_slots(&before, &after), gained);
            // Unrelated views on both sides (not a superset) still give a set difference.
            let had: std::collections::BTreeSet<i64> = slots(&after).collect();
            let gained: Vec<i64> = slots(&before).filter(|s| !had.contains(s)).collect();
            prop_assert_eq!(new_slots(&after, &before), gained);
        }

        #[test]
        fn merging_again_changes_nothing(spans in intervals()) {
            let once = merged(&spans);
            let mut twice = once.clone();
            for s in &spans {
                merge(&mut twice, *s);
            }
            prop_assert_eq!(&twice, &once);
            // Views merged with their own views are the same views.
            prop_assert_eq!(merge_all([once.clone(), once.clone()].concat()), once);
        }
    }
}
