//! Page sizes, opaque cursors and `PageInfo`, shared by every connection.

use async_graphql::SimpleObject;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Datelike, Utc};
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    config::Limits,
    error::{AppError, AppResult},
};

/// Which page-size limit applies to a list.
#[derive(Clone, Copy, Debug)]
pub enum ListKind {
    /// `events` and `sessions`.
    Plain,
    /// `registeredHolderUsers`: the host's table pages through thousands.
    Registrants,
}

/// Checks `first` against `0..=` the configured limit of its kind of list.
pub fn page_size(ctx: &async_graphql::Context<'_>, first: i32, kind: ListKind) -> AppResult<usize> {
    let limits = ctx.data::<Limits>().map_err(|_| AppError::Internal)?;
    let max = match kind {
        ListKind::Plain => limits.max_page_size,
        ListKind::Registrants => limits.max_registrant_page_size,
    };
    match usize::try_from(first) {
        Ok(size) if size <= max as usize => Ok(size),
        _ => Err(AppError::bad_request(format!(
            "`first` must be between 0 and {max} (the page-size limit), got {first}"
        ))),
    }
}

/// Cost of a connection field for the complexity limit: its page size times the
/// cost of one node, so `first: 500` weighs what it fetches.
pub fn connection_cost(first: Option<i32>, default: i32, child_complexity: usize) -> usize {
    usize::try_from(first.unwrap_or(default))
        .unwrap_or(0)
        .saturating_mul(child_complexity)
        .saturating_add(1)
        // async-graphql adds sibling costs with a plain `+`: a cost near `usize::MAX`
        // would overflow (a panic in debug builds, a wrap-around past the limit in
        // release). No limit anyone sets comes near this ceiling.
        .min(MAX_CONNECTION_COST)
}

/// The most one connection field can cost.
const MAX_CONNECTION_COST: usize = u32::MAX as usize;

/// Cursors are base64url JSON: opaque to clients, but cheap to decode and validate.
pub fn encode_cursor<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

pub fn decode_cursor<T: DeserializeOwned>(cursor: &str) -> AppResult<T> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| {
            AppError::bad_request("`after` is not a cursor from this list; pass an `endCursor`")
        })
}

/// Refuses a cursor whose time no database column can hold (only a forged cursor has
/// one), which PostgreSQL would otherwise reject as an internal error.
pub fn cursor_time(t: DateTime<Utc>) -> AppResult<DateTime<Utc>> {
    if (1..=9999).contains(&t.year()) {
        Ok(t)
    } else {
        Err(AppError::bad_request(
            "`after` is not a cursor from this list; pass an `endCursor`",
        ))
    }
}

/// Relay page information.
#[derive(Clone, Debug, SimpleObject)]
pub struct PageInfo {
    /// True when there are items before this page (a cursor was given).
    pub has_previous_page: bool,
    /// True when there are more items after this page.
    pub has_next_page: bool,
    /// Cursor of the first item of this page.
    pub start_cursor: Option<String>,
    /// Cursor of the last item of this page; pass it as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// A page of nodes; each cursor is encoded only when asked for (most pages are asked
/// only for `pageInfo.endCursor`).
pub struct Page<N> {
    pub nodes: Vec<N>,
    /// The cursor of the node at this position.
    cursor: Box<dyn Fn(usize) -> String + Send + Sync>,
    pub has_next: bool,
    pub has_previous: bool,
}

impl<N> Page<N> {
    /// Builds a page from up to `size + 1` rows: the extra row only says a next page
    /// exists. `key` takes from each row what its cursor encodes; `encode` makes the
    /// cursor of a key, later and only if asked for.
    pub fn from_rows<R, K: Send + Sync + 'static>(
        mut rows: Vec<R>,
        size: usize,
        has_previous: bool,
        key: impl Fn(&R) -> K,
        encode: impl Fn(&K) -> String + Send + Sync + 'static,
        node: impl Fn(R) -> N,
    ) -> Self {
        let has_next = rows.len() > size;
        rows.truncate(size);
        let keys: Vec<K> = rows.iter().map(key).collect();
        Self {
            nodes: rows.into_iter().map(node).collect(),
            cursor: Box::new(move |at| keys.get(at).map(&encode).unwrap_or_default()),
            has_next,
            has_previous,
        }
    }

    /// Each node with its cursor.
    pub fn edges(&self) -> impl Iterator<Item = (String, &N)> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(at, node)| ((self.cursor)(at), node))
    }

    pub fn page_info(&self) -> PageInfo {
        let last = self.nodes.len().checked_sub(1);
        PageInfo {
            has_previous_page: self.has_previous,
            has_next_page: self.has_next,
            start_cursor: last.map(|_| (self.cursor)(0)),
            end_cursor: last.map(|at| (self.cursor)(at)),
        }
    }
}

/// Declares a Relay connection type and its edge type over `Page<$node>`, with a
/// `totalCount` answered by `$count` (a [`TotalCount`]) only when asked for. With
/// `plain` first, `nodes` is answered as [`Rows`](crate::graphql::rows::Rows) (the node
/// type is a [`PlainObject`](crate::graphql::rows::PlainObject)); the schema is the same.
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty, $count:ty, $what:literal) => {
        $crate::graphql::pagination::connection!(@nodes Vec<$node>, $conn, $edge, $node, $count, $what);
    };
    (plain $conn:ident, $edge:ident, $node:ty, $count:ty, $what:literal) => {
        $crate::graphql::pagination::connection!(
            @nodes $crate::graphql::rows::Rows<$node>, $conn, $edge, $node, $count, $what
        );
    };
    (@nodes $nodes:ty, $conn:ident, $edge:ident, $node:ty, $count:ty, $what:literal) => {
        #[doc = concat!("A page of ", $what, ".")]
        pub struct $conn {
            pub(crate) page: $crate::graphql::pagination::Page<$node>,
            pub(crate) count: $count,
        }

        #[doc = concat!("A page of ", $what, ".")]
        #[async_graphql::Object]
        impl $conn {
            #[doc = concat!("The ", $what, " of this page with their cursors.")]
            async fn edges(&self) -> Vec<$edge> {
                self.page
                    .edges()
                    .map(|(cursor, node)| $edge {
                        cursor,
                        node: node.clone(),
                    })
                    .collect()
            }

            #[doc = concat!("The ", $what, " of this page.")]
            async fn nodes(&self) -> $nodes {
                self.page.nodes.iter().cloned().collect()
            }

            /// Where this page sits in the whole list.
            async fn page_info(&self) -> $crate::graphql::pagination::PageInfo {
                self.page.page_info()
            }

            #[doc = concat!("How many ", $what, " match the filters, on all pages together.")]
            async fn total_count(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::Result<i32> {
                use $crate::graphql::pagination::TotalCount;
                let total = self.count.total(ctx).await?;
                Ok(i32::try_from(total).unwrap_or(i32::MAX))
            }
        }

        #[doc = concat!("One of the ", $what, " with its cursor.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// Pass as `after` to continue after this item.
            pub cursor: String,
            #[doc = concat!("One of the ", $what, ".")]
            pub node: $node,
        }
    };
}
pub(crate) use connection;

/// Answers a connection's `totalCount`.
pub trait TotalCount {
    fn total(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> impl std::future::Future<Output = AppResult<i64>> + Send;
}
