//! Row triggers written once for both backends: SQLite trigger bodies, PostgreSQL PL/pgSQL functions.

use sea_orm_migration::sea_orm::DbBackend;

pub(crate) struct Trigger {
    pub name: &'static str,
    /// `AFTER INSERT ON sessions` and the like, without `FOR EACH ROW`.
    pub when: &'static str,
    /// A condition on `OLD`/`NEW`, written the same on both backends (no subquery:
    /// PostgreSQL allows none in `WHEN`).
    pub only_if: Option<String>,
    /// Statements, with `OLD`/`NEW` already chosen.
    pub body: Vec<String>,
    /// A `BEFORE` trigger function must return the row for the change to go ahead.
    pub before: bool,
}

/// Statements that create `triggers` (and on PostgreSQL their functions).
pub(crate) fn create(backend: DbBackend, triggers: Vec<Trigger>) -> Vec<String> {
    let mut out = Vec::new();
    for trigger in triggers {
        let condition = trigger
            .only_if
            .map(|c| format!(" WHEN ({c})"))
            .unwrap_or_default();
        let body: String = trigger.body.iter().map(|s| format!("{s};\n")).collect();
        match backend {
            DbBackend::Postgres => {
                let result = if trigger.before { "OLD" } else { "NULL" };
                out.push(format!(
                    "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n\
                     BEGIN\n{body}RETURN {result};\nEND\n$$",
                    name = trigger.name
                ));
                out.push(format!(
                    "CREATE TRIGGER {name} {when} FOR EACH ROW{condition} EXECUTE FUNCTION {name}()",
                    name = trigger.name,
                    when = trigger.when
                ));
            }
            _ => out.push(format!(
                "CREATE TRIGGER {name} {when} FOR EACH ROW{condition} BEGIN\n{body}END",
                name = trigger.name,
                when = trigger.when
            )),
        }
    }
    out
}

/// Statements that drop `triggers` (PostgreSQL's functions stay until
/// [`drop_functions`]; creating the triggers again replaces them).
pub(crate) fn drop(backend: DbBackend, triggers: Vec<Trigger>) -> Vec<String> {
    triggers
        .into_iter()
        .map(|trigger| {
            let table = trigger.when.rsplit(' ').next().unwrap_or_default();
            match backend {
                DbBackend::Postgres => {
                    format!("DROP TRIGGER IF EXISTS {} ON {table}", trigger.name)
                }
                _ => format!("DROP TRIGGER IF EXISTS {}", trigger.name),
            }
        })
        .collect()
}

/// Statements that drop the PostgreSQL functions of `triggers` (after the triggers).
pub(crate) fn drop_functions(backend: DbBackend, triggers: Vec<Trigger>) -> Vec<String> {
    match backend {
        DbBackend::Postgres => triggers
            .into_iter()
            .map(|t| format!("DROP FUNCTION IF EXISTS {}()", t.name))
            .collect(),
        _ => Vec::new(),
    }
}
