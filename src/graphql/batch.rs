//! Sibling batches: the nodes one list produced, whose relations load together.
//!
//! async-graphql's DataLoader collects keys for a fixed delay, and it resolves a list
//! of more than 30 items through a stream that yields to the runtime every 32 polls:
//! a batch can then fire before every sibling has asked, and one relation costs two
//! statements or more. So every list hands its nodes a shared [`Batch`] of all the
//! sibling ids, and the first sibling to need a relation loads it for all of them
//! with one `load_many`; the others wait for that result. The statement count of a
//! request then depends only on its shape, never on timing or on how many rows it
//! returns.

use std::{
    any::Any,
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
};

use async_graphql::dataloader::Loader;
use tokio::sync::OnceCell;

use super::loaders::{Loaders, RequestLoader};
use crate::error::{AppError, AppResult};

/// A relation loaded for every id of a batch.
pub struct Loaded<V> {
    /// The value per parent id of the batch.
    pub by_parent: HashMap<i64, V>,
    /// The batch of the children these values contain (e.g. all speakers of all sessions).
    pub children: Arc<Batch>,
}

/// A relation's key for parent 0 (standing for its arguments) and the cell its values
/// load into.
type MemoEntry = (Box<dyn Any + Send + Sync>, Arc<dyn Any + Send + Sync>);

/// The ids of sibling nodes, and the relations already loaded for them.
pub struct Batch {
    ids: Vec<i64>,
    /// One entry per relation and arguments; a handful at most, so a list will do.
    memo: Mutex<Vec<MemoEntry>>,
}

impl Batch {
    pub fn new(ids: impl IntoIterator<Item = i64>) -> Arc<Self> {
        let mut ids: Vec<i64> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Arc::new(Self {
            ids,
            memo: Mutex::new(Vec::new()),
        })
    }

    /// A batch of one, for a node fetched on its own.
    pub fn single(id: i64) -> Arc<Self> {
        Self::new([id])
    }

    /// Loads `key(id)` for every id of the batch at once (once per batch and key
    /// arguments) and returns the values by parent id. `child_ids` names the ids of
    /// the nodes the values contain, which become the next level's batch.
    pub async fn load<K>(
        &self,
        loader: &RequestLoader,
        key: impl Fn(i64) -> K,
        child_ids: impl Fn(&<Loaders as Loader<K>>::Value) -> Vec<i64>,
    ) -> AppResult<Arc<Loaded<<Loaders as Loader<K>>::Value>>>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        Loaders: Loader<K, Error = AppError>,
    {
        type Cell<V> = OnceCell<Arc<Loaded<V>>>;
        // Keys of one type differ only in their arguments, so the key of a parent that
        // does not exist (id 0) identifies the relation and its arguments.
        let probe = key(0);
        let cell = {
            let mut memo = self.memo.lock().map_err(|_| AppError::Internal)?;
            let found = memo
                .iter()
                .find(|(k, _)| k.downcast_ref::<K>() == Some(&probe))
                .map(|(_, cell)| cell.clone());
            match found {
                Some(cell) => cell,
                None => {
                    let cell: Arc<dyn Any + Send + Sync> =
                        Arc::new(Cell::<<Loaders as Loader<K>>::Value>::new());
                    memo.push((Box::new(probe), cell.clone()));
                    cell
                }
            }
        };
        let cell = cell
            .downcast::<Cell<<Loaders as Loader<K>>::Value>>()
            .map_err(|_| AppError::Internal)?;
        let loaded = cell
            .get_or_try_init(|| async {
                let keys: Vec<(i64, K)> = self.ids.iter().map(|id| (*id, key(*id))).collect();
                let mut found = loader
                    .load_many(keys.iter().map(|(_, k)| k.clone()))
                    .await?;
                let by_parent: HashMap<i64, _> = keys
                    .into_iter()
                    .filter_map(|(id, k)| found.remove(&k).map(|v| (id, v)))
                    .collect();
                let children = Batch::new(by_parent.values().flat_map(&child_ids));
                Ok::<_, AppError>(Arc::new(Loaded {
                    by_parent,
                    children,
                }))
            })
            .await?;
        Ok(loaded.clone())
    }

    /// Records a relation already read with the nodes themselves (for every id of the
    /// batch), so that asking for it loads nothing. Its values contain no nodes.
    pub fn prime<K>(
        &self,
        key: impl Fn(i64) -> K,
        by_parent: HashMap<i64, <Loaders as Loader<K>>::Value>,
    ) -> AppResult<()>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        Loaders: Loader<K, Error = AppError>,
    {
        let loaded = Arc::new(Loaded {
            by_parent,
            children: Batch::new([]),
        });
        let cell: Arc<dyn Any + Send + Sync> = Arc::new(OnceCell::new_with(Some(loaded)));
        let mut memo = self.memo.lock().map_err(|_| AppError::Internal)?;
        memo.push((Box::new(key(0)), cell));
        Ok(())
    }
}

/// For relations whose values contain no nodes that load further relations.
pub fn leaf<V>(_: &V) -> Vec<i64> {
    Vec::new()
}

/// The relation `key` of node `id` in `batch`, loaded for the whole batch, and the
/// batch of the nodes it contains.
pub async fn related<K>(
    ctx: &async_graphql::Context<'_>,
    batch: &Batch,
    id: i64,
    key: impl Fn(i64) -> K,
    child_ids: impl Fn(&<Loaders as Loader<K>>::Value) -> Vec<i64>,
) -> AppResult<(Option<<Loaders as Loader<K>>::Value>, Arc<Batch>)>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    Loaders: Loader<K, Error = AppError>,
{
    let loaded = batch
        .load(super::request_loader(ctx)?, key, child_ids)
        .await?;
    Ok((loaded.by_parent.get(&id).cloned(), loaded.children.clone()))
}
