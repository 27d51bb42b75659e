//! Lists of plain-row objects answered in one pass, without a future per field.
//!
//! async-graphql resolves every field of every object through its own boxed future in
//! a `FuturesUnordered`, and matches the field's name against the type's fields, for
//! each item of a list. For a type whose fields only read a row already in memory
//! (a registrant: eleven scalars) that machinery is most of the cost of a page
//! (docs/PERFORMANCE.md, "Plain rows"). [`Rows`] answers such a list instead: it works
//! out the selected fields once for the whole list (aliases, fragments and
//! `__typename` included; `@skip`/`@include` are already applied by async-graphql) and
//! then builds each item's object directly, in selection order.
//!
//! The type keeps its `#[Object]` implementation: it registers the type (so the schema
//! is unchanged) and answers wherever the type is reached one object at a time (an
//! edge's `node`). `tests/api/pagination.rs` checks both paths give the same answer.

use std::{
    borrow::Cow,
    hash::{BuildHasher, RandomState},
};

use async_graphql::{
    ContextSelectionSet, Name, OutputType, Positioned, ServerError, ServerResult, Value,
    indexmap::{
        IndexMap,
        map::{RawEntryApiV1, raw_entry_v1::RawEntryMut},
    },
    parser::types::{Field, Selection, SelectionSet},
    registry::Registry,
};

/// Fragments nest at most this deep (validation refuses cycles; this only bounds work).
const MAX_FRAGMENT_DEPTH: usize = 32;

/// An object type whose every field is a value of the object itself: no arguments,
/// no context, no errors, nothing to load.
pub trait PlainObject: OutputType {
    /// The type's field names, as in the schema; [`PlainObject::value`] takes a position here.
    const FIELDS: &'static [&'static str];

    /// The value of the field `FIELDS[field]`, as the type's `#[Object]` resolver gives it.
    fn value(&self, field: usize) -> Value;
}

/// A list of plain objects, in the schema the same as `Vec<T>` (`[T!]!`).
pub struct Rows<T>(pub Vec<T>);

impl<T> FromIterator<T> for Rows<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// What one response key of an item holds.
enum Slot {
    Field(usize),
    Typename,
}

impl<T: PlainObject> OutputType for Rows<T> {
    fn type_name() -> Cow<'static, str> {
        Vec::<T>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<T>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<T>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let mut slots = Vec::new();
        collect::<T>(ctx, &ctx.item.node, &mut slots, 0)?;
        let typename = T::type_name();
        // Every item's map shares one hasher, so each key is hashed once for the list,
        // not once per item (SipHash of the keys was 4 % of a registrant page's work).
        let hasher = RandomState::new();
        let hashes: Vec<u64> = slots.iter().map(|(key, _)| hasher.hash_one(key)).collect();
        let items = self
            .0
            .iter()
            .map(|item| {
                let mut object = IndexMap::with_capacity_and_hasher(slots.len(), hasher.clone());
                for ((key, slot), hash) in slots.iter().zip(&hashes) {
                    let value = match slot {
                        Slot::Field(field) => item.value(*field),
                        Slot::Typename => Value::String(typename.to_string()),
                    };
                    // The keys are distinct (`collect`), so every entry is vacant.
                    if let RawEntryMut::Vacant(entry) = object
                        .raw_entry_mut_v1()
                        .from_hash(*hash, |seen| seen == key)
                    {
                        entry.insert_hashed_nocheck(*hash, key.clone(), value);
                    }
                }
                Value::Object(object)
            })
            .collect();
        Ok(Value::List(items))
    }
}

/// The response keys of `set` in order of first appearance, fragments that apply to
/// `T` included. A key seen twice names the same field (validation's "fields can be
/// merged" rule), so only its first appearance counts.
fn collect<T: PlainObject>(
    ctx: &ContextSelectionSet<'_>,
    set: &SelectionSet,
    slots: &mut Vec<(Name, Slot)>,
    depth: usize,
) -> ServerResult<()> {
    if depth > MAX_FRAGMENT_DEPTH {
        return Err(ServerError::new("Fragments nest too deeply.", None));
    }
    let applies = |condition: Option<&str>| condition.is_none_or(|on| on == T::type_name());
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let key = field.node.response_key().node.clone();
                if slots.iter().any(|(seen, _)| *seen == key) {
                    continue;
                }
                let name = field.node.name.node.as_str();
                let slot = if name == "__typename" {
                    Slot::Typename
                } else {
                    match T::FIELDS.iter().position(|known| *known == name) {
                        Some(index) => Slot::Field(index),
                        None => {
                            return Err(ServerError::new(
                                format!(
                                    r#"Cannot query field "{name}" on type "{}"."#,
                                    T::type_name()
                                ),
                                Some(field.pos),
                            ));
                        }
                    }
                };
                slots.push((key, slot));
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                let Some(fragment) = ctx.query_env.fragments.get(name) else {
                    return Err(ServerError::new(
                        format!(r#"Unknown fragment "{name}"."#),
                        Some(spread.pos),
                    ));
                };
                if applies(Some(fragment.node.type_condition.node.on.node.as_str())) {
                    collect::<T>(ctx, &fragment.node.selection_set.node, slots, depth + 1)?;
                }
            }
            Selection::InlineFragment(inline) => {
                let on = inline.node.type_condition.as_ref();
                if applies(on.map(|condition| condition.node.on.node.as_str())) {
                    collect::<T>(ctx, &inline.node.selection_set.node, slots, depth + 1)?;
                }
            }
        }
    }
    Ok(())
}
