//! Data access: plain async functions that take the connection and return typed rows.
//!
//! Every function that serves a list takes *many* parent ids and answers them in one
//! statement (`WHERE ... IN`), so the DataLoaders can batch whatever a query reaches.

pub mod access;
pub mod activity;
pub mod analytics;
pub mod derived;
pub mod events;
pub mod export;
pub mod live;
pub mod people;
pub mod rederive;
pub mod registrants;
pub mod sessions;
pub mod sql;
pub mod versions;

use std::collections::HashMap;

/// Groups rows by a parent id, keeping their order.
pub(crate) fn group_by<T>(rows: Vec<T>, key: impl Fn(&T) -> i64) -> HashMap<i64, Vec<T>> {
    let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(key(&row)).or_default().push(row);
    }
    grouped
}
