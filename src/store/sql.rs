//! Hand-written SQL for the statements whose shape is measured to matter, and the
//! case-insensitive substring test that both they and the query builder use.
//!
//! `Sql` binds every value and emits the connected backend's placeholders (`?` for
//! SQLite, `$n` for PostgreSQL). `store::registrants` writes statements with it: the
//! per-session `UNION ALL` registrant pages, the search counts and the lookup of which
//! sessions have their own search index, whose shapes (one ordered, limited branch per
//! session; FTS5 `MATCH`; `+session_id` to keep SQLite's planner off an index) are what
//! docs/PERFORMANCE.md measured. `store::export` reads the derived analytics tables with
//! it, which have no entities. Everything else goes through sea-orm's builder, with
//! [`contains`] for a searched column.

use sea_orm::{
    DbBackend, Statement, Value,
    sea_query::{Expr, ExprTrait, Func, LikeExpr, extension::sqlite::SqliteExpr},
};

/// `column` contains `search`, case-insensitive beyond ASCII: the builder's form of
/// [`Sql::push_contains`] for one column, the same test with the same patterns.
pub fn contains(backend: DbBackend, column: Expr, search: &str) -> Expr {
    match backend {
        DbBackend::Postgres => {
            Func::lower(column).like(LikeExpr::new(like_pattern(search)).escape('\\'))
        }
        _ => column.glob(glob_pattern(search)),
    }
}

pub struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    pub fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    pub fn backend(&self) -> DbBackend {
        self.backend
    }

    /// Appends literal SQL. Never pass anything a client sent: bind it instead.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => {
                let n = self.values.len();
                self.text.push('$');
                self.text.push_str(&n.to_string());
            }
            _ => self.text.push('?'),
        }
        self
    }

    /// Appends `(?, ?, ...)` bound to `ids`; `(NULL)` for none, which matches nothing.
    pub fn bind_list(&mut self, ids: &[i64]) -> &mut Self {
        self.text.push('(');
        if ids.is_empty() {
            self.text.push_str("NULL");
        }
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(*id);
        }
        self.text.push(')');
        self
    }

    /// Appends `column IN (…)` for `ids`: one array parameter on PostgreSQL
    /// (`= ANY($n)`, one text whatever the count, so prepared once), a bound list on
    /// SQLite. No ids matches nothing.
    pub fn push_in(&mut self, column: &str, ids: &[i64]) -> &mut Self {
        self.text.push_str(column);
        match self.backend {
            DbBackend::Postgres => {
                self.text.push_str(" = ANY(");
                self.bind(ids.to_vec());
                self.text.push_str("::int8[])");
                self
            }
            _ => {
                self.text.push_str(" IN ");
                self.bind_list(ids)
            }
        }
    }

    /// Appends `name (c1, c2, …) AS (…)`, a common table expression holding the rows
    /// whose columns are `columns` (all of one length, at least one row).
    ///
    /// PostgreSQL gets one array parameter per column, `unnest`ed: the statement's text
    /// is the same whatever the rows, so it is prepared once per connection and its
    /// plan reused, and the rows cost no parsing. A `VALUES` list of a thousand rows
    /// took PostgreSQL longer to parse, plan and bind than to run. SQLite, which has no
    /// arrays, gets a `VALUES` list: integers and booleans as literals, text bound.
    pub fn push_list(&mut self, name: &str, columns: &[(&str, Column)]) -> &mut Self {
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        self.text.push_str(name);
        self.text.push_str(" (");
        self.text.push_str(&names.join(", "));
        self.text.push_str(") AS (");
        match self.backend {
            DbBackend::Postgres => {
                self.text.push_str("SELECT * FROM unnest(");
                for (i, (_, column)) in columns.iter().enumerate() {
                    if i > 0 {
                        self.text.push_str(", ");
                    }
                    let (value, cast): (Value, &str) = match column {
                        Column::Int(v) => (v.clone().into(), "::int8[]"),
                        Column::Bool(v) => (v.clone().into(), "::bool[]"),
                        Column::Text(v) => (v.clone().into(), "::text[]"),
                    };
                    self.bind(value);
                    self.text.push_str(cast);
                }
                self.text.push(')');
            }
            _ => {
                self.text.push_str("VALUES ");
                let len = columns.first().map_or(0, |(_, c)| c.len());
                for row in 0..len {
                    self.text.push_str(if row == 0 { "(" } else { ", (" });
                    for (i, (_, column)) in columns.iter().enumerate() {
                        if i > 0 {
                            self.text.push_str(", ");
                        }
                        match column {
                            Column::Int(v) => self.text.push_str(&v[row].to_string()),
                            Column::Bool(v) => {
                                self.text.push_str(if v[row] { "TRUE" } else { "FALSE" })
                            }
                            Column::Text(v) => {
                                self.bind(v[row].clone());
                            }
                        }
                    }
                    self.text.push(')');
                }
            }
        }
        self.text.push(')');
        self
    }

    pub fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// One column of the rows of [`Sql::push_list`].
