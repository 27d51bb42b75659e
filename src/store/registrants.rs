//! The ticket holders registered for (or interested in) sessions: keyset pages and counts.

use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
};

use chrono::{DateTime, Utc};
use migration::session_search;
use sea_orm::{
    DatabaseConnection, DbBackend, DbErr, DerivePartialModel, EntityTrait, FromQueryResult,
    PartialModelTrait, QuerySelect, QueryTrait, sea_query::Expr,
};

use super::{group_by, sql::Sql};
use crate::{
    db::planned::{self, Plan},
    entity::{enums::RegistrationType, session_registration},
};

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

/// One registration with its holder. Each field names the expression it is read from
/// (over `session_registrations r`, `event_tickets t` and `users u`): the page's select
/// list is made from these ([`ROW_COLUMNS`]), so it is written nowhere else.
#[derive(Clone, Debug, PartialEq, Eq, DerivePartialModel)]
#[sea_orm(entity = "session_registration::Entity")]
pub struct RegistrantRow {
    #[sea_orm(from_expr = "Expr::cust(\"r.id\")")]
    pub registration_id: i64,
    #[sea_orm(from_expr = "Expr::cust(\"r.session_id\")")]
    pub session_id: i64,
    #[sea_orm(from_expr = "Expr::cust(\"r.event_ticket_id\")")]
    pub event_ticket_id: i64,
    #[sea_orm(from_expr = "Expr::cust(\"t.holder_user_id\")")]
    pub user_id: i64,
    #[sea_orm(from_expr = "Expr::cust(\"u.first_name\")")]
    pub first_name: Option<String>,
    #[sea_orm(from_expr = "Expr::cust(\"u.last_name\")")]
    pub last_name: Option<String>,
    #[sea_orm(from_expr = "Expr::cust(\"u.email\")")]
    pub email: String,
    #[sea_orm(from_expr = "Expr::cust(\"u.phone_number\")")]
    pub phone_number: Option<String>,
    #[sea_orm(from_expr = "Expr::cust(\"r.attended\")")]
    pub attended: bool,
    #[sea_orm(from_expr = "Expr::cust(\"r.registered_at\")")]
    pub registered_at: DateTime<Utc>,
    #[sea_orm(from_expr = "Expr::cust(\"r.registration_type\")")]
    pub registration_type: RegistrationType,
    #[sea_orm(from_expr = "Expr::cust(\"r.watch_time_seconds\")")]
    pub watch_time_seconds: i32,
    /// The last-name sort key exactly as the database computes it, for cursors.
    #[sea_orm(from_expr = "Expr::cust(SORT_NAME)")]
    pub sort_name: String,
}

/// The select list of a page branch, `r.id AS "registration_id", ...`, rendered once
/// from [`RegistrantRow`]'s fields (no values: every expression is literal SQL). Both
/// backends quote aliases with `"`, so one rendering serves both.
static ROW_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    let mut select = RegistrantRow::select_cols(session_registration::Entity::find().select_only());
    let query = QueryTrait::query(&mut select).from_clear();
    let text = DbBackend::Sqlite.build(&*query).sql;
    match text.strip_prefix("SELECT ") {
        Some(columns) => columns.to_owned(),
        None => text,
    }
});

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
    /// The columns [`RegistrantRow::from_pg`] reads, in the order of its fields.
    const PG_COLUMNS: [&str; 13] = [
        "registration_id",
        "session_id",
        "event_ticket_id",
        "user_id",
        "first_name",
        "last_name",
        "email",
        "phone_number",
        "attended",
        "registered_at",
        "registration_type",
        "watch_time_seconds",
        "sort_name",
    ];

    /// One row of a page statement on PostgreSQL, read by position (`db::planned::decode`).
    fn from_pg(row: &planned::Reader<'_>) -> Result<Self, sea_orm::sqlx::Error> {
        let registration_type: String = row.get(10)?;
        Ok(Self {
            registration_id: row.get(0)?,
            session_id: row.get(1)?,
            event_ticket_id: row.get(2)?,
            user_id: row.get(3)?,
            first_name: row.get(4)?,
            last_name: row.get(5)?,
            email: row.get(6)?,
            phone_number: row.get(7)?,
            attended: row.get(8)?,
            registered_at: row.get(9)?,
            registration_type: sea_orm::ActiveEnum::try_from_value(&registration_type)
                .map_err(|err| sea_orm::sqlx::Error::Decode(err.to_string().into()))?,
            watch_time_seconds: row.get(11)?,
            sort_name: row.get(12)?,
        })
    }

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

