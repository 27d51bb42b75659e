//! Analytics derived from the activity log: the pure rules (no database) that turn logged events into views, watch time and the timeline.
//!
//! [`derive`] holds the rules; `store::activity` applies them to each ingested batch
//! and `rederive` recomputes every derived table with them, and the seed computes its
//! derived rows with them too, so every writer of the log reports the same figures.

pub mod derive;

pub use derive::{
    Counts, HEARTBEAT_SECONDS, Logged, MIN_VIEW_SECONDS, Mode, SessionFigures, Span, TimelineSlot,
    VIEW_GAP_SECONDS, VideoStats, Viewer, Watching, attends, derive_session, is_heartbeat, merge,
    merge_all, new_slots, slot_of, slots, span_of, threshold, watching,
};
