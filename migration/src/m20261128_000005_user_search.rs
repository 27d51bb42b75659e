//! SQLite: a trigram full-text index over users' names and emails, so a registrant
//! search starts from the few users who match instead of reading the whole session.
//! PostgreSQL has its `pg_trgm` indexes (migration 2) and needs nothing here.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::execute_all;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// An external-content FTS5 table (it stores only the index; the text stays in `users`),
/// kept in step by triggers, then built from the users already there. The trigram
/// tokenizer answers substring queries of 3 or more characters, folding case.
const UP: &[&str] = &[
    "CREATE VIRTUAL TABLE users_search USING fts5(first_name, last_name, email, \
     content='users', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER users_search_insert AFTER INSERT ON users BEGIN \
     INSERT INTO users_search (rowid, first_name, last_name, email) \
     VALUES (NEW.id, NEW.first_name, NEW.last_name, NEW.email); END",
    "CREATE TRIGGER users_search_delete AFTER DELETE ON users BEGIN \
     INSERT INTO users_search (users_search, rowid, first_name, last_name, email) \
     VALUES ('delete', OLD.id, OLD.first_name, OLD.last_name, OLD.email); END",
    "CREATE TRIGGER users_search_update AFTER UPDATE OF first_name, last_name, email ON users \
     BEGIN \
     INSERT INTO users_search (users_search, rowid, first_name, last_name, email) \
     VALUES ('delete', OLD.id, OLD.first_name, OLD.last_name, OLD.email); \
     INSERT INTO users_search (rowid, first_name, last_name, email) \
     VALUES (NEW.id, NEW.first_name, NEW.last_name, NEW.email); END",
    "INSERT INTO users_search (users_search) VALUES ('rebuild')",
];

const DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS users_search_update",
    "DROP TRIGGER IF EXISTS users_search_delete",
    "DROP TRIGGER IF EXISTS users_search_insert",
    "DROP TABLE IF EXISTS users_search",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            execute_all(manager, UP).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            execute_all(manager, DOWN).await?;
        }
        Ok(())
    }
}