/// The last-name sort key: the `LastNameAsc` order, its keyset and `sort_name`.
const SORT_NAME: &str = "LOWER(COALESCE(u.last_name, ''))";
const FROM_JOINED: &str = " FROM session_registrations r \
     JOIN event_tickets t ON t.id = r.event_ticket_id \
     JOIN users u ON u.id = t.holder_user_id WHERE r.session_id IN ";

/// How a statement searches, decided once per batch by [`lookup`].
#[derive(Clone, Debug, Default)]
struct Lookup {
    /// SQLite, sessions without their own index: the users' trigram index names the
    /// matching users first (otherwise every registration is tested with `GLOB`;
    /// PostgreSQL picks its own way with its trigram indexes).
    users_first: bool,
    /// Sessions whose registrations carry their holder's text (large sessions,
    /// `migration::session_search`): searched through that index, no join needed.
    indexed: HashSet<i64>,
}

/// Matching users above which SQLite reads the session rather than the matches: a
/// broad term ("son": 5,000 of 200,000 users) costs 43 ms users-first on a 1,000-
/// registrant session against 4 ms by scanning it, a narrow one ("4217": 20 users)
/// 3 ms against 213 ms on a 100,000-registrant session (docs/PERFORMANCE.md).
const TRIGRAM_MATCHES_MAX: i64 = 1_000;

/// Which way to search the sessions of a batch. No statement without a search or for a
/// term no index can answer; otherwise one: which of the sessions have their own
/// search index (terms of 3 or more characters without U+001F, the index's field
/// separator; on SQLite ASCII only, where FTS5's case folding and `GLOB`'s classes
/// agree), and on SQLite also how many users match (a walk of the users' trigram index
/// that stops at `TRIGRAM_MATCHES_MAX`).
///
/// Hand-written: one `UNION ALL` of a `session_stats` read and an FTS5 `MATCH` count, so
/// the search costs one extra statement, not two; the index it feeds took session 1's
/// `son` search from 130.0 to 22.4 ms on PostgreSQL and from 141.0 to 25.4 ms on SQLite
/// (docs/PERFORMANCE.md, "The registrant request on a 100,000-registrant session").
async fn lookup(
    db: &DatabaseConnection,
    session_ids: &[i64],
    filter: &RegistrantFilter,
) -> Result<Lookup, DbErr> {
    let Some(search) = &filter.search else {
        return Ok(Lookup::default());
    };
    let backend = db.get_database_backend();
    let trigrams = search.chars().count() >= 3;
    let per_session = trigrams
        && !search.contains('\u{1f}')
        && (backend == DbBackend::Postgres || search.is_ascii());
    let users = backend == DbBackend::Sqlite && trigrams;
    if !per_session && !users {
        return Ok(Lookup::default());
    }
    let mut sql = Sql::new(backend);
    sql.push("SELECT session_id, CAST(NULL AS BIGINT) AS matches FROM session_stats WHERE ");
    if per_session {
        sql.push("search_indexed AND session_id IN ")
            .bind_list(session_ids);
    } else {
        sql.push("FALSE");
    }
    if users {
        sql.push(
            " UNION ALL SELECT NULL, COUNT(*) FROM (\
             SELECT 1 FROM users_search WHERE users_search MATCH ",
        )
        .bind(fts_phrase(search))
        .push(" LIMIT ")
        .bind(TRIGRAM_MATCHES_MAX)
        .push(")");
    }
    let rows = LookupRow::find_by_statement(sql.build()).all(db).await?;
    let mut lookup = Lookup::default();
    for row in rows {
        match (row.session_id, row.matches) {
            (Some(id), _) => {
                if backend == DbBackend::Postgres || session_search::sqlite_tag(id).is_some() {
                    lookup.indexed.insert(id);
                }
            }
            (None, Some(matches)) => lookup.users_first = matches < TRIGRAM_MATCHES_MAX,
            (None, None) => {}
        }
    }
    Ok(lookup)
}

#[derive(FromQueryResult)]
struct LookupRow {
    session_id: Option<i64>,
    matches: Option<i64>,
}

