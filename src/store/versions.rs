//! The versions an answer depends on, read in one statement: the cache generation, sessions' data versions, and events' sums of them.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use super::sql::Sql;

/// What a version is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Of {
    /// The cache generation (`migration::cache_generation`).
    Generation,
    /// A session's `session_stats.data_version`.
    Session(i64),
    /// The sum of the data versions of an event's sessions: each only grows while its
    /// session lives, and sessions created, deleted or moved move the generation, so
    /// the sum moves whenever any of them does.
    Event(i64),
}

/// Versions, in order: equal only when every version is. A session without a
/// counter row, or an event without sessions, is simply absent, and compares so.
pub type Versions = Vec<(Of, i64)>;

/// The current versions of the generation, of `sessions` and of `events`.
pub async fn read(
    db: &DatabaseConnection,
    sessions: &[i64],
    events: &[i64],
) -> Result<Versions, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    // Casts: PostgreSQL's SUM of a BIGINT is a NUMERIC, and literals are INTEGERs.
    sql.push(
        "SELECT CAST(0 AS BIGINT) AS kind, CAST(0 AS BIGINT) AS id, generation AS version \
         FROM cache_generation WHERE id = 1",
    );
    if !sessions.is_empty() {
        sql.push(
            " UNION ALL SELECT CAST(1 AS BIGINT), session_id, data_version \
             FROM session_stats WHERE ",
        )
        .push_in("session_id", sessions);
    }
    if !events.is_empty() {
        sql.push(
            " UNION ALL SELECT CAST(2 AS BIGINT), s.event_id, CAST(SUM(v.data_version) AS BIGINT) \
             FROM sessions s JOIN session_stats v ON v.session_id = s.id WHERE ",
        )
        .push_in("s.event_id", events)
        .push(" GROUP BY s.event_id");
    }
    let mut versions = db
        .query_all_raw(sql.build())
        .await?
        .into_iter()
        .map(|row| {
            let id: i64 = row.try_get("", "id")?;
            let of = match row.try_get::<i64>("", "kind")? {
                0 => Of::Generation,
                1 => Of::Session(id),
                _ => Of::Event(id),
            };
            Ok((of, row.try_get("", "version")?))
        })
        .collect::<Result<Versions, DbErr>>()?;
    versions.sort_unstable();
    Ok(versions)
}
