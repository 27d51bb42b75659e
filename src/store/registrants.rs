//! The ticket holders registered for (or interested in) sessions: keyset pages and counts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbBackend, DbErr, FromQueryResult};

use super::{group_by, sql::Sql};
use crate::entity::enums::RegistrationType;

/// Orders of a registrant page. Every order ends with the registration id, so it is total.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegistrantOrder {
    RegistrationDateAsc,
    RegistrationDateDesc,
    LastNameAsc,
    /// Within one session the video length is fixed, so watched share and watch time
    /// order alike: ordering by watch time can use an index.
    EngagementDesc,
}

/// Where the previous page ended, in the page's own order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RegistrantKey {
    #[serde(rename = "d")]
    Date(DateTime<Utc>),
    #[serde(rename = "n")]
    Name(String),
    #[serde(rename = "w")]
    WatchTime(i32),
}

/// Which registrants a page or count covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RegistrantFilter {
    pub attended: Option<bool>,
    /// Case-insensitive substring of first name, last name or email.
    pub search: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegistrantPageArgs {
    pub filter: RegistrantFilter,
    pub order: RegistrantOrder,
    /// Keyset: the sort key and registration id of the previous page's last row.
    pub after: Option<(RegistrantKey, i64)>,
    /// Rows to fetch (page size plus one).
    pub limit: u64,
}

/// One registration with its holder.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct RegistrantRow {
    pub registration_id: i64,
    pub session_id: i64,
    pub event_ticket_id: i64,
    pub user_id: i64,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: String,
    pub phone_number: Option<String>,
    pub attended: bool,
    pub registered_at: DateTime<Utc>,
    pub registration_type: RegistrationType,
    pub watch_time_seconds: i32,
    /// The last-name sort key exactly as the database computes it, for cursors.
    pub sort_name: String,
}

impl RegistrantKey {
    /// Whether this key is of the kind `order` sorts by (a forged cursor may mix them).
    pub fn fits(&self, order: RegistrantOrder) -> bool {
        matches!(
            (order, self),
            (
                RegistrantOrder::RegistrationDateAsc | RegistrantOrder::RegistrationDateDesc,
                Self::Date(_)
            ) | (RegistrantOrder::LastNameAsc, Self::Name(_))
                | (RegistrantOrder::EngagementDesc, Self::WatchTime(_))
        )
    }
}

impl RegistrantRow {
    /// This row's key in `order`, for the cursor that resumes after it.
    pub fn key(&self, order: RegistrantOrder) -> RegistrantKey {
        match order {
            RegistrantOrder::RegistrationDateAsc | RegistrantOrder::RegistrationDateDesc => {
                RegistrantKey::Date(self.registered_at)
            }
            RegistrantOrder::LastNameAsc => RegistrantKey::Name(self.sort_name.clone()),
            RegistrantOrder::EngagementDesc => RegistrantKey::WatchTime(self.watch_time_seconds),
        }
    }
}

const SORT_NAME: &str = "LOWER(COALESCE(u.last_name, ''))";
const FROM_JOINED: &str = " FROM session_registrations r \
     JOIN event_tickets t ON t.id = r.event_ticket_id \
     JOIN users u ON u.id = t.holder_user_id WHERE r.session_id IN ";

/// How a search finds its users.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// Every registration of the session is tested with `LIKE`/`GLOB` (PostgreSQL picks
    /// its own way with its trigram indexes).
    Scan,
    /// SQLite: the trigram index names the matching users first.
    Trigram,
}

/// Matching users above which SQLite reads the session rather than the matches: a
/// broad term ("son": 5,000 of 200,000 users) costs 43 ms users-first on a 1,000-
/// registrant session against 4 ms by scanning it, a narrow one ("4217": 20 users)
/// 3 ms against 213 ms on a 100,000-registrant session (docs/PERFORMANCE.md).
const TRIGRAM_MATCHES_MAX: i64 = 1_000;

/// Whether SQLite should start a search from its trigram index: only for terms the
/// index can answer (3 characters or more) that match few users. One cheap statement
/// (an index walk that stops at `TRIGRAM_MATCHES_MAX`).
async fn lookup(db: &DatabaseConnection, filter: &RegistrantFilter) -> Result<Lookup, DbErr> {
    let Some(search) = &filter.search else {
        return Ok(Lookup::Scan);
    };
    if db.get_database_backend() != DbBackend::Sqlite || search.chars().count() < 3 {
        return Ok(Lookup::Scan);
    }
    let mut sql = Sql::new(DbBackend::Sqlite);
    sql.push(
        "SELECT COUNT(*) AS matches FROM (SELECT 1 FROM users_search WHERE users_search MATCH ",
    )
    .bind(fts_phrase(search))
    .push(" LIMIT ")
    .bind(TRIGRAM_MATCHES_MAX)
    .push(")");
    let matches: Option<i64> = MatchCount::find_by_statement(sql.build())
        .one(db)
        .await?
        .map(|row| row.matches);
    Ok(if matches.unwrap_or(0) < TRIGRAM_MATCHES_MAX {
        Lookup::Trigram
    } else {
        Lookup::Scan
    })
}

