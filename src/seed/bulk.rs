//! Bulk loading: multi-row inserts with as many rows per statement as the backend's
//! bound-parameter limit allows, so a million rows cost a few hundred statements.

use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, IntoActiveModel, Iterable,
};

use crate::progress::Progress;

/// Bound parameters one statement may carry: SQLite's `SQLITE_MAX_VARIABLE_NUMBER`
/// (32,766 since 3.32, the bundled version is newer) and PostgreSQL's protocol limit
/// (65,535). The same statement text recurs for every full chunk, so the driver's
/// statement cache prepares it once per table.
fn max_parameters(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Postgres => 65_535,
        _ => 32_766,
    }
}

/// Rows per statement for an entity with `columns` columns.
fn rows_per_statement(backend: DbBackend, columns: usize) -> usize {
    (max_parameters(backend) / columns.max(1)).max(1)
}

/// Inserts `rows` in as few multi-row statements as the parameter limit allows and
/// counts them into `progress`.
pub async fn insert_rows<E, M>(
    db: &impl ConnectionTrait,
    rows: &[M],
    progress: &Progress,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    M: IntoActiveModel<E::ActiveModel> + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let chunk = rows_per_statement(db.get_database_backend(), E::Column::iter().count());
    for rows in rows.chunks(chunk) {
        E::insert_many(rows.iter().cloned().map(IntoActiveModel::into_active_model))
            .exec_without_returning(db)
            .await?;
        progress.inc(rows.len() as u64);
    }
    Ok(())
}

/// [`insert_rows`] without progress, for tests and small fixtures.
pub async fn insert_all<E, M>(db: &impl ConnectionTrait, rows: &[M]) -> Result<(), DbErr>
where
    E: EntityTrait,
    M: IntoActiveModel<E::ActiveModel> + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    insert_rows::<E, M>(db, rows, &Progress::hidden("insert", "rows")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_stay_under_the_parameter_limits() {
        assert_eq!(rows_per_statement(DbBackend::Sqlite, 7), 4_680);
        assert_eq!(rows_per_statement(DbBackend::Postgres, 7), 9_362);
        assert!(rows_per_statement(DbBackend::Sqlite, 7) * 7 <= 32_766);
        assert_eq!(rows_per_statement(DbBackend::Sqlite, 100_000), 1);
    }
}
