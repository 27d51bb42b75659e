-- The statements the server runs for
--   session(id) { stats registeredHolderUsers(first: 100, orderBy: ENGAGEMENT_DESC, search) { totalCount edges } }
-- as src/store/{sessions,registrants}.rs build them for one session. The server's
-- PostgreSQL connections plan every execution with its parameters
-- (plan_cache_mode = force_custom_plan, src/db.rs), so literal values show its plans.
-- psql -v session=1 -v search="'%4217%'" -f bench/explain_registrants.sql DATABASE
\set ON_ERROR_STOP on
SET plan_cache_mode = force_custom_plan;
PREPARE stats(bigint) AS SELECT session_id, registered, interested, attendees FROM session_stats WHERE session_id IN ($1);
PREPARE total(bigint, text) AS SELECT r.session_id, COUNT(*) AS total FROM session_registrations r JOIN event_tickets t ON t.id = r.event_ticket_id JOIN users u ON u.id = t.holder_user_id WHERE r.session_id IN ($1) AND (LOWER(u.first_name) LIKE $2 ESCAPE '\' OR LOWER(u.last_name) LIKE $2 ESCAPE '\' OR LOWER(u.email) LIKE $2 ESCAPE '\') GROUP BY r.session_id;
PREPARE page(bigint, text, bigint) AS SELECT * FROM (SELECT p.*, ROW_NUMBER() OVER (ORDER BY p.watch_time_seconds DESC, p.registration_id ASC) AS rn FROM (SELECT r.id AS registration_id, r.session_id, r.event_ticket_id, t.holder_user_id AS user_id, u.first_name, u.last_name, u.email, u.phone_number, r.attended, r.registered_at, r.registration_type, r.watch_time_seconds, LOWER(COALESCE(u.last_name, '')) AS sort_name FROM session_registrations r JOIN event_tickets t ON t.id = r.event_ticket_id JOIN users u ON u.id = t.holder_user_id WHERE r.session_id = $1 AND (LOWER(u.first_name) LIKE $2 ESCAPE '\' OR LOWER(u.last_name) LIKE $2 ESCAPE '\' OR LOWER(u.email) LIKE $2 ESCAPE '\') ORDER BY r.watch_time_seconds DESC, r.id ASC LIMIT $3) p) pages ORDER BY session_id, rn;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE stats(:session);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE total(:session, :search);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE page(:session, :search, 101);
