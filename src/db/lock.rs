//! The migration lock: one process at a time checks and applies migrations on a
//! PostgreSQL database.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr};

/// The PostgreSQL advisory lock key that serializes migrations across every process on
/// one database (server start-up and `migrate up`/`down` alike): the ASCII bytes of
/// "sessanly" (8315179226402548857). Another application sharing the database must not
/// use it.
pub const MIGRATION_LOCK_KEY: i64 = 0x7365_7373_616e_6c79;

/// Holds [`MIGRATION_LOCK_KEY`] while this process checks and applies migrations.
///
/// Without it, instances started together on an empty database each saw every migration
/// pending and ran them at once; all but one failed (`duplicate key value violates unique
/// constraint "pg_type_typname_nsp_index"`: concurrent `CREATE TABLE`s of one name).
///
/// On PostgreSQL the lock is a session-level advisory lock on a connection of its own,
/// taken out of the pool (detached: the pool may open a replacement, and the lock's
/// session settings never reach a pooled connection). A session lock belongs to the
/// connection that took it, and the pool would hand statements to any of its
/// connections, so the lock cannot be taken through the pool; the migrations run through
/// the pool while this connection holds it. If the process dies, PostgreSQL ends the
/// session and the lock is released with it, so a crashed instance never blocks the
/// others.
///
/// On SQLite no lock is taken. The database is an embedded file that one server process
/// owns: many instances are a PostgreSQL deployment (README), so there is no fleet to
/// race. SQLite's own database-wide write lock (and the pool's busy timeout) does make
/// a second writer's statements wait rather than interleave, but it does not cover a
/// whole check-and-apply, so run `migrate` on a SQLite file while its server is stopped.
pub struct MigrationLock {
    /// `None` on SQLite.
    connection: Option<sea_orm::sqlx::PgConnection>,
}

impl MigrationLock {
    /// Takes the lock, waiting (without a time limit) for an instance that holds it; logs
    /// once at info when it has to wait.
    pub async fn acquire(db: &DatabaseConnection) -> Result<Self, DbErr> {
        if db.get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(Self { connection: None });
        }
        let mut connection = db
            .get_postgres_connection_pool()
            .acquire()
            .await
            .map_err(conn_err)?
            .detach();
        // The pool's statement timeout would cancel the wait for a migration that runs
        // longer; the holder's own statements keep their limits. This connection is
        // closed afterwards, never returned to the pool.
        sea_orm::sqlx::raw_sql("SET statement_timeout = 0; SET lock_timeout = 0")
            .execute(&mut connection)
            .await
            .map_err(exec_err)?;
        let taken: bool = sea_orm::sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .fetch_one(&mut connection)
            .await
            .map_err(exec_err)?;
        if !taken {
            tracing::info!("waiting for another instance's migrations");
            sea_orm::sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(MIGRATION_LOCK_KEY)
                .execute(&mut connection)
                .await
                .map_err(exec_err)?;
        }
        Ok(Self {
            connection: Some(connection),
        })
    }

    /// Releases the lock and closes its connection. Failing here is harmless: closing
    /// (or dropping) the connection ends the session, which releases the lock.
    pub async fn release(self) {
        use sea_orm::sqlx::Connection as _;

        let Some(mut connection) = self.connection else {
            return;
        };
        let unlocked = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK_KEY)
            .execute(&mut connection)
            .await;
        if let Err(err) = unlocked {
            tracing::warn!(%err, "releasing the migration lock failed; closing its connection");
        }
        let _ = connection.close().await;
    }
}

fn conn_err(err: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Conn(sea_orm::RuntimeErr::SqlxError(Arc::new(err)))
}

fn exec_err(err: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Exec(sea_orm::RuntimeErr::SqlxError(Arc::new(err)))
}
