//! A per-registration search index for large sessions, kept by triggers.
//!
//! A registrant search must count every match in the session. Starting from the users
//! who match costs a probe per matching user's ticket, and scanning the session costs a
//! test per registration: for a broad term on a 100,000-registrant session both are tens
//! of milliseconds. So registrations of sessions with at least
//! `session_search_settings.min_registrations` registrations (10,000 by default) carry
//! their holder's names and email in `holder_search`, and an index answers "this
//! session, this substring" by itself:
//! - PostgreSQL: a partial GIN index on `(session_id, holder_search gin_trgm_ops)`
//!   (`btree_gin` puts the session id into the same index), text lower-cased;
//! - SQLite: a contentless FTS5 trigram table `session_search(holder, tag)` whose rows
//!   are the registrations, `tag` being the session id as one trigram; text with its
//!   ASCII letters lower-cased and a case-sensitive index, so that for an ASCII term a
//!   match is exactly a match of the scan's `GLOB` and the index alone can count.
//!
//! Smaller sessions are not indexed: reading their at most 10,000 registrations is
//! cheap, and indexing every registration would triple the cost of a bulk load. A
//! session is indexed when its counters (`session_stats`) first reach the threshold and
//! stays indexed. `session_stats.search_indexed` says which sessions are, so a query
//! knows which way to search. The fields are joined by U+001F, which no search term
//! that uses this index contains, so a match never spans two fields.

use sea_orm_migration::sea_orm::DbBackend;

use crate::triggers::{self, Trigger};

/// The text of the holder of ticket `$TICKET`, as the backend's search compares it.
fn holder_text(backend: DbBackend, ticket: &str) -> String {
    let fields = match backend {
        DbBackend::Postgres => {
            "LOWER(COALESCE(u.first_name, '')) || chr(31) || LOWER(COALESCE(u.last_name, '')) \
             || chr(31) || LOWER(u.email)"
        }
        // SQLite's LOWER folds ASCII letters only: with a case-sensitive trigram
        // index, an ASCII term then matches exactly what the scan's `GLOB` classes do.
        _ => {
            "LOWER(COALESCE(u.first_name, '')) || char(31) || LOWER(COALESCE(u.last_name, '')) \
             || char(31) || LOWER(u.email)"
        }
    };
    format!(
        "(SELECT {fields} FROM event_tickets t JOIN users u ON u.id = t.holder_user_id \
         WHERE t.id = {ticket})"
    )
}

/// Whether session `$ID` is indexed.
fn indexed(session: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM session_stats s WHERE s.session_id = {session} AND s.search_indexed)"
    )
}

/// Digits of a SQLite tag.
const TAG_BASE: i64 = 20_992;

/// The SQLite tag of a session: its id in base 20,992 as three CJK ideographs, i.e.
/// exactly one trigram; `None` from id 20,992³ (9.2e12) on, where tags would repeat
/// (such sessions are searched without the index).
pub fn sqlite_tag(session_id: i64) -> Option<String> {
    const BASE: i64 = TAG_BASE;
    if !(0..BASE * BASE * BASE).contains(&session_id) {
        return None;
    }
    let tag = [
        (session_id / (BASE * BASE)).rem_euclid(BASE),
        (session_id / BASE).rem_euclid(BASE),
        session_id.rem_euclid(BASE),
    ]
    .iter()
    .map(|digit| char::from_u32(0x4E00 + *digit as u32).unwrap_or('\u{4E00}'))
    .collect();
    Some(tag)
}

/// [`sqlite_tag`] in SQL, for the triggers.
fn sqlite_tag_sql(session: &str) -> String {
    format!(
        "char(19968 + ({session} / 440664064) % 20992, 19968 + ({session} / 20992) % 20992, \
         19968 + {session} % 20992)"
    )
}