#[derive(FromQueryResult)]
struct MatchCount {
    matches: i64,
}

fn push_filter(sql: &mut Sql, filter: &RegistrantFilter, lookup: Lookup) {
    if let Some(attended) = filter.attended {
        sql.push(" AND r.attended = ").bind(attended);
    }
    if let Some(search) = &filter.search {
        if lookup == Lookup::Trigram {
            // The trigram index (`users_search`, migration 5) names the candidates;
            // the `GLOB` below stays the exact test.
            sql.push(" AND u.id IN (SELECT rowid FROM users_search WHERE users_search MATCH ")
                .bind(fts_phrase(search))
                .push(")");
        }
        sql.push_contains(&["u.first_name", "u.last_name", "u.email"], search);
    }
}

/// `term` as one FTS5 phrase (`"..."`, inner quotes doubled): matched as a substring,
/// case-folded, never read as query syntax.
fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// `(column, descending)` of the order, registration id last.
fn order_sql(order: RegistrantOrder) -> &'static str {
    match order {
        RegistrantOrder::RegistrationDateAsc => "r.registered_at ASC, r.id ASC",
        RegistrantOrder::RegistrationDateDesc => "r.registered_at DESC, r.id DESC",
        RegistrantOrder::LastNameAsc => "LOWER(COALESCE(u.last_name, '')) ASC, r.id ASC",
        RegistrantOrder::EngagementDesc => "r.watch_time_seconds DESC, r.id ASC",
    }
}

fn push_keyset(sql: &mut Sql, order: RegistrantOrder, key: &RegistrantKey, id: i64) {
    // `(k > x) OR (k = x AND id > y)`, with the comparisons turned for descending orders.
    let (column, key_cmp, id_cmp) = match order {
        RegistrantOrder::RegistrationDateAsc => ("r.registered_at", ">", ">"),
        RegistrantOrder::RegistrationDateDesc => ("r.registered_at", "<", "<"),
        RegistrantOrder::LastNameAsc => (SORT_NAME, ">", ">"),
        RegistrantOrder::EngagementDesc => ("r.watch_time_seconds", "<", ">"),
    };
    let bind_key = |sql: &mut Sql| match key {
        RegistrantKey::Date(date) => {
            sql.bind(*date);
        }
        RegistrantKey::Name(name) => {
            sql.bind(name.clone());
        }
        RegistrantKey::WatchTime(seconds) => {
            sql.bind(*seconds);
        }
    };
    // The leading `k >= x` (`<=` when descending) is implied by what follows; it is
    // there because an OR is no index bound: with it the scan starts at the cursor
    // instead of at the session's first row.
    sql.push(" AND ")
        .push(column)
        .push(" ")
        .push(key_cmp)
        .push("= ");
    bind_key(sql);
    sql.push(" AND (")
        .push(column)
        .push(" ")
        .push(key_cmp)
        .push(" ");
    bind_key(sql);
    sql.push(" OR (").push(column).push(" = ");
    bind_key(sql);
    sql.push(" AND r.id ")
        .push(id_cmp)
        .push(" ")
        .bind(id)
        .push("))");
}

/// The same order over the columns of one branch's limited rows (`p`), to number them.
fn branch_order_sql(order: RegistrantOrder) -> &'static str {
    match order {
        RegistrantOrder::RegistrationDateAsc => "p.registered_at ASC, p.registration_id ASC",
        RegistrantOrder::RegistrationDateDesc => "p.registered_at DESC, p.registration_id DESC",
        RegistrantOrder::LastNameAsc => "p.sort_name ASC, p.registration_id ASC",
        RegistrantOrder::EngagementDesc => "p.watch_time_seconds DESC, p.registration_id ASC",
    }
}

/// Sessions per statement. SQLite allows at most 500 terms in a compound `SELECT`
/// (`SQLITE_MAX_COMPOUND_SELECT`), and a branch binds up to 8 values; 250 branches
/// stay well inside both limits and above the default page size (100), so a page of
/// sessions still costs one statement.
const SESSIONS_PER_STATEMENT: usize = 250;

