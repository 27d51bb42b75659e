//! Tables of the analytics derived from the activity log: view segments, per-session video figures, the timeline.
//!
//! Derivation runs in Rust (`src/analytics/`), in the transaction that logs the events,
//! not in triggers: merging a viewer's watching into views and the 30-second rule need
//! the viewer's segments as a whole, and one set of multi-row statements per batch
//! keeps ingestion fast on both backends. Every writer of the log (`recordActivity`,
//! `import`, `seed`) calls that one derivation, and `session-analytics rederive`
//! recomputes everything from the log.
//!
//! The rules (times are whole seconds since 1970):
//! - A `JOIN`, `LEAVE` or `CHECK_IN` covers the instant `[t, t]`; a heartbeat covers the
//!   `HEARTBEAT_SECONDS` before it, `[t - 10, t]`. Live kinds (`JOIN`, `LEAVE`,
//!   `LIVE_HEARTBEAT`) feed live watching, `RECORDING_HEARTBEAT` feeds recording watching.
//! - A viewer's intervals, per mode, are kept merged into views, so duplicate and
//!   overlapping heartbeats count once and arrival order does not matter.
//! - A view is a run of intervals separated by gaps of at most `VIEW_GAP_SECONDS`, one
//!   row of `session_view_segments`; its watched seconds are its span (`end - start`,
//!   short gaps included). It counts when it reaches `MIN_VIEW_SECONDS`, or the whole
//!   video (`sessions.duration_seconds`) when that is shorter.
//! - A timeline slot is `floor(t / HEARTBEAT_SECONDS)`; a viewer is concurrent in a slot
//!   when one of their segments intersects it.

/// The widest gap, in seconds, between two stretches of watching of one view.
pub const VIEW_GAP_SECONDS: i64 = 60;

/// Seconds of watching that make a view (or the whole video when it is shorter).
pub const MIN_VIEW_SECONDS: i64 = 30;

/// The tables and columns; foreign keys to sessions and users are checked at commit, as
/// for `session_stats`.
pub const CREATE_TABLES: &[&str] = &[
    // The slots of migration 7 are replaced by segments; its triggers are dropped first.
    "DROP TABLE IF EXISTS session_watch_slots",
    // Figures derived under migration 7's rules are recomputed by `rederive`.
    "DELETE FROM session_viewer_stats",
    "ALTER TABLE session_viewer_stats ADD COLUMN live_views INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE session_viewer_stats ADD COLUMN recording_views INTEGER NOT NULL DEFAULT 0",
    "CREATE TABLE session_view_segments (\
       session_id BIGINT NOT NULL \
         REFERENCES sessions (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       user_id BIGINT NOT NULL \
         REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       recording BOOLEAN NOT NULL, \
       started_at BIGINT NOT NULL, \
       ended_at BIGINT NOT NULL, \
       PRIMARY KEY (session_id, user_id, recording, started_at))",
    "CREATE INDEX idx_session_view_segments_user_id ON session_view_segments (user_id)",
    "CREATE TABLE session_video_stats (\
       session_id BIGINT NOT NULL PRIMARY KEY \
         REFERENCES sessions (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       live_views BIGINT NOT NULL DEFAULT 0, \
       recording_views BIGINT NOT NULL DEFAULT 0, \
       live_viewers BIGINT NOT NULL DEFAULT 0, \
       recording_viewers BIGINT NOT NULL DEFAULT 0, \
       unique_live_viewers BIGINT NOT NULL DEFAULT 0, \
       unique_recording_viewers BIGINT NOT NULL DEFAULT 0, \
       live_seconds BIGINT NOT NULL DEFAULT 0, \
       recording_seconds BIGINT NOT NULL DEFAULT 0, \
       joins BIGINT NOT NULL DEFAULT 0, \
       leaves BIGINT NOT NULL DEFAULT 0, \
       check_ins BIGINT NOT NULL DEFAULT 0, \
       chat_messages BIGINT NOT NULL DEFAULT 0, \
       questions BIGINT NOT NULL DEFAULT 0, \
       poll_votes BIGINT NOT NULL DEFAULT 0, \
       peak_concurrent_viewers BIGINT NOT NULL DEFAULT 0, \
       peak_at BIGINT NULL)",
    "CREATE TABLE session_timeline (\
       session_id BIGINT NOT NULL \
         REFERENCES sessions (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       slot BIGINT NOT NULL, \
       live_viewers BIGINT NOT NULL DEFAULT 0, \
       recording_viewers BIGINT NOT NULL DEFAULT 0, \
       joins BIGINT NOT NULL DEFAULT 0, \
       leaves BIGINT NOT NULL DEFAULT 0, \
       PRIMARY KEY (session_id, slot))",
];

/// The way back to migration 7's tables (its triggers are created again after these).
pub const DROP_TABLES: &[&str] = &[
    "DROP TABLE IF EXISTS session_timeline",
    "DROP TABLE IF EXISTS session_video_stats",
    "DROP TABLE IF EXISTS session_view_segments",
    "DELETE FROM session_viewer_stats",
    "ALTER TABLE session_viewer_stats DROP COLUMN recording_views",
    "ALTER TABLE session_viewer_stats DROP COLUMN live_views",
    "CREATE TABLE session_watch_slots (\
       session_id BIGINT NOT NULL \
         REFERENCES sessions (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       user_id BIGINT NOT NULL \
         REFERENCES users (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, \
       recording BOOLEAN NOT NULL, \
       slot BIGINT NOT NULL, \
       PRIMARY KEY (session_id, user_id, recording, slot))",
    "CREATE INDEX idx_session_watch_slots_user_id ON session_watch_slots (user_id)",
];