/// The filter of one statement; `session` is the session of a per-session branch.
fn push_filter(sql: &mut Sql, filter: &RegistrantFilter, lookup: &Lookup, session: Option<i64>) {
    if let Some(attended) = filter.attended {
        sql.push(" AND r.attended = ").bind(attended);
    }
    let Some(search) = &filter.search else {
        return;
    };
    if let Some(id) = session.filter(|id| lookup.indexed.contains(id)) {
        match sql.backend() {
            // Exact by construction (`migration::session_search`): no second test.
            DbBackend::Sqlite => {
                sql.push(
                    " AND r.id IN (SELECT rowid FROM session_search WHERE session_search MATCH ",
                )
                .bind(session_match(id, search))
                .push(")");
            }
            _ => {
                sql.push_folded_contains("r.holder_search", search);
            }
        }
        return;
    }
    if lookup.users_first {
        // The trigram index (`users_search`, migration 5) names the candidates;
        // the `GLOB` below stays the exact test.
        sql.push(" AND u.id IN (SELECT rowid FROM users_search WHERE users_search MATCH ")
            .bind(fts_phrase(search))
            .push(")");
    }
    sql.push_contains(&["u.first_name", "u.last_name", "u.email"], search);
}

/// SQLite: the FTS5 query for `search` among the registrations of indexed session `id`
/// (an ASCII term, lower-cased like the indexed text).
fn session_match(id: i64, search: &str) -> String {
    format!(
        "holder : {} AND tag : \"{}\"",
        fts_phrase(&search.to_ascii_lowercase()),
        session_search::sqlite_tag(id).unwrap_or_default()
    )
}

/// `term` as one FTS5 phrase (`"..."`, inner quotes doubled): matched as a substring,
/// case-folded, never read as query syntax.
fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// One key of an order: the expression over the joined rows, the [`RegistrantRow`]
/// column that holds it in a branch's limited rows, and whether it descends.
struct OrderKey {
    expr: &'static str,
    column: &'static str,
    descending: bool,
}

const fn key(expr: &'static str, column: &'static str, descending: bool) -> OrderKey {
    OrderKey {
        expr,
        column,
        descending,
    }
}

/// The keys of each order, registration id last: the one definition that the page's
/// `ORDER BY`, the branch numbering and the keyset conditions are written from.
fn order_keys(order: RegistrantOrder) -> [OrderKey; 2] {
    let id = |descending| key("r.id", "registration_id", descending);
    match order {
        RegistrantOrder::RegistrationDateAsc => {
            [key("r.registered_at", "registered_at", false), id(false)]
        }
        RegistrantOrder::RegistrationDateDesc => {
            [key("r.registered_at", "registered_at", true), id(true)]
        }
        RegistrantOrder::LastNameAsc => [key(SORT_NAME, "sort_name", false), id(false)],
        RegistrantOrder::EngagementDesc => [
            key("r.watch_time_seconds", "watch_time_seconds", true),
            id(false),
        ],
    }
}

/// `ORDER BY` terms of `order`, each key written by `term` (its expression or column).
fn push_order(sql: &mut Sql, order: RegistrantOrder, term: impl Fn(&OrderKey) -> String) {
    for (i, key) in order_keys(order).iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(&term(key))
            .push(if key.descending { " DESC" } else { " ASC" });
    }
}