fn triggers(backend: DbBackend) -> Vec<Trigger> {
    let threshold = "(SELECT min_registrations FROM session_search_settings)";
    let mut out = vec![
        Trigger {
            name: "session_search_fill",
            when: "AFTER UPDATE OF registered, interested ON session_stats",
            // PostgreSQL allows no subquery in `WHEN`: the threshold is tested in the body.
            only_if: Some("NOT NEW.search_indexed".to_owned()),
            before: false,
            body: vec![
                format!(
                    "UPDATE session_stats SET search_indexed = TRUE WHERE session_id = \
                     NEW.session_id AND NEW.registered + NEW.interested >= {threshold}"
                ),
                format!(
                    "UPDATE session_registrations SET holder_search = {} \
                     WHERE session_id = NEW.session_id \
                     AND NEW.registered + NEW.interested >= {threshold}",
                    holder_text(backend, "session_registrations.event_ticket_id")
                ),
            ],
        },
        Trigger {
            name: "session_search_registration_insert",
            when: "AFTER INSERT ON session_registrations",
            only_if: None,
            before: false,
            body: vec![format!(
                "UPDATE session_registrations SET holder_search = {} WHERE id = NEW.id AND {}",
                holder_text(backend, "NEW.event_ticket_id"),
                indexed("NEW.session_id")
            )],
        },
        Trigger {
            name: "session_search_registration_move",
            when: "AFTER UPDATE OF session_id, event_ticket_id ON session_registrations",
            only_if: None,
            before: false,
            body: vec![format!(
                "UPDATE session_registrations SET holder_search = CASE WHEN {} THEN {} END \
                 WHERE id = NEW.id",
                indexed("NEW.session_id"),
                holder_text(backend, "NEW.event_ticket_id")
            )],
        },
        Trigger {
            name: "session_search_user_update",
            when: "AFTER UPDATE OF first_name, last_name, email ON users",
            only_if: None,
            before: false,
            body: vec![format!(
                "UPDATE session_registrations SET holder_search = {} \
                 WHERE holder_search IS NOT NULL AND event_ticket_id IN (\
                   SELECT t.id FROM event_tickets t WHERE t.holder_user_id = NEW.id)",
                holder_text(backend, "session_registrations.event_ticket_id")
            )],
        },
        Trigger {
            name: "session_search_ticket_transfer",
            when: "AFTER UPDATE OF holder_user_id ON event_tickets",
            only_if: None,
            before: false,
            body: vec![format!(
                "UPDATE session_registrations SET holder_search = {} \
                 WHERE holder_search IS NOT NULL AND event_ticket_id = NEW.id",
                holder_text(backend, "NEW.id")
            )],
        },
    ];
    if backend == DbBackend::Sqlite {
        // The FTS5 table follows `holder_search` (and the session, through the tag).
        out.push(Trigger {
            name: "session_search_fts_update",
            when: "AFTER UPDATE OF holder_search ON session_registrations",
            only_if: None,
            before: false,
            body: vec![
                // A constant condition: SQLite skips the statement for rows without text.
                "DELETE FROM session_search WHERE rowid = OLD.id AND OLD.holder_search IS NOT NULL"
                    .to_owned(),
                format!(
                    "INSERT INTO session_search (rowid, holder, tag) \
                     SELECT NEW.id, NEW.holder_search, {} WHERE NEW.holder_search IS NOT NULL",
                    sqlite_tag_sql("NEW.session_id")
                ),
            ],
        });
        out.push(Trigger {
            name: "session_search_fts_delete",
            when: "AFTER DELETE ON session_registrations",
            only_if: Some("OLD.holder_search IS NOT NULL".to_owned()),
            before: false,
            body: vec!["DELETE FROM session_search WHERE rowid = OLD.id".to_owned()],
        });
    }
    out
}

/// Tables, columns and indexes (before the triggers and [`FILL`]).
pub fn create_tables(backend: DbBackend) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if backend == DbBackend::Postgres {
        // Ships with PostgreSQL (contrib) like pg_trgm, and is a trusted extension.
        out.push("CREATE EXTENSION IF NOT EXISTS btree_gin".into());
    }
    out.extend(
        [
            "ALTER TABLE session_stats ADD COLUMN search_indexed BOOLEAN NOT NULL DEFAULT FALSE",
            "ALTER TABLE session_registrations ADD COLUMN holder_search TEXT",
            // One row (id 1); a key, like `cache_generation`, so tools that want one
            // (sea-orm-cli, PostGraphile) take the table as it is.
            "CREATE TABLE session_search_settings (id INTEGER NOT NULL PRIMARY KEY, \
             min_registrations BIGINT NOT NULL)",
            "INSERT INTO session_search_settings (id, min_registrations) VALUES (1, 10000)",
        ]
        .map(String::from),
    );
    out.push(match backend {
        DbBackend::Postgres => "CREATE INDEX idx_session_registrations_holder_search \
             ON session_registrations USING gin (session_id, holder_search gin_trgm_ops) \
             WHERE holder_search IS NOT NULL"
            .into(),
        _ => "CREATE VIRTUAL TABLE session_search USING fts5(holder, tag, content='', \
             contentless_delete=1, tokenize='trigram case_sensitive 1')"
            .into(),
    });
    out
}

