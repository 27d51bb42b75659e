//! Null propagation for field errors, as the GraphQL specification requires.
//!
//! async-graphql 7 leaves a field that failed out of its parent object instead of
//! setting it to null, and does not carry the null up through non-null fields. Clients
//! generated from our schema then meet a missing key, or a null where the schema
//! promises none. After execution, each error's path is walked against the document
//! and the schema's types: the failed field becomes null, and where its type is
//! non-null the null moves up to the nearest nullable parent (or to `data` itself).

use std::collections::HashMap;

use async_graphql::{
    Name, PathSegment, Positioned, Value,
    parser::types::{
        BaseType, ExecutableDocument, FragmentDefinition, OperationDefinition, Selection,
        SelectionSet, Type,
    },
};

use super::index::{SchemaIndex, named};

/// Where a step of an error path lands: the value's type there.
struct Step {
    ty: Type,
}

/// Applies every field error of `errors` to `data`, the answer to `operation` of
/// `document`: the failed field becomes null, and the null moves up past non-null
/// types. Returns the new `data`.
pub fn propagate(
    index: &SchemaIndex,
    document: &ExecutableDocument,
    operation: &OperationDefinition,
    data: Value,
    errors: &[async_graphql::ServerError],
) -> Value {
    let root_type = match operation.ty {
        async_graphql::parser::types::OperationType::Query => &index.query,
        async_graphql::parser::types::OperationType::Mutation => &index.mutation,
        async_graphql::parser::types::OperationType::Subscription => return data,
    };
    let root_selection = &operation.selection_set.node;
    let mut data = data;
    for error in errors.iter().filter(|e| !e.path.is_empty()) {
        let Some(steps) = types_along(index, document, root_type, root_selection, &error.path)
        else {
            continue;
        };
        // The deepest position whose type allows null takes the null.
        match steps.iter().rposition(|step| step.ty.nullable) {
            Some(at) => set_null(&mut data, &error.path[..=at]),
            None => return Value::Null,
        }
    }
    data
}

/// The type of the value at each step of `path`, or `None` when the path leaves the
/// document (which only a bug would make happen: then nothing is changed).
fn types_along(
    index: &SchemaIndex,
    document: &ExecutableDocument,
    root_type: &str,
    root: &SelectionSet,
    path: &[PathSegment],
) -> Option<Vec<Step>> {
    let mut steps = Vec::with_capacity(path.len());
    let mut object = root_type.to_owned();
    let mut selections: Vec<&SelectionSet> = vec![root];
    let mut current: Option<Type> = None;
    for segment in path {
        match segment {
            PathSegment::Field(key) => {
                let field = find_field(document, &selections, key)?;
                let ty = index.field(&object, field.name.node.as_str())?.ty.clone();
                selections = vec![&field.selection_set.node];
                object = named(&ty).to_owned();
                current = Some(ty.clone());
                steps.push(Step { ty });
            }
            PathSegment::Index(_) => {
                let BaseType::List(item) = &current.as_ref()?.base else {
                    return None;
                };
                let item = (**item).clone();
                current = Some(item.clone());
                steps.push(Step { ty: item });
            }
        }
    }
    Some(steps)
}

/// The field whose response key is `key`, looking through fragments (our schema has
/// no interfaces or unions, so every fragment applies to the type at hand).
fn find_field<'a>(
    document: &'a ExecutableDocument,
    sets: &[&'a SelectionSet],
    key: &str,
) -> Option<&'a async_graphql::parser::types::Field> {
    fn search<'a>(
        fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
        set: &'a SelectionSet,
        key: &str,
        depth: usize,
    ) -> Option<&'a async_graphql::parser::types::Field> {
        if depth > 32 {
            return None;
        }
        set.items.iter().find_map(|item| match &item.node {
            Selection::Field(field) => {
                let response_key = field.node.alias.as_ref().unwrap_or(&field.node.name);
                (response_key.node.as_str() == key).then_some(&field.node)
            }
            Selection::InlineFragment(fragment) => {
                search(fragments, &fragment.node.selection_set.node, key, depth + 1)
            }
            Selection::FragmentSpread(spread) => fragments
                .get(&spread.node.fragment_name.node)
                .and_then(|f| search(fragments, &f.node.selection_set.node, key, depth + 1)),
        })
    }
    sets.iter()
        .find_map(|set| search(&document.fragments, set, key, 0))
}

/// Sets the value at `path` to null, adding the key if the parent object lacks it. A
/// parent that is already null (an earlier error nulled it) is left alone.
fn set_null(data: &mut Value, path: &[PathSegment]) {
    let Some((last, parents)) = path.split_last() else {
        *data = Value::Null;
        return;
    };
    let mut value = data;
    for segment in parents {
        value = match (segment, value) {
            (PathSegment::Field(key), Value::Object(map)) => match map.get_mut(key.as_str()) {
                Some(child) => child,
                None => return,
            },
            (PathSegment::Index(i), Value::List(items)) => match items.get_mut(*i) {
                Some(child) => child,
                None => return,
            },
            _ => return,
        };
    }
    match (last, value) {
        (PathSegment::Field(key), Value::Object(map)) => {
            map.insert(Name::new(key), Value::Null);
        }
        (PathSegment::Index(i), Value::List(items)) => {
            if let Some(item) = items.get_mut(*i) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}