fn push_keyset(sql: &mut Sql, order: RegistrantOrder, key: &RegistrantKey, id: i64) {
    // `(k > x) OR (k = x AND id > y)`, with the comparisons turned for descending orders.
    let [sort, by_id] = order_keys(order);
    let cmp = |key: &OrderKey| if key.descending { "<" } else { ">" };
    let (column, key_cmp, id_cmp) = (sort.expr, cmp(&sort), cmp(&by_id));
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
/// over `PARTITION BY session_id` sorts them all: 304 ms against 6.1 ms for one
/// session's `ORDER BY ... LIMIT 51`, BENCHMARKS.md "At scale: the registrant page does
/// not use its index"; docs/PERFORMANCE.md "The page as one `UNION ALL` branch per
/// session"). Hand-written to keep exactly that measured shape; its select list and
/// orders still come from [`RegistrantRow`] and [`order_keys`].
pub async fn pages(
    db: &DatabaseConnection,
    session_ids: &[i64],
    args: &RegistrantPageArgs,
) -> Result<HashMap<i64, Vec<RegistrantRow>>, DbErr> {
    let lookup = lookup(db, session_ids, &args.filter).await?;
    let mut rows = Vec::new();
    for chunk in session_ids.chunks(SESSIONS_PER_STATEMENT) {
        let statement = page_statement(db.get_database_backend(), chunk, args, &lookup);
        rows.extend(if db.get_database_backend() == DbBackend::Postgres {
            // A search is planned for its term (`db::planned`); every page is read by
            // column position, its columns found once per statement.
            let plan = match args.filter.search {
                Some(_) => Plan::ForValues,
                None => Plan::Prepared,
            };
            let found = planned::pg_rows(db, &statement, plan).await?;
            planned::decode(&found, &RegistrantRow::PG_COLUMNS, RegistrantRow::from_pg)?
        } else {
            RegistrantRow::find_by_statement(statement).all(db).await?
        });
    }
    Ok(group_by(rows, |r| r.session_id))
}

fn page_statement(
    backend: sea_orm::DbBackend,
    session_ids: &[i64],
    args: &RegistrantPageArgs,
    lookup: &Lookup,
) -> sea_orm::Statement {
    let mut sql = Sql::new(backend);
    if let [session_id] = session_ids {
        // One session (a session's page, the common case) needs no numbering: its rows
        // come in page order. The numbering and the sort after it were a third of the
        // statement's cost in PostgreSQL (pgbench, docs/PERFORMANCE.md "Plain rows").
        push_page(&mut sql, Some(*session_id), args, lookup);
        return sql.build();
    }
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
fn push_branch(sql: &mut Sql, session_id: Option<i64>, args: &RegistrantPageArgs, lookup: &Lookup) {
    // The same order over the columns of the branch's limited rows (`p`), to number them.
    sql.push("SELECT p.*, ROW_NUMBER() OVER (ORDER BY ");
    push_order(sql, args.order, |key| format!("p.{}", key.column));
    sql.push(") AS rn FROM (");
    push_page(sql, session_id, args, lookup);
    sql.push(") p");
}

/// One session's page in page order: `SELECT <columns> FROM … ORDER BY … LIMIT n`.
fn push_page(sql: &mut Sql, session_id: Option<i64>, args: &RegistrantPageArgs, lookup: &Lookup) {
    sql.push("SELECT ").push(&ROW_COLUMNS).push(" FROM ");
    // An indexed session's search needs no holder to filter: unless the order is by
    // name, its page is chosen from the registrations alone and only those rows are
    // joined (2,500 matches on SQLite: 14 ms joined first, 9 ms this way).
    let page_first = args.order != RegistrantOrder::LastNameAsc
        && args.filter.search.is_some()
        && session_id.is_some_and(|id| lookup.indexed.contains(&id));
    if page_first {
        sql.push("(SELECT r.* FROM session_registrations r");
        push_page_conditions(sql, session_id, args, lookup);
        sql.push(
            ") r JOIN event_tickets t ON t.id = r.event_ticket_id \
             JOIN users u ON u.id = t.holder_user_id ORDER BY ",
        );
        push_order(sql, args.order, |key| key.expr.to_owned());
    } else {
        sql.push(
            "session_registrations r JOIN event_tickets t ON t.id = r.event_ticket_id \
             JOIN users u ON u.id = t.holder_user_id",
        );
        push_page_conditions(sql, session_id, args, lookup);
    }
}

/// `WHERE` (session, filter, keyset) `ORDER BY ... LIMIT n` of one branch.
fn push_page_conditions(
    sql: &mut Sql,
    session_id: Option<i64>,
    args: &RegistrantPageArgs,
    lookup: &Lookup,
) {
    sql.push(" WHERE r.session_id = ");
    match session_id {
        Some(id) => sql.bind(id),
        None => sql.push("NULL"),
    };
    push_filter(sql, &args.filter, lookup, session_id);
    if let Some((key, id)) = &args.after {
        push_keyset(sql, args.order, key, *id);
    }
    sql.push(" ORDER BY ");
    push_order(sql, args.order, |key| key.expr.to_owned());
    sql.push(" LIMIT ").bind(args.limit as i64);
}

#[derive(FromQueryResult)]
struct CountRow {
    session_id: i64,
    total: i64,
}

/// How many registrants match `filter`, per session: one statement per 250 sessions.
/// Without a search the answer is in the counters the triggers keep (`session_stats`),
/// whatever the session's size; a search counts the matching registrations, through
/// the session's own search index where it has one.
pub async fn counts(
    db: &DatabaseConnection,
    session_ids: &[i64],
    filter: &RegistrantFilter,
) -> Result<HashMap<i64, i64>, DbErr> {
    if filter.search.is_none() {
        return counted(db, session_ids, filter.attended).await;
    }
    let backend = db.get_database_backend();
    let lookup = lookup(db, session_ids, filter).await?;
    let mut totals = HashMap::with_capacity(session_ids.len());
    for chunk in session_ids.chunks(SESSIONS_PER_STATEMENT) {
        let statement = search_count_statement(backend, chunk, filter, &lookup);
        let rows: Vec<CountRow> = planned::all(db, statement).await?;
        totals.extend(rows.into_iter().map(|r| (r.session_id, r.total)));
    }
    Ok(totals)
}

/// Unsearched counts from the counters (`session_stats`), one statement for any
/// number of sessions: a primary-key lookup each.
async fn counted(
    db: &DatabaseConnection,
    session_ids: &[i64],
    attended: Option<bool>,
) -> Result<HashMap<i64, i64>, DbErr> {
    let stats = super::sessions::stats(db, session_ids).await?;
    Ok(stats
        .into_iter()
        .map(|(id, row)| (id, row.registrations(attended)))
        .collect())
}

/// One `UNION ALL` branch per indexed session (counted from its index alone) and one
/// for the others (joined with their holders).
///
/// Hand-written: an indexed session's count is the FTS5 `MATCH` alone on SQLite (3 ms
/// for session 1's 2,500 `son` matches) and the GIN index's `holder_search LIKE` on
/// PostgreSQL (the plan in docs/PERFORMANCE.md, "PostgreSQL plans of an indexed
/// session's searched count and page"), and SQLite's branch carries the `+session_id`
/// planner hint.
fn search_count_statement(
    backend: DbBackend,
    session_ids: &[i64],
    filter: &RegistrantFilter,
    lookup: &Lookup,
) -> sea_orm::Statement {
    let (indexed, others): (Vec<i64>, Vec<i64>) = session_ids
        .iter()
        .partition(|id| lookup.indexed.contains(id));
    let mut sql = Sql::new(backend);
    for (i, id) in indexed.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        if let (DbBackend::Sqlite, None, Some(search)) = (backend, filter.attended, &filter.search)
        {
            // Exact by construction: the index alone counts.
            sql.push("SELECT CAST(")
                .bind(*id)
                .push(
                    " AS BIGINT) AS session_id, COUNT(*) AS total FROM session_search \
                     WHERE session_search MATCH ",
                )
                .bind(session_match(*id, search));
            continue;
        }
        // SQLite: `+` keeps the planner off the session's index; the FTS5 candidates are
        // never more than the session's rows.
        sql.push(match backend {
            DbBackend::Sqlite => {
                "SELECT r.session_id, COUNT(*) AS total FROM session_registrations r \
                 WHERE +r.session_id = "
            }
            _ => {
                "SELECT r.session_id, COUNT(*) AS total FROM session_registrations r \
                 WHERE r.session_id = "
            }
        })
        .bind(*id);
        push_filter(&mut sql, filter, lookup, Some(*id));
        sql.push(" GROUP BY r.session_id");
    }
    if !others.is_empty() || indexed.is_empty() {
        if !indexed.is_empty() {
            sql.push(" UNION ALL ");
        }
        sql.push("SELECT r.session_id, COUNT(*) AS total")
            .push(FROM_JOINED)
            .bind_list(&others);
        push_filter(&mut sql, filter, lookup, None);
        sql.push(" GROUP BY r.session_id");
    }
    sql.build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_branch_select_list_is_the_rows_fields_and_nothing_else() {
        assert!(ROW_COLUMNS.starts_with("r.id AS \"registration_id\", r.session_id AS "));
        assert!(ROW_COLUMNS.ends_with(&format!("{SORT_NAME} AS \"sort_name\"")));
        assert!(!ROW_COLUMNS.contains("FROM"));
    }
}
