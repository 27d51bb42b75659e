//! Statements PostgreSQL plans for their own parameter values on every execution.
//!
//! sea-orm runs every statement as a named, prepared statement, and after five runs
//! PostgreSQL may reuse a generic plan made without the parameters. That is what most
//! statements want: the plan is made once per connection, not on every bind (Q1 ran at
//! 1.90x the requests per second once every statement was allowed a generic plan,
//! docs/PERFORMANCE.md "Plan caching"). A registrant search is the exception: its best
//! plan depends on how many registrations the term matches, and for a two-character term
//! the generic plan walks a 100,000-registrant session in page order (645 ms instead of
//! 136 ms). sea-orm has no per-statement switch, so [`all`] runs such a statement
//! through sqlx as an unnamed statement, which PostgreSQL plans with its values every
//! time, on the same pool and counted like every other statement.
//!
//! [`pg_rows`] also runs prepared statements ([`Plan::Prepared`], what sea-orm does) for
//! callers that read many rows and decode them themselves, by column position, instead
//! of through sea-orm's per-value look-ups by name (docs/PERFORMANCE.md, "Plain rows").

use std::sync::{Arc, Mutex, PoisonError, Weak};

use sea_orm::{
    ConnAcquireErr, DatabaseConnection, DbBackend, DbErr, FromQueryResult, QueryResult, RuntimeErr,
    Statement, Values,
    metric::Info,
    sqlx::{
        self, AssertSqlSafe,
        postgres::{PgConnectOptions, PgRow},
    },
};
use sea_query_sqlx::SqlxValues;

/// What runs after every statement of a pool: the statement counter and telemetry.
pub(super) type Observer = Arc<dyn Fn(&Info<'_>) + Send + Sync>;

/// The observer of every PostgreSQL pool this process opened, found by the pool's
/// connect options (one allocation per pool, shared by all its clones). sea-orm keeps a
/// pool's metric callback to itself, so the statements run here find it through this.
static OBSERVERS: Mutex<Vec<(Weak<PgConnectOptions>, Observer)>> = Mutex::new(Vec::new());

/// Makes `observe` run after the statements [`all`] runs on `db`'s pool (PostgreSQL
/// only; SQLite statements go through sea-orm, which calls it itself).
pub(super) fn register(db: &DatabaseConnection, observe: Observer) {
    if db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let options = Arc::downgrade(&db.get_postgres_connection_pool().connect_options());
    let mut observers = OBSERVERS.lock().unwrap_or_else(PoisonError::into_inner);
    // Pools that were closed and dropped (tests open hundreds) leave with their options.
    observers.retain(|(options, _)| options.strong_count() > 0);
    observers.push((options, observe));
}

fn observer(options: &Arc<PgConnectOptions>) -> Option<Observer> {
    let observers = OBSERVERS.lock().unwrap_or_else(PoisonError::into_inner);
    observers
        .iter()
        .find(|(registered, _)| std::ptr::eq(registered.as_ptr(), Arc::as_ptr(options)))
        .map(|(_, observe)| observe.clone())
}

/// How PostgreSQL plans a statement [`pg_rows`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// For its parameter values, on every run (an unnamed statement).
    ForValues,
    /// Prepared once per connection, as sea-orm prepares every statement (PostgreSQL may
    /// settle on a generic plan after five runs).
    Prepared,
}

/// The rows of `statement`, planned by PostgreSQL for its parameter values (see the
/// module); on SQLite, which plans every statement with its values, the usual path.
pub async fn all<T: FromQueryResult>(
    db: &DatabaseConnection,
    statement: Statement,
) -> Result<Vec<T>, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return T::find_by_statement(statement).all(db).await;
    }
    pg_rows(db, &statement, Plan::ForValues)
        .await?
        .into_iter()
        .map(|row| T::from_query_result(&QueryResult::from(row), ""))
        .collect()
}

/// The rows of `statement` on `db`, a PostgreSQL connection, as sqlx returns them;
/// counted and observed like every statement sea-orm runs.
pub async fn pg_rows(
    db: &DatabaseConnection,
    statement: &Statement,
    plan: Plan,
) -> Result<Vec<PgRow>, DbErr> {
    let pool = db.get_postgres_connection_pool();
    // Acquired first, as sea-orm does: waiting for a connection is not the statement, so
    // a pool timeout is neither timed nor counted as a failed statement.
    let mut conn = pool.acquire().await.map_err(|err| match err {
        sqlx::Error::PoolTimedOut => DbErr::ConnectionAcquire(ConnAcquireErr::Timeout),
        sqlx::Error::PoolClosed => DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed),
        err => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err))),
    })?;
    let values = statement.values.clone().unwrap_or(Values(Vec::new()));
    let started = std::time::Instant::now();
    let result = sqlx::query_with(AssertSqlSafe(statement.sql.as_str()), SqlxValues(values))
        .persistent(plan == Plan::Prepared)
        .fetch_all(&mut *conn)
        .await;
    if let Some(observe) = observer(&pool.connect_options()) {
        observe(&Info {
            elapsed: started.elapsed(),
            statement,
            failed: result.is_err(),
        });
    }
    result.map_err(|err| DbErr::Query(RuntimeErr::SqlxError(Arc::new(err))))
}

/// One row of a result read by column position: [`decode`] finds each column by name
/// and checks its type on the first row only, since every row of a result has the same
/// columns (a look-up by name hashes the name, and a type check compares type lists, for
/// every value: a fifth of a registrant page's work, docs/PERFORMANCE.md "Plain rows").
pub struct Reader<'a> {
    row: &'a PgRow,
    at: &'a [usize],
    checked: bool,
}

impl Reader<'_> {
    /// The value of the `column`th of the names given to [`decode`].
    pub fn get<'r, T>(&'r self, column: usize) -> Result<T, sqlx::Error>
    where
        T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        use sqlx::Row;
        let index = *self
            .at
            .get(column)
            .ok_or_else(|| sqlx::Error::ColumnIndexOutOfBounds {
                index: column,
                len: self.at.len(),
            })?;
        if self.checked {
            self.row.try_get(index)
        } else {
            self.row.try_get_unchecked(index)
        }
    }
}

/// `rows` decoded by `decode`, which reads the columns `names` by their place in it.
pub fn decode<T>(
    rows: &[PgRow],
    names: &[&str],
    decode: impl Fn(&Reader<'_>) -> Result<T, sqlx::Error>,
) -> Result<Vec<T>, DbErr> {
    use sqlx::{Column, Row};
    let fail = |err| DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)));
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let at = names
        .iter()
        .map(|name| first.try_column(*name).map(Column::ordinal))
        .collect::<Result<Vec<_>, _>>()
        .map_err(fail)?;
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            decode(&Reader {
                row,
                at: &at,
                checked: i == 0,
            })
            .map_err(fail)
        })
        .collect()
}