#[derive(Clone, Debug)]
pub enum Column {
    Int(Vec<i64>),
    Bool(Vec<bool>),
    Text(Vec<String>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Self::Int(v) => v.len(),
            Self::Bool(v) => v.len(),
            Self::Text(v) => v.len(),
        }
    }
}

impl Sql {
    /// Appends `AND (<col> contains search OR ...)`, case-insensitive beyond ASCII on
    /// both backends.
    ///
    /// PostgreSQL: `LOWER(col) LIKE '%term%'`, with the term lower-cased in Rust and
    /// LIKE's wildcards escaped. SQLite's `LOWER` and `LIKE` fold ASCII letters only, so
    /// there the term becomes a `GLOB` pattern in which every letter is a class of its
    /// cases (`*[éÉ]lodie*` is written `*[éÉ][lL][oO][dD][iI][eE]*`).
    pub fn push_contains(&mut self, columns: &[&str], search: &str) -> &mut Self {
        let (operator, pattern) = match self.backend {
            DbBackend::Postgres => (" LIKE ", like_pattern(search)),
            _ => (" GLOB ", glob_pattern(search)),
        };
        self.push(" AND (");
        for (i, column) in columns.iter().enumerate() {
            if i > 0 {
                self.push(" OR ");
            }
            match self.backend {
                DbBackend::Postgres => {
                    self.push("LOWER(").push(column).push(")").push(operator);
                    self.bind(pattern.clone()).push(" ESCAPE '\\'");
                }
                _ => {
                    self.push(column).push(operator).bind(pattern.clone());
                }
            }
        }
        self.push(")")
    }

    /// Appends `AND <column> contains search` for a column that holds its text
    /// lower-cased on PostgreSQL and as written on SQLite (the registrations'
    /// `holder_search`): the same test as [`Self::push_contains`] on each field the
    /// column joins, without `LOWER()` around the column, so its index serves it.
    pub fn push_folded_contains(&mut self, column: &str, search: &str) -> &mut Self {
        self.push(" AND ").push(column);
        match self.backend {
            DbBackend::Postgres => self
                .push(" LIKE ")
                .bind(like_pattern(search))
                .push(" ESCAPE '\\'"),
            _ => self.push(" GLOB ").bind(glob_pattern(search)),
        }
    }
}

/// `%term%` for `LIKE ... ESCAPE '\'`: lower-cased, LIKE's wildcards escaped.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::with_capacity(search.len() + 2);
    pattern.push('%');
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `*term*` for SQLite's case-sensitive `GLOB`, each letter a class of its cases and
/// GLOB's own specials (`*`, `?`, `[`) made literal.
fn glob_pattern(search: &str) -> String {
    let mut pattern = String::with_capacity(search.len() * 4 + 2);
    pattern.push('*');
    for c in search.chars() {
        let (mut lower, mut upper) = (c.to_lowercase(), c.to_uppercase());
        match (lower.next(), lower.next(), upper.next(), upper.next()) {
            (Some(l), None, Some(u), None) if l != u => {
                pattern.push('[');
                pattern.push(l);
                pattern.push(u);
                if c != l && c != u {
                    pattern.push(c); // title-case letters such as 'ǅ'
                }
                pattern.push(']');
            }
            _ if matches!(c, '*' | '?' | '[') => {
                pattern.push('[');
                pattern.push(c);
                pattern.push(']');
            }
            _ => pattern.push(c),
        }
    }
    pattern.push('*');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_A\\"), "%50\\%\\_a\\\\%");
    }

    #[test]
    fn glob_patterns_fold_every_letter_and_escape_specials() {
        assert_eq!(glob_pattern("Él1*"), "*[éÉ][lL]1[*]*");
        assert_eq!(glob_pattern("?[]"), "*[?][[]]*");
    }
}