/// The requested page of registrants for each session: one statement per 250 sessions.
///
/// Each session is its own `UNION ALL` branch, `WHERE r.session_id = ? ... ORDER BY ...
/// LIMIT n`, so the database walks the session's index in page order and stops after
/// `n` matching rows instead of ranking every registration of the session (a window
/// over `PARTITION BY session_id` sorts them all: 304 ms at 100,000 registrants).
pub async fn pages(
    db: &DatabaseConnection,
    session_ids: &[i64],
    args: &RegistrantPageArgs,
) -> Result<HashMap<i64, Vec<RegistrantRow>>, DbErr> {
    let lookup = lookup(db, &args.filter).await?;
    let mut rows = Vec::new();
    for chunk in session_ids.chunks(SESSIONS_PER_STATEMENT) {
        let statement = page_statement(db.get_database_backend(), chunk, args, lookup);
        rows.extend(RegistrantRow::find_by_statement(statement).all(db).await?);
    }
    Ok(group_by(rows, |r| r.session_id))
}

fn page_statement(
    backend: sea_orm::DbBackend,
    session_ids: &[i64],
    args: &RegistrantPageArgs,
    lookup: Lookup,
) -> sea_orm::Statement {
    let mut sql = Sql::new(backend);
    sql.push("SELECT * FROM (");
    if session_ids.is_empty() {
        // Keeps the statement valid; `session_id = NULL` matches nothing.
        push_branch(&mut sql, None, args, lookup);
    }
    for (i, id) in session_ids.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        push_branch(&mut sql, Some(*id), args, lookup);
    }
    // UNION ALL promises no order (PostgreSQL may run branches in parallel), so each
    // branch numbers its own rows and the few hundred rows are sorted once here.
    sql.push(") pages ORDER BY session_id, rn");
    sql.build()
}

/// `SELECT p.*, ROW_NUMBER() ... FROM (<one session's rows, ordered, limited>) p`.
/// The inner `SELECT` is wrapped because SQLite accepts `ORDER BY`/`LIMIT` only on the
/// last term of a compound `SELECT`.
fn push_branch(sql: &mut Sql, session_id: Option<i64>, args: &RegistrantPageArgs, lookup: Lookup) {
    sql.push("SELECT p.*, ROW_NUMBER() OVER (ORDER BY ")
        .push(branch_order_sql(args.order))
        .push(
            ") AS rn FROM (SELECT r.id AS registration_id, r.session_id, r.event_ticket_id, \
             t.holder_user_id AS user_id, u.first_name, u.last_name, u.email, u.phone_number, \
             r.attended, r.registered_at, r.registration_type, r.watch_time_seconds, ",
        )
        .push(SORT_NAME)
        .push(
            " AS sort_name FROM session_registrations r \
             JOIN event_tickets t ON t.id = r.event_ticket_id \
             JOIN users u ON u.id = t.holder_user_id WHERE r.session_id = ",
        );
    match session_id {
        Some(id) => sql.bind(id),
        None => sql.push("NULL"),
    };
    push_filter(sql, &args.filter, lookup);
    if let Some((key, id)) = &args.after {
        push_keyset(sql, args.order, key, *id);
    }
    sql.push(" ORDER BY ")
        .push(order_sql(args.order))
        .push(" LIMIT ")
        .bind(args.limit as i64)
        .push(") p");
}

#[derive(FromQueryResult)]
struct CountRow {
    session_id: i64,
    total: i64,
}

/// How many registrants match `filter`, per session: one statement. Without a search
/// the answer is in the counters the triggers keep (`session_stats`), whatever the
/// session's size; a search counts the matching registrations.
pub async fn counts(
    db: &DatabaseConnection,
    session_ids: &[i64],
    filter: &RegistrantFilter,
) -> Result<HashMap<i64, i64>, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    if filter.search.is_none() {
        let total = match filter.attended {
            None => "registered + interested",
            Some(true) => "attended",
            Some(false) => "registered + interested - attended",
        };
        sql.push("SELECT session_id, ")
            .push(total)
            .push(" AS total FROM session_stats WHERE session_id IN ")
            .bind_list(session_ids);
    } else {
        sql.push("SELECT r.session_id, COUNT(*) AS total")
            .push(FROM_JOINED)
            .bind_list(session_ids);
        push_filter(&mut sql, filter, lookup(db, filter).await?);
        sql.push(" GROUP BY r.session_id");
    }
    let rows = CountRow::find_by_statement(sql.build()).all(db).await?;
    Ok(rows.into_iter().map(|r| (r.session_id, r.total)).collect())
}
