//! Null propagation for field errors, as the GraphQL specification requires.
//!
//! async-graphql 7 leaves a field that failed out of its parent object instead of
//! setting it to null, and does not carry the null up through non-null fields. Clients
//! generated from our schema then meet a missing key, or a null where the schema
//! promises none. After execution, each error's path is walked against the document
//! and the schema's types: the failed field becomes null, and where its type is
//! non-null the null moves up to the nearest nullable parent (or to `data` itself).
//!
//! It also answers an object whose selections `@skip`/`@include` all left out with
//! `{}`, as the specification does, where async-graphql answers `null`: at a non-null
//! position, and not where an error explains the null. (At a nullable position a
//! resolver's `None` looks the same, so that null stays.)

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

/// Puts `{}` in place of the nulls async-graphql gives a non-null object all of whose
/// selections were skipped (see the module's documentation). Only documents with a
/// `@skip` or `@include` can have one, so others are not walked.
pub fn fill_skipped_objects(
    index: &SchemaIndex,
    document: &ExecutableDocument,
    operation: &OperationDefinition,
    data: &mut Value,
    errors: &[async_graphql::ServerError],
) {
    let root_type = match operation.ty {
        async_graphql::parser::types::OperationType::Query => &index.query,
        async_graphql::parser::types::OperationType::Mutation => &index.mutation,
        async_graphql::parser::types::OperationType::Subscription => return,
    };
    let mut fill = Fill {
        index,
        document,
        errors,
        path: Vec::new(),
    };
    fill.object(root_type, &[&operation.selection_set.node], data);
}

/// One walk of [`fill_skipped_objects`] over the data, with the path it is at.
struct Fill<'a> {
    index: &'a SchemaIndex,
    document: &'a ExecutableDocument,
    errors: &'a [async_graphql::ServerError],
    path: Vec<PathSegment>,
}

impl<'a> Fill<'a> {
    fn object(&mut self, object: &str, sets: &[&'a SelectionSet], value: &mut Value) {
        let Value::Object(fields) = value else {
            return;
        };
        for (key, child) in fields.iter_mut() {
            let selected = fields_at(self.document, sets, key.as_str());
            let Some(slot) = selected
                .first()
                .and_then(|field| self.index.field(object, field.name.node.as_str()))
            else {
                continue;
            };
            let children: Vec<&'a SelectionSet> = selected
                .iter()
                .map(|field| &field.selection_set.node)
                .collect();
            self.path.push(PathSegment::Field(key.to_string()));
            self.value(&slot.ty, &children, child);
            self.path.pop();
        }
    }

    fn value(&mut self, ty: &Type, sets: &[&'a SelectionSet], value: &mut Value) {
        match (&ty.base, &mut *value) {
            (BaseType::Named(name), Value::Null)
                if !ty.nullable && self.index.is_object(name) && !self.explained() =>
            {
                *value = Value::Object(Default::default());
            }
            (BaseType::Named(name), Value::Object(_)) => {
                let name = name.to_string();
                self.object(&name, sets, value);
            }
            (BaseType::List(item), Value::List(items)) => {
                for (i, item_value) in items.iter_mut().enumerate() {
                    self.path.push(PathSegment::Index(i));
                    self.value(item, sets, item_value);
                    self.path.pop();
                }
            }
            _ => {}
        }
    }

    /// True when an error's path reaches the current position or below it.
    fn explained(&self) -> bool {
        self.errors
            .iter()
            .any(|error| error.path.starts_with(&self.path))
    }
}

/// True when a selection anywhere in `document` carries `@skip` or `@include`.
pub fn has_conditions(document: &ExecutableDocument) -> bool {
    fn conditional(directives: &[Positioned<async_graphql::parser::types::Directive>]) -> bool {
        directives
            .iter()
            .any(|d| matches!(d.node.name.node.as_str(), "skip" | "include"))
    }
    fn walk(set: &SelectionSet) -> bool {
        set.items.iter().any(|item| match &item.node {
            Selection::Field(field) => {
                conditional(&field.node.directives) || walk(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => {
                conditional(&fragment.node.directives) || walk(&fragment.node.selection_set.node)
            }
            Selection::FragmentSpread(spread) => conditional(&spread.node.directives),
        })
    }
    document
        .operations
        .iter()
        .any(|(_, operation)| walk(&operation.node.selection_set.node))
        || document
            .fragments
            .values()
            .any(|fragment| walk(&fragment.node.selection_set.node))
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
                let fields = fields_at(document, &selections, key);
                let ty = index
                    .field(&object, fields.first()?.name.node.as_str())?
                    .ty
                    .clone();
                selections = fields
                    .iter()
                    .map(|field| &field.selection_set.node)
                    .collect();
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

/// Every field answering to response `key` in `sets`, looking through fragments (our
/// schema has no interfaces or unions, so every fragment applies to the type at hand).
/// Fields of the same key are merged by execution, so all of them count: their
/// selections together are what the value under that key answers.
fn fields_at<'a>(
    document: &'a ExecutableDocument,
    sets: &[&'a SelectionSet],
    key: &str,
) -> Vec<&'a async_graphql::parser::types::Field> {
    fn search<'a>(
        fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
        set: &'a SelectionSet,
        key: &str,
        depth: usize,
        out: &mut Vec<&'a async_graphql::parser::types::Field>,
    ) {
        if depth > 32 {
            return;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let response_key = field.node.alias.as_ref().unwrap_or(&field.node.name);
                    if response_key.node.as_str() == key {
                        out.push(&field.node);
                    }
                }
                Selection::InlineFragment(fragment) => {
                    search(
                        fragments,
                        &fragment.node.selection_set.node,
                        key,
                        depth + 1,
                        out,
                    );
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = fragments.get(&spread.node.fragment_name.node) {
                        search(
                            fragments,
                            &fragment.node.selection_set.node,
                            key,
                            depth + 1,
                            out,
                        );
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for set in sets {
        search(&document.fragments, set, key, 0, &mut out);
    }
    out
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
