//! A generation number that every write to rarely-changing session relations moves on,
//! so the server's cross-request cache knows when to forget what it holds.
//!
//! The server reads `cache_generation` in the statement that loads the viewer (no extra
//! round trip) and uses cached speakers, ticket types, sponsors, assets and users only
//! when they were loaded under that same generation. Triggers bump it in the writing
//! transaction, whoever writes (the platform, `import`, `seed`, test fixtures), so a
//! request never sees cached rows older than the last write committed before it began.

use sea_orm_migration::sea_orm::DbBackend;

/// Tables whose rows the cache holds, with the writes that bump the generation. New
/// users cannot be in the cache yet, so inserting users does not bump it.
const WATCHED: &[(&str, &[&str])] = &[
    ("speakers", &["INSERT", "UPDATE", "DELETE"]),
    ("session_speakers", &["INSERT", "UPDATE", "DELETE"]),
    ("speaker_ticket_types", &["INSERT", "UPDATE", "DELETE"]),
    ("ticket_types", &["INSERT", "UPDATE", "DELETE"]),
    ("sponsors", &["INSERT", "UPDATE", "DELETE"]),
    ("session_sponsors", &["INSERT", "UPDATE", "DELETE"]),
    ("mux_assets", &["INSERT", "UPDATE", "DELETE"]),
    ("users", &["UPDATE", "DELETE"]),
];

pub const BUMP: &str = "UPDATE cache_generation SET generation = generation + 1 WHERE id = 1";

/// The table (one row) and the triggers.
pub fn create(backend: DbBackend) -> Vec<String> {
    let mut out = vec![
        "CREATE TABLE cache_generation (id INTEGER NOT NULL PRIMARY KEY, \
         generation BIGINT NOT NULL)"
            .to_owned(),
        "INSERT INTO cache_generation (id, generation) VALUES (1, 0)".to_owned(),
    ];
    if backend == DbBackend::Postgres {
        out.push(format!(
            "CREATE OR REPLACE FUNCTION bump_cache_generation() RETURNS trigger \
             LANGUAGE plpgsql AS $$\nBEGIN\n{BUMP};\nRETURN NULL;\nEND\n$$"
        ));
    }
    out.extend(create_bumps(backend, WATCHED));
    out
}

/// The triggers that bump the generation on `writes` to each table (the table and,
/// on PostgreSQL, `bump_cache_generation()` exist already).
pub fn create_bumps(backend: DbBackend, tables: &[(&str, &[&str])]) -> Vec<String> {
    let mut out = Vec::new();
    match backend {
        DbBackend::Postgres => {
            // Once per statement (a COPY or a multi-row insert bumps it once), and on
            // TRUNCATE, which fires no row triggers.
            for (table, writes) in tables {
                out.push(format!(
                    "CREATE TRIGGER cache_generation_{table} AFTER {} OR TRUNCATE ON {table} \
                     FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_generation()",
                    writes.join(" OR ")
                ));
            }
        }
        // SQLite has row triggers only.
        _ => {
            for (table, writes) in tables {
                for write in *writes {
                    out.push(format!(
                        "CREATE TRIGGER cache_generation_{table}_{} AFTER {write} ON {table} \
                         FOR EACH ROW BEGIN {BUMP}; END",
                        write.to_lowercase()
                    ));
                }
            }
        }
    }
    out
}

/// Drops what [`create_bumps`] created for `tables`.
pub fn drop_bumps(backend: DbBackend, tables: &[(&str, &[&str])]) -> Vec<String> {
    let mut out = Vec::new();
    for (table, writes) in tables {
        match backend {
            DbBackend::Postgres => out.push(format!(
                "DROP TRIGGER IF EXISTS cache_generation_{table} ON {table}"
            )),
            _ => {
                for write in *writes {
                    out.push(format!(
                        "DROP TRIGGER IF EXISTS cache_generation_{table}_{}",
                        write.to_lowercase()
                    ));
                }
            }
        }
    }
    out
}

pub fn drop(backend: DbBackend) -> Vec<String> {
    let mut out = drop_bumps(backend, WATCHED);
    if backend == DbBackend::Postgres {
        out.push("DROP FUNCTION IF EXISTS bump_cache_generation()".to_owned());
    }
    out.push("DROP TABLE IF EXISTS cache_generation".to_owned());
    out
}