pub fn drop_tables(backend: DbBackend) -> Vec<String> {
    let mut out: Vec<String> = vec![match backend {
        DbBackend::Postgres => {
            "DROP INDEX IF EXISTS idx_session_registrations_holder_search".into()
        }
        _ => "DROP TABLE IF EXISTS session_search".into(),
    }];
    out.extend(
        [
            "DROP TABLE IF EXISTS session_search_settings",
            "ALTER TABLE session_registrations DROP COLUMN holder_search",
            "ALTER TABLE session_stats DROP COLUMN search_indexed",
        ]
        .map(String::from),
    );
    out
}

/// Gives the registrations of every session at the threshold their holder's text
/// (registrations start without it), choosing the sessions by counting registrations,
/// so that a bulk load can run it before its indexes and counters are back.
pub fn fill_text(backend: DbBackend) -> String {
    format!(
        "UPDATE session_registrations SET holder_search = {} WHERE session_id IN (\
           SELECT session_id FROM session_registrations GROUP BY session_id \
           HAVING SUM(CASE WHEN registration_type IN ('REGISTERED', 'INTERESTED') \
             THEN 1 ELSE 0 END) >= (SELECT min_registrations FROM session_search_settings))",
        holder_text(backend, "session_registrations.event_ticket_id")
    )
}

/// SQLite: builds the FTS5 table from the filled text in one statement (cheaper than
/// its triggers row by row, so run this before creating them). Nothing on PostgreSQL,
/// whose index follows the column.
pub fn fill_index(backend: DbBackend) -> Vec<String> {
    match backend {
        DbBackend::Sqlite => vec![
            // A reseed deletes registrations with the triggers off: start afresh.
            "INSERT INTO session_search (session_search) VALUES ('delete-all')".to_owned(),
            format!(
                "INSERT INTO session_search (rowid, holder, tag) \
                 SELECT id, holder_search, {} FROM session_registrations \
                 WHERE holder_search IS NOT NULL",
                sqlite_tag_sql("session_id")
            ),
        ],
        _ => Vec::new(),
    }
}

/// Marks the sessions at the threshold as indexed, after the counters are computed.
pub const MARK: &str = "UPDATE session_stats SET search_indexed = (registered + interested >= \
     (SELECT min_registrations FROM session_search_settings))";

/// Everything [`fill_text`], [`fill_index`] and [`MARK`] do, for a database whose
/// counters are up to date; before [`create_triggers`].
pub fn fill(backend: DbBackend) -> Vec<String> {
    [fill_text(backend)]
        .into_iter()
        .chain(fill_index(backend))
        .chain([MARK.to_owned()])
        .collect()
}

/// Statements that create the triggers (and on PostgreSQL their functions).
pub fn create_triggers(backend: DbBackend) -> Vec<String> {
    triggers::create(backend, triggers(backend))
}

/// Statements that drop the triggers (PostgreSQL's functions stay until
/// [`drop_functions`]).
pub fn drop_triggers(backend: DbBackend) -> Vec<String> {
    triggers::drop(backend, triggers(backend))
}

pub fn drop_functions(backend: DbBackend) -> Vec<String> {
    triggers::drop_functions(backend, triggers(backend))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_three_ideographs_and_follow_the_sql_formula() {
        let tag = |id| sqlite_tag(id).expect("a tag");
        assert_eq!(tag(1), "\u{4E00}\u{4E00}\u{4E01}");
        assert_eq!(tag(20_992 + 5).chars().nth(1), Some('\u{4E01}'));
        assert_eq!(tag(20_992 * 20_992 * 3).chars().next(), Some('\u{4E03}'));
        assert_eq!(sqlite_tag(20_992 * 20_992 * 20_992), None);
        assert_eq!(sqlite_tag(-1), None);
    }
}
